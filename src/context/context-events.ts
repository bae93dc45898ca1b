/**
 * Context events: `StateMutation` for every applied delta and `MembershipChange` for every applied
 * membership op, emitted once the write is durable.
 */
import type { Logger } from '../core/logger.ts'
import type { CrdtOp, CrdtValue } from '../crdt/crdt-op.ts'
import type { Delta } from '../dag/delta.ts'
import type { ContextReplica } from './context-replica.ts'
import type { MembershipKind } from './membership-op.ts'

/** One CRDT op of a delta as events show it (set-remove tags left out). */
export interface StateChange {
  t: CrdtOp['t']
  k: string
  v?: CrdtValue
  e?: CrdtValue
  n?: number
}

/**
 * Emitted for every applied delta, once it is durable. `newRoot` and `heads` are the context's state
 * when a listener first reads them (read them synchronously): it includes this delta and, under
 * concurrent writes, possibly later ones. They are computed lazily — a root costs O(keys) hashes
 * after random inserts, and most listeners (metrics, the attester) never read it — and a burst of
 * events shares one root.
 */
export interface StateMutationEvent {
  contextId: Uint8Array
  newRoot: Uint8Array
  heads: Uint8Array[]
  deltaId: Uint8Array
  author: Uint8Array
  /** The delta's CRDT ops. */
  events: StateChange[]
}

/** Emitted for every applied membership op, once it is durable. */
export interface MembershipChangeEvent {
  contextId: Uint8Array
  opId: Uint8Array
  kind: MembershipKind['type']
  membershipHeads: Uint8Array[]
  revision: number
}

const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))

/** The events view of a delta's ops. */
export function stateChangesOf(ops: readonly CrdtOp[]): StateChange[] {
  return ops.map(({ t, k, ...rest }) => {
    const change: StateChange = { t, k }
    if ('v' in rest) change.v = rest.v
    if ('e' in rest) change.e = rest.e
    if ('n' in rest) change.n = rest.n
    return change
  })
}

/**
 * The `StateMutation` event of an applied delta, with lazily computed `newRoot` and `heads`.
 *
 * @example
 * events.emitState(stateMutationEvent(replica, delta))
 */
export function stateMutationEvent(r: ContextReplica, d: Delta): StateMutationEvent {
  let root: Uint8Array | undefined
  let heads: Uint8Array[] | undefined
  return {
    contextId: r.id,
    get newRoot() {
      root ??= r.crdt.root()
      return root
    },
    get heads() {
      heads ??= r.dag.heads().map(unhex)
      return heads
    },
    deltaId: d.id,
    author: d.author,
    events: stateChangesOf(d.ops),
  }
}

/**
 * Listener sets for both event kinds; a throwing listener is logged and never breaks the others.
 *
 * @example
 * const events = new ContextEvents(logger)
 * const off = events.onState((e) => console.log(e.deltaId))
 */
export class ContextEvents {
  readonly #state = new Set<(e: StateMutationEvent) => void>()
  readonly #membership = new Set<(e: MembershipChangeEvent) => void>()
  readonly #log: Logger

  constructor(logger: Logger) {
    this.#log = logger
  }

  /** Whether anyone listens to state mutations (events are not even built otherwise). */
  get hasStateListeners(): boolean {
    return this.#state.size > 0
  }

  /** Whether anyone listens to membership changes. */
  get hasMembershipListeners(): boolean {
    return this.#membership.size > 0
  }

  /** Subscribes to state mutations; returns the unsubscribe function. */
  onState(listener: (e: StateMutationEvent) => void): () => void {
    this.#state.add(listener)
    return () => this.#state.delete(listener)
  }

  /** Subscribes to membership changes; returns the unsubscribe function. */
  onMembership(listener: (e: MembershipChangeEvent) => void): () => void {
    this.#membership.add(listener)
    return () => this.#membership.delete(listener)
  }

  /** Calls every state listener. */
  emitState(e: StateMutationEvent): void {
    this.#emit(this.#state, e)
  }

  /** Calls every membership listener. */
  emitMembership(e: MembershipChangeEvent): void {
    this.#emit(this.#membership, e)
  }

  #emit<E>(listeners: Set<(e: E) => void>, e: E): void {
    for (const l of listeners) {
      try {
        l(e)
      } catch (err) {
        this.#log.warn({ err }, 'a context event listener threw')
      }
    }
  }
}
