/**
 * The membership state and the rule that applies one op to it (DESIGN §4, docs/membership.md): an op
 * takes effect iff its signer holds the authority its kind needs in the state built so far and no op
 * earlier in the order used its nonce; otherwise it is skipped. `MembershipLog` decides the order.
 */
import { compareBytes } from '../core/bytes.ts'
import { ALL_CAPABILITY_BITS, CAPABILITY_BITS, type Capability } from './capabilities.ts'
import type { MembershipOp } from './membership-op.ts'

/** The member set, application and wallet bindings at some heads. */
export interface MembershipState {
  /** member public key (hex) → capability bits. */
  readonly members: ReadonlyMap<string, number>
  readonly application: string
  /** Number of ops that took effect. */
  readonly revision: number
  /**
   * Wallet bindings: member public key (hex) → CAIP-10 account of its latest effective `BindWallet`.
   * Not part of `membersRoot`; a removed member's binding goes with it (re-adding does not restore it).
   */
  readonly bindings: ReadonlyMap<string, string>
  /** member public key (hex) → id (hex) of the `BindWallet` op behind its binding (the evidence). */
  readonly bindingOps: ReadonlyMap<string, string>
}

/** A state being built (never handed out while it still changes). */
export interface MutableMembershipState {
  members: Map<string, number>
  application: string
  revision: number
  bindings: Map<string, string>
  bindingOps: Map<string, string>
}

/** An op with the hex strings the log keys it by, computed once. */
export interface OpEntry {
  op: MembershipOp
  id: string
  parents: string[]
  signer: string
  /** `signerHex:nonce`: single use per signer. */
  nonceKey: string
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/** The state before any op. */
export const EMPTY_MEMBERSHIP_STATE: MembershipState = Object.freeze({
  members: new Map<string, number>(),
  application: '',
  revision: 0,
  bindings: new Map<string, string>(),
  bindingOps: new Map<string, string>(),
})

/**
 * The capability an op kind needs: `undefined` for the genesis `Create` (signed by the context key)
 * and for `BindWallet` (membership suffices).
 *
 * @example
 * requiredCapability('UpdateApplication') // 'ManageApplication'
 */
export function requiredCapability(kind: MembershipOp['kind']['type']): Capability | undefined {
  switch (kind) {
    case 'Create':
    case 'BindWallet':
      return undefined
    case 'UpdateApplication':
      return 'ManageApplication'
    default:
      return 'ManageMembers'
  }
}

/**
 * The log's entry of an op.
 *
 * @example
 * const e = opEntry(op) // e.id, e.parents, e.nonceKey as hex strings
 */
export function opEntry(op: MembershipOp): OpEntry {
  const signer = hex(op.signerId)
  return { op, id: hex(op.id), parents: op.parents.map(hex), signer, nonceKey: `${signer}:${op.nonce}` }
}

/**
 * A mutable copy of `s` (ops apply to copies; states handed out never change).
 *
 * @example
 * const next = cloneMembershipState(log.current)
 */
export function cloneMembershipState(s: MembershipState): MutableMembershipState {
  return {
    members: new Map(s.members),
    application: s.application,
    revision: s.revision,
    bindings: new Map(s.bindings),
    bindingOps: new Map(s.bindingOps),
  }
}

/**
 * Why `op` may not take effect on top of `s` (`undefined`: it may). `nonceUsed`: an op earlier in the
 * order (or, on admission, in the causal past) has the same signer and nonce.
 *
 * @example
 * authorityRefusal(state, entry.op, false) // 'signer lacks ManageMembers'
 */
export function authorityRefusal(
  s: MembershipState,
  op: MembershipOp,
  nonceUsed: boolean,
): string | undefined {
  if (nonceUsed) return 'nonce already used by this signer'
  if (op.kind.type === 'Create') return s.revision === 0 ? undefined : 'Create must be the first op'
  const bits = s.members.get(hex(op.signerId))
  if (bits === undefined) return 'signer is not a member'
  if (op.kind.type === 'BindWallet' && compareBytes(op.kind.identity, op.signerId) !== 0)
    return 'BindWallet must be signed by the identity it binds'
  const need = requiredCapability(op.kind.type)
  if (need !== undefined && (bits & CAPABILITY_BITS[need]) === 0) return `signer lacks ${need}`
  return undefined
}

/**
 * Applies `e` to `s` in place, re-checking authority; returns whether it took effect.
 *
 * @example
 * const s = cloneMembershipState(EMPTY_MEMBERSHIP_STATE)
 * applyMembershipOp(s, opEntry(genesis), false) // true
 */
export function applyMembershipOp(s: MutableMembershipState, e: OpEntry, nonceUsed: boolean): boolean {
  if (authorityRefusal(s, e.op, nonceUsed)) return false
  const k = e.op.kind
  switch (k.type) {
    case 'Create':
      s.members.set(hex(k.author), ALL_CAPABILITY_BITS)
      s.application = k.application
      break
    case 'AddMembers':
      for (const m of k.members) if (!s.members.has(hex(m))) s.members.set(hex(m), 0)
      break
    case 'RemoveMembers':
      for (const m of k.members) {
        const h = hex(m)
        s.members.delete(h)
        s.bindings.delete(h)
        s.bindingOps.delete(h)
      }
      break
    case 'Grant':
    case 'Revoke': {
      const m = hex(k.member)
      const bits = s.members.get(m)
      const bit = CAPABILITY_BITS[k.capability]
      if (bits !== undefined) s.members.set(m, k.type === 'Grant' ? bits | bit : bits & ~bit)
      break
    }
    case 'UpdateApplication':
      s.application = k.application
      break
    case 'BindWallet':
      // The signer is the identity (checked above) and a member.
      s.bindings.set(hex(k.identity), k.account)
      s.bindingOps.set(hex(k.identity), e.id)
      break
  }
  s.revision++
  return true
}
