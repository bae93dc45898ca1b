/**
 * The figure every sign-in benchmark reports: verifications per second next to the primitive's rate
 * measured in the same run, with the 70 % target where the issue sets one.
 */
import type { Figure } from './table.ts'

/** The target of the eip155 EOA and Ed25519-chain sign-ins: 70 % of their primitive. */
export const SIGN_IN_TARGET = 0.7

/**
 * A `10 sign-in` figure in `/s`; with `ceiling`, its ratio; with `target` (the words after
 * "≥ 70 % of"), whether the ratio reached {@link SIGN_IN_TARGET}.
 *
 * @example
 * signInFigure('near NEP-413 verifications/s', rate, { name: 'node:crypto Ed25519 verify alone', value: ed }, 'Ed25519 verify')
 */
export function signInFigure(
  name: string,
  value: number,
  ceiling?: { name: string; value: number },
  target?: string,
): Figure {
  const ratio = ceiling ? value / ceiling.value : undefined
  return {
    bench: '10 sign-in',
    name,
    value,
    unit: '/s',
    ...(ceiling ? { ceiling, ratio } : {}),
    ...(target && ratio !== undefined
      ? { target: { text: `≥ 70 % of ${target}`, met: ratio >= SIGN_IN_TARGET } }
      : {}),
  }
}
