/**
 * The CRDT state of one context: one keyed space holding LWW registers (`r:<key>`), OR-sets
 * (`s:<key>`) and PN counters (`c:<key>`). Every op commutes with every other op of a different
 * delta, so applying the same set of deltas in any order yields the same materialised entries:
 * - registers keep the write with the greatest stamp `(hlc time, author, delta id, op index)`;
 *   deletes are tombstones in the same order;
 * - a set element is present while one of its add tags (`deltaId ‖ u32 op index`) is not removed; a
 *   remove that names a tag not (yet) added leaves a tombstone so the add stays removed whenever it lands;
 * - counters keep exact positive and negative sums (bigint).
 * `stateRoot` = RFC 6962 root over the materialised entries in key byte order, each leaf
 * `sha256(key) ‖ sha256(value)`; values are canonical CBOR (a register's value, a set's sorted
 * element array, a counter's integer).
 */
import { compareBytes, concatBytes, u32be } from '../core/bytes.ts'
import { sha256 } from '../core/hash.ts'
import { leafHash } from '../core/merkle.ts'
import { decodeCanonical, encodeCanonical } from '../dag/canonical-cbor.ts'
import type { CrdtOp, CrdtOpIntent, CrdtValue } from './crdt-op.ts'
import { byteOrderKey, SortedMerkleRoot } from './sorted-merkle-root.ts'

/** Who wrote an op and when: the facts of its delta that the CRDTs order by. */
export interface OpOrigin {
  deltaId: Uint8Array
  author: Uint8Array
  wallMs: number
  counter: number
}

/** A materialised entry: key and value bytes as they enter the state root. */
export interface StateEntry {
  key: Uint8Array
  value: Uint8Array
}

interface Stamp {
  w: number
  c: number
  a: Uint8Array
  d: Uint8Array
  i: number
}
interface RegisterRecord {
  t: 'r'
  s: Stamp
  /** Absent = deleted (tombstone). */
  v?: CrdtValue
}
interface SetElement {
  e: CrdtValue
  eb: Uint8Array
  tags: Set<string>
}
interface SetRecord {
  t: 's'
  /** element encoding (hex) → element and its live add tags (hex). */
  adds: Map<string, SetElement>
  /** Removed tags that were not present when the remove was applied. */
  gone: Set<string>
}
interface CounterRecord {
  t: 'c'
  p: bigint
  n: bigint
}
type KeyRecord = RegisterRecord | SetRecord | CounterRecord

const PREFIX = { 'lww.set': 'r:', 'lww.del': 'r:', 'set.add': 's:', 'set.rm': 's:', 'ctr.add': 'c:' } as const
const CBOR_INT_MIN = -(2n ** 64n)
const CBOR_INT_MAX = 2n ** 64n - 1n

function compareStamp(a: Stamp, b: Stamp): number {
  if (a.w !== b.w) return a.w < b.w ? -1 : 1
  if (a.c !== b.c) return a.c < b.c ? -1 : 1
  return compareBytes(a.a, b.a) || compareBytes(a.d, b.d) || a.i - b.i
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))

/** The state key an op touches (`r:`/`s:`/`c:` + the op's key). */
export function stateKeyOf(op: Pick<CrdtOp, 't' | 'k'>): string {
  return PREFIX[op.t] + op.k
}

/**
 * Materialised, incrementally maintained CRDT state with a cached state root.
 *
 * @example
 * const state = new CrdtState()
 * const changed = state.apply(origin, [{ t: 'lww.set', k: 'a', v: 1 }])
 * const root = state.root()
 */
export class CrdtState {
  readonly #records = new Map<string, KeyRecord>()
  /** state key → materialised value bytes (only for present entries). */
  readonly #values = new Map<string, Uint8Array>()
  readonly #tree = new SortedMerkleRoot()

  /** Rebuilds a state from persisted records (`[stateKey, encodeRecord(...)]`). */
  static fromRecords(records: Iterable<[string, Uint8Array]>): CrdtState {
    const s = new CrdtState()
    for (const [key, bytes] of records) {
      s.#records.set(key, decodeRecord(bytes))
      s.#materialise(key)
    }
    return s
  }

  /** Number of materialised entries. */
  get size(): number {
    return this.#tree.size
  }

