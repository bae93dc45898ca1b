/**
 * The devnet's predeployed accounts: a model of OpenZeppelin-style and Argent-style account contracts
 * (Stark-curve key, SRC-6 `__validate__` / `__execute__` / `is_valid_signature`). Keys are derived
 * deterministically from a public seed — dev keys only, never for a real chain. Addresses are the
 * counterfactual addresses `calculateContractAddressFromHash(salt = public key, class hash, [public key], 0)`.
 */
import { createHash } from 'node:crypto'
import { ec, hash, num, shortString } from 'starknet'
import { AnchorRevert } from '../../contracts/starknet/anchor-model.ts'

/** Which account implementation a predeployed account models. */
export type AccountVariant = 'openzeppelin' | 'argent'

/**
 * Class hashes of the modelled classes. They are labels (`sn_keccak` of a name), not hashes of
 * compiled classes: no Cairo class is declared or executed in this devnet.
 */
export const MODEL_CLASS_HASHES = {
  openzeppelin: num.toHex(hash.starknetKeccak('mero-devnet-model:OpenZeppelinAccount')),
  argent: num.toHex(hash.starknetKeccak('mero-devnet-model:ArgentStyleAccount')),
  anchor: num.toHex(hash.starknetKeccak('mero-devnet-model:MeroAnchor')),
  udc: num.toHex(hash.starknetKeccak('mero-devnet-model:UniversalDeployer')),
} as const

/** A predeployed account (dev keys, public knowledge). */
export interface DevnetAccount {
  readonly address: string
  readonly privateKey: string
  /** Stark public key (x coordinate), what the account contract stores. */
  readonly publicKey: string
  readonly variant: AccountVariant
}

/** `'VALID'` as a felt: what OpenZeppelin (and Argent ≥ 0.3) accounts return from `is_valid_signature`. */
export const VALID = BigInt(shortString.encodeShortString('VALID'))
/** SRC-6 interface id, answered by `supports_interface`. */
const ISRC6_ID = 0x2ceccef7f994940b3962a6c67e0ba4fcd37df7d131417c604f91e03caecc1cdn

/** Derives `count` accounts from `seed`: the last one is Argent-style, the others OpenZeppelin-style. */
export function deriveAccounts(seed: string, count: number): DevnetAccount[] {
  const n = ec.starkCurve.CURVE.n
  return Array.from({ length: count }, (_, i) => {
    const digest = createHash('sha256').update(`${seed}/account/${i}`).digest('hex')
    const priv = (BigInt(`0x${digest}`) % (n - 1n)) + 1n
    const privateKey = num.toHex(priv)
    const publicKey = ec.starkCurve.getStarkKey(privateKey)
    const variant: AccountVariant = i === count - 1 && count > 1 ? 'argent' : 'openzeppelin'
    const address = hash.calculateContractAddressFromHash(
      publicKey,
      MODEL_CLASS_HASHES[variant],
      [publicKey],
      0,
    )
    return { address: num.toHex(address), privateKey, publicKey: num.toHex(publicKey), variant }
  })
}

/**
 * Cairo's `check_ecdsa_signature(hash, public_key_x, r, s)`: the key is the x coordinate only, so
 * both points with that x are tried. Malformed input is simply invalid.
 */
export function checkStarkSignature(
  msgHash: bigint,
  publicKeyX: bigint,
  signature: readonly bigint[],
): boolean {
  if (signature.length !== 2) return false
  const [r, s] = signature as [bigint, bigint]
  const n = ec.starkCurve.CURVE.n
  if (r <= 0n || s <= 0n || r >= n || s >= n || msgHash >= 1n << 251n) return false
  const sig = new ec.starkCurve.Signature(r, s)
  const points = pointsOf(publicKeyX)
  for (const [i, p] of points.entries()) {
    if (ec.starkCurve.verify(sig, num.toHex(msgHash), p)) {
      if (i === 1) points.reverse() // this key signs with the other point: try it first next time
      return true
    }
  }
  return false
}

/**
 * Both curve points with x = `publicKeyX`, uncompressed (so a verify skips the square root), the one
 * that last verified first. Empty when x is not on the curve.
 */
const pointCache = new Map<bigint, string[]>()
function pointsOf(x: bigint): string[] {
  let points = pointCache.get(x)
  if (!points) {
    const hexX = x.toString(16).padStart(64, '0')
    points = []
    for (const prefix of ['02', '03'])
      try {
        points.push(ec.starkCurve.ProjectivePoint.fromHex(`${prefix}${hexX}`).toHex(false))
      } catch {
        // x is not on the curve
      }
    if (pointCache.size > 10_000) pointCache.clear()
    pointCache.set(x, points)
  }
  return points
}

/**
 * A view call to a modelled account: `is_valid_signature(hash, signature: Array<felt252>)`,
 * `get_public_key`, `supports_interface`. OpenZeppelin answers `'VALID'` or 0; the Argent-style
 * variant answers 1 (the legacy boolean) and panics on an invalid signature.
 */
export function callAccount(
  account: { publicKey: string; variant: AccountVariant },
  entrypoint: bigint,
  calldata: readonly bigint[],
): bigint[] {
  const is = (name: string) => entrypoint === BigInt(hash.getSelectorFromName(name))
  if (is('is_valid_signature') || is('isValidSignature')) {
    const [h, len] = calldata
    if (h === undefined || len === undefined || calldata.length !== 2 + Number(len))
      throw new AnchorRevert('Failed to deserialize param #2')
    const ok = checkStarkSignature(h, BigInt(account.publicKey), calldata.slice(2))
    if (account.variant === 'argent') {
      if (!ok) throw new AnchorRevert('argent/invalid-signature')
      return [1n]
    }
    return [ok ? VALID : 0n]
  }
  if (is('get_public_key') || is('getPublicKey')) return [BigInt(account.publicKey)]
  if (is('supports_interface')) return [calldata[0] === ISRC6_ID ? 1n : 0n]
  throw new AnchorRevert('ENTRYPOINT_NOT_FOUND')
}
