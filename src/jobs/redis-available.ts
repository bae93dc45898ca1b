/**
 * Whether a Redis server answers at a URL: one connection, `AUTH` when the URL carries credentials,
 * then `PING`, all within a short timeout. Used by tests (skip the bullmq suite with the reason) and
 * by startup checks. Speaks RESP over node:net / node:tls directly, so it needs no client library.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'

/** The answer of {@link redisAvailable}. */
export type RedisAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/** Options of {@link redisAvailable}. */
export interface RedisAvailableOptions {
  /** Give up after this many ms (default 500). */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

const command = (...args: string[]): string =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`

/**
 * Pings the Redis server at `url` (`redis://[user:pass@]host[:port]` or `rediss://…`).
 * Never throws: a failure comes back as `{ ok: false, reason }`.
 *
 * @example
 * const r = await redisAvailable(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
 * if (!r.ok) console.log(`no Redis: ${r.reason}`)
 */
export async function redisAvailable(
  url: string,
  options: RedisAvailableOptions = {},
): Promise<RedisAvailability> {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return { ok: false, reason: `not a URL: ${url}` }
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    return { ok: false, reason: `not a redis:// URL: ${u.protocol}` }
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1'
  const port = Number(u.port || 6379)
  const where = `${host}:${port}`
  const timeoutMs = options.timeoutMs ?? 500
  const requests: string[] = []
  if (u.password)
    requests.push(
      u.username
        ? command('AUTH', decodeURIComponent(u.username), decodeURIComponent(u.password))
        : command('AUTH', decodeURIComponent(u.password)),
    )
  requests.push(command('PING'))

  return new Promise<RedisAvailability>((resolve) => {
    let socket: Socket | undefined
    let settled = false
    let received = ''
    const finish = (result: RedisAvailability): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      socket?.destroy()
      resolve(result)
    }
    const onAbort = (): void => finish({ ok: false, reason: 'aborted' })
    const timer = setTimeout(
      () => finish({ ok: false, reason: `no answer from Redis at ${where} within ${timeoutMs} ms` }),
      timeoutMs,
    )
    if (options.signal?.aborted) return onAbort()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    socket =
      u.protocol === 'rediss:' ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port })
    socket.setEncoding('utf8')
    socket.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () =>
      socket?.write(requests.join('')),
    )
    socket.on('data', (chunk: string) => {
      received += chunk
      const lines = received.split('\r\n')
      for (const line of lines.slice(0, -1)) {
        if (line.startsWith('-'))
          return finish({ ok: false, reason: `Redis at ${where} answered: ${line.slice(1)}` })
        if (line === '+PONG') return finish({ ok: true })
      }
    })
    socket.on('error', (err) =>
      finish({ ok: false, reason: `cannot reach Redis at ${where}: ${err.message}` }),
    )
    socket.on('close', () => finish({ ok: false, reason: `Redis at ${where} closed the connection` }))
  })
}
