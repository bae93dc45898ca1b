/**
 * `/admin-api/*`: contexts, members, capabilities and identities of the node. Every route needs the
 * admin bearer token; every answer is wrapped as `{data: …}`; ids and keys are base58.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { toBase58 } from '../core/bytes.ts'
import { contextViewBody, decodeId } from './api-codec.ts'
import type { ContextsApi } from './api-deps.ts'
import { type BearerCheck, bearerAuthHook } from './bearer-auth.ts'
import { b58Id, CapabilitySchema, ContextIdParams, ContextViewJson, dataOf, responses } from './schemas.ts'

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
const EmptyBody = T.Object({}, { additionalProperties: false })

const ContextData = dataOf(ContextViewJson)
const common = { tags: ['admin'], security: [{ bearer: [] }] }

/**
 * The admin routes as a fastify plugin (register it with `{prefix: '/admin-api'}`).
 *
 * @example
 * await app.register(adminRoutes({ contexts }, bearerCheck(token)), { prefix: '/admin-api' })
 */
export function adminRoutes(deps: { contexts: ContextsApi }, check: BearerCheck): FastifyPluginAsync {
  const { contexts } = deps
  return async (app) => {
    app.addHook('onRequest', bearerAuthHook(check))

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
        const created = await contexts.createContext(
          request.body.application === undefined ? {} : { application: request.body.application },
        )
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
      async () => ({ data: { contexts: (await contexts.listContexts()).map(contextViewBody) } }),
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
      async (request) => ({
        data: contextViewBody(await contexts.getContext(decodeId(request.params.contextId, 'contextId'))),
      }),
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
      async () => ({ data: { publicKey: toBase58(await contexts.createIdentity()) } }),
    )
  }
}
