/**
 * The NEAR devnet's genesis account and its well-known dev key. Public knowledge, derived from a fixed
 * seed: use it on a local devnet only, never on a real network.
 */
import { ed25519 } from '@noble/curves/ed25519'
import { toBase58 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'

/** The genesis (root) account: it owns the devnet's tokens and may create `*.test.near` sub-accounts. */
export const NEAR_ROOT_ACCOUNT = 'test.near'

/** Deterministic dev key pair from a label (`ed25519:` + base58 of seed ‖ public key, NEAR's format). */
export function devKeyPair(label: string): { secretKey: string; publicKey: string } {
  const seed = sha256(new TextEncoder().encode(`mero near devnet key: ${label}`))
  const pub = ed25519.getPublicKey(seed)
  const full = new Uint8Array(64)
  full.set(seed, 0)
  full.set(pub, 32)
  return { secretKey: `ed25519:${toBase58(full)}`, publicKey: `ed25519:${toBase58(pub)}` }
}

/** The FullAccess key of {@link NEAR_ROOT_ACCOUNT} at genesis. */
export const NEAR_ROOT_KEY = devKeyPair(NEAR_ROOT_ACCOUNT)
