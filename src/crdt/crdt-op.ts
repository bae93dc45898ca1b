/**
 * CRDT operations, as they travel inside deltas (CBOR-encodable plain objects), and their strict
 * validation. Every key names one collection of one type; the type is part of the state key
 * (`r:` register, `s:` set, `c:` counter), so ops of different types never meet.
 */
import { InvalidDelta, PayloadTooLarge } from '../core/errors.ts'
import { encodeCanonical } from '../dag/canonical-cbor.ts'

/** A value a register or a set element may hold: JSON-like data plus byte strings. */
export type CrdtValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | CrdtValue[]
  | { [key: string]: CrdtValue }

/** Last-writer-wins register write. */
export interface LwwSetOp {
  t: 'lww.set'
  k: string
  v: CrdtValue
}
/** Last-writer-wins register delete (a tombstone that takes part in the LWW order). */
export interface LwwDelOp {
  t: 'lww.del'
  k: string
}
/** OR-set add; its tag is `deltaId ‖ u32be(opIndex)`, derived when applied. */
export interface SetAddOp {
  t: 'set.add'
  k: string
  e: CrdtValue
}
/** OR-set remove of the add tags the author observed (sorted, unique, 36 bytes each). */
export interface SetRmOp {
  t: 'set.rm'
  k: string
  e: CrdtValue
  tags: Uint8Array[]
}
/** PN-counter increment (negative `n` decrements). */
export interface CtrAddOp {
  t: 'ctr.add'
  k: string
  n: number
}
/** Any CRDT operation. */
export type CrdtOp = LwwSetOp | LwwDelOp | SetAddOp | SetRmOp | CtrAddOp

/** A set remove as an app asks for it: the node fills in the tags it has observed. */
export type SetRmIntent = Omit<SetRmOp, 'tags'> & { tags?: Uint8Array[] }
/** What an app may hand to the node to commit. */
export type CrdtOpIntent = LwwSetOp | LwwDelOp | SetAddOp | SetRmIntent | CtrAddOp

/** The size limits ops are checked against. */
export interface CrdtLimits {
  keyBytes: number
  valueBytes: number
}

/** Length of an OR-set add tag: 32-byte delta id + u32 op index. */
export const SET_TAG_BYTES = 36
/** Largest |n| of one counter op (the sum is kept exactly as a bigint). */
export const MAX_COUNTER_STEP = Number.MAX_SAFE_INTEGER
const MAX_DEPTH = 32

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new InvalidDelta(message, { details })
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** True when `v` is a {@link CrdtValue} (finite numbers, plain objects, no bigint/undefined), depth ≤ 32. */
export function isCrdtValue(v: unknown, depth = 0): v is CrdtValue {
  if (depth > MAX_DEPTH) return false
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true
  if (typeof v === 'number') return Number.isFinite(v)
  if (v instanceof Uint8Array) return true
  if (Array.isArray(v)) return v.every((x) => isCrdtValue(x, depth + 1))
  if (isPlainObject(v)) return Object.values(v).every((x) => isCrdtValue(x, depth + 1))
  return false
}

function checkKey(k: unknown, limits: CrdtLimits): string {
  if (typeof k !== 'string' || k.length === 0) fail('op key must be a non-empty string')
  const n = Buffer.byteLength(k, 'utf8')
  if (n > limits.keyBytes)
    throw new PayloadTooLarge(`key is ${n} bytes, limit ${limits.keyBytes}`, {
      details: { limit: 'keyBytes', size: n },
    })
  return k
}

function checkValue(v: unknown, limits: CrdtLimits, what: string): CrdtValue {
  if (!isCrdtValue(v)) fail(`${what} is not a storable value`)
  const n = encodeCanonical(v).length
  if (n > limits.valueBytes)
    throw new PayloadTooLarge(`${what} is ${n} bytes, limit ${limits.valueBytes}`, {
      details: { limit: 'valueBytes', size: n },
    })
  return v
}

function checkFields(o: Record<string, unknown>, fields: string[]): void {
  const keys = Object.keys(o)
  if (keys.length !== fields.length || !fields.every((f) => Object.hasOwn(o, f)))
    fail(`op ${String(o.t)} must have exactly the fields ${fields.join(', ')}`)
}

/**
 * Validates one decoded op (shape, types, sizes) and returns it typed. Throws `InvalidDelta` for a bad
 * shape and `PayloadTooLarge` for a key or value over its limit.
 *
 * @example
 * const op = parseCrdtOp({ t: 'lww.set', k: 'a', v: 'b' }, limits)
 */
export function parseCrdtOp(raw: unknown, limits: CrdtLimits): CrdtOp {
  if (!isPlainObject(raw)) fail('op must be a map')
  switch (raw.t) {
    case 'lww.set':
      checkFields(raw, ['t', 'k', 'v'])
      return { t: 'lww.set', k: checkKey(raw.k, limits), v: checkValue(raw.v, limits, 'value') }
    case 'lww.del':
      checkFields(raw, ['t', 'k'])
      return { t: 'lww.del', k: checkKey(raw.k, limits) }
    case 'set.add':
      checkFields(raw, ['t', 'k', 'e'])
      return { t: 'set.add', k: checkKey(raw.k, limits), e: checkValue(raw.e, limits, 'set element') }
    case 'set.rm': {
      checkFields(raw, ['t', 'k', 'e', 'tags'])
      const tags = raw.tags
      if (!Array.isArray(tags) || tags.length === 0) fail('set.rm needs a non-empty tags array')
      for (let i = 0; i < tags.length; i++) {
        const tag = tags[i]
        if (!(tag instanceof Uint8Array) || tag.length !== SET_TAG_BYTES)
          fail(`set.rm tag must be ${SET_TAG_BYTES} bytes`)
        if (i > 0 && Buffer.compare(tags[i - 1] as Uint8Array, tag) >= 0)
          fail('set.rm tags must be sorted and unique')
      }
      return {
        t: 'set.rm',
        k: checkKey(raw.k, limits),
        e: checkValue(raw.e, limits, 'set element'),
        tags: tags as Uint8Array[],
      }
    }
    case 'ctr.add': {
      checkFields(raw, ['t', 'k', 'n'])
      const n = raw.n
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || Math.abs(n) > MAX_COUNTER_STEP)
        fail('ctr.add n must be a safe integer')
      return { t: 'ctr.add', k: checkKey(raw.k, limits), n }
    }
    default:
      return fail('unknown op type', { t: typeof raw.t === 'string' ? raw.t.slice(0, 32) : typeof raw.t })
  }
}
