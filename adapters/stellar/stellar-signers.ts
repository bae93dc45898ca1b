/**
 * Sign-in on Stellar (SEP-10 style): the account's signers and thresholds come from Horizon
 * `GET /accounts/:id`; signatures are plain ed25519, checked locally (node:crypto).
 * {@link checkSigners} sums the weights of the given signer keys against a threshold;
 * {@link verifySignInWith} checks SEP-53 signatures and then the signers; for a SEP-10 challenge
 * transaction it hands over to {@link verifyChallengeSigners}, which matches each decorated signature
 * to a signer of the account.
 */
import { createHash } from 'node:crypto'
import { type Horizon, StrKey } from '@stellar/stellar-sdk'
import type { CallOptions, SignInCheck } from '../../src/chain/chain-adapter.ts'
import { verifyStrict } from '../../src/core/ed25519.ts'
import { guardHorizon, isNotFound } from './horizon-errors.ts'

/** stellar-core's threshold levels. */
export type ThresholdLevel = 'low' | 'medium' | 'high'

/** Result of {@link checkSigners}. */
export interface SignerCheck {
  /** `weight > 0 && weight >= required`. */
  readonly ok: boolean
  /** Summed weight of the given keys that are signers of the account (capped at 255 like core). */
  readonly weight: number
  /** The account's threshold at the requested level. */
  readonly required: number
  /** False when the account does not exist (then only its master key counts, SEP-10 rule). */
  readonly exists: boolean
}

/**
 * Whether `signerPublicKeys` together reach `threshold` on `accountId`, from Horizon's view of the
 * account. A missing account counts only its own master key (weight 1, required 0).
 *
 * @example
 * const r = await checkSigners(server, 'GABC…', ['GABC…', 'GDEF…'], 'medium')
 * if (r.ok) console.log(`weight ${r.weight} ≥ ${r.required}`)
 */
export async function checkSigners(
  server: Horizon.Server,
  accountId: string,
  signerPublicKeys: readonly string[],
  threshold: ThresholdLevel,
  options: CallOptions = {},
): Promise<SignerCheck> {
  const keys = new Set(signerPublicKeys)
  const { signers, required, exists } = await loadSigners(server, accountId, threshold, options.signal)
  let weight = 0
  for (const s of signers) if (keys.has(s.key)) weight += s.weight
  weight = Math.min(weight, 255)
  return { ok: weight > 0 && weight >= required, weight, required, exists }
}

/**
 * The ed25519 signers of `accountId` (weight > 0) and its threshold at `level`, from Horizon. A
 * missing account has one signer, its master key with weight 1, and threshold 0 (SEP-10 rule).
 */
async function loadSigners(
  server: Horizon.Server,
  accountId: string,
  level: ThresholdLevel,
  signal: AbortSignal | undefined,
): Promise<{ signers: { key: string; weight: number }[]; required: number; exists: boolean }> {
  let account: Awaited<ReturnType<Horizon.Server['loadAccount']>>
  try {
    account = await guardHorizon('checkSigners', signal, () => server.loadAccount(accountId))
  } catch (e) {
    if (isNotFound((e as { cause?: unknown }).cause))
      return { signers: [{ key: accountId, weight: 1 }], required: 0, exists: false }
    throw e
  }
  // Only ed25519 keys sign; pre-auth (T…), hash-x (X…) and signed-payload (P…) signers never do here.
  const signers = account.signers
    .filter((s) => s.type === 'ed25519_public_key' && s.weight > 0)
    .map((s) => ({ key: s.key, weight: s.weight }))
  const t = account.thresholds
  const required = level === 'low' ? t.low_threshold : level === 'medium' ? t.med_threshold : t.high_threshold
  return { signers, required, exists: true }
}

/** A decorated signature of a transaction: the signer's key hint (last 4 bytes) and the signature. */
export interface DecoratedSignatureBytes {
  readonly hint: Uint8Array
  readonly signature: Uint8Array
}

/**
 * SEP-10's signer check of a challenge transaction, for `stellar:<network>:G…`: `check.message` is
 * the transaction hash (what every signature is over, computed by the caller with the chain's
 * passphrase) and `check.extra.signatures` the client's decorated signatures (the server's removed).
 * Every signature must belong to a distinct signer of the account (hint and ed25519 check) — an
 * unknown, invalid or repeated signature fails the whole check, as SEP-10 asks — and their summed
 * weight must reach `threshold` (the verifier's choice). An account not on chain passes only with
 * exactly one signature, by its master key.
 *
 * @example
 * await verifyChallengeSigners(server, 'stellar:testnet', { account, message: tx.hash(), signature: new Uint8Array(),
 *   extra: { format: 'sep10', signatures: tx.signatures.map((s) => ({ hint: s.hint(), signature: s.signature() })) } })
 */
