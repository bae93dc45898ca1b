/**
 * Bounded, abortable HTTP for the ICP adapter. `@dfinity/agent` takes no AbortSignal per call, so
 * the adapter runs each call inside {@link CallScope.run}: every request the agent makes for it —
 * the root key, the call, queries, `read_state` polls — goes through {@link CallScope.fetch}, which
 * ends it (headers and body) when the call's signal aborts, after `timeoutMs`, or when the adapter
 * closes ({@link CallScope.close}). Nothing stays in flight or scheduled after `close()`.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/** The in-flight requests of one adapter. */
export interface CallScope {
  /** A `fetch` for `HttpAgent` bounded by the running call's signal, the timeout and `close()`. */
  readonly fetch: typeof fetch
  /** Runs `f` with `signal` (plus the scope's lifetime) governing every request it makes. */
  run<T>(signal: AbortSignal | undefined, f: (signal: AbortSignal) => Promise<T>): Promise<T>
  /** Waits `ms`, ending early (rejecting) when `signal` aborts; leaves no timer behind. */
  sleep(ms: number, signal: AbortSignal): Promise<void>
  /** Aborts every request in flight and every later one. Idempotent. */
  close(): void
  readonly closed: boolean
}

/** Creates a scope whose requests each last at most `timeoutMs`. */
export function createCallScope(timeoutMs: number): CallScope {
  const lifetime = new AbortController()
  const current = new AsyncLocalStorage<AbortSignal>()

  /** Calls `onAbort` when any of `signals` aborts; returns the undo. */
  const onAnyAbort = (signals: AbortSignal[], onAbort: (reason: unknown) => void) => {
    const hooks = signals.map((s) => {
      const h = () => onAbort(s.reason)
      s.addEventListener('abort', h, { once: true })
      return () => s.removeEventListener('abort', h)
    })
    return () => {
      for (const undo of hooks) undo()
    }
  }

  const boundedFetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const ac = new AbortController()
    const signals = [lifetime.signal, ...(current.getStore() ? [current.getStore()!] : [])]
    const aborted = signals.find((s) => s.aborted)
    if (aborted) throw aborted.reason
    const undo = onAnyAbort(signals, (reason) => ac.abort(reason))
    const timer = setTimeout(
      () => ac.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    )
    try {
      const send = () => fetch(input, { ...init, signal: ac.signal })
      // A pooled keep-alive connection the replica closed (it restarted) fails before any answer:
      // sent once more on a fresh connection. Safe for every IC request: a call is deduplicated by
      // its request id, queries and read_state change nothing.
      const res = await send().catch((e: unknown) => {
        if (ac.signal.aborted || !staleConnection(e)) throw e
        return send()
      })
      // The body is read here, under the same bounds, so the agent gets a finished response.
      const body = await res.arrayBuffer()
      const copy = new Response(res.status === 204 || res.status === 304 ? null : body, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      })
      Object.defineProperty(copy, 'url', { value: res.url }) // the agent reads it (v3 → v2 fallback)
      return copy
    } finally {
      clearTimeout(timer)
      undo()
    }
  }

  return {
    fetch: boundedFetch as typeof fetch,
    async run(signal, f) {
      // One controller per call, unhooked when it settles (no listener piles up on the lifetime).
      const ac = new AbortController()
      const sources = signal ? [signal, lifetime.signal] : [lifetime.signal]
      const aborted = sources.find((s) => s.aborted)
      if (aborted) ac.abort(aborted.reason)
      const undo = onAnyAbort(sources, (reason) => ac.abort(reason))
      try {
        return await current.run(ac.signal, () => f(ac.signal))
      } finally {
        undo()
      }
    },
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        const undo = onAnyAbort([signal], (reason) => {
          clearTimeout(timer)
          reject(reason)
        })
        const timer = setTimeout(() => {
          undo()
          resolve()
        }, ms)
      }),
    close: () => lifetime.abort(new DOMException('adapter closed', 'AbortError')),
    get closed() {
      return lifetime.signal.aborted
    },
  }
}

/** Whether `e` is fetch failing on a connection the other side had closed (undici `SocketError`). */
function staleConnection(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string } } | undefined)?.cause
  return e instanceof TypeError && (cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET')
}