  /**
   * Applies the ops of one delta; returns the state keys whose record changed (persist them with
   * {@link CrdtState.encodeRecord}). Ops must already be validated ({@link parseCrdtOp}).
   */
  apply(origin: OpOrigin, ops: readonly CrdtOp[]): Set<string> {
    const changed = new Set<string>()
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!
      const key = stateKeyOf(op)
      if (this.#applyOne(key, origin, op, i)) {
        changed.add(key)
      }
    }
    for (const key of changed) this.#materialise(key)
    return changed
  }

  #applyOne(key: string, o: OpOrigin, op: CrdtOp, index: number): boolean {
    const rec = this.#records.get(key)
    switch (op.t) {
      case 'lww.set':
      case 'lww.del': {
        const s: Stamp = { w: o.wallMs, c: o.counter, a: o.author, d: o.deltaId, i: index }
        if (rec && rec.t === 'r' && compareStamp(rec.s, s) >= 0) return false
        this.#records.set(key, op.t === 'lww.set' ? { t: 'r', s, v: op.v } : { t: 'r', s })
        return true
      }
      case 'set.add': {
        const r = (rec as SetRecord | undefined) ?? { t: 's', adds: new Map(), gone: new Set() }
        const tag = hex(concatBytes(o.deltaId, u32be(index)))
        if (r.gone.has(tag)) {
          r.gone.delete(tag) // the add can land only once (delta ids are unique): the tombstone is spent
        } else {
          const eb = encodeCanonical(op.e)
          const ek = hex(eb)
          let el = r.adds.get(ek)
          if (!el) {
            el = { e: op.e, eb, tags: new Set() }
            r.adds.set(ek, el)
          }
          el.tags.add(tag)
        }
        this.#records.set(key, r)
        return true
      }
      case 'set.rm': {
        const r = (rec as SetRecord | undefined) ?? { t: 's', adds: new Map(), gone: new Set() }
        const ek = hex(encodeCanonical(op.e))
        const el = r.adds.get(ek)
        for (const t of op.tags) {
          const tag = hex(t)
          if (el?.tags.delete(tag)) continue
          // Not added yet (or added under another element): remember it so the add stays removed.
          if (!this.#removeTagElsewhere(r, tag)) r.gone.add(tag)
        }
        if (el && el.tags.size === 0) r.adds.delete(ek)
        this.#records.set(key, r)
        return true
      }
      case 'ctr.add': {
        const r = (rec as CounterRecord | undefined) ?? { t: 'c', p: 0n, n: 0n }
        if (op.n >= 0) r.p += BigInt(op.n)
        else r.n += BigInt(-op.n)
        this.#records.set(key, r)
        return true
      }
    }
  }

  /** A tag names one add op; if a remove names it under the wrong element, it still removes that add. */
  #removeTagElsewhere(r: SetRecord, tag: string): boolean {
    for (const [ek, el] of r.adds) {
      if (el.tags.delete(tag)) {
        if (el.tags.size === 0) r.adds.delete(ek)
        return true
      }
    }
    return false
  }

  #materialise(key: string): void {
    const rec = this.#records.get(key)
    const value = rec ? materialValue(rec) : undefined
    const sortKey = byteOrderKey(key)
    if (value === undefined) {
      this.#values.delete(key)
      this.#tree.delete(sortKey)
      return
    }
    this.#values.set(key, value)
    const leaf = concatBytes(sha256(Buffer.from(key, 'utf8')), sha256(value))
    this.#tree.set(sortKey, leafHash(leaf))
  }

  /** The persisted form of a key's record (`undefined` when the key holds nothing). */
  encodeRecord(key: string): Uint8Array | undefined {
    const rec = this.#records.get(key)
    return rec ? encodeRecord(rec) : undefined
  }

  /** RFC 6962 root over the materialised entries (cached; recomputed lazily and incrementally). */
  root(): Uint8Array {
    return this.#tree.root()
  }

  /** The materialised entries in key byte order (what {@link CrdtState.root} commits to). */
  entries(): StateEntry[] {
    return this.#tree.keys().map((sk) => {
      const key = Buffer.from(sk, 'latin1').toString('utf8')
      return { key: new Uint8Array(Buffer.from(key, 'utf8')), value: this.#values.get(key)! }
    })
  }

  /** Value of register `k`, or `undefined` when unset or deleted. */
  readRegister(k: string): CrdtValue | undefined {
    const rec = this.#records.get(`r:${k}`)
    return rec?.t === 'r' ? rec.v : undefined
  }

  /** Live registers in key byte order. */
  registers(): { key: string; value: CrdtValue }[] {
    const out: { key: string; value: CrdtValue }[] = []
    for (const sk of this.#tree.keys()) {
      if (!sk.startsWith('r:')) continue
      const key = Buffer.from(sk, 'latin1').toString('utf8')
      const rec = this.#records.get(key) as RegisterRecord
      out.push({ key: key.slice(2), value: rec.v as CrdtValue })
    }
    return out
  }

  /** Elements of set `k`, sorted by their canonical encoding. */
  readSet(k: string): CrdtValue[] {
    const rec = this.#records.get(`s:${k}`)
    if (rec?.t !== 's') return []
    return sortedElements(rec).map((el) => el.e)
  }

  /** Value of counter `k` (0 when never touched). */
  readCounter(k: string): bigint {
    const rec = this.#records.get(`c:${k}`)
    return rec?.t === 'c' ? rec.p - rec.n : 0n
  }

  /** The live add tags of element `e` in set `k` (what a remove must name), sorted. */
  observedTags(k: string, e: CrdtValue): Uint8Array[] {
    const rec = this.#records.get(`s:${k}`)
    if (rec?.t !== 's') return []
    const el = rec.adds.get(hex(encodeCanonical(e)))
    return el ? [...el.tags].sort().map(unhex) : []
  }

  /**
   * Turns app intents into ops: a set remove gets the tags observed now; a remove of an absent
   * element is dropped (it would change nothing).
   */
  prepare(intents: readonly CrdtOpIntent[]): CrdtOp[] {
    const out: CrdtOp[] = []
    for (const op of intents) {
      if (op.t !== 'set.rm') {
        out.push(op)
        continue
      }
      const tags = op.tags ?? this.observedTags(op.k, op.e)
      if (tags.length > 0) out.push({ t: 'set.rm', k: op.k, e: op.e, tags })
    }
    return out
  }
}

