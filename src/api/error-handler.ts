/**
 * The one place where anything thrown while serving a request becomes a wire answer. Every failure is
 * first turned into a {@link MeroError} ({@link toMeroError}); the HTTP status comes from its kind
 * ({@link httpStatusOf}) and the body is `{error: {name, message, details}}`. Unexpected faults become
 * `Internal` with a generic message; their cause goes to the log, never to the client.
 */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  HeadersTooLarge,
  httpStatusOf,
  Internal,
  InvalidInput,
  isMeroError,
  type MeroError,
  NotFound,
  PayloadTooLarge,
  RequestTimeout,
  UnsupportedMediaType,
} from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'

/** The body sent for an error outside `/jsonrpc`. */
export interface ErrorResponseBody {
  error: { name: string; message: string; details: Record<string, unknown> }
}

function fastifyCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function fastifyStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode
  return typeof status === 'number' ? status : undefined
}

/**
 * Maps anything thrown during a request onto a mero error. Framework errors (body parsing, limits,
 * media type, routing) get their stable names; anything unknown becomes `Internal`.
 *
 * @example
 * const e = toMeroError(new SyntaxError('x'), { bodyLimit: 1_048_576 }) // Internal
 */
export function toMeroError(
  err: unknown,
  context: { bodyLimit: number; contentType?: string | undefined },
): MeroError {
  if (isMeroError(err)) return err
  switch (fastifyCode(err)) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLarge(`request body exceeds the limit of ${context.bodyLimit} bytes`, {
        details: { limit: context.bodyLimit },
      })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType('unsupported content type; send application/json', {
        details: { contentType: (context.contentType ?? '').slice(0, 100), accepted: ['application/json'] },
      })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new InvalidInput('request body is not valid JSON', { details: { part: 'body' } })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidInput('request body is empty but content-type is application/json', {
        details: { part: 'body' },
      })
    case 'FST_ERR_BAD_URL':
      return new InvalidInput('the URL has a malformed %-escape', { details: { code: 'FST_ERR_BAD_URL' } })
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new InvalidInput('a path parameter is too long', {
        details: { code: 'FST_ERR_MAX_PARAM_LENGTH' },
      })
    case 'FST_ERR_VALIDATION': {
      const validation = (err as { validation?: unknown }).validation
      return new InvalidInput((err as Error).message, {
        details: { errors: Array.isArray(validation) ? validation : [] },
      })
    }
  }
  const status = fastifyStatus(err)
  if (status === 404) return new NotFound('not found')
  if (status === 413) return new PayloadTooLarge((err as Error).message)
  if (status === 415) return new UnsupportedMediaType((err as Error).message)
  // Other framework client errors (bad content-length, bad URL encoding, …): fastify's own messages are generic.
  if (status !== undefined && status >= 400 && status < 500 && fastifyCode(err)?.startsWith('FST_'))
    return new InvalidInput((err as FastifyError).message, { details: { code: fastifyCode(err) } })
  // The client went away while its body was being read: its fault, nobody to answer.
  if (status !== undefined && status >= 400 && status < 500 && fastifyCode(err) === 'ECONNRESET')
    return new InvalidInput('the client closed the connection before its body arrived', {
      details: { code: 'ECONNRESET' },
    })
  return new Internal('internal error', { cause: err })
}

/** Logs faults of the node (status ≥ 500) with their cause; client errors are not logged. */
export function logIfFault(logger: Logger, error: MeroError, request: FastifyRequest): void {
  if (httpStatusOf(error.kind) < 500) return
  const cause = error.cause ?? error
  logger.error(
    { err: cause, method: request.method, url: request.routeOptions.url ?? request.url.split('?')[0] },
    `API fault: ${error.name}`,
  )
}

/** Sends `error` as `{error: {name, message, details}}` with its HTTP status. */
export function sendError(reply: FastifyReply, error: MeroError): FastifyReply {
  const status = httpStatusOf(error.kind)
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="mero"')
  const wait = error.details.retryAfterMs
  if (status === 429 && typeof wait === 'number' && !reply.hasHeader('retry-after'))
    reply.header('retry-after', String(Math.ceil(wait / 1000)))
  return reply.code(status).send({ error: error.toJSON() } satisfies ErrorResponseBody)
}

/**
 * Answers what node's HTTP parser refuses before fastify sees a request (malformed request line or
 * headers, headers too large, a request slower than the timeout) in the same `{error: {name, …}}`
 * shape: pass as fastify's `clientErrorHandler`.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  // A response already under way on this socket: a second one would corrupt it; just close.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (inFlight?.headersSent) {
    socket.destroy()
    return
  }
  const error =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new RequestTimeout('the request did not arrive in time')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? new HeadersTooLarge('the request line or headers are too large')
        : new InvalidInput('malformed HTTP request', { details: { code: String(err.code ?? '') } })
  const status = httpStatusOf(error.kind)
  const body = JSON.stringify({ error: error.toJSON() } satisfies ErrorResponseBody)
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  socket.destroy()
}

/**
 * Installs the error handler and the not-found handler on the root instance.
 *
 * @example
 * installErrorHandling(app, { logger, bodyLimit: config.api.bodyLimit })
 */
export function installErrorHandling(
  app: FastifyInstance,
  options: { logger: Logger; bodyLimit: number },
): void {
  app.setErrorHandler((err, request, reply) => {
    const error = toMeroError(err, {
      bodyLimit: options.bodyLimit,
      contentType: request.headers['content-type'],
    })
    logIfFault(options.logger, error, request)
    return sendError(reply, error)
  })
  app.setNotFoundHandler((request, reply) => {
    return sendError(
      reply,
      new NotFound(`no route ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`),
    )
  })
}
