/**
 * Bearer-token check for the protected routes (`/admin-api/*`, `/jsonrpc`, the `/ws` upgrade, and `/v1/*`
 * when `api.protectProofs`). The comparison is constant-time: both sides are hashed to 32 bytes first,
 * so neither the content nor the length of the token leaks through timing.
 */
import { timingSafeEqual } from 'node:crypto'
import type { onRequestAsyncHookHandler } from 'fastify'
import { InvalidInput, Unauthorized } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'

const encoder = new TextEncoder()

/** True when the `Authorization` header value carries exactly the expected bearer token. */
export type BearerCheck = (authorization: string | undefined) => boolean

/**
 * Builds the token check. Throws `InvalidInput` for an empty token (it would protect nothing).
 *
 * @example
 * const check = bearerCheck('s3cret')
 * check('Bearer s3cret') // true
 */
export function bearerCheck(token: string): BearerCheck {
  if (typeof token !== 'string' || token.length === 0)
    throw new InvalidInput('the admin token must not be empty')
  const expected = sha256(encoder.encode(token))
  return (authorization) => {
    if (typeof authorization !== 'string' || authorization.length > 4096) return false
    const match = /^Bearer +(\S+) *$/i.exec(authorization)
    if (!match?.[1]) return false
    return timingSafeEqual(sha256(encoder.encode(match[1])), expected)
  }
}

/**
 * An `onRequest` hook that rejects requests without the right bearer token with `Unauthorized` (401).
 *
 * @example
 * instance.addHook('onRequest', bearerAuthHook(bearerCheck(deps.adminToken)))
 */
export function bearerAuthHook(check: BearerCheck): onRequestAsyncHookHandler {
  return async (request) => {
    if (!check(request.headers.authorization))
      throw new Unauthorized('missing or wrong bearer token (Authorization: Bearer <admin token>)')
  }
}
