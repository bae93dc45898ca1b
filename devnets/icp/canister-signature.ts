/**
 * A canister signature as a signing canister (e.g. Internet Identity) produces it on this devnet's
 * terms: the canister certifies `sig/<sha256(seed)>/<sha256(message)>` in its certified data, and the
 * signature is the CBOR of `{certificate, tree}` (IC interface spec, "Canister signatures"). For tests
 * and local sign-in flows.
 */
import { createHash } from 'node:crypto'
import { wrapDER } from '@dfinity/agent'
import type { Principal } from '@dfinity/principal'
import { encode } from 'cborg'
import { CANISTER_SIG_OID } from '../../adapters/icp/ic-certificate.ts'
import { certify, hashTreeOf, type LabeledTree, label, reconstruct, rootKeyFrom } from './certification.ts'
import { leb128 } from './request-auth.ts'

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest())

/** Inputs of {@link canisterSignature}. */
export interface CanisterSignatureInput {
  /** The devnet's BLS root secret that certifies the state. */
  readonly rootSecret: Uint8Array
  /** The signing canister. */
  readonly canisterId: Principal
  /** The canister's per-user seed (part of the public key). */
  readonly seed: Uint8Array
  readonly message: Uint8Array
  /** Certificate time, ms since epoch (default now). */
  readonly timeMs?: number
  /** Certified data to put in the certificate instead of the signature tree's root (to forge). */
  readonly certifiedOverride?: Uint8Array
}

/** The DER public key and the signature of `message` by `canisterId` for `seed`. */
export function canisterSignature(o: CanisterSignatureInput): {
  publicKey: Uint8Array
  signature: Uint8Array
} {
  const tree = hashTreeOf(
    new Map([
      [
        label('sig'),
        new Map([[label(sha256(o.seed)), new Map([[label(sha256(o.message)), new Uint8Array(0)]])]]),
      ],
    ]),
  )
  const id = o.canisterId.toUint8Array()
  const state: LabeledTree = new Map<string, LabeledTree>([
    [label('time'), leb128(BigInt(o.timeMs ?? Date.now()) * 1_000_000n)],
    [
      label('canister'),
      new Map([[label(id), new Map([[label('certified_data'), o.certifiedOverride ?? reconstruct(tree)]])]]),
    ],
  ])
  const certificate = certify(state, rootKeyFrom(o.rootSecret))
  const publicKey = wrapDER(new Uint8Array([id.length, ...id, ...o.seed]), CANISTER_SIG_OID)
  return { publicKey, signature: new Uint8Array(encode({ certificate, tree })) }
}
