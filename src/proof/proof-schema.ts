/**
 * The JSON schema of proof v1 (DESIGN §10), shared by the API's response schemas and the verifier's
 * input check.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { InvalidProof } from '../core/errors.ts'
import type { Proof } from './proof-types.ts'

const Hex32 = T.String({ pattern: '^0x[0-9a-fA-F]{64}$' })
const B58 = T.String({ pattern: '^[1-9A-HJ-NP-Za-km-z]{32,50}$' })

/** Schema of a checkpoint in a proof and in `/v1/checkpoints`. */
export const CheckpointSchema = T.Object({
  origin: T.String({ minLength: 1, maxLength: 256 }),
  treeSize: T.Integer({ minimum: 1 }),
  rootHash: Hex32,
  note: T.String({ minLength: 1, maxLength: 65_536 }),
  signer: B58,
})

/** Schema of one anchor entry. */
export const AnchorSchema = T.Object({
  chainId: T.String({ minLength: 3, maxLength: 64 }),
  contract: T.String({ minLength: 1, maxLength: 256 }),
  tx: T.Optional(T.String({ maxLength: 256 })),
  height: T.Optional(T.Integer({ minimum: 0 })),
  status: T.Union([
    T.Literal('queued'),
    T.Literal('submitted'),
    T.Literal('included'),
    T.Literal('final'),
    T.Literal('failed'),
  ]),
  confirmations: T.Optional(T.Integer({ minimum: 0 })),
  reason: T.Optional(T.String({ maxLength: 4096 })),
})

/** Schema of proof v1. */
export const ProofSchema = T.Object({
  version: T.Literal(1),
  leaf: T.Object({
    kind: T.Union([T.Literal('heads'), T.Literal('members')]),
    contextId: B58,
    heads: T.Optional(T.Array(B58, { maxItems: 10_000 })),
    payloadRoot: Hex32,
    stateRoot: Hex32,
    revision: T.Integer({ minimum: 0 }),
    attester: B58,
    issuedAt: T.Integer({ minimum: 0 }),
    signature: T.String({ pattern: '^0x[0-9a-fA-F]{128}$' }),
    bytes: T.String({ pattern: '^0x[0-9a-fA-F]{448}$' }),
  }),
  leafIndex: T.Integer({ minimum: 0 }),
  leafHash: Hex32,
  checkpoint: CheckpointSchema,
  inclusion: T.Array(Hex32, { maxItems: 64 }),
  anchors: T.Array(AnchorSchema, { maxItems: 64 }),
})

/** Validates an untrusted document as proof v1; throws `InvalidProof` naming every problem. */
export function parseProof(input: unknown): Proof {
  if (Value.Check(ProofSchema, input)) return input as Static<typeof ProofSchema> as Proof
  const errors = [...Value.Errors(ProofSchema, input)]
    .slice(0, 20)
    .map((e) => `${e.path || '/'}: ${e.message}`)
  throw new InvalidProof(`not a proof v1 document: ${errors.join('; ')}`, { details: { errors } })
}
