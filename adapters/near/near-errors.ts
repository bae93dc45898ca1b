/**
 * Maps what near-api-js (and the network) throws onto mero's error catalogue. Contract panics carry
 * the registry's reason first (`NotSubmitter: …`, `AlreadyAnchored: …`); they become
 * `NotRegisteredSubmitter`, `AlreadyAnchored` or `ChainRejected` with `details.reason`. Transport
 * failures (connection refused, timeouts, 5xx, a timed-out transaction) become `ChainUnavailable`;
 * other RPC errors are permanent `ChainRejected` with near-api-js's error name. Messages carry no
 * secrets: only the error name and the RPC's short message.
 */
import { guardChainCall } from '../../src/chain/guard-chain-call.ts'
import type { MeroError } from '../../src/core/errors.ts'
import {
  AlreadyAnchored,
  ChainRejected,
  ChainUnavailable,
  isMeroError,
  NotRegisteredSubmitter,
} from '../../src/core/errors.ts'

/** The registry's panic reason (`AlreadyAnchored`) and its argument, from a near-api-js error or an outcome. */
export function panicReason(message: string): { reason: string; arg?: string } | undefined {
  const m = /(?:Smart contract panicked|Contract panicked): (\w+)(?::\s*(.*))?$/s.exec(message)
  if (!m) return undefined
  return m[2] === undefined ? { reason: m[1]! } : { reason: m[1]!, arg: m[2] }
}

/** Names of near-api-js errors that mean "the node is unavailable right now" (retryable). */
const RETRYABLE = new Set([
  'TransactionTimeoutError',
  'NodeIsSyncingError',
  'NotSyncedYetError',
  'NoSyncedBlocksError',
  'InternalRpcError',
  'InternalHandlerError',
  'RequestRoutedError',
])

/** Converts any thrown value of a NEAR interaction into a mero error. */
export function toChainError(e: unknown, what: string): MeroError {
  if (isMeroError(e)) return e
  const err = e as { name?: unknown; message?: unknown; cause?: unknown; type?: unknown } | null
  const name = typeof err?.name === 'string' ? err.name : 'Error'
  const message = typeof err?.message === 'string' ? err.message.slice(0, 300) : String(e).slice(0, 300)
  const panic = panicReason(message)
  if (panic) {
    const details = { reason: panic.reason, ...(panic.arg ? { args: [panic.arg] } : {}), operation: what }
    if (panic.reason === 'NotSubmitter')
      return new NotRegisteredSubmitter(
        `${what}: ${panic.arg ?? 'the account'} is not a registered submitter`,
        {
          details,
          cause: e,
        },
      )
    if (panic.reason === 'AlreadyAnchored')
      return new AlreadyAnchored(`${what}: root already anchored`, { details, cause: e })
    return new ChainRejected(`${what} failed: ${panic.reason}`, { details, cause: e })
  }
  if (/LackBalanceForState/.test(message))
    return new ChainRejected(
      `${what}: the contract account lacks balance for its storage stake (top it up): ${message.slice(0, 200)}`,
      { details: { reason: 'LackBalanceForState', operation: what }, cause: e },
    )
  const status = typeof err?.cause === 'number' ? err.cause : undefined
  const network =
    name === 'TypeError' ||
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    err?.type === 'RetriesExceeded' ||
    /fetch failed|ECONNREFUSED|ECONNRESET|socket hang up|Exceeded \d+ attempts/i.test(message) ||
    (status !== undefined && (status >= 500 || status === 408 || status === 429))
  if (network || RETRYABLE.has(name))
    return new ChainUnavailable(`${what}: NEAR RPC unavailable (${name}: ${message.slice(0, 160)})`, {
      details: { operation: what, code: name },
      cause: e,
    })
  return new ChainRejected(`${what}: ${name}: ${message.slice(0, 200)}`, {
    details: { reason: name, operation: what },
    cause: e,
  })
}

/** Runs one NEAR interaction: races `signal`, converts what is thrown into a mero error. */
export function guardNear<T>(what: string, signal: AbortSignal | undefined, f: () => Promise<T>): Promise<T> {
  return guardChainCall(signal, f, (e) => toChainError(e, what))
}
