/**
 * The roots a context commits to (DESIGN §4, §6): the RFC 6962 root of sorted ids (heads, membership
 * heads) and `membersRoot`. Attestations carry them; verifiers recompute them.
 */
import { compareBytes } from '../core/bytes.ts'
import { InvalidInput } from '../core/errors.ts'
import { merkleRoot } from '../core/merkle.ts'

/**
 * RFC 6962 Merkle root over 32-byte ids sorted bytewise, each id one leaf. The `payloadRoot` of a heads
 * attestation (head ids) and the `stateRoot` of a membership attestation (membership head op ids).
 * Throws InvalidInput on an id that is not 32 bytes or on a duplicate. No ids → the empty-tree root.
 *
 * @example
 * sortedIdsRoot([idB, idA]) // = merkleRoot([idA, idB]) when idA < idB
 */
export function sortedIdsRoot(ids: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(ids)) throw new InvalidInput('ids must be an array')
  for (const id of ids)
    if (!(id instanceof Uint8Array) || id.length !== 32) throw new InvalidInput('every id must be 32 bytes')
  const sorted = [...ids].sort(compareBytes)
  for (let i = 1; i < sorted.length; i++)
    if (compareBytes(sorted[i - 1] as Uint8Array, sorted[i] as Uint8Array) === 0)
      throw new InvalidInput('duplicate id')
  return merkleRoot(sorted)
}

/**
 * The `payloadRoot` of a heads attestation: {@link sortedIdsRoot} over the head ids.
 *
 * @example
 * headsPayloadRoot(dag.heads(contextId))
 */
export function headsPayloadRoot(headIds: readonly Uint8Array[]): Uint8Array {
  return sortedIdsRoot(headIds)
}

/** A member as committed to by `membersRoot`. */
export interface MemberEntry {
  /** The member's 32-byte Ed25519 identity. */
  key: Uint8Array
  /** OR of the capability bits (`CAPABILITY_BITS` in capabilities.ts). */
  capabilityBits: number
}

/**
 * `membersRoot` (DESIGN §4): RFC 6962 Merkle root over the leaves `memberKey(32) ‖ capabilityBits(u32 BE)`,
 * sorted bytewise. Throws InvalidInput on a bad key, bits outside u32, or a duplicate member.
 *
 * @example
 * membersRoot([{ key: alice, capabilityBits: CAPABILITY_BITS.ManageMembers | CAPABILITY_BITS.Attest }])
 */
export function membersRoot(members: readonly MemberEntry[]): Uint8Array {
  if (!Array.isArray(members)) throw new InvalidInput('members must be an array')
  const leaves = members.map((m) => {
    if (!(m?.key instanceof Uint8Array) || m.key.length !== 32)
      throw new InvalidInput('every member key must be 32 bytes')
    const bits = m.capabilityBits
    if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffffff)
      throw new InvalidInput('capabilityBits must be a u32')
    const leaf = new Uint8Array(36)
    leaf.set(m.key)
    new DataView(leaf.buffer).setUint32(32, bits)
    return leaf
  })
  leaves.sort(compareBytes)
  for (let i = 1; i < leaves.length; i++)
    if (
      compareBytes(
        (leaves[i - 1] as Uint8Array).subarray(0, 32),
        (leaves[i] as Uint8Array).subarray(0, 32),
      ) === 0
    )
      throw new InvalidInput('duplicate member key')
  return merkleRoot(leaves)
}
