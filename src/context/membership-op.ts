/**
 * Membership ops (DESIGN §4): `{contextId, signerId, nonce, parents[], kind}`, id = sha256 of the
 * canonical CBOR of those fields, signature = the signer's Ed25519 over the id. On the wire an op
 * is the canonical CBOR map of the same fields plus `signature`.
 */

import { sign, verify } from '../core/ed25519.ts'
import { InvalidOp, PayloadTooLarge } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import { decodeCanonical, encodeCanonical } from '../dag/canonical-cbor.ts'
import { type Capability, isCapability } from './capabilities.ts'
import { parseAccount, parseWalletProof, type WalletProof, walletProofToCbor } from './wallet-binding.ts'

/**
 * What a membership op does. `BindWallet` binds the signing identity (`identity` must be the signer)
 * to a wallet root key: a CAIP-10 `account` and the wallet's signature evidence (`wallet-binding.ts`).
 */
export type MembershipKind =
  | { type: 'Create'; author: Uint8Array; application: string }
  | { type: 'AddMembers'; members: Uint8Array[] }
  | { type: 'RemoveMembers'; members: Uint8Array[] }
  | { type: 'Grant'; member: Uint8Array; capability: Capability }
  | { type: 'Revoke'; member: Uint8Array; capability: Capability }
  | { type: 'UpdateApplication'; application: string }
  | { type: 'BindWallet'; identity: Uint8Array; account: string; walletProof: WalletProof }

/** Kind names. */
export type MembershipKindName = MembershipKind['type']

/** The signed fields of an op. */
export interface MembershipOpBody {
  contextId: Uint8Array
  signerId: Uint8Array
  /** Single use per signer within a context (a safe integer ≥ 0). */
  nonce: number
  /** Membership op ids this op follows (sorted, unique; empty only for `Create`). */
  parents: Uint8Array[]
  kind: MembershipKind
}

/** A signed op with its id and wire bytes. */
export interface MembershipOp extends MembershipOpBody {
  id: Uint8Array
  signature: Uint8Array
  bytes: Uint8Array
}

/** Longest application id, bytes. */
export const MAX_APPLICATION_BYTES = 256
/** Largest wire size of one membership op. */
export const MAX_MEMBERSHIP_OP_BYTES = 65_536

function fail(message: string): never {
  throw new InvalidOp(message)
}

function kindToCbor(kind: MembershipKind): Record<string, unknown> {
  if (kind.type === 'BindWallet') return { ...kind, walletProof: walletProofToCbor(kind.walletProof) }
  return { ...kind }
}

function bodyToCbor(b: MembershipOpBody): Record<string, unknown> {
  return {
    contextId: b.contextId,
    signerId: b.signerId,
    nonce: b.nonce,
    parents: b.parents,
    kind: kindToCbor(b.kind),
  }
}

/** The canonical encoding of the signed fields (what the id hashes). */
export function encodeMembershipOpBody(body: MembershipOpBody): Uint8Array {
  return encodeCanonical(bodyToCbor(body))
}

/**
 * Signs an op body with the signer's secret key. Throws `PayloadTooLarge` when the wire op would
 * exceed {@link MAX_MEMBERSHIP_OP_BYTES} (peers would refuse it).
 *
 * @example
 * const op = signMembershipOp({ contextId, signerId: admin, nonce: 1, parents: heads, kind: { type: 'AddMembers', members: [bob] } }, adminSecret)
 */
export function signMembershipOp(body: MembershipOpBody, secretKey: Uint8Array): MembershipOp {
  const id = sha256(encodeMembershipOpBody(body))
  const signature = sign(secretKey, id)
  const bytes = encodeCanonical({ ...bodyToCbor(body), signature })
  if (bytes.length > MAX_MEMBERSHIP_OP_BYTES)
    throw new PayloadTooLarge(`membership op is ${bytes.length} bytes, limit ${MAX_MEMBERSHIP_OP_BYTES}`, {
      details: { size: bytes.length },
    })
  return { ...body, id, signature, bytes }
}

/** True when the op's signature verifies under `signerId`. */
export function verifyMembershipOpSignature(op: MembershipOp): boolean {
  return verify(op.signerId, op.id, op.signature)
}

const isKey = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === 32

