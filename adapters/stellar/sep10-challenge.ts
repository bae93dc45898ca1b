/**
 * The SEP-10 challenge transaction of a mero sign-in, built and read with `@stellar/stellar-sdk`:
 * source = the server account (the node's Ed25519 key as a `G…` account), sequence 0, time bounds
 * [issuedAt, expiresAt] in seconds, and three `manageData` operations —
 *
 * 1. `<domain> auth` = base64 of the challenge's 32 nonce bytes and 16 zero bytes (SEP-10 wants a
 *    64-character base64 value of 48 bytes; the first 32 are the nonce), source = the client account;
 * 2. `web_auth_domain` = domain, source = the server account;
 * 3. `mero_uri` = the challenge URI (SEP-10 has no URI of its own), source = the server account;
 *
 * signed by the server for the chain's network passphrase. SEP-10 clients (e.g. the SDK's
 * `WebAuth.readChallengeTx`) accept it. An envelope names no network: {@link readSep10Challenge}
 * finds it as the known network (`STELLAR_PASSPHRASES`) whose transaction hash the server's
 * signature verifies for.
 */
import {
  Account,
  BASE_FEE,
  Operation,
  StrKey,
  Transaction,
  TransactionBuilder,
  xdr,
} from '@stellar/stellar-sdk'
import type { SignInCheck } from '../../src/chain/chain-adapter.ts'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInProof,
  VerifiedSignIn,
} from '../../src/chain/sign-in-scheme.ts'
import { concatBytes, fromBase64, toBase58, toBase64 } from '../../src/core/bytes.ts'
import { verifyStrict } from '../../src/core/ed25519.ts'
import {
  ChainMismatch,
  InvalidInput,
  InvalidSignInMessage,
  MessageMismatch,
  WalletSignatureInvalid,
} from '../../src/core/errors.ts'
import { sha256 } from '../../src/core/hash.ts'
import { STELLAR_PASSPHRASES } from './stellar-network.ts'

/** Name of the operation that carries the challenge URI. */
export const MERO_URI_OP = 'mero_uri'
const MAX_ENVELOPE_CHARS = 8192

/** What {@link buildSep10Challenge} needs. Times are ms since epoch. */
export interface Sep10ChallengeParams {
  /** The server account `G…` (the node key); it is the transaction source. */
  readonly serverAccount: string
  /** The client account `G…` signing in. */
  readonly clientAccount: string
  readonly domain: string
  readonly uri: string
  /** The 32 nonce bytes. */
  readonly nonce: Uint8Array
  readonly issuedAt: number
  readonly expiresAt: number
  readonly networkPassphrase: string
  /** Signs the transaction hash with the server account's key. */
  sign(hash: Uint8Array): Uint8Array
}

/** A challenge transaction read back by {@link readSep10Challenge}. */
export interface Sep10Challenge {
  /** The transaction's XDR (without signatures) and its hash on the network it was signed for. */
  readonly txBytes: Uint8Array
  readonly hash: Uint8Array
  /** Every signature of the envelope, the server's included. */
  readonly signatures: readonly xdr.DecoratedSignature[]
  /** Network name (`pubnet`, `testnet`, `futurenet`, `standalone`) and its passphrase. */
  readonly network: string
  readonly networkPassphrase: string
  readonly serverAccount: string
  readonly clientAccount: string
  /** The challenge nonce, base58 of its 32 bytes. */
  readonly nonce: string
  readonly domain: string
  readonly uri: string
  /** Index of the server's signature in `signatures`. */
  readonly serverSignature: number
}

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8')

/**
 * Builds and server-signs the challenge; returns the base64 envelope XDR. Throws `InvalidInput` when
 * the domain (≤ 59 bytes) or URI (≤ 64 bytes) does not fit a `manageData` entry.
 *
 * @example
 * const envelope = buildSep10Challenge({ serverAccount, clientAccount, domain: 'localhost:2528',
 *   uri: 'http://localhost:2528', nonce, issuedAt, expiresAt, networkPassphrase, sign: node.sign })
 */
