/**
 * The status every adapter reports for an anchor it can see in chain state: confirmations counted
 * from the anchor's height to the chain head, `final` once they reach the adapter's finality.
 */
import type { ChainAnchorStatus, OnChainAnchor } from './chain-adapter.ts'

/** Inputs of {@link anchoredStatus}. */
export interface AnchoredStatusInput {
  /** The anchor as read from chain state. */
  readonly anchor: OnChainAnchor
  /** Height of the chain head the confirmations are counted to. */
  readonly head: number
  /** Confirmations after which the anchor is `final`. */
  readonly finality: number
  /** The anchoring transaction, when the adapter could tie it to this anchor. */
  readonly tx?: string | undefined
  /**
   * Lowest confirmation count reported: 1 (default) where the head and the anchor come from the
   * latest state (an anchor in state is in a block even if the head was read a moment earlier); 0
   * where the head is the final block and the anchor may be newer than it.
   */
  readonly minConfirmations?: 0 | 1
}

/**
 * `included` or `final` for an anchor in chain state.
 *
 * @example
 * if (anchor) return anchoredStatus({ anchor, head: await getBlockNumber(), finality: 1, tx })
 */
export function anchoredStatus(o: AnchoredStatusInput): ChainAnchorStatus {
  const confirmations = Math.max(o.minConfirmations ?? 1, o.head - o.anchor.height + 1)
  return {
    state: confirmations >= o.finality ? 'final' : 'included',
    ...(o.tx ? { tx: o.tx } : {}),
    height: o.anchor.height,
    confirmations,
    anchor: o.anchor,
  }
}
