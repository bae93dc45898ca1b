/**
 * `/auth/*` (DESIGN §8): sign in with a wallet or a client key, refresh and revoke tokens, manage
 * client keys. `challenge`, `token` and `refresh` are public (the signature or the refresh token is
 * the credential); the others need a bearer token. Answers are `{data: …}`.
 */
import rateLimit from '@fastify/rate-limit'
import { type Static, Type as T } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { AuthService } from '../auth/auth-service.ts'
import type { ClientKeyRecord } from '../auth/auth-store.ts'
import { clientKeyAccount } from '../auth/client-key-scheme.ts'
import type { Principal } from '../auth/key-registry.ts'
import { Forbidden, RateLimited } from '../core/errors.ts'
import { authHook, type RouteAuth } from './route-auth.ts'
import { b58Id, dataOf, EmptyBody, responses } from './schemas.ts'

const ChainIdSchema = T.String({
  pattern: '^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$',
  description: 'CAIP-2 chain id',
})
const Permissions = T.Array(T.String({ minLength: 1, maxLength: 512 }), { maxItems: 256 })

const ChallengeBody = T.Object(
  {
    chainId: ChainIdSchema,
    account: T.String({
      minLength: 3,
      maxLength: 256,
      description: 'CAIP-10 account (mero:client:<key> for a client key)',
    }),
    format: T.Optional(
      T.String({ minLength: 1, maxLength: 32, description: 'Stellar: sep53 (default) or sep10' }),
    ),
    notBefore: T.Optional(T.Integer({ minimum: 0, description: 'Not valid before (ms since epoch)' })),
    resources: T.Optional(
      T.Array(T.String({ pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*:[^\\s]{1,250}$' }), {
        maxItems: 8,
        description:
          'URIs the wallet also signs, e.g. mero:bind:<contextId>:<identity> to bind a member identity',
      }),
    ),
  },
  { additionalProperties: false },
)
const ChallengeData = dataOf(
  T.Object({
    nonce: T.String(),
    chainId: T.String(),
    account: T.String(),
    domain: T.String(),
    uri: T.String(),
    issuedAt: T.Integer(),
    expiresAt: T.Integer(),
    notBefore: T.Optional(T.Integer()),
    resources: T.Optional(T.Array(T.String())),
    format: T.String(),
    message: T.String({ description: 'What the wallet signs, exactly' }),
    extra: T.Optional(T.Record(T.String(), T.Unknown())),
  }),
)
const TokenBody = T.Object(
  {
    chainId: ChainIdSchema,
    message: T.String({ minLength: 1, maxLength: 32_768 }),
    signature: T.Optional(
      T.Union([T.String({ maxLength: 16_384 }), T.Array(T.String({ maxLength: 256 }), { maxItems: 64 })]),
    ),
    extra: T.Optional(T.Record(T.String({ maxLength: 64 }), T.Unknown())),
  },
  { additionalProperties: false },
)
const TokenData = dataOf(
  T.Object({
    accessToken: T.String(),
    refreshToken: T.String(),
    tokenType: T.Literal('Bearer'),
    expiresIn: T.Integer(),
    refreshExpiresIn: T.Integer(),
    account: T.Optional(T.String()),
    method: T.Optional(T.String()),
    permissions: T.Optional(T.Array(T.String())),
  }),
)
const RefreshBody = T.Object(
  { refreshToken: T.String({ minLength: 1, maxLength: 8192 }) },
  { additionalProperties: false },
)
const ClientKeyJson = T.Object({
  keyId: b58Id('Client key (base58 Ed25519 public key)'),
  account: T.String({ description: 'mero:client:<keyId>, the account it signs in as' }),
  root: T.String({ description: 'CAIP-10 account of the root key that created it' }),
  name: T.String(),
  permissions: T.Array(T.String()),
  createdAt: T.Integer(),
  revoked: T.Boolean(),
})
const NewKeyBody = T.Object(
  {
    publicKey: b58Id('Ed25519 public key of the device'),
    name: T.String({ minLength: 1, maxLength: 128 }),
    permissions: Permissions,
  },
  { additionalProperties: false },
)
const KeyParams = T.Object({ keyId: b58Id('Client key id') })

const keyJson = (k: ClientKeyRecord) => ({ ...k, account: clientKeyAccount(k.keyId) })
const tags = ['auth']
const secured = { tags, security: [{ bearer: [] }] }

function rootOf(p: Principal): string {
  if (p.kind === 'root') return p.account
  throw new Forbidden('only a wallet (root key) session can manage client keys')
}

/** Requests per client address to each public route per window (`config.auth.rateLimit`); `max: 0` = no limit. */
export interface AuthRateLimit {
  max: number
  windowMs: number
}

/**
 * The auth routes as a fastify plugin (register with `{prefix: '/auth'}`). The public routes
 * (`challenge`, `token`, `refresh`) are limited per client address: beyond `limit.max` requests in
 * `limit.windowMs`, `RateLimited` (429) with `Retry-After`.
 *
 * @example
 * await app.register(authRoutes(authService, routeAuth(check, authService), config.auth.rateLimit), { prefix: '/auth' })
 */
export function authRoutes(
  service: AuthService,
  auth: RouteAuth,
  limit: AuthRateLimit = { max: 0, windowMs: 60_000 },
): FastifyPluginAsync {
  return async (app) => {
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) =>
        new RateLimited(
          `at most ${context.max} requests per ${limit.windowMs / 1000} s; retry in ${context.after}`,
          {
            details: { max: context.max, retryAfterMs: context.ttl },
          },
        ),
    })
    const limited = limit.max > 0 ? { rateLimit: { max: limit.max, timeWindow: limit.windowMs } } : {}
    app.post<{ Body: Static<typeof ChallengeBody> }>(
      '/challenge',
      {
        config: limited,
        schema: {
          tags,
          summary: 'A one-time sign-in challenge, rendered as the chain’s wallets sign it',
          body: ChallengeBody,
          response: responses(ChallengeData),
        },
      },
      async (request) => {
        const { challenge, rendered } = await service.challenge({ ...request.body, client: request.ip })
        return {
          data: { ...challenge, format: challenge.format ?? request.body.format ?? 'default', ...rendered },
        }
      },
    )

    app.post<{ Body: Static<typeof TokenBody> }>(
      '/token',
      {
        config: limited,
        schema: {
          tags,
          summary: 'Verify a signed challenge (single use) and start a session',
          body: TokenBody,
          response: responses(TokenData),
        },
      },
      async (request) => {
        const { familyId: _, ...pair } = await service.signIn(request.body)
        return { data: pair }
      },
    )

    app.post<{ Body: Static<typeof RefreshBody> }>(
      '/refresh',
      {
        config: limited,
        schema: {
          tags,
          summary: 'Rotate a refresh token (a reused one revokes its whole family)',
          body: RefreshBody,
          response: responses(TokenData),
        },
      },
      async (request) => {
        const { familyId: _, ...pair } = await service.refresh(request.body.refreshToken)
        return { data: pair }
      },
    )

    await app.register(async (app) => {
      app.addHook('onRequest', authHook(auth))

      app.get(
        '/me',
        {
          schema: {
            ...secured,
            summary: 'Who the bearer token belongs to',
            response: responses(dataOf(T.Record(T.String(), T.Unknown()))),
          },
        },
        async (request) => {
          const p = request.principal!
          if (p.kind === 'admin') return { data: { kind: 'admin', permissions: ['admin'] } }
          const subject =
            p.kind === 'root'
              ? ({ kind: 'root', account: p.account } as const)
              : ({ kind: 'client', keyId: p.keyId } as const)
          return { data: { ...p, permissions: service.keys.currentPermissions(subject) } }
        },
      )

      app.post(
        '/logout',
        {
          schema: {
            ...secured,
            summary: 'Revoke this session’s token family',
            body: EmptyBody,
            response: responses(dataOf(T.Object({ revoked: T.Boolean() }))),
          },
        },
        async (request) => {
          const p = request.principal!
          if (p.kind !== 'admin') await service.tokens.revokeFamily(p.familyId)
          return { data: { revoked: p.kind !== 'admin' } }
        },
      )

      app.get(
        '/keys',
        {
          schema: {
            ...secured,
            summary: 'Client keys of this wallet (every key for the admin token)',
            response: responses(dataOf(T.Object({ keys: T.Array(ClientKeyJson) }))),
          },
        },
        async (request) => {
          const p = request.principal!
          const keys = service.keys.listClientKeys(p.kind === 'admin' ? undefined : rootOf(p))
          return { data: { keys: keys.map(keyJson) } }
        },
      )

      app.post<{ Body: Static<typeof NewKeyBody> }>(
        '/keys',
        {
          schema: {
            ...secured,
            summary: 'Register a client key (permissions within the wallet’s own)',
            body: NewKeyBody,
            response: responses(dataOf(ClientKeyJson), 201),
          },
        },
        async (request, reply) => {
          const record = await service.keys.createClientKey(rootOf(request.principal!), request.body)
          reply.code(201)
          return { data: keyJson(record) }
        },
      )

      app.delete<{ Params: Static<typeof KeyParams> }>(
        '/keys/:keyId',
        {
          schema: {
            ...secured,
            summary: 'Revoke a client key and all its tokens, at once',
            params: KeyParams,
            response: responses(dataOf(T.Object({ revoked: T.Boolean() }))),
          },
        },
        async (request) => {
          const p = request.principal!
          await service.keys.revokeClientKey(request.params.keyId, p.kind === 'admin' ? undefined : rootOf(p))
          return { data: { revoked: true } }
        },
      )
    })
  }
}
