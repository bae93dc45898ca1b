/**
 * The attestation leaf (DESIGN §6): a fixed 224-byte record that Solidity, AssemblyScript, Motoko and
 * Cairo can rebuild byte for byte.
 *
 * | offset | bytes | field |
 * |---|---|---|
 * | 0 | 16 | tag: ASCII `mero.heads.v1` / `mero.members.v1`, zero-padded |
 * | 16 | 32 | contextId |
 * | 48 | 32 | payloadRoot (heads: root of the sorted head ids; members: `membersRoot`) |
 * | 80 | 32 | stateRoot (heads: state root; members: root of the sorted membership head op ids) |
 * | 112 | 8 | revision, u64 BE (membership ops applied) |
 * | 120 | 32 | attester: Ed25519 key of the node or member that attests |
 * | 152 | 8 | issuedAt, u64 BE, milliseconds since the epoch |
 * | 160 | 64 | signature: the attester's Ed25519 over `sha256(bytes 0..160)` |
 *
 * `leafHash = sha256(0x00 ‖ leaf)` (RFC 6962).
 */
import { bytesEqual, readU64be } from '../core/bytes.ts'
import { sign, verify, verifyAsync } from '../core/ed25519.ts'
import { InvalidLeaf } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import { leafHash } from '../core/merkle.ts'

/** Size of an attestation leaf in bytes. */
export const LEAF_SIZE = 224
/** Bytes `0..SIGNED_SIZE` are what the attester signs (through their SHA-256). */
export const SIGNED_SIZE = 160

/** The two kinds of attestation. */
export type LeafKind = 'heads' | 'members'

/** The ASCII tag of each kind (stored zero-padded to 16 bytes). */
export const LEAF_TAGS: Readonly<Record<LeafKind, string>> = Object.freeze({
  heads: 'mero.heads.v1',
  members: 'mero.members.v1',
})

/** The fields of a leaf. `revision` and `issuedAt` are u64 (a number must be a safe integer). */
export interface LeafFields {
  kind: LeafKind
  contextId: Uint8Array
  payloadRoot: Uint8Array
  stateRoot: Uint8Array
  revision: bigint | number
  attester: Uint8Array
  /** Milliseconds since the epoch. */
  issuedAt: number | bigint
  signature: Uint8Array
}

/** A leaf's fields before signing. */
export type UnsignedLeafFields = Omit<LeafFields, 'signature'>

/** A decoded leaf: `revision` as bigint (u64), `issuedAt` as number (milliseconds). */
export interface DecodedLeaf extends LeafFields {
  revision: bigint
  issuedAt: number
}

const OFF = {
  tag: 0,
  contextId: 16,
  payloadRoot: 48,
  stateRoot: 80,
  revision: 112,
  attester: 120,
  issuedAt: 152,
  signature: 160,
} as const
const U64_MAX = (1n << 64n) - 1n
const TAG_BYTES: Readonly<Record<LeafKind, Uint8Array>> = {
  heads: tagBytes(LEAF_TAGS.heads),
  members: tagBytes(LEAF_TAGS.members),
}

function tagBytes(tag: string): Uint8Array {
  const out = new Uint8Array(16)
  out.set(new TextEncoder().encode(tag))
  return out
}

function bytesField(name: string, v: unknown, length: number): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== length)
    throw new InvalidLeaf(`${name} must be ${length} bytes`, { details: { field: name } })
  return v
}

