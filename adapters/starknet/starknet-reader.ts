/**
 * The adapter's reads: guarded RPC calls (errors wrapped, abortable), the chain id check, `anchor_of`,
 * and waiting for a transaction to be ACCEPTED_ON_L2 (reverts surfaced with the contract's reason).
 */
import type { RpcProvider } from 'starknet'
import {
  bigintToBytes32,
  bytesToBigint,
  decodeAnchorOf,
  u256ToFelts,
} from '../../contracts/starknet/anchor-calldata.ts'
import type { OnChainAnchor } from '../../src/chain/chain-adapter.ts'
import { guardChainCall } from '../../src/chain/guard-chain-call.ts'
import {
  Aborted,
  ChainRejected,
  ChainUnavailable,
  isMeroError,
  NotRegisteredSubmitter,
} from '../../src/core/errors.ts'
import { panicIn, wrapStarknetError } from './starknet-errors.ts'

/** What the reader needs. */
export interface StarknetReaderOptions {
  readonly provider: RpcProvider
  /** Anchor contract address. */
  readonly contract: string
  /** CAIP-2 id, for messages. */
  readonly chainId: string
  /** The chain id felt the RPC must serve. */
  readonly chainFelt: string
  /** Receipt polling interval, ms. */
  readonly pollMs: number
  /** Longest wait for a transaction to be accepted (default 300 s). */
  readonly receiptTimeoutMs?: number
  /** Longest time a sent transaction may stay unknown to the node (29) before it counts as dropped (default 30 s). */
  readonly unknownTxMs?: number
}

/** Waits `ms`; an abort ends the wait at once (timer cleared) with `Aborted`. */
function pause(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Aborted(`${what}: aborted`))
    const onAbort = () => {
      clearTimeout(timer)
      reject(new Aborted(`${what}: aborted`))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Creates the reader (see the module comment). */
export function createStarknetReader({
  provider,
  contract,
  chainId,
  chainFelt,
  pollMs,
  receiptTimeoutMs = 300_000,
  unknownTxMs = 30_000,
}: StarknetReaderOptions) {
  let chainChecked = false
  const rpc = async <T>(what: string, signal: AbortSignal | undefined, f: () => Promise<T>): Promise<T> => {
    if (signal?.aborted) throw wrapStarknetError(what, new Error('aborted'), signal)
    return guardChainCall(signal, f, (e) => wrapStarknetError(what, e, signal))
  }
  const checkChain = async (signal?: AbortSignal) => {
    if (chainChecked) return
    const id = await rpc('chainId', signal, () => provider.getChainId())
    if (BigInt(id) !== BigInt(chainFelt))
      throw new ChainRejected(`the RPC serves chain ${id}, not ${chainId}`, {
        details: { reason: 'WrongChain', expected: chainFelt, actual: id },
      })
    chainChecked = true
  }
  const call = async (what: string, entrypoint: string, calldata: bigint[], signal?: AbortSignal) => {
    await checkChain(signal) // reads from another chain would be wrong answers, not errors
    return rpc(what, signal, () =>
      provider.callContract({
        contractAddress: contract,
        entrypoint,
        calldata: calldata.map((c) => c.toString()),
      }),
    )
  }

  const readAnchor = async (root: Uint8Array, signal?: AbortSignal): Promise<OnChainAnchor | null> => {
    const felts = await call('anchor_of', 'anchor_of', u256ToFelts(bytesToBigint(root)), signal)
    let r: ReturnType<typeof decodeAnchorOf>
    try {
      r = decodeAnchorOf(felts)
    } catch (e) {
      // Not the anchor contract's answer (another contract at that address, or a broken node).
      throw new ChainRejected(`anchor_of: unexpected answer from ${contract} on ${chainId}`, {
        details: { reason: 'UnexpectedAnswer', detail: (e as Error).message.slice(0, 200) },
      })
    }
    if (r.treeSize === 0n) return null
    return {
      logId: bigintToBytes32(r.logId),
      treeSize: Number(r.treeSize),
      height: Number(r.height),
      timestamp: Number(r.timestamp) * 1000,
      submitter: `0x${r.submitter.toString(16).padStart(64, '0')}`,
    }
  }

  const waitForReceipt = async (what: string, tx: string, signal?: AbortSignal) => {
    const start = Date.now()
    let firstUnknown: number | undefined
    for (;;) {
      const st = await rpc(what, signal, () => provider.getTransactionStatus(tx)).catch((e) => {
        if (isMeroError(e) && e.details.code === 29) return undefined // not visible yet
        throw e
      })
      const now = Date.now()
      if (st) firstUnknown = undefined
      else firstUnknown ??= now
      if (firstUnknown !== undefined && now - firstUnknown >= unknownTxMs)
        throw new ChainUnavailable(`${what}: the node does not know the transaction (dropped?)`, {
          details: { tx, reason: 'TransactionDropped' },
        })
      if (now - start >= receiptTimeoutMs)
        throw new ChainUnavailable(`${what}: transaction not accepted in time`, {
          details: { tx, reason: 'ReceiptTimeout', waitedMs: now - start },
        })
      if (st?.execution_status === 'REVERTED') {
        const reason = String(st.failure_reason ?? 'reverted')
        const panic = panicIn(reason)
        if (panic === 'NOT_SUBMITTER')
          throw new NotRegisteredSubmitter(`${what}: the account is not a registered submitter`, {
            details: { tx, reason: panic },
          })
        throw new ChainRejected(`${what}: transaction reverted`, {
          details: { tx, reason: panic ?? reason.slice(0, 300) },
        })
      }
      if (st?.finality_status === 'ACCEPTED_ON_L2' || st?.finality_status === 'ACCEPTED_ON_L1') return
      await pause(pollMs, signal, what)
    }
  }

  return { rpc, checkChain, call, readAnchor, waitForReceipt }
}
