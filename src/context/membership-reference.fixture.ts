/**
 * A naive, independent reading of the membership rule (docs/membership.md) for the seeded simulator
 * (`membership-simulator.test.ts`): the state of a set of ops by Kahn's order with the smallest ready id
 * first, each op re-checked against the state so far, and the admission of an op from its causal past.
 * It shares nothing with `membership.ts` / `membership-state.ts` but the op type and capability bits,
 * and is written for clarity, not speed (quadratic).
 */
import { ALL_CAPABILITY_BITS, CAPABILITY_BITS, type Capability } from './capabilities.ts'
import type { MembershipKind, MembershipOp } from './membership-op.ts'

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/** The membership state the rule gives, and the order it applied the ops in (hex ids). */
export interface ReferenceState {
  members: Map<string, number>
  bindings: Map<string, string>
  bindingOps: Map<string, string>
  application: string
  revision: number
  order: string[]
}

/** Why the rule refuses an op on admission (every reason that applies). */
export type Refusal = 'wallet proof' | 'nonce reused' | 'not a member' | 'lacks capability' | 'not first'

/** The capability an op kind needs, per the table in docs/membership.md. */
function needs(kind: MembershipKind['type']): Capability | undefined {
  if (kind === 'Create' || kind === 'BindWallet') return undefined
  return kind === 'UpdateApplication' ? 'ManageApplication' : 'ManageMembers'
}

/**
 * The state of a causally closed set of ops: Kahn's order by smallest ready id, an op taking effect iff
 * no earlier op in the order used its signer's nonce and its signer holds what its kind needs.
 *
 * @example
 * const { members, order } = referenceState(ops)
 */
export function referenceState(ops: readonly MembershipOp[]): ReferenceState {
  const placed = new Set<string>()
  const left = new Map(ops.map((o) => [hex(o.id), o]))
  const s: ReferenceState = {
    members: new Map(),
    bindings: new Map(),
    bindingOps: new Map(),
    application: '',
    revision: 0,
    order: [],
  }
  const nonces = new Set<string>()
  while (left.size > 0) {
    const ready = [...left.keys()]
      .filter((id) => left.get(id)!.parents.every((p) => placed.has(hex(p))))
      .sort()
    const id = ready[0]
    if (id === undefined) throw new Error('the ops are not causally closed')
    const op = left.get(id)!
    left.delete(id)
    placed.add(id)
    s.order.push(id)
    const signer = hex(op.signerId)
    const nonce = `${signer}:${op.nonce}`
    const bits = s.members.get(signer)
    const k = op.kind
    const need = needs(k.type)
    const ok =
      !nonces.has(nonce) &&
      (k.type === 'Create'
        ? s.order.length === 1
        : bits !== undefined && (need === undefined || (bits & CAPABILITY_BITS[need]) !== 0))
    nonces.add(nonce)
    if (!ok) continue
    s.revision++
    if (k.type === 'Create') {
      s.members.set(hex(k.author), ALL_CAPABILITY_BITS)
      s.application = k.application
    } else if (k.type === 'AddMembers') {
      for (const m of k.members) if (!s.members.has(hex(m))) s.members.set(hex(m), 0)
    } else if (k.type === 'RemoveMembers') {
      for (const m of k.members) {
        s.members.delete(hex(m))
        s.bindings.delete(hex(m))
        s.bindingOps.delete(hex(m))
      }
    } else if (k.type === 'Grant' || k.type === 'Revoke') {
      const b = s.members.get(hex(k.member))
      const bit = CAPABILITY_BITS[k.capability]
      if (b !== undefined) s.members.set(hex(k.member), k.type === 'Grant' ? b | bit : b & ~bit)
    } else if (k.type === 'UpdateApplication') s.application = k.application
    else {
      s.bindings.set(hex(k.identity), k.account)
      s.bindingOps.set(hex(k.identity), id)
    }
  }
  return s
}

/**
 * The ops in the causal past of `heads` (hex ids; the heads included), in no particular order.
 *
 * @example
 * const past = causalPast(byId, op.parents.map(hex))
 */
export function causalPast(
  byId: ReadonlyMap<string, MembershipOp>,
  heads: readonly string[],
): MembershipOp[] {
  const seen = new Set<string>()
  const stack = [...heads]
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id)) continue
    const op = byId.get(id)
    if (!op) throw new Error(`op ${id} is not known`)
    seen.add(id)
    for (const p of op.parents) stack.push(hex(p))
  }
  return [...seen].map((id) => byId.get(id)!)
}

/**
 * The heads of a causally closed set of ops: those no op of the set names as a parent (sorted hex ids).
 *
 * @example
 * headsOf(admitted) // ['1f…', 'a0…']
 */
export function headsOf(ops: readonly MembershipOp[]): string[] {
  const parents = new Set(ops.flatMap((o) => o.parents.map(hex)))
  return ops
    .map((o) => hex(o.id))
    .filter((id) => !parents.has(id))
    .sort()
}

/**
 * Every reason the rule refuses `op` on admission, given its causal past (all admitted ops) and the
 * wallet-proof verdict of a `BindWallet`; empty when it must be admitted.
 *
 * @example
 * expectedRefusals(op, causalPast(byId, op.parents.map(hex)), true) // ['not a member']
 */
export function expectedRefusals(
  op: MembershipOp,
  past: readonly MembershipOp[],
  walletProofValid: boolean,
): Refusal[] {
  const reasons: Refusal[] = []
  if (op.kind.type === 'BindWallet' && !walletProofValid) reasons.push('wallet proof')
  const signer = hex(op.signerId)
  if (past.some((p) => hex(p.signerId) === signer && p.nonce === op.nonce)) reasons.push('nonce reused')
  if (op.kind.type === 'Create') {
    if (past.length > 0) reasons.push('not first')
    return reasons
  }
  const bits = referenceState(past).members.get(signer)
  const need = needs(op.kind.type)
  if (bits === undefined) reasons.push('not a member')
  else if (need !== undefined && (bits & CAPABILITY_BITS[need]) === 0) reasons.push('lacks capability')
  return reasons
}
