/**
 * The one wrapper adapters put around a chain interaction: stop waiting when the caller's signal
 * aborts, and turn whatever the chain library throws into a mero error of the catalogue.
 */
import type { MeroError } from '../core/errors.ts'
import { raceSignal } from './race-signal.ts'

/**
 * Runs `f` racing `signal` ({@link raceSignal}: an abort rejects with `Aborted`) and rethrows any
 * failure as `toError(failure)`. `toError` is the adapter's classifier (it should pass mero errors,
 * such as that `Aborted`, through unchanged).
 *
 * @example
 * const guardNear = <T>(what: string, signal: AbortSignal | undefined, f: () => Promise<T>) =>
 *   guardChainCall(signal, f, (e) => toChainError(e, what))
 */
export async function guardChainCall<T>(
  signal: AbortSignal | undefined,
  f: () => Promise<T>,
  toError: (e: unknown) => MeroError,
): Promise<T> {
  try {
    return await raceSignal(f(), signal)
  } catch (e) {
    throw toError(e)
  }
}
