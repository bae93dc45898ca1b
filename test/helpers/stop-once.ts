/**
 * Test helper: an idempotent `stop()` for what a test helper started (e.g. an adapter, then its devnet).
 */

/**
 * A `stop()` that runs `steps` in order the first time and, on every call, returns that one run's
 * promise.
 *
 * @example
 * const stop = stopOnce(() => adapter.close(), () => devnet.stop())
 */
export function stopOnce(...steps: (() => Promise<void>)[]): () => Promise<void> {
  let stopped: Promise<void> | undefined
  return () => {
    stopped ??= (async () => {
      for (const step of steps) await step()
    })()
    return stopped
  }
}
