/**
 * Node configuration: one schema, one defaults object, validated once (every error reported),
 * then frozen. Only the CLI reads the environment; everything else receives a {@link Config}.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { InvalidConfig } from './errors.ts'

const ChainConfig = T.Object(
  {
    /** CAIP-2 id, e.g. `eip155:31337`. */
    chainId: T.String({ pattern: '^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$' }),
    /** Adapter kind (`ethereum`, `memory`, …): the CLI maps it to an implementation. */
    kind: T.String({ minLength: 1 }),
    rpcUrl: T.String({ minLength: 1 }),
    /** Anchor contract in chain-native notation. */
    contract: T.String({ minLength: 1 }),
    /** Anchor at most once per this many ms (0 = every checkpoint). */
    anchorEveryMs: T.Integer({ minimum: 0, default: 0 }),
    /** Confirmations after which an anchor is final. */
    confirmations: T.Integer({ minimum: 1, default: 1 }),
    /** File holding the submitting account's secret key (never logged, never in job data). */
    signerKeyFile: T.Optional(T.String({ minLength: 1 })),
    /** Status poll interval while an anchor is not final, ms. */
    pollMs: T.Integer({ minimum: 10, default: 250 }),
    /** Time limit of one chain RPC request, ms (default: the adapter's own, 20–30 s). */
    requestTimeoutMs: T.Optional(T.Integer({ minimum: 100, maximum: 600_000 })),
  },
  { additionalProperties: false },
)

/** The configuration schema. */
export const ConfigSchema = T.Object(
  {
    dataDir: T.String({ minLength: 1 }),
    api: T.Object(
      {
        host: T.String({ default: '127.0.0.1' }),
        port: T.Integer({ minimum: 0, maximum: 65535, default: 2528 }),
        /** Max request body, bytes. */
        bodyLimit: T.Integer({ minimum: 1024, default: 1_048_576 }),
        /** A request (headers and body) must arrive within this many ms, else 408 `RequestTimeout`. */
        requestTimeoutMs: T.Integer({ minimum: 1000, maximum: 600_000, default: 30_000 }),
        /** Require the admin token on the public `/v1` routes too. */
        protectProofs: T.Boolean({ default: false }),
        /**
         * Addresses of reverse proxies whose `X-Forwarded-For` names the client (fastify `trustProxy`:
         * comma-separated IPs or CIDRs). Default none: the client is the connection's peer.
         */
        trustProxy: T.Optional(T.String({ minLength: 1, maxLength: 1024 })),
      },
      { additionalProperties: false, default: {} },
    ),
    log: T.Object(
      {
        /** Log origin line of checkpoints; default `mero/<node key base58>`. */
        origin: T.Optional(
          T.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e][\\x20-\\x7e]*$' }),
        ),
        level: T.Union(
          [
            T.Literal('trace'),
            T.Literal('debug'),
            T.Literal('info'),
            T.Literal('warn'),
            T.Literal('error'),
            T.Literal('silent'),
          ],
          {
            default: 'info',
          },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    batch: T.Object(
      {
        intervalMs: T.Integer({ minimum: 10, default: 1000 }),
        maxLeaves: T.Integer({ minimum: 1, default: 10_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: T.Object(
      {
        deltaBytes: T.Integer({ minimum: 256, default: 65_536 }),
        opsPerDelta: T.Integer({ minimum: 1, default: 256 }),
        pendingDeltas: T.Integer({ minimum: 1, default: 10_000 }),
        keyBytes: T.Integer({ minimum: 1, default: 1024 }),
        valueBytes: T.Integer({ minimum: 1, default: 32_768 }),
        attestationsPerRequest: T.Integer({ minimum: 1, default: 1000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    jobs: T.Object(
      {
        /** Use bullmq on this Redis; absent = embedded queue in LevelDB. */
        redisUrl: T.Optional(T.String({ minLength: 1 })),
        prefix: T.String({ default: 'mero', minLength: 1 }),
        /** Run anchoring workers in this process (false when `merod worker` processes do it). */
        runWorkers: T.Boolean({ default: true }),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: T.Object(
      {
        /** Sign-in domain wallets show and sign (RFC 3986 authority); default: the API's host:port. */
        domain: T.Optional(T.String({ minLength: 1, maxLength: 253 })),
        /** Sign-in URI; default `http://<domain>`. */
        uri: T.Optional(T.String({ minLength: 1, maxLength: 512 })),
        /** One line of EIP-4361 `statement` characters (RFC 3986 reserved / unreserved and spaces). */
        statement: T.String({
          default: 'Sign in to this mero node.',
          minLength: 1,
          maxLength: 256,
          pattern: "^[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;= ]+$",
        }),
        /** Lifetime of a sign-in challenge, ms (at most 10 min, DESIGN §8). */
        challengeTtlMs: T.Integer({ minimum: 10_000, maximum: 600_000, default: 300_000 }),
        /** Most challenges outstanding at once. */
        maxChallenges: T.Integer({ minimum: 1, default: 10_000 }),
        accessTokenSec: T.Integer({ minimum: 60, default: 3600 }),
        refreshTokenSec: T.Integer({ minimum: 300, default: 2_592_000 }),
        /**
         * Requests per client address to each public sign-in route (`/auth/challenge`, `/auth/token`,
         * `/auth/refresh`) per window; beyond it `RateLimited` (429). `max: 0` turns the limit off.
         */
        rateLimit: T.Object(
          {
            max: T.Integer({ minimum: 0, default: 60 }),
            windowMs: T.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** CAIP-10 wallet accounts that get `admin` when they sign in. */
        admins: T.Array(T.String({ minLength: 3, maxLength: 256 }), { default: [] }),
        /** Permissions of any other wallet that signs in (default none: an operator grants them). */
        signInPermissions: T.Array(T.String({ minLength: 1, maxLength: 512 }), { default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    chains: T.Array(ChainConfig, { default: [] }),
  },
  { additionalProperties: false },
)

/** A validated, frozen configuration. */
export type Config = Readonly<Static<typeof ConfigSchema>>
/** One chain's configuration. */
export type ChainConfig = Static<typeof ChainConfig>
/** What a caller may pass: every field with a default may be left out. */
export type ConfigInput = { dataDir: string } & Record<string, unknown>

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}

/**
 * Applies defaults, validates, and freezes. Throws `InvalidConfig` listing every problem.
 *
 * @example
 * const config = loadConfig({ dataDir: '.mero/dev', batch: { intervalMs: 500 } })
 */
export function loadConfig(input: unknown): Config {
  const value = Value.Default(ConfigSchema, structuredClone(input ?? {}))
  const errors = [...Value.Errors(ConfigSchema, value)].map((e) => ({
    path: e.path || '/',
    message: e.message,
  }))
  if (errors.length > 0) {
    const text = errors.map((e) => `${e.path}: ${e.message}`).join('; ')
    throw new InvalidConfig(`invalid configuration: ${text}`, { details: { errors } })
  }
  const chainIds = (value as Config).chains.map((c) => c.chainId)
  const dup = chainIds.find((c, i) => chainIds.indexOf(c) !== i)
  if (dup)
    throw new InvalidConfig(`chain ${dup} is configured twice`, {
      details: { errors: [{ path: '/chains', message: `duplicate ${dup}` }] },
    })
  return deepFreeze(value as Config)
}
