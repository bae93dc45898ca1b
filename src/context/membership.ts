/**
 * The membership log of one context: a causal DAG of signed ops and the member set it implies.
 *
 * Rule (DESIGN §4): an op is admitted iff its signature verifies, its parents are known and its
 * signer holds the needed capability — and has not used its nonce — in the state computed from the
 * op's causal past. The member set at a set of heads = the ops in the heads' causal past applied in
 * a deterministic topological order (Kahn's algorithm, ready ops taken by ascending op id), each op
 * re-checked against the state built so far and skipped (no effect) when its signer lost the authority
 * or its nonce was already used earlier in that order. The restriction of that order to any
 * causally closed subset is the subset's own order, so the state at given heads is the same on every
 * node whatever else it knows. `revision` counts the ops that took effect.
 */
import { compareBytes } from '../core/bytes.ts'
import { InvalidOp, MissingCapability } from '../core/errors.ts'
import { ALL_CAPABILITY_BITS, CAPABILITY_BITS, type Capability } from './capabilities.ts'
import type { MembershipOp } from './membership-op.ts'

/** The member set and application at some heads. */
export interface MembershipState {
  /** member public key (hex) → capability bits. */
  readonly members: ReadonlyMap<string, number>
  readonly application: string
  /** Number of ops that took effect. */
  readonly revision: number
  /** `signerHex:nonce` of every op in the causal past, effective or not. */
  readonly nonces: ReadonlySet<string>
}

interface MutableState {
  members: Map<string, number>
  application: string
  revision: number
  nonces: Set<string>
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const EMPTY: MembershipState = Object.freeze({
  members: new Map<string, number>(),
  application: '',
  revision: 0,
  nonces: new Set<string>(),
})
const CACHE_MAX = 256

/** The capability an op kind needs (`undefined` for the genesis `Create`). */
export function requiredCapability(kind: MembershipOp['kind']['type']): Capability | undefined {
  switch (kind) {
    case 'Create':
      return undefined
    case 'UpdateApplication':
      return 'ManageApplication'
    default:
      return 'ManageMembers'
  }
}

function clone(s: MembershipState): MutableState {
  return {
    members: new Map(s.members),
    application: s.application,
    revision: s.revision,
    nonces: new Set(s.nonces),
  }
}

/** Whether `op` may take effect on top of `s` (authority and nonce), and why not. */
function authority(s: MembershipState, op: MembershipOp): string | undefined {
  const signer = hex(op.signerId)
  if (s.nonces.has(`${signer}:${op.nonce}`)) return 'nonce already used by this signer'
  const need = requiredCapability(op.kind.type)
  if (need === undefined)
    return s.revision === 0 && s.nonces.size === 0 ? undefined : 'Create must be the first op'
  const bits = s.members.get(signer)
  if (bits === undefined) return 'signer is not a member'
  if ((bits & CAPABILITY_BITS[need]) === 0) return `signer lacks ${need}`
  return undefined
}

/** Applies `op` to `s` in place, re-checking authority; returns whether it took effect. */
function applyOp(s: MutableState, op: MembershipOp): boolean {
  const refused = authority(s, op)
  s.nonces.add(`${hex(op.signerId)}:${op.nonce}`)
  if (refused) return false
  const k = op.kind
  switch (k.type) {
    case 'Create':
      s.members.set(hex(k.author), ALL_CAPABILITY_BITS)
      s.application = k.application
      break
    case 'AddMembers':
      for (const m of k.members) if (!s.members.has(hex(m))) s.members.set(hex(m), 0)
      break
    case 'RemoveMembers':
      for (const m of k.members) s.members.delete(hex(m))
      break
    case 'Grant': {
      const m = hex(k.member)
      const bits = s.members.get(m)
      if (bits !== undefined) s.members.set(m, bits | CAPABILITY_BITS[k.capability])
      break
    }
    case 'Revoke': {
      const m = hex(k.member)
      const bits = s.members.get(m)
      if (bits !== undefined) s.members.set(m, bits & ~CAPABILITY_BITS[k.capability])
      break
    }
    case 'UpdateApplication':
      s.application = k.application
      break
  }
  s.revision++
  return true
}

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
  readonly #ops = new Map<string, MembershipOp>()
  /** Deterministic topological order of all ops (hex ids). */
  #order: string[] = []
  readonly #heads = new Set<string>()
  #current: MembershipState = EMPTY
  readonly #cache = new Map<string, { state: MembershipState; past: Set<string> }>()
  readonly #maxNonce = new Map<string, number>()

