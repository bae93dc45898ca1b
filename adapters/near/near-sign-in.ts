/**
 * NEAR sign-in (DESIGN §8): NEP-413 `signMessage`. The wallet signs the payload
 * `{message, nonce, recipient, callbackUrl?}` where `message` is the CAIP-122 text ("…with your NEAR
 * account"), `nonce` the challenge's 32 nonce bytes and `recipient` the node's sign-in domain; the
 * signature is Ed25519 over `sha256(borsh(u32 2^31+413) ‖ borsh(payload))`. That proves the key; the
 * chain then says whether the key is a FullAccess key of the account (RPC `view_access_key`, through
 * the NEAR adapter's `verifySignIn`) — a FunctionCall key, which any app can ask a user to add, is
 * refused. Without a configured NEAR adapter nothing can vouch for the key: `AccountKeyUnverifiable`.
 */
import {
  type Caip122Fields,
  challengeFields,
  parseCaip122,
  renderCaip122,
} from '../../src/chain/caip122-message.ts'
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
  requireRenderedMessage,
  signatureBytes,
  signInAdapter,
  signInFields,
} from '../../src/chain/sign-in-support.ts'
import { fromBase58, fromBase64, toBase64 } from '../../src/core/bytes.ts'
import { verifyStrict } from '../../src/core/ed25519.ts'
import {
  AccountKeyUnverifiable,
  InvalidInput,
  InvalidSignInMessage,
  WalletSignatureInvalid,
} from '../../src/core/errors.ts'
import { sha256 } from '../../src/core/hash.ts'
import { NEAR_ACCOUNT_ID } from './near-adapter.ts'

/** NEP-413's prefix tag, `2^31 + 413`, borsh-serialised (u32 little-endian) before the payload. */
export const NEP413_TAG = 2 ** 31 + 413

/** The NEP-413 payload a wallet signs. */
export interface Nep413Payload {
  readonly message: string
  /** Exactly 32 bytes. */
  readonly nonce: Uint8Array
  readonly recipient: string
  readonly callbackUrl?: string
}

/**
 * The borsh schema of the payload (as `borsh` writes it; the test checks {@link nep413SignedBytes}
 * against `serialize(NEP413_PAYLOAD_SCHEMA, …)`).
 */
export const NEP413_PAYLOAD_SCHEMA = {
  struct: {
    message: 'string',
    nonce: { array: { type: 'u8', len: 32 } },
    recipient: 'string',
    callbackUrl: { option: 'string' },
  },
} as const

/**
 * `borsh(u32 2^31+413) ‖ borsh(payload)`, written field by field: the generic `borsh` serializer
 * takes ~25 µs for a sign-in payload, longer than the hash and a sixth of the Ed25519 verify.
 * borsh: u32 little-endian lengths before UTF-8 strings, the nonce as 32 raw bytes, an option as a
 * 0/1 byte before its value.
 */
export function nep413SignedBytes(payload: Nep413Payload): Uint8Array {
  const message = Buffer.from(payload.message, 'utf8')
  const recipient = Buffer.from(payload.recipient, 'utf8')
  const callback = payload.callbackUrl === undefined ? undefined : Buffer.from(payload.callbackUrl, 'utf8')
  const out = Buffer.allocUnsafe(
    4 + 4 + message.length + 32 + 4 + recipient.length + 1 + (callback ? 4 + callback.length : 0),
  )
  let at = out.writeUInt32LE(NEP413_TAG, 0)
  at = out.writeUInt32LE(message.length, at)
  at += message.copy(out, at)
  out.set(payload.nonce, at)
  at += 32
  at = out.writeUInt32LE(recipient.length, at)
  at += recipient.copy(out, at)
  at = out.writeUInt8(callback ? 1 : 0, at)
  if (callback) {
    at = out.writeUInt32LE(callback.length, at)
    callback.copy(out, at)
  }
  return out
}
const NAMESPACE = 'near'

/**
 * The 32-byte hash a NEP-413 wallet signs: `sha256(borsh(u32 2^31+413) ‖ borsh(payload))`.
 *
 * @example
 * nep413Hash({ message: 'hi', nonce: new Uint8Array(32), recipient: 'myapp.com' })
 */
export function nep413Hash(payload: Nep413Payload): Uint8Array {
  if (payload.nonce.length !== 32) throw new InvalidInput('NEP-413 nonce must be 32 bytes')
  return sha256(nep413SignedBytes(payload))
}

/**
 * The offline half of a NEAR sign-in: whether `signature` is the Ed25519 signature of `publicKey`
 * (32 raw bytes) over {@link nep413Hash} of `payload`, under strict Ed25519 rules (a small-order key
 * or `R` never verifies). False (never throws) for malformed input.
 *
 * @example
 * verifyNep413Signature(pub, { message, nonce, recipient: 'localhost:2528' }, sig) // true
 */
export function verifyNep413Signature(
  publicKey: Uint8Array,
  payload: Nep413Payload,
  signature: Uint8Array,
): boolean {
  if (payload.nonce.length !== 32) return false
  return verifyStrict(publicKey, nep413Hash(payload), signature)
}

/** The 32 bytes of a challenge nonce (base58 of 32 random bytes), NEP-413's `nonce`. */
const nonceBytes = (nonce: string) => challengeNonceBytes(nonce, 'NEP-413')

