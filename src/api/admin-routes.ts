/**
 * `/admin-api/*`: contexts, members, capabilities and identities of the node. Every route needs a
 * bearer token (the admin token, or an access token holding the route's permission: `context:create`,
 * `context:list`, `context:read[<ctx>]`, `context:members[<ctx>]`, `context:bind[<ctx>,<identity>]`); every answer is wrapped as
 * `{data: …}`; ids and keys are base58.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { type Principal, rootAccountOf } from '../auth/key-registry.ts'
import { decodeMembershipOp } from '../context/membership-op.ts'
import type { WalletProof } from '../context/wallet-binding.ts'
import { toBase58, toHex } from '../core/bytes.ts'
import { Forbidden, InvalidInput } from '../core/errors.ts'
import { contextViewBody, decodeId } from './api-codec.ts'
import type { ContextsApi } from './api-deps.ts'
import { authHook, demand, type RouteAuth, required } from './route-auth.ts'
import {
  b58Id,
  CapabilitySchema,
  ContextIdParams,
  ContextViewJson,
  dataOf,
  EmptyBody,
  responses,
} from './schemas.ts'

/** Most members added by one `POST …/members` request. */
export const MAX_MEMBERS_PER_REQUEST = 100

const CreateContextBody = T.Object(
  {
    application: T.Optional(
      T.String({ minLength: 1, maxLength: 256, description: 'Application id; the node default when absent' }),
    ),
  },
  { additionalProperties: false },
)
const AddMembersBody = T.Object(
  {
    signer: b58Id('Node-held identity that signs the membership delta (needs ManageMembers)'),
    members: T.Array(b58Id('Public key of a member to add'), {
      minItems: 1,
      maxItems: MAX_MEMBERS_PER_REQUEST,
    }),
  },
  { additionalProperties: false },
)
const MemberParams = T.Object({
  contextId: b58Id('Context id'),
  member: b58Id('Public key of the member to remove'),
})
const SignerQuery = T.Object({
  signer: b58Id('Node-held identity that signs the membership delta (needs ManageMembers)'),
})
const CapabilityBody = T.Object(
  {
    signer: b58Id('Node-held identity that signs (needs ManageMembers)'),
    member: b58Id('Member public key'),
    capability: CapabilitySchema,
  },
  { additionalProperties: false },
)
const BindingEvidence = T.Object({
  identity: b58Id('Member identity'),
  account: T.String({ description: 'CAIP-10 wallet account' }),
  opId: b58Id('BindWallet op id'),
  op: T.String({
    description: 'The BindWallet op, canonical CBOR, 0x hex (verify its signature and wallet proof)',
  }),
  walletProof: T.Record(T.String(), T.Unknown(), { description: '{chainId, message, signature, extra}' }),
})
const IdentityParams = T.Object({
  contextId: b58Id('Context id'),
  identity: b58Id('Node-held member identity'),
})
const BindWalletBody = T.Object(
  {
    chainId: T.String({
      pattern: '^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$',
      description: 'CAIP-2 chain of the wallet',
    }),
    message: T.String({
      minLength: 1,
      maxLength: 8192,
      description: 'The signed challenge (resources name mero:bind:<ctx>:<identity>)',
    }),
    signature: T.Optional(
      T.Union([T.String({ maxLength: 8192 }), T.Array(T.String({ maxLength: 256 }), { maxItems: 64 })]),
    ),
    extra: T.Optional(T.Record(T.String({ maxLength: 64 }), T.Unknown())),
  },
  { additionalProperties: false },
)

const ContextData = dataOf(ContextViewJson)
const common = { tags: ['admin'], security: [{ bearer: [] }] }

/**
 * The admin routes as a fastify plugin (register it with `{prefix: '/admin-api'}`).
 *
 * @example
 * await app.register(adminRoutes({ contexts }, routeAuth(bearerCheck(token))), { prefix: '/admin-api' })
 */