  constructor(contextId: Uint8Array) {
    this.contextId = contextId
  }

  /** Number of ops in the DAG (admitted, effective or not). */
  get size(): number {
    return this.#ops.size
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
    return this.#ops.has(idHex)
  }

  /** The op with this hex id. */
  get(idHex: string): MembershipOp | undefined {
    return this.#ops.get(idHex)
  }

  /** All ops in the deterministic order. */
  ops(): MembershipOp[] {
    return this.#order.map((id) => this.#ops.get(id)!)
  }

  /** The next unused nonce for a signer (one more than the largest it has used). */
  nextNonce(signer: Uint8Array): number {
    const n = this.#maxNonce.get(hex(signer))
    return n === undefined ? 1 : n + 1
  }

  /** Parent ids (hex) of `op` that are not in the DAG. */
  missingParents(op: MembershipOp): string[] {
    return op.parents.map(hex).filter((p) => !this.#ops.has(p))
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
      const op = this.#ops.get(id)
      if (!op) throw new Error(`membership op ${id} is not known`)
      past.add(id)
      for (const p of op.parents) stack.push(hex(p))
    }
    const s = clone(EMPTY)
    for (const id of this.#order) if (past.has(id)) applyOp(s, this.#ops.get(id)!)
    const entry = { state: s as MembershipState, past }
    this.#cache.set(key, entry)
    if (this.#cache.size > CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value as string)
    return entry
  }

  /**
   * Checks authority of `op` in its causal past (parents must be known, signature already verified).
   * Throws `InvalidOp` (wrong context, second Create, nonce reuse) or `MissingCapability`.
   */
  check(op: MembershipOp): void {
    if (compareBytes(op.contextId, this.contextId) !== 0) throw new InvalidOp('op belongs to another context')
    if (op.kind.type === 'Create') {
      if (this.#ops.size > 0) throw new InvalidOp('the context already has its Create op')
      if (compareBytes(op.signerId, this.contextId) !== 0)
        throw new InvalidOp('Create must be signed by the context key')
      return
    }
    const { state } = this.stateAt(op.parents.map(hex))
    const refused = authority(state, op)
    if (!refused) return
    const need = requiredCapability(op.kind.type)!
    if (refused.startsWith('nonce')) throw new InvalidOp(refused, { details: { nonce: op.nonce } })
    throw new MissingCapability(`${refused}: ${op.kind.type} needs ${need}`, {
      details: { capability: need, kind: op.kind.type },
    })
  }

  /** Adds an op that passed {@link MembershipLog.check}; updates order, heads and current state. */
  add(op: MembershipOp): void {
    const id = hex(op.id)
    if (this.#ops.has(id)) return
    const parents = op.parents.map(hex)
    const extendsAll = parents.length === this.#heads.size && parents.every((p) => this.#heads.has(p))
    this.#ops.set(id, op)
    for (const p of parents) this.#heads.delete(p)
    this.#heads.add(id)
    const signer = hex(op.signerId)
    this.#maxNonce.set(signer, Math.max(this.#maxNonce.get(signer) ?? 0, op.nonce))
    if (extendsAll) {
      // Descends from every known op: it is last in the order, so apply it on top.
      this.#order.push(id)
      const s = clone(this.#current)
      applyOp(s, op)
      this.#current = s
      return
    }
    this.#order = this.#topologicalOrder()
    const s = clone(EMPTY)
    for (const i of this.#order) applyOp(s, this.#ops.get(i)!)
    this.#current = s
  }

  #topologicalOrder(): string[] {
    const children = new Map<string, string[]>()
    const waiting = new Map<string, number>()
    const ready: string[] = []
    for (const [id, op] of this.#ops) {
      waiting.set(id, op.parents.length)
      if (op.parents.length === 0) ready.push(id)
      for (const p of op.parents) {
        const ph = hex(p)
        const list = children.get(ph)
        if (list) list.push(id)
        else children.set(ph, [id])
      }
    }
    const order: string[] = []
    ready.sort()
    while (ready.length > 0) {
      const id = ready.shift()!
      order.push(id)
      for (const c of children.get(id) ?? []) {
        const left = waiting.get(c)! - 1
        waiting.set(c, left)
        if (left === 0) insertSorted(ready, c)
      }
    }
    return order
  }
}

function insertSorted(list: string[], v: string): void {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (list[mid]! < v) lo = mid + 1
    else hi = mid
  }
  list.splice(lo, 0, v)
}
