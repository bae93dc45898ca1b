/**
 * `GET /ws`: websocket subscriptions to state mutations (DESIGN §5). The upgrade needs the admin token.
 *
 * Client → server: `{"id":1,"method":"subscribe"|"unsubscribe","params":{"contextIds":["<b58>"]}}`;
 * the answer is `{"id":1,"result":{"contextIds":[…all current subscriptions]}}` or
 * `{"id":1,"error":{name,message,details}}`. Server → client, for every applied delta of a subscribed
 * context: `{"result":{"contextId","type":"StateMutation","data":{"newRoot","heads","events"}}}`.
 *
 * Limits (docs/LIMITS.md): {@link WS_MAX_CONNECTIONS}, {@link WS_MAX_SUBSCRIPTIONS_PER_CONNECTION},
 * {@link WS_MAX_MESSAGE_BYTES}; a client that lets more than {@link WS_MAX_BUFFERED_BYTES} pile up unread
 * is disconnected (close code 1008).
 */

import websocket from '@fastify/websocket'
import { Type as T } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FastifyPluginAsync } from 'fastify'
import type { WebSocket } from 'ws'
import type { Principal } from '../auth/key-registry.ts'
import { toBase58, toHex } from '../core/bytes.ts'
import { Forbidden, InvalidInput, NotFound, TooManySubscriptions, Unauthorized } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { bytesAsHex, decodeId } from './api-codec.ts'
import type { ContextsApi, StateMutationEvent } from './api-deps.ts'
import { toMeroError } from './error-handler.ts'
import { authHook, type RouteAuth, required } from './route-auth.ts'
import { ErrorBody } from './schemas.ts'

/** Most open websocket connections per node; further upgrades are closed at once with code 1013. */
export const WS_MAX_CONNECTIONS = 256
/** Most subscribed contexts per connection. */
export const WS_MAX_SUBSCRIPTIONS_PER_CONNECTION = 64
/** Largest client message, bytes (larger ones close the connection with 1009). */
export const WS_MAX_MESSAGE_BYTES = 64 * 1024
/** Unsent bytes a connection may accumulate before it is dropped as too slow. */
export const WS_MAX_BUFFERED_BYTES = 4 * 1024 * 1024

const WsRequest = T.Object({
  id: T.Union([T.String({ maxLength: 256 }), T.Number(), T.Null()]),
  method: T.String({ maxLength: 64 }),
  params: T.Optional(
    T.Object({
      contextIds: T.Array(T.String({ maxLength: 64 }), {
        minItems: 1,
        maxItems: WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      }),
    }),
  ),
})
const checkRequest = TypeCompiler.Compile(WsRequest)

type WsId = string | number | null

/** Subscriptions of all connections of one API instance. */
class SubscriptionHub {
  readonly subscribers = new Map<string, Set<WebSocket>>()
  readonly subscriptions = new Map<WebSocket, Set<string>>()

  add(socket: WebSocket, contextId: string): void {
    const set = this.subscribers.get(contextId)
    if (set) set.add(socket)
    else this.subscribers.set(contextId, new Set([socket]))
    this.subscriptions.get(socket)?.add(contextId)
  }

  remove(socket: WebSocket, contextId: string): void {
    const set = this.subscribers.get(contextId)
    set?.delete(socket)
    if (set?.size === 0) this.subscribers.delete(contextId)
    this.subscriptions.get(socket)?.delete(contextId)
  }

  drop(socket: WebSocket): void {
    for (const c of [...(this.subscriptions.get(socket) ?? [])]) this.remove(socket, c)
    this.subscriptions.delete(socket)
  }

  /**
   * Sends `event` to the subscribers of its context that `mayReceive` it; a connection whose session
   * ended (token expired, family, key or root revoked, permission withdrawn) is closed instead.
   */
  publish(event: StateMutationEvent, mayReceive: (socket: WebSocket, contextId: string) => boolean): void {
    const contextId = toBase58(event.contextId)
    const set = this.subscribers.get(contextId)
    if (!set || set.size === 0) return
    const message = JSON.stringify(
      {
        result: {
          contextId,
          type: 'StateMutation',
          data: { newRoot: toHex(event.newRoot), heads: event.heads.map(toBase58), events: event.events },
        },
      },
      bytesAsHex,
    )
    for (const socket of [...set]) {
      if (!mayReceive(socket, contextId)) {
        socket.close(1008, 'session ended or permission withdrawn')
        this.drop(socket)
      } else if (socket.bufferedAmount > WS_MAX_BUFFERED_BYTES) {
        socket.close(1008, 'too slow: too many unread messages')
        this.drop(socket)
      } else socket.send(message)
    }
  }
}

/**
 * The `/ws` route as a fastify plugin (it registers `@fastify/websocket` in its own scope).
 *
 * @example
 * await app.register(wsRoute({ contexts, logger, bodyLimit }, routeAuth(routeAuth(bearerCheck(token)))))
 */
