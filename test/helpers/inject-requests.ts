/**
 * Test helper: the few API calls the cross-cutting tests make on an in-process node, through fastify's
 * `inject()` (no socket). Each throws with the response body when the node does not answer 200.
 */
import type { FastifyInstance } from 'fastify'
import type { Proof, ProofAnchor } from '../../src/proof/proof-types.ts'

/** A context created through the admin API. */
export interface TestContext {
  contextId: string
  memberPublicKey: string
}

type Auth = { authorization: string }

async function call(
  api: FastifyInstance,
  method: 'GET' | 'POST',
  url: string,
  auth?: Auth,
  payload?: unknown,
): Promise<{ statusCode: number; json: () => unknown; body: string }> {
  return api.inject({
    method,
    url,
    ...(auth ? { headers: auth } : {}),
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
}

/** `POST /admin-api/contexts`. */
export async function createContext(api: FastifyInstance, auth: Auth): Promise<TestContext> {
  const r = await call(api, 'POST', '/admin-api/contexts', auth, {})
  if (r.statusCode !== 200) throw new Error(`create context: ${r.statusCode} ${r.body}`)
  return (r.json() as { data: TestContext }).data
}

/** JSON-RPC `execute` `set {key, value}`; resolves with the delta id of the acknowledged write. */
export async function setValue(
  api: FastifyInstance,
  auth: Auth,
  ctx: TestContext,
  key: string,
  value: string,
): Promise<string> {
  const r = await call(api, 'POST', '/jsonrpc', auth, {
    jsonrpc: '2.0',
    id: 1,
    method: 'execute',
    params: {
      contextId: ctx.contextId,
      method: 'set',
      argsJson: JSON.stringify({ key, value }),
      executorPublicKey: ctx.memberPublicKey,
    },
  })
  const deltaId =
    r.statusCode === 200 ? (r.json() as { result?: { deltaId?: unknown } }).result?.deltaId : undefined
  if (typeof deltaId !== 'string') throw new Error(`set ${key}: ${r.statusCode} ${r.body}`)
  return deltaId
}

/** `GET /v1/contexts/:id/proof`, or undefined while the node answers anything but 200 (not attested yet). */
export async function contextProof(api: FastifyInstance, ctx: TestContext): Promise<Proof | undefined> {
  const r = await call(api, 'GET', `/v1/contexts/${ctx.contextId}/proof`)
  return r.statusCode === 200 ? (r.json() as Proof) : undefined
}

/** `GET /v1/anchors/:rootHash` → the anchors of a checkpoint root. */
export async function anchorsOf(api: FastifyInstance, rootHash: string): Promise<ProofAnchor[]> {
  const r = await call(api, 'GET', `/v1/anchors/${rootHash}`)
  if (r.statusCode !== 200) throw new Error(`anchors of ${rootHash}: ${r.statusCode} ${r.body}`)
  return (r.json() as { anchors: ProofAnchor[] }).anchors
}