export function adminRoutes(
  deps: {
    contexts: ContextsApi
    /** Called after a root or client key created a context (the auth layer grants its root `context[<id>]`). */
    onContextCreated?: (principal: Principal, contextId: string) => Promise<void>
    /** Verifies a signed binding challenge (consuming its nonce) into a wallet proof; absent: binding is off. */
    walletProof?: (
      request: Static<typeof BindWalletBody>,
      contextId: Uint8Array,
      identity: Uint8Array,
    ) => Promise<{ account: string; walletProof: WalletProof }>
  },
  auth: RouteAuth,
): FastifyPluginAsync {
  const { contexts } = deps
  return async (app) => {
    app.addHook('onRequest', authHook(auth))

    app.post<{ Body: Static<typeof CreateContextBody> }>(
      '/contexts',
      {
        schema: {
          ...common,
          summary:
            'Create a context; a new node-held identity becomes its first member with every capability',
          body: CreateContextBody,
          response: responses(
            dataOf(
              T.Object({ contextId: b58Id('New context id'), memberPublicKey: b58Id('Its first member') }),
            ),
          ),
        },
      },
      async (request) => {
        const principal = demand(request, auth, 'context:create')
        const created = await contexts.createContext(
          request.body.application === undefined ? {} : { application: request.body.application },
        )
        await deps.onContextCreated?.(principal, toBase58(created.contextId))
        return {
          data: {
            contextId: toBase58(created.contextId),
            memberPublicKey: toBase58(created.memberPublicKey),
          },
        }
      },
    )

    app.get(
      '/contexts',
      {
        schema: {
          ...common,
          summary: 'List the contexts this node holds',
          response: responses(dataOf(T.Object({ contexts: T.Array(ContextViewJson) }))),
        },
      },
      async (request) => {
        const p = request.principal!
        const all = auth.allows(p, 'context:list')
        const views = (await contexts.listContexts()).map(contextViewBody)
        // Without context:list a key sees the contexts it may read.
        return {
          data: {
            contexts: all
              ? views
              : views.filter((v) => auth.allows(p, required('context', 'read', v.contextId))),
          },
        }
      },
    )

    app.get<{ Params: Static<typeof ContextIdParams> }>(
      '/contexts/:contextId',
      {
        schema: {
          ...common,
          summary: 'One context: members, heads, state root',
          params: ContextIdParams,
          response: responses(ContextData),
        },
      },
      async (request) => {
        demand(request, auth, required('context', 'read', request.params.contextId))
        return {
          data: contextViewBody(await contexts.getContext(decodeId(request.params.contextId, 'contextId'))),
        }
      },
    )

    app.post<{ Params: Static<typeof ContextIdParams>; Body: Static<typeof AddMembersBody> }>(
      '/contexts/:contextId/members',
      {
        schema: {
          ...common,
          summary: 'Add members (one signed membership delta); answers the updated context',
          params: ContextIdParams,
          body: AddMembersBody,
          response: responses(ContextData),
        },
      },
      async (request) => {
        demand(request, auth, required('context', 'members', request.params.contextId))
        const contextId = decodeId(request.params.contextId, 'contextId')
        const members = request.body.members.map((m, i) => decodeId(m, `members[${i}]`))
        await contexts.addMembers(contextId, decodeId(request.body.signer, 'signer'), members)
        return { data: contextViewBody(await contexts.getContext(contextId)) }
      },
    )

    app.delete<{ Params: Static<typeof MemberParams>; Querystring: Static<typeof SignerQuery> }>(
      '/contexts/:contextId/members/:member',
      {
        schema: {
          ...common,
          summary: 'Remove one member, signed by `?signer=`; answers the updated context',
          params: MemberParams,
          querystring: SignerQuery,
          response: responses(ContextData),
        },
      },
      async (request) => {
        demand(request, auth, required('context', 'members', request.params.contextId))
        const contextId = decodeId(request.params.contextId, 'contextId')
        const member = decodeId(request.params.member, 'member')
        await contexts.removeMembers(contextId, decodeId(request.query.signer, 'signer'), [member])
        return { data: contextViewBody(await contexts.getContext(contextId)) }
      },
    )

    for (const action of ['grant', 'revoke'] as const) {
      app.post<{ Params: Static<typeof ContextIdParams>; Body: Static<typeof CapabilityBody> }>(
        `/contexts/:contextId/capabilities/${action}`,
        {
          schema: {
            ...common,
            summary: `${action === 'grant' ? 'Grant' : 'Revoke'} a capability of a member; answers the updated context`,
            params: ContextIdParams,
            body: CapabilityBody,
            response: responses(ContextData),
          },
        },
        async (request) => {
          demand(request, auth, required('context', 'members', request.params.contextId))
          const contextId = decodeId(request.params.contextId, 'contextId')
          const { capability } = request.body
          await contexts[action](
            contextId,
            decodeId(request.body.signer, 'signer'),
            decodeId(request.body.member, 'member'),
            capability,
          )
          return { data: contextViewBody(await contexts.getContext(contextId)) }
        },
      )
    }

    app.post<{ Params: Static<typeof IdentityParams>; Body: Static<typeof BindWalletBody> }>(
      '/contexts/:contextId/identities/:identity/wallet',
      {
        schema: {
          ...common,
          summary:
            'Bind a member identity to the wallet that signed a challenge naming mero:bind:<ctx>:<identity> (a BindWallet op)',
          params: IdentityParams,
          body: BindWalletBody,
          response: responses(ContextData),
        },
      },
      async (request) => {
        const { contextId: ctx, identity: who } = request.params
        const p = demand(request, auth, required('context', 'bind', ctx, who))
        if (!deps.walletProof) throw new InvalidInput('wallet binding is not enabled on this node')
        const contextId = decodeId(ctx, 'contextId')
        const identity = decodeId(who, 'identity')
        // Checked before the signed challenge is consumed: the context exists and who is bound now.
        const before = await contexts.getContext(contextId)
        const { account, walletProof } = await deps.walletProof(request.body, contextId, identity)
        const root = rootAccountOf(p)
        if (root !== undefined && root !== account)
          throw new Forbidden('a wallet session can only bind its own wallet', { details: { account } })
        const current = before.bindings.find((b) => Buffer.compare(b.identity, identity) === 0)
        if (current && current.account !== account && p.kind !== 'admin')
          throw new Forbidden('this identity is bound to another wallet; only the admin may re-bind it', {
            details: { account: current.account },
          })
        await contexts.bindWallet(contextId, identity, account, walletProof)
        return { data: contextViewBody(await contexts.getContext(contextId)) }
      },
    )

    app.get<{ Params: Static<typeof ContextIdParams> }>(
      '/contexts/:contextId/bindings',
      {
        schema: {
          ...common,
          summary:
            'Wallet bindings of current members with their evidence: the BindWallet op (signed by the identity, carrying the wallet signature)',
          params: ContextIdParams,
          response: responses(dataOf(T.Object({ bindings: T.Array(BindingEvidence) }))),
        },
      },
      async (request) => {
        demand(request, auth, required('context', 'read', request.params.contextId))
        const contextId = decodeId(request.params.contextId, 'contextId')
        const view = await contexts.getContext(contextId)
        const bindings = []
        for (const b of view.bindings) {
          const bytes = await contexts.getMembershipOp(contextId, b.opId)
          if (!bytes) continue
          const op = decodeMembershipOp(bytes)
          if (op.kind.type !== 'BindWallet') continue
          bindings.push({
            identity: toBase58(b.identity),
            account: b.account,
            opId: toBase58(b.opId),
            op: toHex(bytes),
            walletProof: op.kind.walletProof as unknown as Record<string, unknown>,
          })
        }
        return { data: { bindings } }
      },
    )

    app.post(
      '/identities',
      {
        schema: {
          ...common,
          summary: 'Create a node-held identity (Ed25519 key pair); answers its public key',
          body: EmptyBody,
          response: responses(dataOf(T.Object({ publicKey: b58Id('New public key') }))),
        },
      },
      async (request) => {
        demand(request, auth, 'context:create')
        return { data: { publicKey: toBase58(await contexts.createIdentity()) } }
      },
    )
  }
}
