/**
 * Read-only views of a context replica: what the API shows and what an attester attests.
 */

import { type Capability, capabilitiesOf } from './capabilities.ts'
import type { ContextReplica } from './context-replica.ts'
import { headsPayloadRoot, type MemberEntry, membersRoot, sortedIdsRoot } from './context-roots.ts'

/** A context as the API shows it. */
export interface ContextView {
  contextId: Uint8Array
  application: string
  members: { publicKey: Uint8Array; capabilities: Capability[] }[]
  /**
   * Wallet bindings of current members, sorted by identity: the CAIP-10 account and the `BindWallet`
   * op that carries the wallet's signature (fetch it with `getMembershipOp` to show the evidence).
   */
  bindings: { identity: Uint8Array; account: string; opId: Uint8Array }[]
  heads: Uint8Array[]
  membershipHeads: Uint8Array[]
  stateRoot: Uint8Array
  revision: number
  deltaCount: number
}

/** What an attester needs to attest a context's current heads and membership. */
export interface AttestationSnapshot {
  contextId: Uint8Array
  /** Sorted head ids. */
  heads: Uint8Array[]
  /** RFC 6962 root of the sorted head ids (the heads leaf's payloadRoot). */
  payloadRoot: Uint8Array
  stateRoot: Uint8Array
  /** Membership ops that took effect. */
  revision: number
  /** Members sorted by key, with capability bits (ManageMembers=1, ManageApplication=2, Attest=4). */
  members: MemberEntry[]
  membersRoot: Uint8Array
  /** Sorted membership head op ids. */
  membershipHeads: Uint8Array[]
  /** RFC 6962 root of the sorted membership head ids (the membership leaf's stateRoot field). */
  membershipHeadsRoot: Uint8Array
}

const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))

function sortedMembers(r: ContextReplica): [string, number][] {
  return [...r.membership.current.members.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
}

/**
 * The API view of a replica.
 *
 * @example
 * const view = contextViewOf(replica)
 */
export function contextViewOf(r: ContextReplica): ContextView {
  const state = r.membership.current
  return {
    contextId: r.id,
    application: state.application,
    members: sortedMembers(r).map(([k, bits]) => ({
      publicKey: unhex(k),
      capabilities: capabilitiesOf(bits),
    })),
    bindings: [...state.bindings.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, account]) => ({ identity: unhex(k), account, opId: unhex(state.bindingOps.get(k)!) })),
    heads: r.dag.heads().map(unhex),
    membershipHeads: r.membership.heads().map(unhex),
    stateRoot: r.crdt.root(),
    revision: state.revision,
    deltaCount: r.dag.size,
  }
}

/**
 * The attestation snapshot of a replica, roots computed with `src/attest/leaf.ts`.
 *
 * @example
 * const snap = attestationSnapshotOf(replica)
 */
export function attestationSnapshotOf(r: ContextReplica): AttestationSnapshot {
  const heads = r.dag.heads().map(unhex)
  const members = sortedMembers(r).map(([k, bits]) => ({ key: unhex(k), capabilityBits: bits }))
  const membershipHeads = r.membership.heads().map(unhex)
  return {
    contextId: r.id,
    heads,
    payloadRoot: headsPayloadRoot(heads),
    stateRoot: r.crdt.root(),
    revision: r.membership.current.revision,
    members,
    membersRoot: membersRoot(members),
    membershipHeads,
    membershipHeadsRoot: sortedIdsRoot(membershipHeads),
  }
}
