/**
 * `POST /jsonrpc`: JSON-RPC 2.0 with one method, `execute`, which runs an application method in a context
 * as a node-held identity (so the route needs the admin token). JSON-RPC errors are answered with HTTP 200
 * as the convention goes; transport failures keep their HTTP status (401 token, 413 body too large,
 * 415 content type) but still carry a JSON-RPC error body. `error.data.name` is the stable mero error name.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { toBase58 } from '../core/bytes.ts'
import { type ErrorKind, httpStatusOf, type MeroError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { decodeId } from './api-codec.ts'
import type { ContextsApi } from './api-deps.ts'
import { logIfFault, toMeroError } from './error-handler.ts'
import { authHook, demand, type RouteAuth, required } from './route-auth.ts'
import { b58Id } from './schemas.ts'

/** JSON-RPC 2.0 error codes used by `/jsonrpc`. */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** An application or node error raised by `execute`, of kind `invalid`. */
  ApplicationError: -32000,
  Unauthorized: -32001,
  Forbidden: -32003,
  NotFound: -32004,
  Timeout: -32008,
  Conflict: -32009,
  TooLarge: -32013,
  UnsupportedMediaType: -32015,
  RateLimited: -32029,
  HeadersTooLarge: -32031,
  Unavailable: -32050,
} as const

const CODE_OF_KIND: Record<ErrorKind, number> = {
  invalid: JsonRpcCode.ApplicationError,
  unauthorized: JsonRpcCode.Unauthorized,
  forbidden: JsonRpcCode.Forbidden,
  'not-found': JsonRpcCode.NotFound,
  timeout: JsonRpcCode.Timeout,
  conflict: JsonRpcCode.Conflict,
  'too-large': JsonRpcCode.TooLarge,
  'unsupported-media-type': JsonRpcCode.UnsupportedMediaType,
  'rate-limited': JsonRpcCode.RateLimited,
  'headers-too-large': JsonRpcCode.HeadersTooLarge,
  unavailable: JsonRpcCode.Unavailable,
  internal: JsonRpcCode.InternalError,
}

/** The JSON-RPC error code of an error raised while executing (by its kind). */
export function jsonRpcCodeOf(kind: ErrorKind): number {
  return CODE_OF_KIND[kind]
}

/** Most characters of `params.argsJson`. The body limit (`api.bodyLimit`) applies as well. */
export const MAX_ARGS_JSON_CHARS = 1_000_000

const JsonRpcId = T.Union([T.String({ maxLength: 256 }), T.Number(), T.Null()])
const ExecuteParams = T.Object(
  {
    contextId: b58Id('Context id'),
    method: T.String({ minLength: 1, maxLength: 256, description: 'Application method' }),
    argsJson: T.String({ maxLength: MAX_ARGS_JSON_CHARS, description: 'Arguments as a JSON text' }),
    executorPublicKey: b58Id('Node-held member identity that executes (and signs the delta)'),
  },
  { additionalProperties: false },
)
const JsonRpcRequest = T.Object(
  {
    jsonrpc: T.Literal('2.0'),
    id: JsonRpcId,
    method: T.String({ maxLength: 256, description: 'Only `execute`' }),
    params: ExecuteParams,
  },
  { additionalProperties: false },
)
const JsonRpcResponse = T.Object({
  jsonrpc: T.Literal('2.0'),
  id: JsonRpcId,
  result: T.Optional(
    T.Object({
      output: T.Unknown(),
      deltaId: T.Optional(b58Id('Id of the delta the call produced, if it wrote')),
    }),
  ),
  error: T.Optional(
    T.Object({
      code: T.Integer(),
      message: T.String(),
      data: T.Optional(T.Object({ name: T.String(), details: T.Record(T.String(), T.Unknown()) })),
    }),
  ),
})

type RpcId = string | number | null

/** A JSON-RPC 2.0 response body. */
export interface JsonRpcResponseBody {
  jsonrpc: '2.0'
  id: RpcId
  result?: { output: unknown; deltaId?: string }
  error?: { code: number; message: string; data?: { name: string; details: Record<string, unknown> } }
}

function rpcError(id: RpcId, code: number, error: MeroError): JsonRpcResponseBody {
  return {
    jsonrpc: '2.0',
    id,
    error: { code, message: error.message, data: { name: error.name, details: error.details } },
  }
}

function idOf(body: unknown): RpcId {
  const id = (body as { id?: unknown } | null | undefined)?.id
  return typeof id === 'string' || typeof id === 'number' ? id : null
}

