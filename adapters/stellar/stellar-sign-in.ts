/**
 * Stellar sign-in (DESIGN §8), two formats:
 *
 * - `sep53` (default): the wallet signs the CAIP-122 text ("…with your Stellar account") as a SEP-53
 *   message — Ed25519 over `sha256("Stellar Signed Message:\n" ‖ text)` — with the account's master
 *   key or one of its signers (`extra.publicKey`), co-signers in `extra.signers`.
 * - `sep10`: the node renders a SEP-10 challenge transaction (see `sep10-challenge.ts`), signed by
 *   the node key as server account; the wallet adds its signatures and returns the envelope.
 *
 * SEP-53 signatures are checked here (node:crypto) before any network call; the server signature and
 * the transaction of a SEP-10 envelope too. The Stellar adapter's `verifySignIn` then checks the
 * signing keys against the account on Horizon: every key a distinct signer (an unknown or repeated
 * signature fails, as SEP-10 asks), their weight at least the verifier's threshold (default medium);
 * for SEP-10 it also matches each client signature to its signer. An account that does not exist yet
 * passes only with its own master key alone (SEP-10 rule). Without a Stellar adapter:
 * `AccountKeyUnverifiable`, never a success.
 *
 * SEP-10 chain binding: the server signature fixes the network the challenge was issued for, so
 * `parse` names that chain. A client that signed the transaction hash of another network gets
 * `ChainMismatch` (its signature verifies for that other network's hash), any other bad client
 * signature `WalletSignatureInvalid`.
 */
import { StrKey } from '@stellar/stellar-sdk'
import { challengeFields, parseCaip122, renderCaip122 } from '../../src/chain/caip122-message.ts'
import type { SignInCheck } from '../../src/chain/chain-adapter.ts'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInContext,
  SignInMessageFields,
  SignInProof,
  SignInScheme,
  VerifiedSignIn,
} from '../../src/chain/sign-in-scheme.ts'
import {
  caip10Parts,
  challengeNonceBytes,
  signatureBytes as decodeSignature,
  requireRenderedMessage,
  signInAdapter,
  signInFields,
} from '../../src/chain/sign-in-support.ts'
import { fromBase64 } from '../../src/core/bytes.ts'
import { verifyStrict } from '../../src/core/ed25519.ts'
import {
  AccountKeyUnverifiable,
  InvalidInput,
  InvalidSignInMessage,
  WalletSignatureInvalid,
} from '../../src/core/errors.ts'
import { buildSep10Challenge, readSep10Challenge, verifySep10Proof } from './sep10-challenge.ts'
import { STELLAR_PASSPHRASES } from './stellar-network.ts'
import { sep53Hash } from './stellar-signers.ts'

const NAMESPACE = 'stellar'

/**
 * The offline half of a SEP-53 sign-in: whether `signature` is `publicKey`'s (32 raw bytes) Ed25519
 * signature over `sha256("Stellar Signed Message:\n" ‖ message)`, under strict Ed25519 rules (a
 * small-order key or `R` never verifies). False (never throws) when not.
 *
 * @example
 * verifySep53Signature(StrKey.decodeEd25519PublicKey('G…'), new TextEncoder().encode(text), sig)
 */
export function verifySep53Signature(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  return verifyStrict(publicKey, sep53Hash(message), signature)
}

function splitAccount(account: string): { network: string; key: string } {
  const { network, address: key } = caip10Parts(account, NAMESPACE, 'stellar:<network>:G…')
  if (!StrKey.isValidEd25519PublicKey(key))
    throw new InvalidInput('account is not a Stellar G… account id', {
      details: { account: account.slice(0, 120) },
    })
  return { network, key }
}

/** base64 of a 64-byte signature, else `InvalidInput` naming `what`. */
function signatureBytes(v: unknown, what: string): Uint8Array {
  return decodeSignature(
    v,
    64,
    (s) => fromBase64(s, what),
    `${what} must be base64 of a 64-byte Ed25519 signature`,
  )
}

function signerKey(v: unknown, what: string): string {
  if (typeof v !== 'string' || !StrKey.isValidEd25519PublicKey(v))
    throw new InvalidInput(`${what} must be a G… key`)
  return v
}

function requireAdapter(challenge: SignInChallenge, ctx: SignInContext) {
  const adapter = signInAdapter(ctx, challenge.chainId)
  if (!adapter)
    throw new AccountKeyUnverifiable(
      `the account's signers and thresholds need Horizon for ${challenge.chainId}`,
    )
  return (check: SignInCheck) => adapter.verifySignIn(check, ctx.call)
}

function formatOf(challenge: SignInChallenge): string {
  const format = challenge.format ?? 'sep53'
  if (format !== 'sep53' && format !== 'sep10')
    throw new InvalidInput(`unknown Stellar sign-in format ${format}`)
  return format
}