export function buildSep10Challenge(p: Sep10ChallengeParams): string {
  if (p.nonce.length !== 32) throw new InvalidInput('the SEP-10 nonce must be 32 bytes')
  if (utf8Length(p.domain) > 59) throw new InvalidInput('SEP-10: the domain must be at most 59 bytes')
  if (utf8Length(p.uri) > 64) throw new InvalidInput('SEP-10: the URI must be at most 64 bytes')
  const value = new Uint8Array(48)
  value.set(p.nonce)
  const tx = new TransactionBuilder(new Account(p.serverAccount, '-1'), {
    fee: BASE_FEE,
    networkPassphrase: p.networkPassphrase,
    timebounds: { minTime: Math.floor(p.issuedAt / 1000), maxTime: Math.ceil(p.expiresAt / 1000) },
  })
    .addOperation(
      Operation.manageData({ name: `${p.domain} auth`, value: toBase64(value), source: p.clientAccount }),
    )
    .addOperation(Operation.manageData({ name: 'web_auth_domain', value: p.domain, source: p.serverAccount }))
    .addOperation(Operation.manageData({ name: MERO_URI_OP, value: p.uri, source: p.serverAccount }))
    .build()
  tx.addSignature(p.serverAccount, toBase64(p.sign(tx.hash())))
  return tx.toXDR()
}

const ENVELOPE_TYPE_TX = new Uint8Array([0, 0, 0, 2])

/**
 * A transaction's hash on a network: `sha256(sha256(passphrase) ‖ ENVELOPE_TYPE_TX ‖ tx XDR)`, the
 * `TransactionSignaturePayload` every Stellar signature is over (node:crypto; the SDK's is slower).
 *
 * @example
 * transactionHash(STELLAR_PASSPHRASES.testnet, envelope.v1.tx.toXdr())
 */
export function transactionHash(passphrase: string, txBytes: Uint8Array): Uint8Array {
  return sha256(concatBytes(sha256(new TextEncoder().encode(passphrase)), ENVELOPE_TYPE_TX, txBytes))
}

/** Whether decorated signature `sig` is `key`'s (raw 32 bytes) over `hash`. */
export function isSignatureBy(key: Uint8Array, hash: Uint8Array, sig: xdr.DecoratedSignature): boolean {
  return (
    Buffer.from(key.subarray(28)).equals(sig.hint.toBytes()) &&
    verifyStrict(key, hash, sig.signature.toBytes())
  )
}

function fail(why: string): never {
  throw new InvalidSignInMessage(`not a mero SEP-10 challenge: ${why}`)
}

/** The value of a `manageData` operation as text. */
const text = (v: Uint8Array | undefined) => (v ? Buffer.from(v).toString('utf8') : '')

/** Decodes a base64 (v1) transaction envelope, else `InvalidSignInMessage`. */
function envelopeOf(envelope: string): xdr.TransactionEnvelopeTx {
  if (typeof envelope !== 'string' || envelope.length === 0 || envelope.length > MAX_ENVELOPE_CHARS)
    fail('the message must be a base64 transaction envelope')
  let env: xdr.TransactionEnvelope
  try {
    fromBase64(envelope)
    env = xdr.TransactionEnvelope.fromXDR(envelope, 'base64')
  } catch {
    fail('the message is not a base64 transaction envelope')
  }
  if (env.type !== 'envelopeTypeTx') fail('not a (v1) transaction envelope')
  return env
}

/** The envelope's transaction (fields only: they do not depend on the network) and its XDR. */
function decode(envelope: string): { tx: Transaction; txBytes: Uint8Array } {
  const env = envelopeOf(envelope)
  try {
    return { tx: new Transaction(env, STELLAR_PASSPHRASES.pubnet!), txBytes: env.v1.tx.toXdr() }
  } catch {
    fail('the transaction does not decode')
  }
}

/**
 * Reads a challenge envelope (base64 XDR): its fields, and the network whose hash the source
 * account's (server's) signature verifies for (`preferredPassphrase` is tried first). Throws
 * `InvalidSignInMessage` for anything else.
 *
 * @example
 * const c = readSep10Challenge(envelope); `stellar:${c.network}:${c.clientAccount}`
 */
