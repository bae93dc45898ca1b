/**
 * `/admin-api/root-keys` and `/admin-api/client-keys`: the operator's view of the key hierarchy
 * (DESIGN §3). Listing needs `keys:list`; changing permissions and revoking need `keys:manage`
 * (`admin` holds both). Revocation is immediate: the key's token families are revoked with it.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { clientKeyAccount } from '../auth/client-key-scheme.ts'
import type { KeyRegistry } from '../auth/key-registry.ts'
import { Forbidden } from '../core/errors.ts'
import { authHook, demand, type RouteAuth } from './route-auth.ts'
import { b58Id, dataOf, responses } from './schemas.ts'

const RootKeyJson = T.Object({
  account: T.String({ description: 'CAIP-10 wallet account' }),
  chainId: T.String(),
  method: T.String({ description: 'How its last sign-in was verified' }),
  publicKey: T.Optional(T.String()),
  permissions: T.Array(T.String()),
  createdAt: T.Integer(),
  lastSignInAt: T.Integer(),
  revoked: T.Boolean(),
})
const AccountParams = T.Object({
  account: T.String({ minLength: 3, maxLength: 256, description: 'CAIP-10 account' }),
})
const PermissionsBody = T.Object(
  { permissions: T.Array(T.String({ minLength: 1, maxLength: 512 }), { maxItems: 256 }) },
  { additionalProperties: false },
)
const KeyParams = T.Object({ keyId: b58Id('Client key id') })
const common = { tags: ['admin'], security: [{ bearer: [] }] }
const Revoked = dataOf(T.Object({ revoked: T.Boolean() }))

/**
 * The key administration routes (register with `{prefix: '/admin-api'}`).
 *
 * @example
 * await app.register(keyAdminRoutes(auth.keys, routeAuth(check, auth), (a) => auth.canonicalAccount(a)), { prefix: '/admin-api' })
 */
export function keyAdminRoutes(
  keys: KeyRegistry,
  auth: RouteAuth,
  /** An account as its root key is recorded (`AuthService.canonicalAccount`): any case of an address finds it. */
  canonical: (account: string) => Promise<string> = async (a) => a,
): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', authHook(auth))

    app.get(
      '/root-keys',
      {
        schema: {
          ...common,
          summary: 'Wallet accounts that signed in',
          response: responses(dataOf(T.Object({ keys: T.Array(RootKeyJson) }))),
        },
      },
      async (request) => {
        demand(request, auth, 'keys:list')
        return { data: { keys: keys.listRootKeys() } }
      },
    )

    app.put<{ Params: Static<typeof AccountParams>; Body: Static<typeof PermissionsBody> }>(
      '/root-keys/:account/permissions',
      {
        schema: {
          ...common,
          summary: 'Replace a wallet’s permissions',
          params: AccountParams,
          body: PermissionsBody,
          response: responses(dataOf(RootKeyJson)),
        },
      },
      async (request) => {
        const p = demand(request, auth, 'keys:manage')
        // keys:manage is not admin: a key can only hand out what it holds itself.
        const beyond = request.body.permissions.filter((x) => !auth.allows(p, x))
        if (beyond.length > 0)
          throw new Forbidden('cannot grant permissions the caller does not hold', { details: { beyond } })
        const account = await canonical(request.params.account)
        return { data: await keys.setRootPermissions(account, request.body.permissions) }
      },
    )

    app.delete<{ Params: Static<typeof AccountParams> }>(
      '/root-keys/:account',
      {
        schema: {
          ...common,
          summary: 'Revoke a wallet, its client keys and every token of them',
          params: AccountParams,
          response: responses(Revoked),
        },
      },
      async (request) => {
        demand(request, auth, 'keys:manage')
        await keys.revokeRootKey(await canonical(request.params.account))
        return { data: { revoked: true } }
      },
    )

    app.get(
      '/client-keys',
      {
        schema: {
          ...common,
          summary: 'Every client key',
          response: responses(dataOf(T.Object({ keys: T.Array(T.Record(T.String(), T.Unknown())) }))),
        },
      },
      async (request) => {
        demand(request, auth, 'keys:list')
        return {
          data: { keys: keys.listClientKeys().map((k) => ({ ...k, account: clientKeyAccount(k.keyId) })) },
        }
      },
    )

    app.delete<{ Params: Static<typeof KeyParams> }>(
      '/client-keys/:keyId',
      {
        schema: {
          ...common,
          summary: 'Revoke a client key and its tokens',
          params: KeyParams,
          response: responses(Revoked),
        },
      },
      async (request) => {
        demand(request, auth, 'keys:manage')
        await keys.revokeClientKey(request.params.keyId)
        return { data: { revoked: true } }
      },
    )
  }
}
