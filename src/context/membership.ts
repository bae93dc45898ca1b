/**
 * The membership log of one context: a causal DAG of signed ops and the member set it implies.
 *
 * Rule (DESIGN §4, docs/membership.md): an op is admitted iff its signature verifies, its parents are
 * known and its signer holds the needed authority — and has not used its nonce — in the state computed
 * from the op's causal past (`BindWallet` needs no capability: its signer must be the identity it binds
 * and a member; the caller checks its wallet proof before {@link MembershipLog.check}). The state at a
 * set of heads = the ops in the heads' causal past applied in a deterministic topological order
 * (Kahn's algorithm, ready ops taken by ascending op id), each op re-checked against the state built so
 * far and skipped (no effect) when its signer lost the authority or its nonce was used earlier in that
 * order (`membership-state.ts`). The restriction of that order to any causally closed subset is the
 * subset's own order, so the state at given heads is the same on every node whatever else it knows.
 *
 * Cost: an op that extends every head is applied on top of the current state; any other op is inserted
 * where the order puts it (an op never has children when it arrives, so the rest of the order keeps its
 * sequence) and the ops from the last checkpoint before it are re-applied (checkpoints every
 * {@link CHECKPOINT_EVERY} ops).
 */
import { compareBytes } from '../core/bytes.ts'
import { InvalidOp, MissingCapability, NotAMember } from '../core/errors.ts'
import type { MembershipOp } from './membership-op.ts'
import {
  applyMembershipOp,
  authorityRefusal,
  cloneMembershipState,
  EMPTY_MEMBERSHIP_STATE,
  type MembershipState,
  type MutableMembershipState,
  type OpEntry,
  opEntry,
  requiredCapability,
} from './membership-state.ts'

export { type MembershipState, requiredCapability } from './membership-state.ts'

/** Ops between two checkpoints of the state along the order. */
export const CHECKPOINT_EVERY = 64
const CACHE_MAX = 256
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/**
 * One context's membership DAG with its current state and a cache of states at past heads.
 *
 * @example
 * const log = new MembershipLog(contextId)
 * log.check(genesis); log.add(genesis)
 * log.current.members
 */
export class MembershipLog {
  readonly contextId: Uint8Array
  readonly #entries = new Map<string, OpEntry>()
  /** Deterministic topological order of all ops (hex ids). */
  readonly #order: string[] = []
  /** `#checkpoints[k]` = the state before `#order[k * CHECKPOINT_EVERY]`. */
  readonly #checkpoints: MembershipState[] = [EMPTY_MEMBERSHIP_STATE]
  readonly #heads = new Set<string>()
  #current: MembershipState = EMPTY_MEMBERSHIP_STATE
  readonly #cache = new Map<string, { state: MembershipState; past: Set<string> }>()
  readonly #maxNonce = new Map<string, number>()
  /** nonce key → ids of the ops using it (more than one only for concurrent ops). */
  readonly #byNonce = new Map<string, string[]>()

  constructor(contextId: Uint8Array) {
    this.contextId = contextId
  }

  /** Number of ops in the DAG (admitted, effective or not). */
  get size(): number {
    return this.#entries.size
  }

  /** The state at all known heads. */
  get current(): MembershipState {
    return this.#current
  }

