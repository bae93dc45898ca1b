/**
 * Concurrent callers asking for the same thing share one in-flight promise — how adapters make
 * concurrent `submitAnchor` calls of one root send one transaction. The shared work belongs to no
 * single caller: each caller's signal ends only its own wait, and the work's own signal aborts only
 * once every caller waiting on it has aborted.
 */
import { raceSignal } from './race-signal.ts'

/** One shared in-flight promise per key. */
export interface SingleFlight<T> {
  /**
   * Joins the work already running under `key`, else starts `start(signal)` under it. `signal` (the
   * work's) aborts when every joined caller's `callerSignal` has aborted — a caller without a signal
   * keeps the work alive. The caller's promise rejects with `Aborted` when its own signal aborts. The
   * key is forgotten as soon as the work settles, so a later call starts afresh. `start` should be an
   * async function (a synchronous throw escapes to the caller that started it).
   */
  run(key: string, start: (signal: AbortSignal) => Promise<T>, callerSignal?: AbortSignal): Promise<T>
}

interface Flight<T> {
  readonly promise: Promise<T>
  readonly controller: AbortController
  waiting: number
}

/**
 * Creates an empty {@link SingleFlight}.
 *
 * @example
 * const submits = createSingleFlight<SubmitAnchorResult>()
 * const p = submits.run(toHex(req.root), async (signal) => send(req, signal), opts.signal)
 */
export function createSingleFlight<T>(): SingleFlight<T> {
  const inflight = new Map<string, Flight<T>>()
  return {
    run(key, start, callerSignal) {
      let flight = inflight.get(key)
      if (!flight) {
        const controller = new AbortController()
        const promise = start(controller.signal)
        const f: Flight<T> = { promise, controller, waiting: 0 }
        flight = f
        inflight.set(key, f)
        const forget = () => {
          if (inflight.get(key) === f) inflight.delete(key)
        }
        promise.then(forget, forget)
      }
      const f = flight
      f.waiting++
      if (callerSignal) {
        const leave = () => {
          if (--f.waiting === 0) f.controller.abort(callerSignal.reason)
        }
        if (callerSignal.aborted) leave()
        else {
          callerSignal.addEventListener('abort', leave, { once: true })
          const detach = () => callerSignal.removeEventListener('abort', leave)
          f.promise.then(detach, detach)
        }
      }
      return raceSignal(f.promise, callerSignal)
    },
  }
}
