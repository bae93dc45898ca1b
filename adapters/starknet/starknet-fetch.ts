/**
 * The adapter's HTTP transport for starknet.js (`RpcProvider({baseFetch})`): node:http(s) over
 * keep-alive agents the adapter owns, so `close()` destroys every socket it opened — the process-wide
 * pool behind the global `fetch` keeps idle sockets (and with them the process) alive for as long as
 * the server's keep-alive hint says. Every request has a deadline covering connect, send and the whole
 * answer, and an answer larger than `maxResponseBytes` is cut off.
 */
import http from 'node:http'
import https from 'node:https'

/** A `fetch` that can be closed. */
export interface ClosableFetch {
  /** The `fetch`-compatible function (what starknet.js calls: `(url, {method, body, headers})`). */
  readonly fetch: typeof fetch
  /** Destroys every socket; later calls reject. Idempotent. */
  close(): void
}

/** Options of {@link createStarknetFetch}. */
export interface StarknetFetchOptions {
  /** Deadline of one request, connect to last byte (ms). */
  readonly timeoutMs: number
  /** Largest answer accepted (default 64 MiB). */
  readonly maxResponseBytes?: number
}

const NULL_BODY = new Set([101, 103, 204, 205, 304])

/**
 * Creates the transport.
 *
 * @example
 * const t = createStarknetFetch({ timeoutMs: 30_000 })
 * const provider = new RpcProvider({ nodeUrl, specVersion: '0.9.0', baseFetch: t.fetch })
 * // … later: t.close()
 */
export function createStarknetFetch(options: StarknetFetchOptions): ClosableFetch {
  const maxBytes = options.maxResponseBytes ?? 64 * 1024 * 1024
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 16 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 16 }),
  }
  const requests = new Set<http.ClientRequest>()
  let closed = false

  const run = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      if (closed) return reject(new Error('the Starknet adapter is closed'))
      const url = new URL(input instanceof Request ? input.url : String(input))
      const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined
      if (!mod) return reject(new Error(`unsupported RPC URL scheme ${url.protocol}`))
      const body = init?.body === undefined || init.body === null ? undefined : String(init.body)
      const headers: Record<string, string> = Object.fromEntries(new Headers(init?.headers))
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
      const req = mod.request(url, {
        method: init?.method ?? 'GET',
        headers,
        agent: agents[url.protocol as 'http:' | 'https:'],
      })
      requests.add(req)
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      )
      const done = () => {
        clearTimeout(timer)
        requests.delete(req)
      }
      req.on('error', (e) => {
        done()
        reject(e)
      })
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > maxBytes) req.destroy(new Error(`answer larger than ${maxBytes} bytes`))
          else chunks.push(c)
        })
        res.on('error', (e) => {
          done()
          reject(e)
        })
        res.on('end', () => {
          done()
          try {
            const status = res.statusCode ?? 500
            const h = new Headers()
            for (const [k, v] of Object.entries(res.headers))
              if (typeof v === 'string') h.set(k, v)
              else if (Array.isArray(v)) for (const x of v) h.append(k, x)
            resolve(
              new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), {
                status: status >= 200 && status <= 599 ? status : 502,
                headers: h,
              }),
            )
          } catch (e) {
            reject(e)
          }
        })
      })
      req.end(body)
    })

  return {
    fetch: run as typeof fetch,
    close() {
      if (closed) return
      closed = true
      for (const r of requests) r.destroy(new Error('the Starknet adapter is closed'))
      for (const a of Object.values(agents)) a.destroy()
    },
  }
}
