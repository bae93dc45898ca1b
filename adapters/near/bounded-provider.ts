/**
 * near-api-js's `JsonRpcProvider` with every JSON-RPC request bounded in time. near-api-js v7 calls
 * the global `fetch` without a signal or timeout, so a node that accepts the connection and never
 * answers would hold a call (and the adapter's one send path behind it) until undici's own 300 s
 * header timeout. Here each request (all of its near-api-js retries included) rejects with a
 * `TimeoutError` after `timeoutMs`, and every request still waiting rejects with an `AbortError`
 * once the provider is closed; the timers go with them. The abandoned HTTP request itself cannot be
 * cancelled (near-api-js owns the `fetch`); its socket is undici's and does not keep the process alive
 * once idle.
 */
import { setMaxListeners } from 'node:events'
import { JsonRpcProvider } from 'near-api-js'

/** A provider whose requests are bounded, plus the way to stop them all. */
export interface BoundedProvider {
  readonly provider: JsonRpcProvider
  /** Rejects every request in flight (and every later one) with an `AbortError`. Idempotent. */
  close(): void
}

/** Creates a provider for `url` whose every request rejects after `timeoutMs`. */
export function createBoundedProvider(url: string, timeoutMs: number): BoundedProvider {
  const provider = new JsonRpcProvider({ url }, { retries: 2, wait: 100, backoff: 1.5 })
  const closed = new AbortController()
  // one listener per request in flight: concurrent requests are many, and each removes its own
  setMaxListeners(0, closed.signal)
  const send = provider.sendJsonRpc.bind(provider) as (method: string, params: unknown) => Promise<unknown>
  const bounded = (method: string, params: unknown): Promise<unknown> => {
    if (closed.signal.aborted) return Promise.reject(abortError(method))
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        closed.signal.removeEventListener('abort', onClose)
      }
      const onClose = () => {
        done()
        reject(abortError(method))
      }
      const timer = setTimeout(() => {
        done()
        reject(
          Object.assign(new Error(`NEAR RPC ${method} did not answer within ${timeoutMs} ms`), {
            name: 'TimeoutError',
          }),
        )
      }, timeoutMs)
      closed.signal.addEventListener('abort', onClose, { once: true })
      send(method, params).then(
        (v) => {
          done()
          resolve(v)
        },
        (e: unknown) => {
          done()
          reject(e)
        },
      )
    })
  }
  ;(provider as unknown as { sendJsonRpc: typeof bounded }).sendJsonRpc = bounded
  return { provider, close: () => closed.abort() }
}

function abortError(method: string): Error {
  return Object.assign(new Error(`NEAR RPC ${method}: the adapter is closed`), { name: 'AbortError' })
}