export async function verifyChallengeSigners(
  server: Horizon.Server,
  chainId: string,
  check: SignInCheck,
  threshold: ThresholdLevel = 'medium',
  options: CallOptions = {},
): Promise<boolean> {
  const prefix = `${chainId}:`
  if (!check.account.startsWith(prefix) || check.message.length !== 32) return false
  const account = check.account.slice(prefix.length)
  if (!StrKey.isValidEd25519PublicKey(account)) return false
  const given = check.extra?.signatures
  if (!Array.isArray(given) || given.length === 0 || given.length > 20) return false
  const sigs = given as DecoratedSignatureBytes[]
  if (!sigs.every((s) => s?.hint instanceof Uint8Array && s.signature instanceof Uint8Array)) return false
  const { signers, required } = await loadSigners(server, account, threshold, options.signal)
  const keys = signers.map((s) => ({ ...s, raw: StrKey.decodeEd25519PublicKey(s.key) }))
  const used = new Set<string>()
  let weight = 0
  for (const sig of sigs) {
    const signer = keys.find(
      (k) =>
        !used.has(k.key) &&
        Buffer.from(k.raw.subarray(28)).equals(sig.hint) &&
        verifyStrict(k.raw, check.message, sig.signature),
    )
    if (!signer) return false
    used.add(signer.key)
    weight += signer.weight
  }
  weight = Math.min(weight, 255)
  return weight > 0 && weight >= required
}

/** SEP-53's message hash: `sha256("Stellar Signed Message:\n" ‖ message)`. */
export function sep53Hash(message: Uint8Array): Uint8Array {
  return createHash('sha256').update('Stellar Signed Message:\n').update(message).digest()
}

function verifiesBy(key: string, message: Uint8Array, signature: Uint8Array): boolean {
  if (!StrKey.isValidEd25519PublicKey(key)) return false
  return verifyStrict(StrKey.decodeEd25519PublicKey(key), sep53Hash(message), signature)
}

const bytes = (v: unknown): Uint8Array | undefined =>
  v instanceof Uint8Array ? v : typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : undefined

/**
 * Verifies a sign-in for `stellar:<network>:G…`. `signature` is a SEP-53 signature (ed25519 over
 * `sha256("Stellar Signed Message:\n" ‖ message)`; a raw signature over the message is refused) by
 * `extra.publicKey` (default: the account's master key). Co-signers add
 * `extra.signers: [{ publicKey: 'G…', signature: base64 | Uint8Array }]`. Every key must be a distinct
 * signer of the account (an account not on chain has only its master key), and their summed weight
 * must reach `threshold` — the verifier's choice (an adapter option), never the client's: `extra.threshold`
 * is ignored. With `extra.format: 'sep10'` the check is {@link verifyChallengeSigners}'s.
 */
export async function verifySignInWith(
  server: Horizon.Server,
  chainId: string,
  check: SignInCheck,
  threshold: ThresholdLevel = 'medium',
  options: CallOptions = {},
): Promise<boolean> {
  if (check.extra?.format === 'sep10')
    return verifyChallengeSigners(server, chainId, check, threshold, options)
  const prefix = `${chainId}:`
  if (!check.account.startsWith(prefix)) return false
  const account = check.account.slice(prefix.length)
  if (!StrKey.isValidEd25519PublicKey(account)) return false
  const extra = check.extra ?? {}
  const pairs: { key: string; signature: Uint8Array | undefined }[] = [
    { key: typeof extra.publicKey === 'string' ? extra.publicKey : account, signature: check.signature },
  ]
  if (Array.isArray(extra.signers))
    for (const s of extra.signers as { publicKey?: unknown; signature?: unknown }[])
      pairs.push({ key: String(s?.publicKey ?? ''), signature: bytes(s?.signature) })
  const signed = pairs
    .filter((p) => p.signature && verifiesBy(p.key, check.message, p.signature))
    .map((p) => p.key)
  if (signed.length !== pairs.length) return false // every presented signature must verify
  if (new Set(signed).size !== signed.length) return false // each signer once
  // every key must be a signer of the account (SEP-10's rule for extra signatures)
  const { signers, required } = await loadSigners(server, account, threshold, options.signal)
  let weight = 0
  for (const key of signed) {
    const signer = signers.find((s) => s.key === key)
    if (!signer) return false
    weight += signer.weight
  }
  weight = Math.min(weight, 255)
  return weight > 0 && weight >= required
}
