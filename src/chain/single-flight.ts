/**
 * Concurrent callers asking for the same thing share one in-flight promise — how adapters make
 * concurrent `submitAnchor` calls of one root send one transaction.
 */

/** One shared in-flight promise per key. */
export interface SingleFlight<T> {
  /**
   * The promise already running under `key`, else the one `start()` returns (which then runs under
   * `key`). The key is forgotten as soon as its promise settles, so a later call starts afresh.
   * `start` should be an async function (a synchronous throw escapes to the caller that started it).
   */
  run(key: string, start: () => Promise<T>): Promise<T>
}

/**
 * Creates an empty {@link SingleFlight}.
 *
 * @example
 * const submits = createSingleFlight<SubmitAnchorResult>()
 * const p = submits.run(toHex(req.root), async () => send(req)) // a second call with that root gets p
 */
export function createSingleFlight<T>(): SingleFlight<T> {
  const inflight = new Map<string, Promise<T>>()
  return {
    run(key, start) {
      let p = inflight.get(key)
      if (!p) {
        p = start()
        inflight.set(key, p)
        const forget = () => inflight.delete(key)
        p.then(forget, forget)
      }
      return p
    },
  }
}
