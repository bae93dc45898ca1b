/**
 * Merging into replicas: applies checked deltas and membership ops, holds what still waits for its
 * parents (bounded by `limits.pendingDeltas` per kind), and merges held items as soon as what they
 * wait for arrives — iteratively, so a long chain delivered children-first never deepens the stack.
 * A held item that turns out invalid is dropped together with everything waiting on it.
 */
import { isMeroError, PendingLimitReached } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { Delta } from '../dag/delta.ts'
import { PendingPool } from '../dag/pending-pool.ts'
import type { MembershipChangeEvent } from './context-events.ts'
import { type ContextReplica, contextWait, deltaWait, opWait } from './context-replica.ts'
import type { BatchOp, ContextSections } from './context-store.ts'
import type { MembershipOp } from './membership-op.ts'

type Retry = { kind: 'delta'; item: Delta } | { kind: 'op'; item: MembershipOp }

/** What one logical write accumulates: batch operations, events to emit once durable, items to retry. */
export interface MergeWork {
  ops: BatchOp[]
  applied: { replica: ContextReplica; delta: Delta }[]
  membership: MembershipChangeEvent[]
  retry: Retry[]
}

/** A fresh, empty {@link MergeWork}. */
export function newMergeWork(): MergeWork {
  return { ops: [], applied: [], membership: [], retry: [] }
}

/** What the merger needs from its owner. */
export interface ReplicaMergerDeps {
  sections: ContextSections
  pendingLimit: number
  logger: Logger
  /** The in-memory replica of a context (hex id), if loaded. */
  replicaOf(ctxHex: string): ContextReplica | undefined
  /** Called with the HLC of every applied delta. */
  observe(hlc: { wallMs: number; counter: number }): void
  /** Whether anyone will consume state / membership events. */
  wantsStateEvents(): boolean
  wantsMembershipEvents(): boolean
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))

/**
 * Applies and holds deltas and membership ops.
 *
 * @example
 * const work = newMergeWork()
 * merger.applyDelta(replica, delta, work)
 * merger.drain(work) // merges whatever became ready
 */
export class ReplicaMerger {
  readonly #d: ReplicaMergerDeps
  readonly #deltas: PendingPool<Delta>
  readonly #ops: PendingPool<MembershipOp>

  constructor(deps: ReplicaMergerDeps) {
    this.#d = deps
    this.#deltas = new PendingPool(deps.pendingLimit)
    this.#ops = new PendingPool(deps.pendingLimit)
  }

  /** Whether a delta (hex id) is held. */
  hasPendingDelta(idHex: string): boolean {
    return this.#deltas.has(idHex)
  }

  /** Whether a membership op (hex id) is held. */
  hasPendingOp(idHex: string): boolean {
    return this.#ops.has(idHex)
  }

  /** Holds a delta until `waits` arrive; throws `PendingLimitReached` when full. */
  holdDelta(d: Delta, waits: string[]): 'pending' {
    return this.#hold(this.#deltas, hex(d.id), d, waits)
  }

  /** Holds a membership op until `waits` arrive; throws `PendingLimitReached` when full. */
  holdOp(op: MembershipOp, waits: string[]): 'pending' {
    return this.#hold(this.#ops, hex(op.id), op, waits)
  }

  #hold<T>(pool: PendingPool<T>, id: string, item: T, waits: string[]): 'pending' {
    if (!pool.hold(id, item, waits))
      throw new PendingLimitReached(`${this.#d.pendingLimit} items are already pending`, {
        details: { limit: 'pendingDeltas' },
      })
    return 'pending'
  }

  /** Number of held deltas and ops. */
  pendingCount(): { deltas: number; membershipOps: number } {
    return { deltas: this.#deltas.size, membershipOps: this.#ops.size }
  }

  /** Hex ids that held items of a context wait for and that are not held themselves (what to fetch). */
  missing(ctxHex: string): { deltas: string[]; membershipOps: string[] } {
    const deltas = new Set<string>()
    const ops = new Set<string>()
    for (const w of [...this.#deltas.waits(), ...this.#ops.waits()]) {
      const [kind, c, id] = w.split(':')
      if (c !== ctxHex || id === undefined) continue
      if (kind === 'd' && !this.#deltas.has(id)) deltas.add(id)
      if (kind === 'm' && !this.#ops.has(id)) ops.add(id)
    }
    return { deltas: [...deltas].sort(), membershipOps: [...ops].sort() }
  }

  /** Applies a checked delta and queues the held items it releases. */
  applyDelta(r: ContextReplica, d: Delta, work: MergeWork): void {
    work.ops.push(...r.applyDelta(d, this.#d.sections).ops)
    this.#d.observe(d.hlc)
    if (this.#d.wantsStateEvents()) work.applied.push({ replica: r, delta: d })
    for (const { item } of this.#deltas.arrived(deltaWait(r.idHex, hex(d.id))))
      work.retry.push({ kind: 'delta', item })
  }

  /** Applies a checked membership op and queues the held items it releases. */
  applyOp(r: ContextReplica, op: MembershipOp, work: MergeWork): void {
    work.ops.push(...r.applyOp(op, this.#d.sections))
    if (this.#d.wantsMembershipEvents())
      work.membership.push({
        contextId: r.id,
        opId: op.id,
        kind: op.kind.type,
        membershipHeads: r.membership.heads().map(unhex),
        revision: r.membership.current.revision,
      })
    const waits = [opWait(r.idHex, hex(op.id))]
    if (op.kind.type === 'Create') waits.push(contextWait(r.idHex))
    for (const w of waits) {
      for (const { item } of this.#ops.arrived(w)) work.retry.push({ kind: 'op', item })
      for (const { item } of this.#deltas.arrived(w)) work.retry.push({ kind: 'delta', item })
    }
  }

  /** Merges everything that became ready (re-validating it); re-holds what still waits. */
  drain(work: MergeWork): void {
    while (work.retry.length > 0) {
      const next = work.retry.pop()!
      const ctxHex = hex(next.item.contextId)
      const idHex = hex(next.item.id)
      const r = this.#d.replicaOf(ctxHex)
      if (!r) continue
      try {
        if (next.kind === 'delta') {
          if (r.dag.has(idHex)) continue
          const waits = r.deltaWaits(next.item)
          if (waits.length > 0) {
            if (!this.#deltas.hold(idHex, next.item, waits)) this.#discard(deltaWait(ctxHex, idHex))
            continue
          }
          r.checkDelta(next.item)
          this.applyDelta(r, next.item, work)
        } else {
          if (r.membership.has(idHex)) continue
          const waits = r.opWaits(next.item)
          if (waits.length > 0) {
            if (!this.#ops.hold(idHex, next.item, waits)) this.#discard(opWait(ctxHex, idHex))
            continue
          }
          r.checkOp(next.item)
          this.applyOp(r, next.item, work)
        }
      } catch (e) {
        if (!isMeroError(e)) throw e
        this.#d.logger.debug(
          { err: e, id: idHex, kind: next.kind },
          'dropped a pending item that turned out invalid',
        )
        this.#discard(next.kind === 'delta' ? deltaWait(ctxHex, idHex) : opWait(ctxHex, idHex))
      }
    }
  }

  /** Drops every held item that (transitively) waits on `wait`, which will never arrive. */
  #discard(wait: string): void {
    const stack = [wait]
    while (stack.length > 0) {
      const w = stack.pop()!
      const ctxHex = w.split(':')[1]!
      for (const id of this.#deltas.discard(w)) stack.push(deltaWait(ctxHex, id))
      for (const id of this.#ops.discard(w)) stack.push(opWait(ctxHex, id))
    }
  }
}
