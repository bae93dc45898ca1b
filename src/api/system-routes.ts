/**
 * `GET /health` and `GET /metrics` (Prometheus text). Both are public: bind the API to a private address
 * (the default `127.0.0.1`) or put a proxy in front when that matters.
 */
import { Type as T } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { ApiDeps } from './api-deps.ts'
import { ErrorBody } from './schemas.ts'

const Health = T.Object({ ok: T.Boolean(), details: T.Record(T.String(), T.Unknown()) })

/**
 * The system routes as a fastify plugin.
 *
 * @example
 * await app.register(systemRoutes({ health, metrics }))
 */
export function systemRoutes(deps: Pick<ApiDeps, 'health' | 'metrics'>): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/health',
      {
        schema: {
          tags: ['system'],
          summary: 'Node health: 200 when ok, 503 otherwise',
          response: { 200: Health, 503: Health, '4xx': ErrorBody, '5xx': ErrorBody },
        },
      },
      async (_request, reply) => {
        const h = await deps.health()
        return reply.code(h.ok ? 200 : 503).send({ ok: h.ok, details: h.details })
      },
    )

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['system'],
          summary: 'Prometheus metrics (text exposition format)',
          produces: ['text/plain'],
          response: {
            200: { content: { 'text/plain': { schema: T.String() } } },
            '4xx': ErrorBody,
            '5xx': ErrorBody,
          },
        },
      },
      async (_request, reply) => {
        const text = await deps.metrics.metrics()
        return reply.type(deps.metrics.contentType).send(text)
      },
    )
  }
}
