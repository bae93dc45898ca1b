/**
 * `/v1/*`: the proof, log and anchor reads of DESIGN §10 plus attestation ingest. Answers are the proof
 * JSON itself (no `{data}` wrapper), serialised through response schemas. Public unless
 * `api.protectProofs`; they reveal ids and hashes, never context content.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { fromHex, toHex } from '../core/bytes.ts'
import { InvalidProof, PayloadTooLarge } from '../core/errors.ts'
import { AnchorSchema, CheckpointSchema, ProofSchema } from '../proof/proof-schema.ts'
import type { Proof } from '../proof/proof-types.ts'
import { decodeHash, decodeId } from './api-codec.ts'
import type { ProofsApi } from './api-deps.ts'
import { authHook, demand, type RouteAuth } from './route-auth.ts'
import { ContextIdParams, Hash32, hexBytes, responses, TreeSize, VerificationReportJson } from './schemas.ts'

/** Size of an attestation leaf in bytes (DESIGN §6). */
export const LEAF_BYTES = 224

const LeafHashParams = T.Object({ leafHash: Hash32 })
const RootHashParams = T.Object({ rootHash: Hash32 })
const TreeSizeParams = T.Object({ treeSize: TreeSize })
const ConsistencyQuery = T.Object({ first: TreeSize, second: TreeSize })
const AttestationsBody = T.Object(
  { leaves: T.Array(hexBytes(LEAF_BYTES, 'A signed attestation leaf, 224 bytes, 0x hex'), { minItems: 1 }) },
  { additionalProperties: false },
)

/**
 * The `/v1` routes as a fastify plugin (register it with `{prefix: '/v1'}`). `auth` (permission `proofs`) is applied only
 * when `protect` is true.
 *
 * @example
 * await app.register(proofRoutes({ proofs, attestationsPerRequest: 1000, protect: false }, auth), { prefix: '/v1' })
 */
export function proofRoutes(
  deps: { proofs: ProofsApi; attestationsPerRequest: number; protect: boolean },
  auth: RouteAuth,
): FastifyPluginAsync {
  const { proofs, attestationsPerRequest, protect } = deps
  const common = protect ? { tags: ['proofs'], security: [{ bearer: [] }] } : { tags: ['proofs'] }
  return async (app) => {
    if (protect) {
      app.addHook('onRequest', authHook(auth))
      app.addHook('preHandler', async (request) => {
        demand(request, auth, 'proofs')
      })
    }

    app.get<{ Params: Static<typeof ContextIdParams> }>(
      '/contexts/:contextId/proof',
      {
        schema: {
          ...common,
          summary: 'Proof of the latest heads attestation of a context',
          params: ContextIdParams,
          response: responses(ProofSchema),
        },
      },
      async (request, reply) => {
        const json = await proofs.latestProofJsonForContext(decodeId(request.params.contextId, 'contextId'))
        return reply.type('application/json; charset=utf-8').send(json)
      },
    )

    app.get<{ Params: Static<typeof LeafHashParams> }>(
      '/proofs/:leafHash',
      {
        schema: {
          ...common,
          summary: 'Proof of one leaf by its hash',
          params: LeafHashParams,
          response: responses(ProofSchema),
        },
      },
      async (request, reply) => {
        const json = await proofs.proofJsonForLeaf(decodeHash(request.params.leafHash, 'leafHash'))
        return reply.type('application/json; charset=utf-8').send(json)
      },
    )

    app.get(
      '/checkpoints/latest',
      {
        schema: {
          ...common,
          summary: 'The latest checkpoint (signed tree head)',
          response: responses(CheckpointSchema),
        },
      },
      () => proofs.latestCheckpoint(),
    )

    app.get<{ Params: Static<typeof TreeSizeParams> }>(
      '/checkpoints/:treeSize',
      {
        schema: {
          ...common,
          summary: 'The checkpoint of a given tree size',
          params: TreeSizeParams,
          response: responses(CheckpointSchema),
        },
      },
      (request) => proofs.checkpoint(request.params.treeSize),
    )

    app.get<{ Querystring: Static<typeof ConsistencyQuery> }>(
      '/consistency',
      {
        schema: {
          ...common,
          summary: 'Consistency proof between two tree sizes (RFC 9162 §2.1.4)',
          querystring: ConsistencyQuery,
          response: responses(T.Object({ first: TreeSize, second: TreeSize, proof: T.Array(Hash32) })),
        },
      },
      async (request) => {
        const { first, second } = request.query
        const proof = await proofs.consistency(first, second)
        return { first, second, proof: proof.map(toHex) }
      },
    )

    app.get<{ Params: Static<typeof RootHashParams> }>(
      '/anchors/:rootHash',
      {
        schema: {
          ...common,
          summary: 'Anchors of a checkpoint root on every configured chain',
          params: RootHashParams,
          response: responses(T.Object({ rootHash: Hash32, anchors: T.Array(AnchorSchema) })),
        },
      },
      async (request) => {
        const rootHash = decodeHash(request.params.rootHash, 'rootHash')
        return { rootHash: toHex(rootHash), anchors: await proofs.anchorsOf(rootHash) }
      },
    )

    app.post<{ Body: Static<typeof ProofSchema> }>(
      '/verify',
      {
        attachValidation: true,
        schema: {
          ...common,
          summary:
            'Server-side check of a proof v1 (convenience; `meroctl verify` is the trust-minimal check)',
          body: ProofSchema,
          response: responses(VerificationReportJson),
        },
      },
      (request) => {
        const invalid = request.validationError as
          | { message: string; details?: Record<string, unknown> }
          | undefined
        if (invalid)
          throw new InvalidProof(`proof document is malformed: ${invalid.message}`, {
            details: invalid.details ?? {},
          })
        return proofs.verify(request.body as Proof)
      },
    )

    app.post<{ Body: Static<typeof AttestationsBody> }>(
      '/attestations',
      {
        schema: {
          ...common,
          summary: `Submit signed attestation leaves (at most api limits.attestationsPerRequest = ${attestationsPerRequest} per request); answers once they are in the log`,
          body: AttestationsBody,
          response: responses(
            T.Object({ accepted: T.Array(T.Object({ leafHash: Hash32, index: T.Integer({ minimum: 0 }) })) }),
          ),
        },
      },
      async (request) => {
        const { leaves } = request.body
        if (leaves.length > attestationsPerRequest)
          throw new PayloadTooLarge(
            `at most ${attestationsPerRequest} leaves per request, got ${leaves.length}`,
            {
              details: { limit: attestationsPerRequest, count: leaves.length },
            },
          )
        const accepted = await proofs.ingest(leaves.map((l, i) => fromHex(l, LEAF_BYTES, `leaves[${i}]`)))
        return { accepted: accepted.map((a) => ({ leafHash: toHex(a.leafHash), index: a.index })) }
      },
    )
  }
}