function sortedElements(rec: SetRecord): SetElement[] {
  return [...rec.adds.values()].sort((a, b) => compareBytes(a.eb, b.eb))
}

function materialValue(rec: KeyRecord): Uint8Array | undefined {
  switch (rec.t) {
    case 'r':
      return Object.hasOwn(rec, 'v') ? encodeCanonical(rec.v) : undefined
    case 's':
      return rec.adds.size === 0 ? undefined : encodeCanonical(sortedElements(rec).map((el) => el.e))
    case 'c': {
      const v = rec.p - rec.n
      // A CBOR integer while it fits one (±2^64); beyond that (never in practice) its decimal text.
      return encodeCanonical(v >= CBOR_INT_MIN && v <= CBOR_INT_MAX ? v : v.toString())
    }
  }
}

function encodeRecord(rec: KeyRecord): Uint8Array {
  switch (rec.t) {
    case 'r': {
      const s = [rec.s.w, rec.s.c, rec.s.a, rec.s.d, rec.s.i]
      return encodeCanonical(Object.hasOwn(rec, 'v') ? { t: 'r', s, v: rec.v } : { t: 'r', s })
    }
    case 's':
      return encodeCanonical({
        t: 's',
        e: sortedElements(rec).map((el) => [el.e, [...el.tags].sort().map(unhex)]),
        x: [...rec.gone].sort().map(unhex),
      })
    case 'c':
      return encodeCanonical({ t: 'c', p: rec.p.toString(), n: rec.n.toString() })
  }
}

function decodeRecord(bytes: Uint8Array): KeyRecord {
  const o = decodeCanonical(bytes, 'state record') as Record<string, unknown>
  switch (o.t) {
    case 'r': {
      const [w, c, a, d, i] = o.s as [number, number, Uint8Array, Uint8Array, number]
      const rec: RegisterRecord = { t: 'r', s: { w, c, a, d, i } }
      if (Object.hasOwn(o, 'v')) rec.v = o.v as CrdtValue
      return rec
    }
    case 's': {
      const adds = new Map<string, SetElement>()
      for (const [e, tags] of o.e as [CrdtValue, Uint8Array[]][]) {
        const eb = encodeCanonical(e)
        adds.set(hex(eb), { e, eb, tags: new Set(tags.map(hex)) })
      }
      return { t: 's', adds, gone: new Set((o.x as Uint8Array[]).map(hex)) }
    }
    case 'c':
      return { t: 'c', p: BigInt(o.p as string), n: BigInt(o.n as string) }
    default:
      throw new Error(`corrupt state record type ${String(o.t)}`)
  }
}
