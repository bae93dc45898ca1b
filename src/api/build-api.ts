/**
 * The node's HTTP API (DESIGN §10, docs/API.md): one fastify instance built from {@link ApiDeps}.
 * The caller listens (`app.listen({host: config.api.host, port: config.api.port})`) and closes it.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import { rootAccountOf } from '../auth/key-registry.ts'
import { createWalletProof } from '../auth/wallet-proof.ts'
import { InvalidInput } from '../core/errors.ts'
import { adminRoutes } from './admin-routes.ts'
import type { ApiDeps } from './api-deps.ts'
import { authRoutes } from './auth-routes.ts'
import { bearerCheck } from './bearer-auth.ts'
import { answerClientError, installErrorHandling, sendError, toMeroError } from './error-handler.ts'
import { jsonRpcRoute } from './jsonrpc-route.ts'
import { keyAdminRoutes } from './key-admin-routes.ts'
import { proofRoutes } from './proof-routes.ts'
import { routeAuth } from './route-auth.ts'
import { systemRoutes } from './system-routes.ts'
import { validatorCompiler } from './validator-compiler.ts'
import { wsRoute } from './ws-route.ts'

/**
 * Builds the API (routes, schemas, OpenAPI at `/docs`, error handling); does not listen.
 * Throws `InvalidInput` when `deps.adminToken` is empty.
 *
 * @example
 * const app = await buildApi(deps)
 * await app.listen({ host: deps.config.api.host, port: deps.config.api.port })
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { config, logger } = deps
  const auth = routeAuth(bearerCheck(deps.adminToken), deps.auth)
  const bodyLimit = config.api.bodyLimit

  const app = Fastify({
    logger: false,
    bodyLimit,
    requestTimeout: config.api.requestTimeoutMs,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // Node enforces the request timeout on a body only when it is given to the server's constructor (set
    // later, as fastify does, a slow body was never timed out), and checks it on this interval (default 30 s).
    http: {
      requestTimeout: config.api.requestTimeoutMs,
      headersTimeout: config.api.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    clientErrorHandler: answerClientError,
    // a bad %-escape or an over-long path parameter: the same error shape as every other answer
    frameworkErrors: (err, _request, reply) => sendError(reply, toMeroError(err, { bodyLimit })),
    ...(config.api.trustProxy ? { trustProxy: config.api.trustProxy } : {}),
  })
  app.setValidatorCompiler(validatorCompiler)
  // Answered before its body arrived (401, 413, …): close the connection after the answer, so the rest of
  // that body is never read as a next request and no late 408 follows on a socket that looks reusable.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.raw.complete === false) reply.header('connection', 'close')
    return payload
  })
  installErrorHandling(app, { logger, bodyLimit })

  // JSON only (anything else is 415 UnsupportedMediaType); an empty JSON body counts as no body.
  app.removeAllContentTypeParsers()
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) done(null, undefined)
    else
      parseJson(request, body as string, (err, value) => {
        // fastify says "not valid JSON" for valid JSON with a poisoning key too: name the real problem
        if (err && parsesAsJson(body as string))
          done(
            new InvalidInput('request body has a forbidden key (__proto__, or constructor with prototype)', {
              details: { part: 'body' },
            }),
            undefined,
          )
        else done(err, value)
      })
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'mero node API',
        version: '1',
        description: 'Admin API, JSON-RPC, websocket subscriptions and the public proof API v1.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'The node admin token, or an access token from POST /auth/token',
          },
        },
      },
      tags: [
        { name: 'admin', description: 'Contexts, members, capabilities, identities, keys (bearer token)' },
        { name: 'auth', description: 'Sign in with a wallet or client key; tokens; client keys (DESIGN §8)' },
        { name: 'jsonrpc', description: 'JSON-RPC 2.0 execute (admin token)' },
        {
          name: 'proofs',
          description: 'Proofs, checkpoints, consistency, anchors, attestations (DESIGN §10)',
        },
        { name: 'ws', description: 'Websocket subscriptions (admin token)' },
        { name: 'system', description: 'Health and metrics' },
      ],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  await app.register(systemRoutes(deps))
  const service = deps.auth
  await app.register(
    adminRoutes(
      {
        contexts: deps.contexts,
        ...(service
          ? {
              // A wallet that creates a context may do everything in it.
              onContextCreated: async (p, contextId) => {
                const root = rootAccountOf(p)
                if (root) await service.keys.grantRoot(root, `context[${contextId}]`)
              },
              walletProof: (body, contextId, identity) =>
                createWalletProof(service, body, contextId, identity),
            }
          : {}),
      },
      auth,
    ),
    { prefix: '/admin-api' },
  )
  if (service) {
    await app.register(
      keyAdminRoutes(service.keys, auth, (a) => service.canonicalAccount(a)),
      { prefix: '/admin-api' },
    )
    await app.register(authRoutes(service, auth, config.auth.rateLimit), { prefix: '/auth' })
  }
  await app.register(jsonRpcRoute({ contexts: deps.contexts, logger, bodyLimit }, auth))
  await app.register(
    proofRoutes(
      {
        proofs: deps.proofs,
        attestationsPerRequest: config.limits.attestationsPerRequest,
        protect: config.api.protectProofs,
      },
      auth,
    ),
    { prefix: '/v1' },
  )
  await app.register(wsRoute({ contexts: deps.contexts, logger, bodyLimit }, auth))
  return app as unknown as FastifyInstance
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
