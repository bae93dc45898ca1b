/** A small client of the node's HTTP API for meroctl (fetch; errors carry the server's stable name). */

/** An error answered by the node: `{error: {name, message, details}}` or a JSON-RPC error. */
export class ApiError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
    readonly status: number,
    readonly details: unknown = {},
  ) {
    super(`${errorName}: ${message}`)
  }
}

/** Client bound to one node. */
export interface ApiClient {
  get<T>(path: string): Promise<T>
  post<T>(path: string, body: unknown): Promise<T>
  /** JSON-RPC `execute`. */
  execute(params: {
    contextId: string
    method: string
    argsJson: string
    executorPublicKey: string
  }): Promise<{ output: unknown; deltaId?: string }>
}

/** Creates a client for `baseUrl` with the admin bearer token. */
export function apiClient(baseUrl: string, token: string): ApiClient {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers: body === undefined ? { authorization: headers.authorization } : headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new ApiError('BadResponse', `${method} ${path}: ${res.status} ${text.slice(0, 200)}`, res.status)
    }
    if (!res.ok) {
      const e = (json as { error?: { name?: string; message?: string; details?: unknown } }).error
      throw new ApiError(
        e?.name ?? 'HttpError',
        e?.message ?? `${method} ${path} → ${res.status}`,
        res.status,
        e?.details,
      )
    }
    return json as T
  }
  let id = 0
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    async execute(params) {
      const r = await call<{
        result?: { output: unknown; deltaId?: string }
        error?: { code: number; message: string; data?: { name?: string; details?: unknown } }
      }>('POST', '/jsonrpc', { jsonrpc: '2.0', id: ++id, method: 'execute', params })
      if (r.error)
        throw new ApiError(
          r.error.data?.name ?? `JsonRpc${r.error.code}`,
          r.error.message,
          200,
          r.error.data?.details,
        )
      return r.result!
    },
  }
}
