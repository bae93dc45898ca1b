/**
 * Maps `@dfinity/agent` failures onto mero's error catalogue: transport failures, timeouts and HTTP
 * 5xx → `ChainUnavailable` (retryable); certified or uncertified rejects → `ChainRejected` with the
 * IC reject code, error code and message (a trap "not a registered submitter" →
 * `NotRegisteredSubmitter`, "already anchored" → `AlreadyAnchored`); HTTP 4xx (bad signature, expired
 * ingress) and certificate verification failures → `ChainRejected`.
 */
import {
  AgentError,
  CertifiedRejectErrorCode,
  HttpErrorCode,
  ProtocolError,
  TransportError,
  TrustError,
  UncertifiedRejectErrorCode,
  UncertifiedRejectUpdateErrorCode,
} from '@dfinity/agent'
import {
  Aborted,
  AlreadyAnchored,
  ChainRejected,
  ChainUnavailable,
  isMeroError,
  type MeroError,
  NotRegisteredSubmitter,
} from '../../src/core/errors.ts'

/** A reject the adapter raises itself (its own certified-call path), same shape as the agent's. */
export class IcReject extends Error {
  constructor(
    readonly rejectCode: number,
    readonly rejectMessage: string,
    readonly errorCode: string | undefined,
  ) {
    super(rejectMessage)
  }
}

/** Turns a reject into the catalogue error. */
export function rejectError(
  what: string,
  code: number,
  message: string,
  errorCode: string | undefined,
): MeroError {
  const details = { rejectCode: code, errorCode, reason: message }
  if (message.includes('not a registered submitter'))
    return new NotRegisteredSubmitter(`${what}: not a registered submitter of the anchor canister`, {
      details,
    })
  if (message.includes('already anchored'))
    return new AlreadyAnchored(`${what}: root already anchored`, { details })
  return new ChainRejected(`${what}: rejected by the canister (code ${code}): ${message}`, { details })
}

/** Maps any failure of an agent call to a mero error (mero errors pass through). */
export function wrapIcpError(what: string, e: unknown): MeroError {
  if (isMeroError(e)) return e
  if (e instanceof IcReject) return rejectError(what, e.rejectCode, e.rejectMessage, e.errorCode)
  if (e instanceof AgentError) {
    const code = e.cause.code
    if (
      code instanceof CertifiedRejectErrorCode ||
      code instanceof UncertifiedRejectErrorCode ||
      code instanceof UncertifiedRejectUpdateErrorCode
    )
      return rejectError(what, code.rejectCode, code.rejectMessage, code.rejectErrorCode)
    if (e instanceof TransportError)
      return new ChainUnavailable(`${what}: the ICP endpoint did not answer`, {
        cause: e,
        details: { reason: 'transport' },
      })
    if (e instanceof ProtocolError && code instanceof HttpErrorCode) {
      const details = { status: code.status, reason: (code.bodyText ?? code.statusText).slice(0, 500) }
      return code.status >= 500 || code.status === 429
        ? new ChainUnavailable(`${what}: the ICP endpoint answered HTTP ${code.status}`, {
            cause: e,
            details,
          })
        : new ChainRejected(
            `${what}: the ICP endpoint refused the request (HTTP ${code.status}): ${details.reason}`,
            {
              cause: e,
              details,
            },
          )
    }
    if (e instanceof TrustError)
      return new ChainRejected(`${what}: certificate verification failed`, {
        cause: e,
        details: { reason: 'CertificateVerificationFailed' },
      })
    return new ChainRejected(`${what}: ${e.message.split('\n')[0]}`, {
      cause: e,
      details: { reason: e.name },
    })
  }
  if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError'))
    return new ChainUnavailable(`${what}: request timed out or was aborted`, { cause: e })
  if (e instanceof TypeError && /fetch/i.test(e.message))
    return new ChainUnavailable(`${what}: the ICP endpoint did not answer`, { cause: e })
  return new ChainUnavailable(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
}

/** Runs `f`, stopping early when `signal` aborts, and wraps its failures. */
export async function guardIcp<T>(
  what: string,
  signal: AbortSignal | undefined,
  f: () => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw new Aborted(`${what}: aborted`)
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Aborted(`${what}: aborted`))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([f(), aborted])
  } catch (e) {
    throw wrapIcpError(what, e)
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
}