function u64Field(name: string, v: unknown): bigint {
  const ok =
    (typeof v === 'bigint' && v >= 0n && v <= U64_MAX) ||
    (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
  if (!ok)
    throw new InvalidLeaf(`${name} must be a u64 (a non-negative safe integer or bigint)`, {
      details: { field: name },
    })
  return BigInt(v as bigint | number)
}

function write(fields: UnsignedLeafFields, signature: Uint8Array): Uint8Array {
  if (fields === null || typeof fields !== 'object') throw new InvalidLeaf('leaf fields must be an object')
  if (!Object.hasOwn(TAG_BYTES, fields.kind))
    throw new InvalidLeaf(`unknown leaf kind ${String(fields.kind)}`, { details: { field: 'kind' } })
  const out = new Uint8Array(LEAF_SIZE)
  const view = new DataView(out.buffer)
  out.set(TAG_BYTES[fields.kind], OFF.tag)
  out.set(bytesField('contextId', fields.contextId, 32), OFF.contextId)
  out.set(bytesField('payloadRoot', fields.payloadRoot, 32), OFF.payloadRoot)
  out.set(bytesField('stateRoot', fields.stateRoot, 32), OFF.stateRoot)
  view.setBigUint64(OFF.revision, u64Field('revision', fields.revision))
  out.set(bytesField('attester', fields.attester, 32), OFF.attester)
  view.setBigUint64(OFF.issuedAt, u64Field('issuedAt', fields.issuedAt))
  out.set(bytesField('signature', signature, 64), OFF.signature)
  return out
}

/**
 * Encodes a leaf's fields into its 224 bytes. Throws InvalidLeaf on a wrong field size or range.
 *
 * @example
 * const bytes = encodeLeaf({ kind: 'heads', contextId, payloadRoot, stateRoot, revision: 3n, attester, issuedAt: Date.now(), signature })
 */
export function encodeLeaf(fields: LeafFields): Uint8Array {
  return write(fields, fields?.signature)
}

/**
 * Decodes 224 leaf bytes. Throws InvalidLeaf (with `details.reason`) on a wrong length, an unknown tag,
 * nonzero tag padding, or an `issuedAt` beyond the safe-integer range. Does not check the signature.
 *
 * @example
 * const leaf = decodeLeaf(bytes) // { kind: 'heads', revision: 3n, issuedAt: 1763900000000, … }
 */
export function decodeLeaf(bytes: Uint8Array): DecodedLeaf {
  if (!(bytes instanceof Uint8Array) || bytes.length !== LEAF_SIZE) {
    const length = bytes instanceof Uint8Array ? bytes.length : undefined
    throw new InvalidLeaf(`a leaf must be ${LEAF_SIZE} bytes, got ${length ?? typeof bytes}`, {
      details: { reason: 'length', length },
    })
  }
  const tag = bytes.subarray(0, 16)
  let kind: LeafKind | undefined
  for (const k of ['heads', 'members'] as const) {
    const ascii = LEAF_TAGS[k].length
    if (bytesEqual(tag.subarray(0, ascii), (TAG_BYTES[k] as Uint8Array).subarray(0, ascii))) {
      if (!tag.subarray(ascii).every((b) => b === 0))
        throw new InvalidLeaf(`the ${k} tag has nonzero padding`, { details: { reason: 'padding' } })
      kind = k
    }
  }
  if (!kind) throw new InvalidLeaf('unknown leaf tag', { details: { reason: 'tag' } })
  const issuedAt = readU64be(bytes, OFF.issuedAt)
  if (issuedAt > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InvalidLeaf('issuedAt is beyond the safe-integer range', { details: { reason: 'issuedAt' } })
  return {
    kind,
    contextId: new Uint8Array(bytes.subarray(OFF.contextId, OFF.contextId + 32)),
    payloadRoot: new Uint8Array(bytes.subarray(OFF.payloadRoot, OFF.payloadRoot + 32)),
    stateRoot: new Uint8Array(bytes.subarray(OFF.stateRoot, OFF.stateRoot + 32)),
    revision: readU64be(bytes, OFF.revision),
    attester: new Uint8Array(bytes.subarray(OFF.attester, OFF.attester + 32)),
    issuedAt: Number(issuedAt),
    signature: new Uint8Array(bytes.subarray(OFF.signature, LEAF_SIZE)),
  }
}

/** `sha256(bytes 0..160)`: the digest the attester signs. Accepts a full 224-byte leaf or its 160-byte prefix. */
export function leafSigningDigest(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array) || (bytes.length !== LEAF_SIZE && bytes.length !== SIGNED_SIZE))
    throw new InvalidLeaf(`a leaf must be ${LEAF_SIZE} bytes`, { details: { reason: 'length' } })
  return sha256(bytes.subarray(0, SIGNED_SIZE))
}

/**
 * Encodes and signs a leaf with the attester's 32-byte Ed25519 secret seed; returns the 224 bytes.
 * `fields.attester` must be the public key of `secretKey` (else the signature will not verify).
 *
 * @example
 * const bytes = signLeaf({ kind: 'heads', contextId, payloadRoot, stateRoot, revision: 3, attester: kp.publicKey, issuedAt: Date.now() }, kp.secretKey)
 */
export function signLeaf(fields: UnsignedLeafFields, secretKey: Uint8Array): Uint8Array {
  const out = write(fields, new Uint8Array(64))
  out.set(sign(secretKey, leafSigningDigest(out)), OFF.signature)
  return out
}

/**
 * Whether the leaf's signature verifies under its `attester` key. False (never throws) on malformed bytes.
 *
 * @example
 * verifyLeafSignature(bytes) // true
 */
export function verifyLeafSignature(bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length !== LEAF_SIZE) return false
  return verify(
    bytes.subarray(OFF.attester, OFF.attester + 32),
    leafSigningDigest(bytes),
    bytes.subarray(OFF.signature, LEAF_SIZE),
  )
}

/** {@link verifyLeafSignature} on the thread pool (both cores verify in parallel). */
export function verifyLeafSignatureAsync(bytes: Uint8Array): Promise<boolean> {
  if (!(bytes instanceof Uint8Array) || bytes.length !== LEAF_SIZE) return Promise.resolve(false)
  return verifyAsync(
    bytes.subarray(OFF.attester, OFF.attester + 32),
    leafSigningDigest(bytes),
    bytes.subarray(OFF.signature, LEAF_SIZE),
  )
}

/**
 * The RFC 6962 leaf hash of an attestation leaf, `sha256(0x00 ‖ leaf)`: its key in the log and in proofs.
 * Throws InvalidLeaf unless the leaf is 224 bytes.
 */
export function attestationLeafHash(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== LEAF_SIZE)
    throw new InvalidLeaf(`a leaf must be ${LEAF_SIZE} bytes`, { details: { reason: 'length' } })
  return leafHash(bytes)
}
