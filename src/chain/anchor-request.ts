/**
 * Input checks every adapter makes before it touches the chain, so that a malformed request fails the
 * same way on every chain: `InvalidInput`, nothing sent.
 */
import { InvalidInput } from '../core/errors.ts'
import type { AnchorRequest } from './chain-adapter.ts'

/**
 * Throws `InvalidInput` (`details.what`) unless `b` is a 32-byte `Uint8Array` (a root, log id, node
 * key, leaf hash…).
 *
 * @example
 * checkBytes32(nodeKey, 'nodeKey')
 */
export function checkBytes32(b: Uint8Array, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== 32)
    throw new InvalidInput(`${what} must be 32 bytes`, { details: { what } })
}

/** The smallest tree size an adapter accepts before asking the chain. */
export interface AnchorRequestRules {
  /**
   * 1: a zero tree size is refused here (`InvalidInput`); 0: it is passed on, and the contract
   * refuses it (`ChainRejected`).
   */
  readonly minTreeSize: 0 | 1
}

/**
 * Checks an anchor request: `logId` and `root` are 32 bytes, `treeSize` is a safe integer of at least
 * `rules.minTreeSize` (a safe integer always fits the contracts' u64). Throws `InvalidInput`
 * (`details.what`, or `details.treeSize`) otherwise.
 *
 * @example
 * validateAnchorRequest(req, { minTreeSize: 1 })
 */
export function validateAnchorRequest(req: AnchorRequest, rules: AnchorRequestRules): void {
  checkBytes32(req.logId, 'logId')
  checkBytes32(req.root, 'root')
  if (!Number.isSafeInteger(req.treeSize) || req.treeSize < rules.minTreeSize)
    throw new InvalidInput(
      `treeSize must be a ${rules.minTreeSize === 0 ? 'non-negative' : 'positive'} integer`,
      { details: { treeSize: req.treeSize } },
    )
}
