/**
 * TypeBox schemas of the HTTP API: request parts and responses. They drive three things at once —
 * request validation ({@link ./validator-compiler.ts}), fast response serialisation (fast-json-stringify)
 * and the OpenAPI document at `/docs/json`. Ids and keys are base58, hashes `0x` hex (DESIGN §10).
 */
import { Type as T, type TSchema } from '@sinclair/typebox'

/**
 * Marks an encoded string: when such a field fails its pattern or length, the request is answered
 * with `InvalidEncoding` rather than `InvalidInput` (see the validator compiler).
 */
export const ENCODING_KEYWORD = 'x-encoding'

/** A base58 id or public key (32 bytes → 32..44 characters of the bitcoin alphabet). */
export function b58Id(description: string) {
  return T.String({ pattern: '^[1-9A-HJ-NP-Za-km-z]{32,44}$', [ENCODING_KEYWORD]: 'base58', description })
}

/** A `0x`-prefixed hex string of exactly `bytes` bytes. */
export function hexBytes(bytes: number, description: string) {
  return T.String({ pattern: `^0x[0-9a-fA-F]{${bytes * 2}}$`, [ENCODING_KEYWORD]: 'hex', description })
}

/** A 32-byte hash, `0x` hex. */
export const Hash32 = hexBytes(32, '32-byte hash, 0x hex')

/** A capability name (DESIGN §4). */
export const CapabilitySchema = T.Union([
  T.Literal('ManageMembers'),
  T.Literal('ManageApplication'),
  T.Literal('Attest'),
])

/** The error body of every non-2xx answer outside `/jsonrpc`. */
export const ErrorBody = T.Object(
  {
    error: T.Object({
      name: T.String({ description: 'Stable error name from docs/ERRORS.md' }),
      message: T.String(),
      details: T.Record(T.String(), T.Unknown()),
    }),
  },
  { description: 'An error: {error: {name, message, details}}' },
)

/** The body of a route that takes none: absent, or `{}` (anything else is 400 `InvalidInput`). */
export const EmptyBody = T.Object({}, { additionalProperties: false })

/** Response schemas for a route: the success schema under `status` plus the error body for 4xx/5xx. */
export function responses(ok: TSchema, status = 200): Record<string, TSchema> {
  return { [status]: ok, '4xx': ErrorBody, '5xx': ErrorBody }
}

/** Wraps an admin API payload as `{data: …}`. */
export function dataOf(schema: TSchema) {
  return T.Object({ data: schema })
}

// ── admin API ───────────────────────────────────────────────────────────────────────────────────

/** A context as `/admin-api` shows it. */
export const ContextViewJson = T.Object({
  contextId: b58Id('Context id'),
  application: T.String(),
  members: T.Array(
    T.Object({ publicKey: b58Id('Member public key'), capabilities: T.Array(CapabilitySchema) }),
  ),
  bindings: T.Array(
    T.Object({
      identity: b58Id('Member identity bound to a wallet'),
      account: T.String({ description: 'CAIP-10 wallet account (root key)' }),
      opId: b58Id('The BindWallet membership op carrying the wallet signature'),
    }),
  ),
  heads: T.Array(b58Id('Delta id')),
  membershipHeads: T.Array(b58Id('Membership delta id')),
  stateRoot: Hash32,
  revision: T.Integer({ minimum: 0 }),
  deltaCount: T.Integer({ minimum: 0 }),
})

/** `:contextId` path parameter. */
export const ContextIdParams = T.Object({ contextId: b58Id('Context id') })

// ── proof API (DESIGN §10) ──────────────────────────────────────────────────────────────────────

// Proof v1, checkpoint and anchor schemas live in src/proof/proof-schema.ts (shared with the verifier).

/** The answer of `POST /v1/verify`. */
export const VerificationReportJson = T.Object({
  ok: T.Boolean(),
  checks: T.Array(
    T.Object({ name: T.String(), ok: T.Boolean(), detail: T.String(), skipped: T.Optional(T.Boolean()) }),
  ),
})

/** A tree size as a query or path parameter. */
export const TreeSize = T.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
