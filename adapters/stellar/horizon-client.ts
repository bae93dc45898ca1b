/**
 * The adapter's Horizon client: the unmodified `Horizon.Server`, with every request bounded in time
 * and cancelled when the adapter closes. The SDK bounds only `submitTransaction` (60 s); its GETs
 * would otherwise wait as long as the socket stays open (undici's 300 s header timeout).
 */
import { Horizon } from '@stellar/stellar-sdk'

/** Options of {@link createHorizonClient}. */
export interface HorizonClientOptions {
  /** Time limit of one request, ms, unless the SDK sets its own (submission: 60 s). */
  readonly timeoutMs: number
  /** Aborts every request in flight and every later one (the adapter's close). */
  readonly signal: AbortSignal
}

/**
 * A `Horizon.Server` for `url` whose requests honour `timeoutMs` and `signal`.
 *
 * @example
 * const closing = new AbortController()
 * const server = createHorizonClient(url, { timeoutMs: 20_000, signal: closing.signal })
 */
export function createHorizonClient(url: string, o: HorizonClientOptions): Horizon.Server {
  const server = new Horizon.Server(url, { allowHttp: true })
  server.httpClient.interceptors.request.use((config) => {
    config.timeout ||= o.timeoutMs
    // The SDK's fetch client passes `signal` on to fetch (together with the timeout).
    ;(config as { signal?: AbortSignal }).signal = o.signal
    return config
  })
  return server
}
