/**
 * Lets a caller stop waiting on a promise through an AbortSignal (the work itself may still finish).
 * Adapter support code: every adapter races its chain calls against the caller's `CallOptions.signal`.
 */
import { Aborted } from '../core/errors.ts'

/**
 * Resolves like `p`, or rejects with `Aborted` (`cause`: the signal's reason) as soon as `signal`
 * aborts; an already aborted signal rejects at once (and `p`'s own rejection is then ignored).
 *
 * @example
 * const n = await raceSignal(provider.getBlockNumber(), AbortSignal.timeout(5000))
 */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p
  if (signal.aborted) {
    p.catch(() => undefined)
    return Promise.reject(new Aborted('operation aborted', { cause: signal.reason }))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Aborted('operation aborted', { cause: signal.reason }))
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
