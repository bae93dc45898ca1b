/**
 * Seeded randomness, keys and a stub wallet for the membership simulator (`membership-simulator.test.ts`).
 */
import { type Ed25519KeyPair, keyPairFromSecret } from '../core/ed25519.ts'
import { WalletSignatureInvalid } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import { bindingResource, type WalletBindingClaim } from './wallet-binding.ts'

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/**
 * xorshift32, seeded: drives the schedule.
 *
 * @example
 * const rnd = prng(7); rnd.int(4); rnd.pick(['a', 'b']); rnd.shuffle([1, 2, 3])
 */
export function prng(seed: number) {
  let s = (seed ^ 0x9e3779b9) >>> 0 || 1
  const next = () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T
  /** A shuffled copy (Fisher–Yates). */
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const out = [...xs]
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(i + 1)
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }
  return { next, int, pick, shuffle }
}

/** The key pair named `name` in seed `seed` (op ids of a seed are reproducible). */
export const keyOf = (seed: number, name: string): Ed25519KeyPair =>
  keyPairFromSecret(sha256(new TextEncoder().encode(`mero membership sim ${seed} ${name}`)))

/** What the stub wallet "signs": a message naming the binding resource. */
export const walletMessage = (contextId: Uint8Array, identity: Uint8Array, account: string) =>
  `${account} binds\n\nResources:\n- ${bindingResource(contextId, identity)}`
/** The stub wallet's "signature" over a message. */
export const walletSignature = (message: string) => hex(sha256(new TextEncoder().encode(message)))

/** The deterministic stand-in for a chain's wallet-proof check. */
export async function stubWalletCheck(b: WalletBindingClaim): Promise<void> {
  const message = walletMessage(b.contextId, b.identity, b.account)
  if (b.walletProof.message !== message || b.walletProof.signature !== walletSignature(message))
    throw new WalletSignatureInvalid('stub wallet signature does not verify')
}
