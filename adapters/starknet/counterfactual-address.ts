/**
 * The counterfactual address of a Starknet account not deployed yet (OpenZeppelin-style constructor:
 * salt = the Stark key x, calldata `[x]`, deployer 0), and a bounded least-recently-used cache of it.
 * The derivation (Pedersen hashes in starknet.js) costs about as much as the sign-in's Stark ECDSA
 * verify; being a pure function of the class hash and key, its result can be reused safely.
 */
import { hash, num } from 'starknet'

/** Entries {@link createCounterfactualAddressCache} keeps by default. */
export const COUNTERFACTUAL_CACHE_SIZE = 10_000

/**
 * The address starknet.js `hash.calculateContractAddressFromHash(x, classHash, [x], 0)` gives, as a
 * number — uncached.
 *
 * @example
 * const address = counterfactualAddress(BigInt(starkKey), BigInt(DEVNET_ACCOUNT_CLASS_HASH))
 */
export function counterfactualAddress(x: bigint, classHash: bigint): bigint {
  const key = num.toHex(x)
  return BigInt(hash.calculateContractAddressFromHash(key, num.toHex(classHash), [key], 0))
}

/** A bounded cache of {@link counterfactualAddress}. */
export interface CounterfactualAddressCache {
  /** The counterfactual address of key `x` under `classHash`, derived on a miss. */
  get(x: bigint, classHash: bigint): bigint
  /** Whether the address of key `x` under `classHash` is held (does not count as a use). */
  has(x: bigint, classHash: bigint): boolean
  /** Entries held now (at most the cache's limit). */
  readonly size: number
}

/**
 * A least-recently-used cache of {@link counterfactualAddress} keyed by `classHash:x`, holding at
 * most `limit` entries (a `Map` kept in use order; 0 caches nothing).
 *
 * @example
 * const addresses = createCounterfactualAddressCache()
 * if (addresses.get(x, classHash) !== BigInt(account)) throw new WalletSignatureInvalid('…')
 */
export function createCounterfactualAddressCache(
  limit: number = COUNTERFACTUAL_CACHE_SIZE,
): CounterfactualAddressCache {
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError('limit must be an integer ≥ 0')
  const entries = new Map<string, bigint>()
  const keyOf = (x: bigint, classHash: bigint) => `${classHash.toString(16)}:${x.toString(16)}`
  return {
    get(x, classHash) {
      const key = keyOf(x, classHash)
      const hit = entries.get(key)
      if (hit !== undefined) {
        entries.delete(key) // re-inserted below: now the most recently used
        entries.set(key, hit)
        return hit
      }
      const address = counterfactualAddress(x, classHash)
      if (limit === 0) return address
      entries.set(key, address)
      if (entries.size > limit) entries.delete(entries.keys().next().value!)
      return address
    },
    has: (x, classHash) => entries.has(keyOf(x, classHash)),
    get size() {
      return entries.size
    },
  }
}
