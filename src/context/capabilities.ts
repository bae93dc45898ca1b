/**
 * Context capabilities and their bit values in `membersRoot` leaves
 * (`memberKey(32) ‖ capabilityBits(u32 BE)`).
 */
import { InvalidInput } from '../core/errors.ts'

/** A capability a member may hold. */
export type Capability = 'ManageMembers' | 'ManageApplication' | 'Attest'

/** Bit of each capability. */
export const CAPABILITY_BITS: Readonly<Record<Capability, number>> = Object.freeze({
  ManageMembers: 1,
  ManageApplication: 2,
  Attest: 4,
})

/** Every capability, in bit order. */
export const CAPABILITIES: readonly Capability[] = Object.freeze([
  'ManageMembers',
  'ManageApplication',
  'Attest',
])

/** All capability bits (what the context author starts with). */
export const ALL_CAPABILITY_BITS = 7

/**
 * Capability names held in `bits`, in bit order.
 *
 * @example
 * capabilitiesOf(5) // ['ManageMembers', 'Attest']
 */
export function capabilitiesOf(bits: number): Capability[] {
  return CAPABILITIES.filter((c) => (bits & CAPABILITY_BITS[c]) !== 0)
}

/** True when `s` names a capability. */
export function isCapability(s: unknown): s is Capability {
  return typeof s === 'string' && Object.hasOwn(CAPABILITY_BITS, s)
}

/**
 * Checks a capability name from outside; throws `InvalidInput` otherwise.
 *
 * @example
 * parseCapability('Attest') // 'Attest'
 */
export function parseCapability(s: unknown): Capability {
  if (!isCapability(s))
    throw new InvalidInput(`unknown capability ${JSON.stringify(s)}`, { details: { allowed: CAPABILITIES } })
  return s
}