export function wsRoute(
  deps: { contexts: ContextsApi; logger: Logger; bodyLimit: number },
  auth: RouteAuth,
): FastifyPluginAsync {
  const { contexts, logger, bodyLimit } = deps
  return async (app) => {
    // Registered inside this plugin so its per-request hooks run for `/ws` only, not on every route.
    await app.register(websocket, { options: { maxPayload: WS_MAX_MESSAGE_BYTES } })
    const hub = new SubscriptionHub()
    const principals = new WeakMap<WebSocket, Principal>()
    const unsubscribe = contexts.onStateMutation((event) => {
      try {
        hub.publish(event, (socket, contextId) => {
          const p = principals.get(socket)
          return (
            p !== undefined && auth.isLive(p) && auth.allows(p, required('context', 'subscribe', contextId))
          )
        })
      } catch (err) {
        logger.error({ err }, 'failed to push a state mutation to websocket subscribers')
      }
    })
    app.addHook('onClose', async () => {
      unsubscribe()
      for (const socket of hub.subscriptions.keys()) socket.terminate()
    })
    app.addHook('onRequest', authHook(auth))

    const reply = (socket: WebSocket, id: WsId, body: { result: unknown } | { error: unknown }) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ id, ...body }))
    }

    const handle = async (socket: WebSocket, msg: unknown): Promise<{ result: unknown }> => {
      if (!checkRequest.Check(msg)) {
        const first = checkRequest.Errors(msg).First()
        throw new InvalidInput(`invalid message: ${first ? `${first.path} ${first.message}` : 'bad shape'}`, {
          details: { path: first?.path ?? '/' },
        })
      }
      if (msg.method !== 'subscribe' && msg.method !== 'unsubscribe')
        throw new NotFound(`unknown method "${msg.method}" (subscribe, unsubscribe)`, {
          details: { method: msg.method },
        })
      if (!msg.params) throw new InvalidInput('params.contextIds is required')
      const ids = msg.params.contextIds.map((c, i) => ({
        b58: c,
        bytes: decodeId(c, `params.contextIds[${i}]`),
      }))
      const mine = hub.subscriptions.get(socket)
      if (!mine) throw new InvalidInput('connection is closed')
      if (msg.method === 'subscribe') {
        const principal = principals.get(socket)
        if (!principal || !auth.isLive(principal)) {
          socket.close(1008, 'session ended')
          throw new Unauthorized('the session of this connection ended; sign in again')
        }
        const denied = ids.find(
          (c) => !principal || !auth.allows(principal, required('context', 'subscribe', c.b58)),
        )
        if (denied)
          throw new Forbidden(`missing permission context:subscribe[${denied.b58}]`, {
            details: { permission: `context:subscribe[${denied.b58}]` },
          })
        const fresh = ids.filter((c) => !mine.has(c.b58))
        if (mine.size + new Set(fresh.map((c) => c.b58)).size > WS_MAX_SUBSCRIPTIONS_PER_CONNECTION)
          throw new TooManySubscriptions(
            `at most ${WS_MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`,
            {
              details: { limit: WS_MAX_SUBSCRIPTIONS_PER_CONNECTION },
            },
          )
        await Promise.all(fresh.map((c) => contexts.getContext(c.bytes))) // UnknownContext for ids the node does not hold
        if (hub.subscriptions.get(socket) !== mine) throw new InvalidInput('connection is closed')
        for (const c of fresh) hub.add(socket, c.b58)
      } else {
        for (const c of ids) hub.remove(socket, c.b58)
      }
      return { result: { contextIds: [...mine] } }
    }

    app.route({
      method: 'GET',
      url: '/ws',
      schema: {
        tags: ['ws'],
        security: [{ bearer: [] }],
        summary: 'Websocket (upgrade needed): subscribe to StateMutation events of contexts',
        response: { '4xx': ErrorBody, '5xx': ErrorBody },
      },
      wsHandler: (socket: WebSocket, request) => {
        if (request.principal) principals.set(socket, request.principal)
        if (hub.subscriptions.size >= WS_MAX_CONNECTIONS) {
          socket.close(1013, 'too many websocket connections')
          return
        }
        hub.subscriptions.set(socket, new Set())
        socket.on('close', () => hub.drop(socket))
        socket.on('message', (data, isBinary) => {
          if (isBinary) {
            reply(socket, null, { error: new InvalidInput('binary messages are not accepted').toJSON() })
            return
          }
          const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
          let msg: unknown
          try {
            msg = JSON.parse(raw.toString('utf8'))
          } catch {
            reply(socket, null, { error: new InvalidInput('message is not valid JSON').toJSON() })
            return
          }
          const maybeId = (msg as { id?: unknown } | null)?.id
          const id: WsId = typeof maybeId === 'string' || typeof maybeId === 'number' ? maybeId : null
          handle(socket, msg).then(
            (ok) => reply(socket, id, ok),
            (err: unknown) => {
              const error = toMeroError(err, { bodyLimit })
              if (error.kind === 'internal') logger.error({ err }, 'websocket request failed')
              reply(socket, id, { error: error.toJSON() })
            },
          )
        })
      },
      handler: async () => {
        throw new InvalidInput('GET /ws needs a websocket upgrade (Connection: Upgrade, Upgrade: websocket)')
      },
    })
  }
}