async function verifySep53(
  challenge: SignInChallenge,
  rendered: RenderedChallenge,
  proof: SignInProof,
  ctx: SignInContext,
): Promise<VerifiedSignIn> {
  requireRenderedMessage(challenge, rendered, proof, {
    chainIdOf: (m) => stellarSignInScheme.parse(m, 'sep53').chainId,
  })
  const { key: account } = splitAccount(challenge.account)
  const extra = proof.extra ?? {}
  const key = extra.publicKey === undefined ? account : signerKey(extra.publicKey, 'extra.publicKey')
  const pairs = [{ key, signature: signatureBytes(proof.signature, 'signature') }]
  if (extra.signers !== undefined) {
    if (!Array.isArray(extra.signers) || extra.signers.length > 20)
      throw new InvalidInput('extra.signers must be an array of {publicKey, signature}')
    for (const s of extra.signers as { publicKey?: unknown; signature?: unknown }[])
      pairs.push({
        key: signerKey(s?.publicKey, 'extra.signers[].publicKey'),
        signature: signatureBytes(s?.signature, 'extra.signers[].signature'),
      })
  }
  const message = new TextEncoder().encode(rendered.message)
  for (const p of pairs)
    if (!verifySep53Signature(StrKey.decodeEd25519PublicKey(p.key), message, p.signature))
      throw new WalletSignatureInvalid('a SEP-53 signature does not verify with its key')
  const check = requireAdapter(challenge, ctx)
  const ok = await check({
    account: challenge.account,
    message,
    signature: pairs[0]!.signature,
    extra: {
      publicKey: key,
      ...(pairs.length > 1
        ? { signers: pairs.slice(1).map((p) => ({ publicKey: p.key, signature: p.signature })) }
        : {}),
    },
  })
  if (!ok) throw new WalletSignatureInvalid('the signing keys do not reach the account threshold')
  return { account: challenge.account, method: 'sep53', publicKey: key }
}

/**
 * The `stellar` sign-in scheme (formats `sep53`, `sep10`; the challenge's `format` picks one).
 * `sep53`: `message` = CAIP-122 text, `proof.signature` = base64 SEP-53 signature, optional
 * `proof.extra.publicKey` (a signer `G…`, default the account) and `proof.extra.signers`
 * (`[{publicKey, signature}]` co-signers). `sep10`: `message` = the server-signed challenge envelope
 * (base64 XDR), `extra` = `{networkPassphrase, serverAccount}`; the proof's `message` is that
 * envelope with the wallet's signatures added (no `signature`).
 */
export const stellarSignInScheme: SignInScheme = {
  namespace: NAMESPACE,
  formats: ['sep53', 'sep10'],

  normalizeAccount(account: string): string {
    const { network, key } = splitAccount(account)
    return `${NAMESPACE}:${network}:${key}`
  },

  async render(challenge: SignInChallenge, ctx: SignInContext): Promise<RenderedChallenge> {
    const { network, key } = splitAccount(challenge.account)
    const nonce = challengeNonceBytes(challenge.nonce)
    if (formatOf(challenge) === 'sep53')
      return { message: renderCaip122(challengeFields(challenge, key, network), 'Stellar') }
    const networkPassphrase = STELLAR_PASSPHRASES[network]
    if (!networkPassphrase) throw new InvalidInput(`SEP-10 needs a known Stellar network, not ${network}`)
    const serverAccount = StrKey.encodeEd25519PublicKey(Buffer.from(ctx.server.publicKey))
    const message = buildSep10Challenge({
      serverAccount,
      clientAccount: key,
      domain: challenge.domain,
      uri: challenge.uri,
      nonce,
      issuedAt: challenge.issuedAt,
      expiresAt: challenge.expiresAt,
      networkPassphrase,
      sign: (hash) => ctx.server.sign(hash),
    })
    return { message, extra: { networkPassphrase, serverAccount } }
  },

  parse(message: string, format: string): SignInMessageFields {
    if (format === 'sep10') {
      const c = readSep10Challenge(message)
      const chainId = `${NAMESPACE}:${c.network}`
      return {
        nonce: c.nonce,
        domain: c.domain,
        uri: c.uri,
        chainId,
        account: `${chainId}:${c.clientAccount}`,
      }
    }
    if (format !== 'sep53') throw new InvalidSignInMessage(`unknown Stellar sign-in format ${format}`)
    if (typeof message !== 'string') throw new InvalidSignInMessage('message must be the CAIP-122 text')
    return signInFields(
      NAMESPACE,
      parseCaip122(message, 'Stellar'),
      stellarSignInScheme.normalizeAccount,
      () => 'the message does not name a G… account on a Stellar network',
    )
  },

  async verify(challenge, rendered, proof, ctx): Promise<VerifiedSignIn> {
    if (formatOf(challenge) === 'sep53') return verifySep53(challenge, rendered, proof, ctx)
    return verifySep10Proof(challenge, rendered, proof, () => requireAdapter(challenge, ctx))
  },
}
