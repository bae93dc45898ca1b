/**
 * Maps starknet.js / Starknet JSON-RPC failures onto mero's error catalogue: transport failures are
 * `ChainUnavailable` (retryable), the node's answers are `ChainRejected` with the Starknet error code
 * and reason, the contract's `NOT_SUBMITTER` panic is `NotRegisteredSubmitter`.
 */
import { RpcError } from 'starknet'
import {
  Aborted,
  AlreadyAnchored,
  ChainRejected,
  ChainUnavailable,
  isMeroError,
  type MeroError,
  NotRegisteredSubmitter,
} from '../../src/core/errors.ts'

/** The anchor contract's panic strings (contracts/starknet/src/lib.cairo). */
export const CONTRACT_PANICS = [
  'NOT_SUBMITTER',
  'ALREADY_ANCHORED',
  'NOT_OWNER',
  'INVALID_TREE_SIZE',
  'INVALID_ROOT',
  'INVALID_SUBMITTER',
  'UNKNOWN_NODE',
  'INVALID_METADATA',
] as const

/** The contract panic named in a node's error text, if any. */
export function panicIn(text: string): string | undefined {
  return CONTRACT_PANICS.find((p) => text.includes(`'${p}'`) || text.includes(`"${p}"`) || text.includes(p))
}

/** The text of a Starknet RPC error (message plus data), for reason extraction. */
export function rpcErrorText(e: RpcError): string {
  const data = (e.baseError as { data?: unknown }).data
  return `${e.baseError.message}: ${typeof data === 'string' ? data : JSON.stringify(data ?? '')}`
}

/** A shortened, key-free reason for details. */
function shortReason(text: string): string {
  const m = /Failure reason:\s*\n?\((0x[0-9a-f]+) \('([^']*)'\)\)/.exec(text)
  if (m) return m[2]!
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/** Wraps any failure of `what` into a mero error (mero errors pass through). */
export function wrapStarknetError(what: string, e: unknown, signal?: AbortSignal): MeroError {
  if (isMeroError(e)) return e
  if (signal?.aborted) return new Aborted(`${what}: aborted`, { cause: e })
  if (e instanceof RpcError) {
    const code: number = e.code
    const text = rpcErrorText(e)
    const panic = panicIn(text)
    if (panic === 'NOT_SUBMITTER')
      return new NotRegisteredSubmitter(`${what}: the account is not a registered submitter`, {
        details: { code, reason: panic },
      })
    if (panic === 'ALREADY_ANCHORED')
      return new AlreadyAnchored(`${what}: root already anchored`, { details: { code, reason: panic } })
    // JSON-RPC transport-level codes and "unexpected error" are the node's fault: retry.
    if (code === 63 || code === -32603 || code === 429)
      return new ChainUnavailable(`${what}: Starknet node error ${code}`, { details: { code }, cause: e })
    // 52 INVALID_TRANSACTION_NONCE: another sender used the nonce, or the node's view lags; the
    // sender re-reads the nonce, so a later attempt can succeed: retryable, not a rejection.
    if (code === 52)
      return new ChainUnavailable(`${what}: nonce race (52 ${e.baseError.message})`, {
        details: { code, reason: 'InvalidNonce' },
        cause: e,
      })
    // 59 DUPLICATE_TX: this very transaction (same hash) is already with the node — a resend after a
    // lost answer. It will land or be dropped; either way a later attempt decides: retryable.
    if (code === 59)
      return new ChainUnavailable(`${what}: the transaction is already known to the node (59)`, {
        details: { code, reason: 'DuplicateTx' },
        cause: e,
      })
    return new ChainRejected(`${what}: Starknet node rejected (${code} ${e.baseError.message})`, {
      details: { code, reason: panic ?? shortReason(text) },
    })
  }
  const msg = e instanceof Error ? e.message : String(e)
  return new ChainUnavailable(`${what}: Starknet RPC unavailable (${msg.slice(0, 200)})`, { cause: e })
}