/** Maps an error raised before the handler ran (auth, body parsing, validation) onto its JSON-RPC code and HTTP status. */
function preHandlerFailure(
  err: unknown,
  request: FastifyRequest,
  error: MeroError,
): { code: number; status: number } {
  const fastifyCode = (err as { code?: unknown }).code
  if (fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return { code: JsonRpcCode.ParseError, status: 200 }
  const status = httpStatusOf(error.kind)
  if (status === 401 || status === 413 || status === 415) return { code: jsonRpcCodeOf(error.kind), status }
  if ((err as { validationContext?: unknown }).validationContext === 'body') {
    const body = request.body as Record<string, unknown> | null
    if (
      body &&
      typeof body === 'object' &&
      !Array.isArray(body) &&
      body.jsonrpc === '2.0' &&
      typeof body.method === 'string' &&
      body.method !== 'execute'
    )
      return { code: JsonRpcCode.MethodNotFound, status: 200 }
    const paths = ((error.details.errors ?? []) as { path: string }[]).map((e) => e.path)
    const onlyParams = paths.length > 0 && paths.every((p) => p.startsWith('body/params/'))
    return { code: onlyParams ? JsonRpcCode.InvalidParams : JsonRpcCode.InvalidRequest, status: 200 }
  }
  return {
    code: status >= 500 ? JsonRpcCode.InternalError : JsonRpcCode.InvalidRequest,
    status: status >= 500 ? status : 200,
  }
}

/**
 * The `/jsonrpc` route as a fastify plugin.
 *
 * @example
 * await app.register(jsonRpcRoute({ contexts, logger, bodyLimit }, routeAuth(routeAuth(bearerCheck(token)))))
 */
export function jsonRpcRoute(
  deps: { contexts: ContextsApi; logger: Logger; bodyLimit: number },
  auth: RouteAuth,
): FastifyPluginAsync {
  const { contexts, logger, bodyLimit } = deps
  return async (app) => {
    app.addHook('onRequest', authHook(auth))
    app.post<{ Body: Static<typeof JsonRpcRequest> }>(
      '/jsonrpc',
      {
        schema: {
          tags: ['jsonrpc'],
          security: [{ bearer: [] }],
          summary: 'JSON-RPC 2.0 `execute`: run an application method as a node-held member identity',
          body: JsonRpcRequest,
          response: { 200: JsonRpcResponse, '4xx': JsonRpcResponse, '5xx': JsonRpcResponse },
        },
        errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
          const error = toMeroError(err, { bodyLimit, contentType: request.headers['content-type'] })
          logIfFault(logger, error, request)
          const body: JsonRpcResponseBody = { jsonrpc: '2.0', id: idOf(request.body) }
          const { code, status } = preHandlerFailure(err, request, error)
          if (Array.isArray(request.body)) {
            body.error = {
              code: JsonRpcCode.InvalidRequest,
              message: 'batch requests are not supported',
              data: { name: 'InvalidInput', details: {} },
            }
          } else if (code === JsonRpcCode.MethodNotFound) {
            const method = String((request.body as { method: string }).method).slice(0, 256)
            body.error = {
              code,
              message: `unknown JSON-RPC method "${method}" (only "execute")`,
              data: { name: 'NotFound', details: { method } },
            }
          } else {
            body.error = { code, message: error.message, data: { name: error.name, details: error.details } }
          }
          if (status === 401) reply.header('www-authenticate', 'Bearer realm="mero"')
          return reply.code(status).send(body)
        },
      },
      async (request): Promise<JsonRpcResponseBody> => {
        const { id, params } = request.body
        let contextId: Uint8Array
        let executor: Uint8Array
        try {
          contextId = decodeId(params.contextId, 'params.contextId')
          executor = decodeId(params.executorPublicKey, 'params.executorPublicKey')
        } catch (e) {
          return rpcError(id, JsonRpcCode.InvalidParams, toMeroError(e, { bodyLimit }))
        }
        try {
          demand(
            request,
            auth,
            required('context', 'execute', params.contextId, params.executorPublicKey, params.method),
          )
          const r = await contexts.execute(contextId, executor, params.method, params.argsJson)
          const result: { output: unknown; deltaId?: string } = { output: r.output ?? null }
          if (r.deltaId) result.deltaId = toBase58(r.deltaId)
          return { jsonrpc: '2.0', id, result }
        } catch (e) {
          const error = toMeroError(e, { bodyLimit })
          logIfFault(logger, error, request)
          return rpcError(id, jsonRpcCodeOf(error.kind), error)
        }
      },
    )
  }
}