export function readSep10Challenge(envelope: string, preferredPassphrase?: string): Sep10Challenge {
  const { tx, txBytes } = decode(envelope)
  if (!StrKey.isValidEd25519PublicKey(tx.source)) fail('the source is not a G… account')
  const server = StrKey.decodeEd25519PublicKey(tx.source)
  const signatures = tx.signatures
  // every candidate network costs an Ed25519 verify per signature bearing the server's hint (at most
  // 20: the envelope XDR decoder refuses more): the expected network first
  const networks = Object.entries(STELLAR_PASSPHRASES).sort(
    ([, a], [, b]) => Number(b === preferredPassphrase) - Number(a === preferredPassphrase),
  )
  let found: { network: string; passphrase: string; hash: Uint8Array; index: number } | undefined
  for (const [network, passphrase] of networks) {
    const hash = transactionHash(passphrase, txBytes)
    const index = signatures.findIndex((s) => isSignatureBy(server, hash, s))
    if (index >= 0) {
      found = { network, passphrase, hash, index }
      break
    }
  }
  if (!found) fail('it is not signed by its source account for a known Stellar network')
  if (tx.sequence !== '0') fail('the sequence number must be 0')
  if (!tx.timeBounds) fail('the transaction has no time bounds')
  if (tx.memo.type !== 'none') fail('the transaction has a memo')
  const [auth, webAuth, uri, ...rest] = tx.operations
  if (!auth || !webAuth || !uri || rest.length > 0) fail('it must have exactly three operations')
  if (auth.type !== 'manageData' || webAuth.type !== 'manageData' || uri.type !== 'manageData')
    fail('every operation must be manageData')
  if (!auth.name.endsWith(' auth')) fail('the first operation must be "<domain> auth"')
  const client = auth.source
  if (!client || !StrKey.isValidEd25519PublicKey(client)) fail('the first operation needs a G… client source')
  if (webAuth.name !== 'web_auth_domain' || webAuth.source !== tx.source)
    fail('the second must be web_auth_domain')
  if (uri.name !== MERO_URI_OP || uri.source !== tx.source) fail(`the third must be ${MERO_URI_OP}`)
  const domain = auth.name.slice(0, -' auth'.length)
  if (text(webAuth.value) !== domain) fail('web_auth_domain differs from the auth domain')
  let value: Uint8Array
  try {
    value = fromBase64(text(auth.value))
  } catch {
    fail('the auth value is not base64')
  }
  if (value.length !== 48) fail('the auth value must be base64 of 48 bytes')
  return {
    txBytes,
    hash: found.hash,
    signatures,
    network: found.network,
    networkPassphrase: found.passphrase,
    serverAccount: tx.source,
    clientAccount: client,
    nonce: toBase58(value.subarray(0, 32)),
    domain,
    uri: text(uri.value),
    serverSignature: found.index,
  }
}

/**
 * Verifies a SEP-10 sign-in: `proof.message` must be the rendered challenge (same transaction,
 * server signature intact — else `MessageMismatch`, `InvalidSignInMessage` without the server
 * signature, `ChainMismatch` for a challenge of another network) plus the client's signatures, which
 * `signers()` — the adapter's `verifySignIn`, called with `extra.format: 'sep10'`, the transaction
 * hash and the client's decorated signatures — checks against the account's signers and threshold.
 * `signers()` throws `AccountKeyUnverifiable` when no adapter is configured. The result names no
 * `publicKey`: several keys may have signed.
 *
 * @example
 * await verifySep10Proof(challenge, rendered, { message: signedEnvelope }, () => (c) => adapter.verifySignIn(c))
 */
export async function verifySep10Proof(
  challenge: SignInChallenge,
  rendered: RenderedChallenge,
  proof: SignInProof,
  signers: () => (check: SignInCheck) => Promise<boolean>,
): Promise<VerifiedSignIn> {
  const expected = rendered.extra?.networkPassphrase
  const submitted = readSep10Challenge(proof.message, typeof expected === 'string' ? expected : undefined)
  const chainId = `stellar:${submitted.network}`
  if (chainId !== challenge.chainId)
    throw new ChainMismatch(
      `the challenge transaction is for ${chainId}, the challenge for ${challenge.chainId}`,
    )
  if (!Buffer.from(envelopeOf(rendered.message).v1.tx.toXdr()).equals(submitted.txBytes))
    throw new MessageMismatch('the transaction differs from the challenge transaction')
  const client = submitted.signatures.filter((_, i) => i !== submitted.serverSignature)
  if (client.length === 0)
    throw new WalletSignatureInvalid('the challenge transaction carries no client signature')
  if (client.some((s) => s.signature.toBytes().length !== 64))
    throw new WalletSignatureInvalid('a client signature is not a 64-byte Ed25519 signature')
  const check = signers()
  const ok = await check({
    account: challenge.account,
    message: submitted.hash,
    signature: new Uint8Array(0),
    extra: {
      format: 'sep10',
      signatures: client.map((s) => ({ hint: s.hint.toBytes(), signature: s.signature.toBytes() })),
    },
  })
  if (!ok) {
    const master = StrKey.decodeEd25519PublicKey(submitted.clientAccount)
    for (const passphrase of Object.values(STELLAR_PASSPHRASES)) {
      if (passphrase === submitted.networkPassphrase) continue
      const other = transactionHash(passphrase, submitted.txBytes)
      if (client.some((s) => isSignatureBy(master, other, s)))
        throw new ChainMismatch('the client signed the challenge transaction for another Stellar network')
    }
    throw new WalletSignatureInvalid('the client signatures do not match the account signers and threshold')
  }
  return { account: challenge.account, method: 'sep10' }
}