function sortedKeys(v: unknown, what: string, allowEmpty: boolean): Uint8Array[] {
  if (!Array.isArray(v)) fail(`${what} must be an array`)
  if (!allowEmpty && v.length === 0) fail(`${what} must not be empty`)
  for (let i = 0; i < v.length; i++) {
    if (!isKey(v[i])) fail(`${what} entries must be 32 bytes`)
    if (i > 0 && Buffer.compare(v[i - 1], v[i]) >= 0) fail(`${what} must be sorted and unique`)
  }
  return v as Uint8Array[]
}

function exactFields(o: Record<string, unknown>, fields: string[], what: string): void {
  const keys = Object.keys(o)
  if (keys.length !== fields.length || !fields.every((f) => Object.hasOwn(o, f)))
    fail(`${what} must have exactly the fields ${fields.join(', ')}`)
}

function application(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v) > MAX_APPLICATION_BYTES)
    fail('application must be a non-empty string of at most 256 bytes')
  return v
}

function parseKind(raw: unknown): MembershipKind {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array)
    fail('kind must be a map')
  const k = raw as Record<string, unknown>
  switch (k.type) {
    case 'Create':
      exactFields(k, ['type', 'author', 'application'], 'Create')
      if (!isKey(k.author)) fail('Create.author must be 32 bytes')
      return { type: 'Create', author: k.author, application: application(k.application) }
    case 'AddMembers':
    case 'RemoveMembers':
      exactFields(k, ['type', 'members'], k.type)
      return { type: k.type, members: sortedKeys(k.members, 'members', false) }
    case 'Grant':
    case 'Revoke':
      exactFields(k, ['type', 'member', 'capability'], k.type)
      if (!isKey(k.member)) fail(`${k.type}.member must be 32 bytes`)
      if (!isCapability(k.capability)) fail(`${k.type}.capability is unknown`)
      return { type: k.type, member: k.member, capability: k.capability }
    case 'UpdateApplication':
      exactFields(k, ['type', 'application'], 'UpdateApplication')
      return { type: 'UpdateApplication', application: application(k.application) }
    case 'BindWallet': {
      exactFields(k, ['type', 'identity', 'account', 'walletProof'], 'BindWallet')
      if (!isKey(k.identity)) fail('BindWallet.identity must be 32 bytes')
      const { account } = parseAccount(k.account, fail)
      return {
        type: 'BindWallet',
        identity: k.identity,
        account,
        walletProof: parseWalletProof(k.walletProof, account, fail),
      }
    }
    default:
      return fail('unknown membership op kind')
  }
}

/**
 * Decodes and structurally validates a wire op (canonical CBOR, field types, sorted parents); the
 * signature and authority are checked by the membership log. Throws `InvalidOp` / `PayloadTooLarge`.
 *
 * @example
 * const op = decodeMembershipOp(bytes)
 */
export function decodeMembershipOp(bytes: Uint8Array): MembershipOp {
  if (!(bytes instanceof Uint8Array)) fail('membership op must be bytes')
  if (bytes.length > MAX_MEMBERSHIP_OP_BYTES)
    throw new PayloadTooLarge(`membership op is ${bytes.length} bytes, limit ${MAX_MEMBERSHIP_OP_BYTES}`, {
      details: { size: bytes.length },
    })
  let raw: unknown
  try {
    raw = decodeCanonical(bytes, 'membership op')
  } catch (e) {
    throw new InvalidOp('membership op is not canonical CBOR', { cause: e })
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array)
    fail('membership op must be a map')
  const o = raw as Record<string, unknown>
  exactFields(o, ['contextId', 'signerId', 'nonce', 'parents', 'kind', 'signature'], 'membership op')
  if (!isKey(o.contextId)) fail('contextId must be 32 bytes')
  if (!isKey(o.signerId)) fail('signerId must be 32 bytes')
  if (typeof o.nonce !== 'number' || !Number.isSafeInteger(o.nonce) || o.nonce < 0)
    fail('nonce must be a safe integer ≥ 0')
  if (!(o.signature instanceof Uint8Array) || o.signature.length !== 64) fail('signature must be 64 bytes')
  const body: MembershipOpBody = {
    contextId: o.contextId,
    signerId: o.signerId,
    nonce: o.nonce,
    parents: sortedKeys(o.parents, 'parents', true),
    kind: parseKind(o.kind),
  }
  if ((body.kind.type === 'Create') !== (body.parents.length === 0))
    fail('only Create has no parents, and Create has none')
  if (body.kind.type === 'BindWallet' && Buffer.compare(body.kind.identity, body.signerId) !== 0)
    fail('BindWallet must be signed by the identity it binds')
  return { ...body, id: sha256(encodeMembershipOpBody(body)), signature: o.signature, bytes }
}
