/**
 * One context held in memory: its membership log, delta DAG index and materialised CRDT state,
 * with the validation that runs before anything merges and the batch operations that persist a change.
 * Everything here is synchronous; the manager awaits the writes.
 */
import { compareBytes } from '../core/bytes.ts'
import { InvalidDelta, NotAMember } from '../core/errors.ts'
import { CrdtState } from '../crdt/crdt-state.ts'
import { compareHlcTime } from '../crdt/hlc.ts'
import { type Delta, decodeDelta } from '../dag/delta.ts'
import { DeltaDag } from '../dag/delta-dag.ts'
import {
  type BatchOp,
  type ContextSections,
  decodeContextMeta,
  encodeContextMeta,
  readContextEntries,
  seqEntryKey,
  stateEntryKey,
} from './context-store.ts'
import { MembershipLog } from './membership.ts'
import { decodeMembershipOp, type MembershipOp } from './membership-op.ts'

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))
const NO_LIMITS = {
  deltaBytes: Number.MAX_SAFE_INTEGER,
  opsPerDelta: Number.MAX_SAFE_INTEGER,
  keyBytes: Number.MAX_SAFE_INTEGER,
  valueBytes: Number.MAX_SAFE_INTEGER,
}

/** Wait key for a delta of a context. */
export const deltaWait = (ctxHex: string, idHex: string) => `d:${ctxHex}:${idHex}`
/** Wait key for a membership op of a context. */
export const opWait = (ctxHex: string, idHex: string) => `m:${ctxHex}:${idHex}`
/** Wait key for a context's genesis. */
export const contextWait = (ctxHex: string) => `c:${ctxHex}`

/**
 * A context's in-memory replica.
 *
 * @example
 * const r = ContextReplica.empty(contextId)
 * r.checkOp(genesis); const ops = r.applyOp(genesis, sections)
 */
export class ContextReplica {
  readonly id: Uint8Array
  readonly idHex: string
  readonly membership: MembershipLog
  readonly dag = new DeltaDag()
  crdt = new CrdtState()

  private constructor(id: Uint8Array) {
    this.id = id
    this.idHex = hex(id)
    this.membership = new MembershipLog(id)
  }

  /** A context this node has not stored yet. */
  static empty(id: Uint8Array): ContextReplica {
    return new ContextReplica(id)
  }

  /** Loads a stored context (trusting what this node validated before it stored it). */
  static async load(id: Uint8Array, s: ContextSections): Promise<ContextReplica> {
    const r = new ContextReplica(id)
    for await (const [, bytes] of readContextEntries(s.mop, r.idHex))
      r.membership.add(decodeMembershipOp(bytes))
    let seq = 0
    for await (const [, bytes] of readContextEntries(s.dlt, r.idHex)) {
      const d = decodeDelta(bytes, NO_LIMITS)
      r.dag.add(hex(d.id), d.parents.map(hex), {
        seq: seq++,
        wallMs: d.hlc.wallMs,
        counter: d.hlc.counter,
        membershipHeads: d.membershipHeads.map(hex).join(','),
      })
    }
    const metaBytes = await s.ctx.get(r.idHex)
    if (metaBytes) r.dag.setHeads(decodeContextMeta(metaBytes).heads.map(hex))
    const records: [string, Uint8Array][] = []
    for await (const entry of readContextEntries(s.st, r.idHex)) records.push(entry)
    r.crdt = CrdtState.fromRecords(records)
    return r
  }

  /** What `delta` still waits for (unknown parents or membership heads), as wait keys. */
  deltaWaits(d: Delta): string[] {
    const waits: string[] = []
    for (const p of d.parents) {
      const h = hex(p)
      if (!this.dag.has(h)) waits.push(deltaWait(this.idHex, h))
    }
    for (const m of d.membershipHeads) {
      const h = hex(m)
      if (!this.membership.has(h)) waits.push(opWait(this.idHex, h))
    }
    return waits
  }

  /**
   * Checks a delta whose parents and membership heads are known (signature already verified):
   * the author is a member at its membership heads, those heads are not older than any parent's,
   * and its HLC exceeds every parent's. Throws `NotAMember` / `InvalidDelta`.
   */
  checkDelta(d: Delta): void {
    if (compareBytes(d.contextId, this.id) !== 0) throw new InvalidDelta('delta belongs to another context')
    const mh = d.membershipHeads.map(hex)
    const mhKey = mh.join(',')
    const { state, past } = this.membership.stateAt(mh)
    if (!state.members.has(hex(d.author)))
      throw new NotAMember('delta author is not a member at its membership heads', {
        details: { author: hex(d.author) },
      })
    for (const p of d.parents) {
      const meta = this.dag.get(hex(p))!
      if (compareHlcTime(d.hlc, meta) <= 0)
        throw new InvalidDelta('delta hlc must exceed the hlc of each parent')
      if (meta.membershipHeads !== mhKey) {
        for (const h of meta.membershipHeads.split(','))
          if (!past.has(h)) throw new InvalidDelta('delta membership heads are older than those of a parent')
      }
    }
  }

  /** Applies a checked delta; returns the batch operations that persist it and the changed state keys. */
  applyDelta(d: Delta, s: ContextSections): { ops: BatchOp[]; changed: Set<string> } {
    const idHex = hex(d.id)
    const seq = this.dag.size
    const changed = this.crdt.apply(
      { deltaId: d.id, author: d.author, wallMs: d.hlc.wallMs, counter: d.hlc.counter },
      d.ops,
    )
    this.dag.add(idHex, d.parents.map(hex), {
      seq,
      wallMs: d.hlc.wallMs,
      counter: d.hlc.counter,
      membershipHeads: d.membershipHeads.map(hex).join(','),
    })
    const ops: BatchOp[] = [
      { type: 'put', sublevel: s.dlt, key: seqEntryKey(this.idHex, seq), value: d.bytes },
    ]
    for (const key of changed) {
      const rec = this.crdt.encodeRecord(key)
      const k = stateEntryKey(this.idHex, key)
      ops.push(
        rec ? { type: 'put', sublevel: s.st, key: k, value: rec } : { type: 'del', sublevel: s.st, key: k },
      )
    }
    ops.push(this.metaOp(s))
    return { ops, changed }
  }

  /** Membership parents the op still waits for, as wait keys. */
  opWaits(op: MembershipOp): string[] {
    return this.membership.missingParents(op).map((p) => opWait(this.idHex, p))
  }

  /** Checks a membership op whose parents are known (signature already verified). */
  checkOp(op: MembershipOp): void {
    this.membership.check(op)
  }

  /** Applies a checked membership op; returns the batch operations that persist it. */
  applyOp(op: MembershipOp, s: ContextSections): BatchOp[] {
    const seq = this.membership.size
    this.membership.add(op)
    return [
      { type: 'put', sublevel: s.mop, key: seqEntryKey(this.idHex, seq), value: op.bytes },
      this.metaOp(s),
    ]
  }

  /** The `ctx` record write for the current heads and counters. */
  metaOp(s: ContextSections): BatchOp {
    const value = encodeContextMeta({
      heads: this.dag.heads().map(unhex),
      deltas: this.dag.size,
      ops: this.membership.size,
    })
    return { type: 'put', sublevel: s.ctx, key: this.idHex, value }
  }
}
