/**
 * The devnet's predeployed accounts: models of real account contracts' signature checks (Stark-curve
 * key, `__validate__` / `__execute__` / `is_valid_signature`), one per answer shape a sign-in check
 * meets: OpenZeppelin Cairo 1 (`'VALID'` / 0), Argent 0.4.0 (`'VALID'` / 0, a malformed signature
 * panics), early Cairo 1 Argent 0.2.x (ERC-1271 magic 0x1626ba7e / 0) and Cairo 0 accounts (only
 * camelCase `isValidSignature`, 1 or a failed assert). Keys are derived
 * deterministically from a public seed — dev keys only, never for a real chain. Addresses are the
 * counterfactual addresses `calculateContractAddressFromHash(salt = public key, class hash, [public key], 0)`.
 */
import { createHash } from 'node:crypto'
import { ec, hash, num, shortString } from 'starknet'
import { AnchorRevert } from '../../contracts/starknet/anchor-model.ts'

/**
 * Which account implementation a predeployed account models: `openzeppelin` (OpenZeppelin Cairo 1
 * account), `argent` (Argent account 0.4.0), `argent-0.2` (Argent Cairo 1 account 0.2.x), `cairo0`
 * (a Cairo 0 OpenZeppelin / Argent account).
 */
export type AccountVariant = 'openzeppelin' | 'argent' | 'argent-0.2' | 'cairo0'

/**
 * Class hashes of the modelled classes. They are labels (`sn_keccak` of a name), not hashes of
 * compiled classes: no Cairo class is declared or executed in this devnet.
 */
export const MODEL_CLASS_HASHES = {
  openzeppelin: num.toHex(hash.starknetKeccak('mero-devnet-model:OpenZeppelinAccount')),
  argent: num.toHex(hash.starknetKeccak('mero-devnet-model:ArgentStyleAccount')),
  'argent-0.2': num.toHex(hash.starknetKeccak('mero-devnet-model:ArgentAccount-0.2')),
  cairo0: num.toHex(hash.starknetKeccak('mero-devnet-model:Cairo0Account')),
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

/** ERC-1271's magic value, what Argent's early Cairo 1 accounts (0.2.x) return for a valid signature. */
export const ERC1271_VALIDATED = 0x1626ba7en

/**
 * Derives `count` accounts from `seed`: by default the last one is Argent, the others OpenZeppelin;
 * `variants[i]` overrides account i's implementation.
 */
export function deriveAccounts(
  seed: string,
  count: number,
  variants: readonly AccountVariant[] = [],
): DevnetAccount[] {
  const n = ec.starkCurve.CURVE.n
  return Array.from({ length: count }, (_, i) => {
    const digest = createHash('sha256').update(`${seed}/account/${i}`).digest('hex')
    const priv = (BigInt(`0x${digest}`) % (n - 1n)) + 1n
    const privateKey = num.toHex(priv)
    const publicKey = ec.starkCurve.getStarkKey(privateKey)
    const variant: AccountVariant = variants[i] ?? (i === count - 1 && count > 1 ? 'argent' : 'openzeppelin')
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

/** The panic an account's `__validate__` gives for a bad signature (what a node reports under 55). */
export function invalidSignatureReason(variant: AccountVariant): string {
  return variant === 'argent' || variant === 'argent-0.2'
    ? 'argent/invalid-owner-sig'
    : 'Account: invalid signature'
}

/**
 * A view call to a modelled account: `is_valid_signature(hash, signature: Array<felt252>)` (Cairo 1
 * variants), `isValidSignature(hash, signature_len, signature)` (Cairo 0; OpenZeppelin's Cairo 1
 * account also keeps the camelCase alias), `get_public_key`, `supports_interface`. Answers per variant
 * as the module comment says; an entry point the variant lacks panics with `ENTRYPOINT_NOT_FOUND`.
 */
export function callAccount(
  account: { publicKey: string; variant: AccountVariant },
  entrypoint: bigint,
  calldata: readonly bigint[],
): bigint[] {
  const is = (name: string) => entrypoint === BigInt(hash.getSelectorFromName(name))
  const v = account.variant
  const snake = is('is_valid_signature')
  const camel = is('isValidSignature')
  if ((snake && v !== 'cairo0') || (camel && (v === 'cairo0' || v === 'openzeppelin'))) {
    const [h, len] = calldata
    if (h === undefined || len === undefined || calldata.length !== 2 + Number(len))
      throw new AnchorRevert('Failed to deserialize param #2')
    const sig = calldata.slice(2)
    const ok = checkStarkSignature(h, BigInt(account.publicKey), sig)
    switch (v) {
      case 'argent':
        // 0.4.0: a 2-felt (owner only, no guardian) signature is checked; any other shape panics.
        if (sig.length !== 2) throw new AnchorRevert('argent/invalid-signature-length')
        return [ok ? VALID : 0n]
      case 'argent-0.2':
        return [ok ? ERC1271_VALIDATED : 0n]
      case 'cairo0':
        if (!ok) throw new AnchorRevert('Account: invalid signature')
        return [1n]
      default:
        return [ok ? VALID : 0n]
    }
  }
  if (is('get_public_key') || is('getPublicKey')) return [BigInt(account.publicKey)]
  if (is('supports_interface')) return [calldata[0] === ISRC6_ID ? 1n : 0n]
  throw new AnchorRevert('ENTRYPOINT_NOT_FOUND')
}
