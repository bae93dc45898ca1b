/**
 * Sign-in on Stellar (SEP-10 style): the account's signers and thresholds come from Horizon
 * `GET /accounts/:id`; signatures are plain ed25519, checked locally. {@link checkSigners} sums the
 * weights of the given signer keys against a threshold; {@link verifySignInWith} checks the
 * signatures first and then asks {@link checkSigners}.
 */
import { createHash } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519'
import { type Horizon, StrKey } from '@stellar/stellar-sdk'
import type { CallOptions, SignInCheck } from '../../src/chain/chain-adapter.ts'
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
  let account: Awaited<ReturnType<Horizon.Server['loadAccount']>>
  try {
    account = await guardHorizon('checkSigners', options.signal, () => server.loadAccount(accountId))
  } catch (e) {
    if (isNotFound((e as { cause?: unknown }).cause)) {
      const weight = keys.has(accountId) ? 1 : 0
      return { ok: weight > 0, weight, required: 0, exists: false }
    }
    throw e
  }
  let weight = 0
  for (const s of account.signers) if (s.type === 'ed25519_public_key' && keys.has(s.key)) weight += s.weight
  weight = Math.min(weight, 255)
  const t = account.thresholds
  const required =
    threshold === 'low' ? t.low_threshold : threshold === 'medium' ? t.med_threshold : t.high_threshold
  return { ok: weight > 0 && weight >= required, weight, required, exists: true }
}

/** SEP-53's message hash: `sha256("Stellar Signed Message:\n" ‖ message)`. */
export function sep53Hash(message: Uint8Array): Uint8Array {
  return createHash('sha256').update('Stellar Signed Message:\n').update(message).digest()
}

function verifiesBy(key: string, message: Uint8Array, signature: Uint8Array): boolean {
  if (!StrKey.isValidEd25519PublicKey(key) || signature.length !== 64) return false
  const pub = StrKey.decodeEd25519PublicKey(key)
  try {
    return ed25519.verify(signature, sep53Hash(message), pub)
  } catch {
    return false
  }
}

const bytes = (v: unknown): Uint8Array | undefined =>
  v instanceof Uint8Array ? v : typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : undefined

/**
 * Verifies a sign-in for `stellar:<network>:G…`. `signature` is a SEP-53 signature (ed25519 over
 * `sha256("Stellar Signed Message:\n" ‖ message)`; a raw signature over the message is refused) by
 * `extra.publicKey` (default: the account's master key). Co-signers add
 * `extra.signers: [{ publicKey: 'G…', signature: base64 | Uint8Array }]`. Their summed weight must
 * reach `threshold` — the verifier's choice (an adapter option), never the client's: `extra.threshold`
 * is ignored.
 */
export async function verifySignInWith(
  server: Horizon.Server,
  chainId: string,
  check: SignInCheck,
  threshold: ThresholdLevel = 'medium',
  options: CallOptions = {},
): Promise<boolean> {
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
  return (await checkSigners(server, account, signed, threshold, options)).ok
}