  /** Current heads, sorted (hex). */
  heads(): string[] {
    return [...this.#heads].sort()
  }

  /** True when the op with this hex id is in the DAG. */
  has(idHex: string): boolean {
    return this.#entries.has(idHex)
  }

  /** The op with this hex id. */
  get(idHex: string): MembershipOp | undefined {
    return this.#entries.get(idHex)?.op
  }

  /** All ops in the deterministic order. */
  ops(): MembershipOp[] {
    return this.#order.map((id) => this.#entries.get(id)!.op)
  }

  /**
   * The next unused nonce for a signer (one more than the largest it has used). Throws `InvalidOp`
   * when that would exceed `Number.MAX_SAFE_INTEGER` (no op could carry it).
   */
  nextNonce(signer: Uint8Array): number {
    const n = this.#maxNonce.get(hex(signer))
    const next = n === undefined ? 1 : n + 1
    if (!Number.isSafeInteger(next))
      throw new InvalidOp('the signer has used the largest nonce', { details: { nonce: n } })
    return next
  }

  /** Parent ids (hex) of `op` that are not in the DAG. */
  missingParents(op: MembershipOp): string[] {
    return op.parents.map(hex).filter((p) => !this.#entries.has(p))
  }

  /**
   * The state at `headsHex` (all known) and the causal past of those heads. Cached; a state at given
   * heads never changes.
   */
  stateAt(headsHex: readonly string[]): { state: MembershipState; past: ReadonlySet<string> } {
    const key = [...headsHex].sort().join(',')
    const hit = this.#cache.get(key)
    if (hit) {
      this.#cache.delete(key)
      this.#cache.set(key, hit)
      return hit
    }
    const past = new Set<string>()
    const stack = [...headsHex]
    while (stack.length > 0) {
      const id = stack.pop()!
      if (past.has(id)) continue
      const e = this.#entries.get(id)
      if (!e) throw new Error(`membership op ${id} is not known`)
      past.add(id)
      for (const p of e.parents) stack.push(p)
    }
    // The order's longest prefix inside the past is shared with the full order: start at its checkpoint.
    let prefix = 0
    while (prefix < this.#order.length && past.has(this.#order[prefix]!)) prefix++
    const k = this.#checkpointAtOrBefore(prefix)
    const s = cloneMembershipState(this.#checkpoints[k]!)
    let left = past.size - k * CHECKPOINT_EVERY
    for (let i = k * CHECKPOINT_EVERY; i < this.#order.length && left > 0; i++) {
      const id = this.#order[i]!
      if (!past.has(id)) continue
      left--
      const e = this.#entries.get(id)!
      applyMembershipOp(s, e, this.#nonceUsedBefore(e, i, past))
    }
    const entry = { state: s as MembershipState, past }
    this.#cache.set(key, entry)
    if (this.#cache.size > CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value as string)
    return entry
  }

  /**
   * Checks authority of `op` in its causal past (parents must be known, signature already verified,
   * a BindWallet's wallet proof already checked). Throws `InvalidOp` (wrong context, nonce not a safe
   * integer ≥ 0, second Create, nonce reuse, BindWallet not signed by its identity), `NotAMember`
   * (BindWallet by a non-member) or `MissingCapability`.
   */
  check(op: MembershipOp): void {
    if (compareBytes(op.contextId, this.contextId) !== 0) throw new InvalidOp('op belongs to another context')
    if (!Number.isSafeInteger(op.nonce) || op.nonce < 0)
      throw new InvalidOp('nonce must be a safe integer ≥ 0', { details: { nonce: op.nonce } })
    if (op.kind.type === 'Create') {
      if (this.#entries.size > 0) throw new InvalidOp('the context already has its Create op')
      if (compareBytes(op.signerId, this.contextId) !== 0)
        throw new InvalidOp('Create must be signed by the context key')
      return
    }
    if (op.kind.type === 'BindWallet' && compareBytes(op.kind.identity, op.signerId) !== 0)
      throw new InvalidOp('BindWallet must be signed by the identity it binds')
    const e = opEntry(op)
    const sameNonce = this.#byNonce.get(e.nonceKey) ?? []
    let refused: string | undefined
    if (this.#extendsAll(e.parents)) {
      // The usual case: the op's causal past is everything known, whose state is the current one.
      refused = authorityRefusal(this.#current, op, sameNonce.length > 0)
    } else {
      const { state, past } = this.stateAt(e.parents)
      refused = authorityRefusal(
        state,
        op,
        sameNonce.some((id) => past.has(id)),
      )
    }
    if (!refused) return
    if (refused.startsWith('nonce')) throw new InvalidOp(refused, { details: { nonce: op.nonce } })
    const need = requiredCapability(op.kind.type)
    if (need === undefined)
      throw new NotAMember(`${refused}: ${op.kind.type} needs a member`, {
        details: { member: e.signer, kind: op.kind.type },
      })
    throw new MissingCapability(`${refused}: ${op.kind.type} needs ${need}`, {
      details: { capability: need, kind: op.kind.type },
    })
  }

  /** Adds an op that passed {@link MembershipLog.check}; updates order, heads and current state. */
  add(op: MembershipOp): void {
    const e = opEntry(op)
    if (this.#entries.has(e.id)) return
    const extendsAll = this.#extendsAll(e.parents)
    const pos = extendsAll ? this.#order.length : this.#insertionPoint(e)
    this.#entries.set(e.id, e)
    const sameNonce = this.#byNonce.get(e.nonceKey)
    if (sameNonce) sameNonce.push(e.id)
    else this.#byNonce.set(e.nonceKey, [e.id])
    for (const p of e.parents) this.#heads.delete(p)
    this.#heads.add(e.id)
    this.#maxNonce.set(e.signer, Math.max(this.#maxNonce.get(e.signer) ?? 0, op.nonce))
    if (extendsAll) {
      // Descends from every known op: last in the order, applied on top (states handed out never change).
      if (pos % CHECKPOINT_EVERY === 0) this.#checkpoints[pos / CHECKPOINT_EVERY] = this.#current
      this.#order.push(e.id)
      const s = cloneMembershipState(this.#current)
      applyMembershipOp(s, e, sameNonce !== undefined)
      this.#current = s
      return
    }
    this.#order.splice(pos, 0, e.id)
    const k = this.#checkpointAtOrBefore(pos)
    this.#checkpoints.length = k + 1 // later checkpoints lie after the insertion
    let s: MutableMembershipState = cloneMembershipState(this.#checkpoints[k]!)
    for (let i = k * CHECKPOINT_EVERY; i < this.#order.length; i++) {
      if (i % CHECKPOINT_EVERY === 0 && i > k * CHECKPOINT_EVERY) {
        this.#checkpoints[i / CHECKPOINT_EVERY] = s
        s = cloneMembershipState(s)
      }
      const next = this.#entries.get(this.#order[i]!)!
      applyMembershipOp(s, next, this.#nonceUsedBefore(next, i))
    }
    this.#current = s
  }

  /** The last checkpoint taken at or before position `pos` (one exists for every position < size). */
  #checkpointAtOrBefore(pos: number): number {
    return Math.min(Math.floor(pos / CHECKPOINT_EVERY), this.#checkpoints.length - 1)
  }

  #extendsAll(parents: readonly string[]): boolean {
    return parents.length === this.#heads.size && parents.every((p) => this.#heads.has(p))
  }

  /**
   * Where Kahn's order (smallest ready id first) puts a new op without children: it becomes ready
   * after its last parent, and is taken at the first step whose op has a larger id.
   */
  #insertionPoint(e: OpEntry): number {
    const parents = new Set(e.parents)
    let last = this.#order.length - 1
    while (last >= 0 && !parents.has(this.#order[last]!)) last--
    let pos = last + 1 // just after the last parent
    while (pos < this.#order.length && this.#order[pos]! < e.id) pos++
    return pos
  }

  /** Whether an op at position `i` of the order (among `within`, default all) reuses an earlier op's nonce. */
  #nonceUsedBefore(e: OpEntry, i: number, within?: ReadonlySet<string>): boolean {
    const same = this.#byNonce.get(e.nonceKey)!
    if (same.length === 1) return false // the usual case
    return same.some((id) => id !== e.id && (!within || within.has(id)) && this.#order.indexOf(id) < i)
  }
}
