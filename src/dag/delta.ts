/**
 * Deltas (DESIGN §5): `{contextId, parents, author, hlc, membershipHeads, ops}`; id = sha256 of the
 * canonical CBOR of those fields; signature = the author's Ed25519 over the id. On the wire a delta
 * is the canonical CBOR map of the same fields plus `signature`; `hlc` travels as `[wallMs, counter]`
 * (its node is the author).
 */

import { sign, verify } from '../core/ed25519.ts'
import { InvalidDelta, PayloadTooLarge } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import { type CrdtLimits, type CrdtOp, parseCrdtOp } from '../crdt/crdt-op.ts'
import { HLC_MAX_COUNTER, HLC_MAX_WALL_MS } from '../crdt/hlc.ts'
import { decodeCanonical, encodeCanonical } from './canonical-cbor.ts'

/** The signed fields of a delta. */
export interface DeltaBody {
  contextId: Uint8Array
  /** Parent delta ids, sorted and unique (empty for a first delta). */
  parents: Uint8Array[]
  author: Uint8Array
  hlc: { wallMs: number; counter: number }
  /** Membership heads the author was a member at, sorted and unique, non-empty. */
  membershipHeads: Uint8Array[]
  ops: CrdtOp[]
}

/** A signed delta with its id and wire bytes. */
export interface Delta extends DeltaBody {
  id: Uint8Array
  signature: Uint8Array
  bytes: Uint8Array
}

/** Limits a delta is checked against. */
export interface DeltaLimits extends CrdtLimits {
  deltaBytes: number
  opsPerDelta: number
}

function bodyToCbor(b: DeltaBody): Record<string, unknown> {
  return {
    contextId: b.contextId,
    parents: b.parents,
    author: b.author,
    hlc: [b.hlc.wallMs, b.hlc.counter],
    membershipHeads: b.membershipHeads,
    ops: b.ops,
  }
}

/** The canonical encoding of the signed fields (what the id hashes). */
export function encodeDeltaBody(body: DeltaBody): Uint8Array {
  return encodeCanonical(bodyToCbor(body))
}

/** The id of a delta body. */
export function deltaId(body: DeltaBody): Uint8Array {
  return sha256(encodeDeltaBody(body))
}

/**
 * Signs a delta body; checks the wire size and op count against `limits` (throws `PayloadTooLarge`).
 *
 * @example
 * const delta = signDelta({ contextId, parents, author, hlc, membershipHeads, ops }, authorSecret, limits)
 */
export function signDelta(
  body: DeltaBody,
  secretKey: Uint8Array,
  limits?: Pick<DeltaLimits, 'deltaBytes' | 'opsPerDelta'>,
): Delta {
  if (limits && body.ops.length > limits.opsPerDelta)
    throw new PayloadTooLarge(`delta has ${body.ops.length} ops, limit ${limits.opsPerDelta}`, {
      details: { limit: 'opsPerDelta', size: body.ops.length },
    })
  const id = deltaId(body)
  const signature = sign(secretKey, id)
  const bytes = encodeCanonical({ ...bodyToCbor(body), signature })
  if (limits && bytes.length > limits.deltaBytes)
    throw new PayloadTooLarge(`delta is ${bytes.length} bytes, limit ${limits.deltaBytes}`, {
      details: { limit: 'deltaBytes', size: bytes.length },
    })
  return { ...body, id, signature, bytes }
}

/** True when the delta's signature verifies under its author. */
export function verifyDeltaSignature(d: Delta): boolean {
  return verify(d.author, d.id, d.signature)
}

function fail(message: string): never {
  throw new InvalidDelta(message)
}

const isKey = (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === 32

function sortedIds(v: unknown, what: string): Uint8Array[] {
  if (!Array.isArray(v)) fail(`${what} must be an array`)
  for (let i = 0; i < v.length; i++) {
    if (!isKey(v[i])) fail(`${what} entries must be 32 bytes`)
    if (i > 0 && Buffer.compare(v[i - 1], v[i]) >= 0) fail(`${what} must be sorted and unique`)
  }
  return v as Uint8Array[]
}

const FIELDS = ['contextId', 'parents', 'author', 'hlc', 'membershipHeads', 'ops', 'signature']

/**
 * Decodes and structurally validates a wire delta: size and op-count limits, canonical CBOR, field
 * types, sorted unique parents and membership heads, every op. Signature, membership and parents
 * are checked by the caller before merge. Throws `PayloadTooLarge` or `InvalidDelta`.
 *
 * @example
 * const delta = decodeDelta(bytes, limits)
 */
export function decodeDelta(bytes: Uint8Array, limits: DeltaLimits): Delta {
  if (!(bytes instanceof Uint8Array)) fail('delta must be bytes')
  if (bytes.length > limits.deltaBytes)
    throw new PayloadTooLarge(`delta is ${bytes.length} bytes, limit ${limits.deltaBytes}`, {
      details: { limit: 'deltaBytes', size: bytes.length },
    })
  let raw: unknown
  try {
    raw = decodeCanonical(bytes, 'delta')
  } catch (e) {
    throw new InvalidDelta('delta is not canonical CBOR', { cause: e })
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Uint8Array)
    fail('delta must be a map')
  const o = raw as Record<string, unknown>
  if (Object.keys(o).length !== FIELDS.length || !FIELDS.every((f) => Object.hasOwn(o, f)))
    fail(`delta must have exactly the fields ${FIELDS.join(', ')}`)
  if (!isKey(o.contextId)) fail('contextId must be 32 bytes')
  if (!isKey(o.author)) fail('author must be 32 bytes')
  if (!(o.signature instanceof Uint8Array) || o.signature.length !== 64) fail('signature must be 64 bytes')
  const hlc = o.hlc
  if (
    !Array.isArray(hlc) ||
    hlc.length !== 2 ||
    !Number.isSafeInteger(hlc[0]) ||
    hlc[0] < 0 ||
    hlc[0] > HLC_MAX_WALL_MS ||
    !Number.isSafeInteger(hlc[1]) ||
    hlc[1] < 0 ||
    hlc[1] > HLC_MAX_COUNTER
  )
    fail('hlc must be [wallMs ≤ 2^47, counter ≤ 2^32-1], non-negative integers')
  const membershipHeads = sortedIds(o.membershipHeads, 'membershipHeads')
  if (membershipHeads.length === 0) fail('membershipHeads must not be empty')
  const opsRaw = o.ops
  if (!Array.isArray(opsRaw) || opsRaw.length === 0) fail('ops must be a non-empty array')
  if (opsRaw.length > limits.opsPerDelta)
    throw new PayloadTooLarge(`delta has ${opsRaw.length} ops, limit ${limits.opsPerDelta}`, {
      details: { limit: 'opsPerDelta', size: opsRaw.length },
    })
  const body: DeltaBody = {
    contextId: o.contextId,
    parents: sortedIds(o.parents, 'parents'),
    author: o.author,
    hlc: { wallMs: hlc[0] as number, counter: hlc[1] as number },
    membershipHeads,
    ops: opsRaw.map((op) => parseCrdtOp(op, limits)),
  }
  return { ...body, id: deltaId(body), signature: o.signature, bytes }
}
