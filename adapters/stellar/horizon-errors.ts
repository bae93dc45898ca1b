/**
 * Maps what the Stellar SDK / Horizon throws onto mero's error catalogue: a failed submission becomes
 * `ChainRejected` carrying Horizon's `result_codes` (`details.reason` = the transaction code,
 * `details.operations` = the operation codes); transport failures, timeouts, 5xx (TRY_AGAIN_LATER)
 * and the temporary codes `tx_too_late`, `tx_bad_seq`, `tx_insufficient_balance`,
 * `tx_insufficient_fee` become `ChainUnavailable` (retryable). Messages never carry secrets.
 */
import { NetworkError, NotFoundError } from '@stellar/stellar-sdk'
import { guardChainCall } from '../../src/chain/guard-chain-call.ts'
import type { MeroError } from '../../src/core/errors.ts'
import { ChainRejected, ChainUnavailable, isMeroError } from '../../src/core/errors.ts'

/** Horizon's result codes of a failed transaction. */
export interface ResultCodes {
  readonly transaction: string
  readonly operations?: readonly string[]
}

interface HttpFailure {
  readonly status?: number
  readonly data?: {
    status?: number
    type?: string
    title?: string
    detail?: string
    extras?: { result_codes?: ResultCodes }
  }
}

/** The HTTP status and problem document of an SDK error, when Horizon answered at all. */
export function httpFailure(e: unknown): HttpFailure | undefined {
  if (e instanceof NetworkError) {
    // Submission errors carry `{ data, status }`; call-builder errors carry the problem document itself.
    const r = e.response as { status?: unknown; data?: HttpFailure['data'] } | undefined
    if (r && typeof r.status === 'number' && 'data' in r)
      return { status: r.status, ...(r.data ? { data: r.data } : {}) }
    const data = e.response as HttpFailure['data'] | undefined
    return { status: e instanceof NotFoundError ? 404 : (data?.status ?? 0), ...(data ? { data } : {}) }
  }
  const r = (e as { response?: { status?: number; data?: HttpFailure['data'] } } | null)?.response
  return r && typeof r.status === 'number'
    ? { status: r.status, ...(r.data ? { data: r.data } : {}) }
    : undefined
}

/** True when Horizon answered 404. */
export function isNotFound(e: unknown): boolean {
  return httpFailure(e)?.status === 404
}

/** Horizon's result codes of a failed submission, if that is what `e` is. */
export function resultCodesOf(e: unknown): ResultCodes | undefined {
  return httpFailure(e)?.data?.extras?.result_codes
}

/**
 * Transaction codes that say "not now" rather than "never": the time window or sequence number moved
 * on, the account is short of lumens or the fee was below the surge price. Retried by the caller.
 */
const TEMPORARY = new Set(['tx_too_late', 'tx_bad_seq', 'tx_insufficient_balance', 'tx_insufficient_fee'])

/** Converts any thrown value of a Horizon interaction into a mero error. */
export function toChainError(e: unknown, what: string): MeroError {
  if (isMeroError(e)) return e
  const http = httpFailure(e)
  const codes = http?.data?.extras?.result_codes
  if (codes && TEMPORARY.has(codes.transaction))
    return new ChainUnavailable(`${what}: transaction not applied yet (${codes.transaction}); retry`, {
      details: { reason: codes.transaction, operation: what },
      cause: e,
    })
  if (codes) {
    const ops = codes.operations?.filter((c) => c !== 'op_success') ?? []
    return new ChainRejected(`${what}: transaction failed (${[codes.transaction, ...ops].join(', ')})`, {
      details: { reason: codes.transaction, operations: codes.operations ?? [], operation: what },
      cause: e,
    })
  }
  if (http && http.status !== undefined && http.status >= 400 && http.status < 500 && http.status !== 429) {
    const type = http.data?.type?.split('/').pop() ?? `http_${http.status}`
    return new ChainRejected(`${what}: Horizon answered ${http.status} ${type}`, {
      details: { reason: type, status: http.status, operation: what },
      cause: e,
    })
  }
  const msg = (e as { message?: unknown } | null)?.message
  return new ChainUnavailable(
    `${what}: Horizon unavailable (${http?.status ? `HTTP ${http.status}` : typeof msg === 'string' ? msg.slice(0, 160) : 'no answer'})`,
    { details: { operation: what, ...(http?.status ? { status: http.status } : {}) }, cause: e },
  )
}

/** Runs one Horizon interaction under `signal`, converting failures into mero errors. */
export function guardHorizon<T>(
  what: string,
  signal: AbortSignal | undefined,
  f: () => Promise<T>,
): Promise<T> {
  return guardChainCall(signal, f, (e) => toChainError(e, what))
}
