/**
 * Who may call a route. A request's `Authorization: Bearer …` is either the node's admin token
 * (every permission) or an access token from `/auth/token` (a root or client key with permissions,
 * DESIGN §8). `authHook` resolves it once per request into `request.principal`; each route then
 * {@link demand}s the permission it needs, built from its parameters
 * (`context:execute[<ctx>,<identity>,<method>]`, `context:members[<ctx>]`, …). Permissions are read
 * at request time, so a revocation or a narrowed root key takes effect on the next request.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { AuthService } from '../auth/auth-service.ts'
import type { Principal } from '../auth/key-registry.ts'
import { formatPermission, type Permission } from '../auth/permissions.ts'
import { Forbidden, Unauthorized } from '../core/errors.ts'
import type { BearerCheck } from './bearer-auth.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by {@link authHook} on protected routes. */
    principal?: Principal
  }
}

/** Authentication and authorisation as the routes need them. */
export interface RouteAuth {
  /** Resolves an `Authorization` header; throws `Unauthorized`, `TokenInvalid` or `TokenRevoked`. */
  authenticate(authorization: string | undefined): Promise<Principal>
  /**
   * True while `principal`'s session still stands: its token unexpired, its family, key and root not
   * revoked (long-lived connections such as `/ws` re-check it).
   */
  isLive(principal: Principal): boolean
  /** True when `principal` holds `permission` now. */
  allows(principal: Principal, permission: string | Permission): boolean
}

const ADMIN: Principal = Object.freeze({ kind: 'admin' })
const BEARER = /^Bearer +(\S+) *$/i

/**
 * Builds the route auth from the admin-token check and (when the node has one) the auth service.
 *
 * @example
 * const auth = routeAuth(bearerCheck(adminToken), authService)
 */
export function routeAuth(adminCheck: BearerCheck, service?: AuthService): RouteAuth {
  return {
    async authenticate(authorization) {
      if (adminCheck(authorization)) return ADMIN
      const token = typeof authorization === 'string' ? BEARER.exec(authorization)?.[1] : undefined
      if (!token || !service || token.split('.').length !== 3)
        throw new Unauthorized(
          'missing or wrong bearer token (the admin token or an access token from /auth/token)',
        )
      const claims = await service.tokens.verifyAccess(token)
      return service.keys.principalOf(claims.subject, claims.familyId, claims.expiresAt)
    },
    isLive(principal) {
      if (principal.kind === 'admin') return true
      if (!service || Date.now() >= principal.expiresAt || !service.tokens.isLive(principal.familyId))
        return false
      try {
        service.keys.currentPermissions(
          principal.kind === 'root'
            ? { kind: 'root', account: principal.account }
            : { kind: 'client', keyId: principal.keyId },
        )
        return true
      } catch {
        return false
      }
    },
    allows(principal, permission) {
      if (principal.kind === 'admin') return true
      return service?.keys.allows(principal, permission) ?? false
    },
  }
}

/**
 * An `onRequest` hook that authenticates every request of a plugin and stores the principal.
 *
 * @example
 * app.addHook('onRequest', authHook(auth))
 */
export function authHook(auth: RouteAuth): onRequestAsyncHookHandler {
  return async (request) => {
    request.principal = await auth.authenticate(request.headers.authorization)
  }
}

/**
 * Throws `Forbidden` unless the request's principal holds `permission` (`Unauthorized` when the
 * route was not authenticated).
 *
 * @example
 * demand(request, auth, `context:members[${contextId}]`)
 */
export function demand(request: FastifyRequest, auth: RouteAuth, permission: string | Permission): Principal {
  const p = request.principal
  if (!p) throw new Unauthorized('this route needs a bearer token')
  if (!auth.allows(p, permission)) {
    const text = typeof permission === 'string' ? permission : formatPermission(permission)
    throw new Forbidden(`missing permission ${text}`, { details: { permission: text } })
  }
  return p
}

/**
 * A required permission built from request values without parsing them (a method name such as
 * `get],admin[` stays one literal argument and cannot change the permission's shape).
 *
 * @example
 * demand(request, auth, required('context', 'execute', contextId, executor, method))
 */
export function required(resource: string, action: string, ...args: string[]): Permission {
  return { resource, action, ...(args.length ? { args } : {}) }
}