function splitAccount(account: string): { network: string; id: string } {
  const { network, address: id } = caip10Parts(account, NAMESPACE, 'near:<network>:<account id>')
  if (!NEAR_ACCOUNT_ID.test(id))
    throw new InvalidInput('account is not a NEAR account id (2–64 lowercase characters)', {
      details: { account: account.slice(0, 120) },
    })
  return { network, id }
}

/** `ed25519:<base58>` → 32 raw bytes, else `InvalidInput`. */
function parsePublicKey(v: unknown): Uint8Array {
  if (typeof v !== 'string' || !v.startsWith('ed25519:'))
    throw new InvalidInput('extra.publicKey must be an ed25519:<base58> NEAR public key')
  try {
    return fromBase58(v.slice(8), 32, 'public key')
  } catch {
    throw new InvalidInput('extra.publicKey must be an ed25519:<base58> NEAR public key')
  }
}

/** A wallet's signature: base64 of 64 bytes (NEP-413), or `ed25519:<base58>`; else `InvalidInput`. */
function parseSignature(v: unknown): Uint8Array {
  return signatureBytes(
    v,
    64,
    (s) => (s.startsWith('ed25519:') ? fromBase58(s.slice(8), 64, 'signature') : fromBase64(s, 'signature')),
    'signature must be base64 (or ed25519:<base58>) of a 64-byte Ed25519 signature',
  )
}

/**
 * A NEAR account id as a CAIP-10 `account_address` (`[-.%a-zA-Z0-9]`): `_`, allowed in NEAR ids, is
 * percent-encoded as `%5F`. NEAR ids never contain `%`, so the mapping is reversible.
 */
const toCaip10Address = (id: string) => id.replaceAll('_', '%5F')
const fromCaip10Address = (address: string) => address.replaceAll('%5F', '_')

function parseText(message: string): Caip122Fields {
  if (typeof message !== 'string') throw new InvalidSignInMessage('message must be the CAIP-122 text')
  return parseCaip122(message, 'NEAR')
}

/**
 * The `near` sign-in scheme (format `nep413`). `render` gives the CAIP-122 text as `message` and the
 * NEP-413 parameters as `extra.nep413` (`{message, nonce: base64 of 32 bytes, recipient}`) for the
 * wallet's `signMessage`. `verify` takes `proof.signature` (base64, as NEP-413 wallets return it, or
 * `ed25519:<base58>`), `proof.extra.publicKey` (`ed25519:<base58>`) and an optional
 * `proof.extra.callbackUrl` when the wallet signed one.
 */
export const nearSignInScheme: SignInScheme = {
  namespace: NAMESPACE,
  formats: ['nep413'],

  normalizeAccount(account: string): string {
    const { network, id } = splitAccount(account)
    return `${NAMESPACE}:${network}:${id}`
  },

  async render(challenge: SignInChallenge): Promise<RenderedChallenge> {
    const { network, id } = splitAccount(challenge.account)
    const nonce = nonceBytes(challenge.nonce)
    const message = renderCaip122(challengeFields(challenge, toCaip10Address(id), network), 'NEAR')
    return { message, extra: { nep413: { message, nonce: toBase64(nonce), recipient: challenge.domain } } }
  },

  parse(message: string, format: string): SignInMessageFields {
    if (format !== 'nep413') throw new InvalidSignInMessage(`unknown NEAR sign-in format ${format}`)
    const f = parseText(message)
    return signInFields(
      NAMESPACE,
      { ...f, address: fromCaip10Address(f.address) },
      nearSignInScheme.normalizeAccount,
      () => 'the message does not name a NEAR account on a NEAR network',
    )
  },

  async verify(
    challenge: SignInChallenge,
    rendered: RenderedChallenge,
    proof: SignInProof,
    ctx: SignInContext,
  ): Promise<VerifiedSignIn> {
    requireRenderedMessage(challenge, rendered, proof, {
      chainIdOf: (m) => nearSignInScheme.parse(m, 'nep413').chainId,
    })
    const publicKey = parsePublicKey(proof.extra?.publicKey)
    const signature = parseSignature(proof.signature)
    const callbackUrl = proof.extra?.callbackUrl
    if (callbackUrl !== undefined && (typeof callbackUrl !== 'string' || callbackUrl.length > 2048))
      throw new InvalidInput('extra.callbackUrl must be a string (the one the wallet signed)')
    const payload: Nep413Payload = {
      message: rendered.message,
      nonce: nonceBytes(challenge.nonce),
      recipient: challenge.domain,
      ...(callbackUrl === undefined ? {} : { callbackUrl }),
    }
    if (!verifyNep413Signature(publicKey, payload, signature))
      throw new WalletSignatureInvalid('the NEP-413 signature does not verify with the given key')
    const adapter = signInAdapter(ctx, challenge.chainId)
    if (!adapter)
      throw new AccountKeyUnverifiable(
        `whether the key is a FullAccess key of the account needs an RPC for ${challenge.chainId}`,
      )
    const key = proof.extra!.publicKey as string
    const ok = await adapter.verifySignIn(
      {
        account: challenge.account,
        message: new TextEncoder().encode(rendered.message),
        signature,
        extra: { publicKey: key },
      },
      ctx.call,
    )
    if (!ok) throw new WalletSignatureInvalid('the key is not a FullAccess key of the account')
    return { account: challenge.account, method: 'nep413', publicKey: key }
  },
}
