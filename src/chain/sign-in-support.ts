/**
 * Small pieces the chain sign-in schemes (`adapters/<chain>/…-sign-in…`) share: CAIP-10 account
 * splitting, the challenge nonce's bytes, the message fields a CAIP-122 style parse returns, the
 * "proof message must be the rendered one" rule with its `ChainMismatch` / `MessageMismatch`, the
 * decoding of a fixed-length signature, and the lookup of the adapter that can check this chain; and the
 * rule every challenge obeys before a scheme sees it ({@link assertAccountOnChain}).
 */
import { fromBase58 } from '../core/bytes.ts'
import {
  ChainMismatch,
  InvalidInput,
  InvalidSignInMessage,
  isMeroError,
  MessageMismatch,
} from '../core/errors.ts'
import type { ChainAdapter } from './chain-adapter.ts'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInContext,
  SignInMessageFields,
  SignInProof,
} from './sign-in-scheme.ts'

/** A CAIP-2 reference (the network part of a CAIP-10 account). */
const NETWORK = /^[-_a-zA-Z0-9]{1,32}$/

/**
 * Splits a CAIP-10 account `<namespace>:<network>:<address>` of `namespace`; the address is not
 * checked (the scheme does that). Throws `InvalidInput` "account must be `shape`" for any other shape.
 *
 * @example
 * caip10Parts('near:localnet:alice.test', 'near', 'near:<network>:<account id>') // { network: 'localnet', address: 'alice.test' }
 */
export function caip10Parts(
  account: string,
  namespace: string,
  shape: string,
): { network: string; address: string } {
  const parts = typeof account === 'string' ? account.split(':') : []
  if (parts.length !== 3 || parts[0] !== namespace || !NETWORK.test(parts[1]!))
    throw new InvalidInput(`account must be ${shape}`)
  return { network: parts[1]!, address: parts[2]! }
}

/**
 * Throws `ChainMismatch` unless the CAIP-10 `account` is on the CAIP-2 `chainId` — checked by the sign-in
 * service for every challenge and by every node for a wallet proof, so schemes may assume it.
 *
 * @example
 * assertAccountOnChain('eip155:1:0xAb…', 'eip155:1') // ok
 */
export function assertAccountOnChain(account: string, chainId: string): void {
  if (!account.startsWith(`${chainId}:`)) throw new ChainMismatch(`account ${account} is not on ${chainId}`)
}

/**
 * The 32 bytes of a challenge nonce (base58 of 32 random bytes). Throws `InvalidInput`, naming
 * `purpose` (e.g. `NEP-413`) when given.
 *
 * @example
 * challengeNonceBytes(challenge.nonce, 'NEP-413').length // 32
 */
export function challengeNonceBytes(nonce: string, purpose?: string): Uint8Array {
  try {
    return fromBase58(nonce, 32, 'challenge nonce')
  } catch {
    const suffix = purpose ? ` for ${purpose}` : ''
    throw new InvalidInput(`the challenge nonce must be base58 of 32 bytes${suffix}`)
  }
}

/** What {@link signInFields} reads from a parsed message (a `Caip122Fields` fits). */
export interface ParsedSignInText {
  readonly nonce: string
  readonly domain: string
  readonly uri: string
  /** The CAIP-2 reference, without the namespace. */
  readonly chainId: string
  readonly address: string
  readonly resources?: readonly string[]
}

/**
 * The {@link SignInMessageFields} of a parsed message of `namespace`: the account is
 * `normalizeAccount("<namespace>:<chainId>:<address>")`; when that throws, `InvalidSignInMessage`
 * with `badAccount(reason)` as its message.
 *
 * @example
 * signInFields('near', parseCaip122(text, 'NEAR'), scheme.normalizeAccount, () => 'not a NEAR account')
 */
export function signInFields(
  namespace: string,
  f: ParsedSignInText,
  normalizeAccount: (account: string) => string,
  badAccount: (reason: string) => string,
): SignInMessageFields {
  let account: string
  try {
    account = normalizeAccount(`${namespace}:${f.chainId}:${f.address}`)
  } catch (e) {
    throw new InvalidSignInMessage(badAccount((e as Error).message))
  }
  return {
    nonce: f.nonce,
    domain: f.domain,
    uri: f.uri,
    chainId: `${namespace}:${f.chainId}`,
    account,
    ...(f.resources === undefined ? {} : { resources: f.resources }),
  }
}

/** Options of {@link requireRenderedMessage}. */
export interface RenderedMessageOptions {
  /** The chain (CAIP-2) a message names: the scheme's `parse(message, format).chainId`. */
  readonly chainIdOf: (message: string) => string
  /**
   * When true, a differing message that does not parse is just another message (`MessageMismatch`);
   * when false (default), the parse's own error (`InvalidSignInMessage`) stands.
   */
  readonly unparsableDiffers?: boolean
  /** What the message is, in error messages (default `message`, e.g. `typed data`). */
  readonly what?: string
}

/**
 * Requires `proof.message` to be `rendered.message`. A non-string message is `InvalidSignInMessage`;
 * another message naming another chain than the challenge's is `ChainMismatch` (the rendered message
 * names the challenge's chain, so only another message can), any other difference `MessageMismatch`.
 *
 * @example
 * requireRenderedMessage(challenge, rendered, proof, { chainIdOf: (m) => scheme.parse(m, 'nep413').chainId })
 */
export function requireRenderedMessage(
  challenge: SignInChallenge,
  rendered: RenderedChallenge,
  proof: SignInProof,
  options: RenderedMessageOptions,
): void {
  if (typeof proof?.message !== 'string') throw new InvalidSignInMessage('message must be a string')
  if (proof.message === rendered.message) return
  const what = options.what ?? 'message'
  let chainId: string | undefined
  try {
    chainId = options.chainIdOf(proof.message)
  } catch (e) {
    if (!options.unparsableDiffers) throw e
  }
  if (chainId !== undefined && chainId !== challenge.chainId)
    throw new ChainMismatch(`the ${what} is for ${chainId}, the challenge for ${challenge.chainId}`)
  throw new MessageMismatch(`the signed ${what} differs from the challenge`)
}

/**
 * A signature of exactly `length` bytes: `decode(v)` when `v` is a string it decodes (a mero error
 * from `decode` or an `undefined` result counts as not decoding). Else `InvalidInput(message)`.
 *
 * @example
 * signatureBytes(proof.signature, 64, (s) => fromBase64(s), 'signature must be base64 of 64 bytes')
 */
export function signatureBytes(
  v: unknown,
  length: number,
  decode: (s: string) => Uint8Array | undefined,
  message: string,
): Uint8Array {
  let sig: Uint8Array | undefined
  try {
    if (typeof v === 'string') sig = decode(v)
  } catch (e) {
    if (!isMeroError(e)) throw e
  }
  if (sig?.length !== length) throw new InvalidInput(message)
  return sig
}

/** A chain adapter that has {@link ChainAdapter.verifySignIn}. */
export type SignInAdapter = ChainAdapter & Required<Pick<ChainAdapter, 'verifySignIn'>>

/**
 * `context.adapter` when it is the adapter of `chainId` and can check sign-ins, else `undefined`.
 *
 * @example
 * const adapter = signInAdapter(context, challenge.chainId)
 * if (!adapter) throw new AccountKeyUnverifiable(`no RPC for ${challenge.chainId}`)
 */
export function signInAdapter(context: SignInContext, chainId: string): SignInAdapter | undefined {
  const adapter = context.adapter
  return adapter?.verifySignIn && adapter.chainId === chainId ? (adapter as SignInAdapter) : undefined
}
