/**
 * Sign-In with Ethereum (DESIGN §8, `eip155`): the challenge is rendered as EIP-4361 text, which the
 * wallet signs with `personal_sign` (EIP-191). An externally owned account is checked offline — the
 * EIP-191 hash with keccak-256 (the native `keccak` addon) and public-key recovery with libsecp256k1 (the native
 * `secp256k1` package) — and must recover to the account. Any other signature (a wallet owner's
 * signature checked by an EIP-1271 contract, an ERC-6492 wrapper of a wallet not deployed yet) is
 * checked on chain through the chain's adapter (`contract-wallet.ts`).
 */
import secp256k1 from 'secp256k1'
import {
  challengeFields,
  eip55Address,
  parseCaip122,
  renderCaip122,
} from '../../src/chain/caip122-message.ts'
import type { SignInContext, SignInScheme, VerifiedSignIn } from '../../src/chain/sign-in-scheme.ts'
import { signInAdapter } from '../../src/chain/sign-in-support.ts'
import { toHex } from '../../src/core/bytes.ts'
import {
  AccountKeyUnverifiable,
  ChainMismatch,
  InvalidInput,
  InvalidSignInMessage,
  MessageMismatch,
  WalletSignatureInvalid,
} from '../../src/core/errors.ts'
import { hasErc6492Suffix, MAX_CONTRACT_SIGNATURE_BYTES, unwrapErc6492 } from './contract-wallet.ts'
import { keccak256 } from './keccak256.ts'

/** The one message format: EIP-4361 text. */
export const EIP4361_FORMAT = 'eip4361'
const CHAIN_NAME = 'Ethereum'
const ACCOUNT = /^eip155:([1-9][0-9]{0,31}):(0x[0-9a-fA-F]{40})$/
const HEX = /^0x(?:[0-9a-fA-F]{2})+$/
// secp256k1 n / 2: a signature with a larger s has a twin with n - s; only the low one is accepted (EIP-2).
const HALF_ORDER = Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex')
const EIP191_PREFIX = '\x19Ethereum Signed Message:\n'

/**
 * `eip155:<chain id>:<address>` with the address EIP-55 checksummed. Throws `InvalidInput` for any
 * other shape or for a mixed-case address whose checksum is wrong.
 */
function normalizeAccount(account: string): string {
  const m = typeof account === 'string' ? ACCOUNT.exec(account) : null
  if (!m) throw new InvalidInput('an Ethereum account is eip155:<chain id>:0x<40 hex digits>')
  const address = m[2]!
  const checksummed = eip55Address(address)
  const hex = address.slice(2)
  const oneCase = hex === hex.toLowerCase() || hex === hex.toUpperCase()
  if (!oneCase && checksummed !== address)
    throw new InvalidInput('the address has a wrong EIP-55 checksum', { details: { account } })
  return `eip155:${m[1]}:${checksummed}`
}

/** The EIP-191 `personal_sign` hash: keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ message). */
export function personalMessageHash(message: Uint8Array): Uint8Array {
  return keccak256(Buffer.from(`${EIP191_PREFIX}${message.length}`, 'utf8'), message)
}

/**
 * The uncompressed public key (65 bytes) that made the 65-byte signature `r ‖ s ‖ v` over `hash`, or
 * `undefined` when the signature is not a valid low-s signature with v in {0, 1, 27, 28}.
 */
export function recoverPublicKey(hash: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
  if (signature.length !== 65) return undefined
  const v = signature[64]!
  const recid = v >= 27 ? v - 27 : v
  if (recid !== 0 && recid !== 1) return undefined
  if (Buffer.compare(signature.subarray(32, 64), HALF_ORDER) > 0) return undefined
  try {
    return secp256k1.ecdsaRecover(signature.subarray(0, 64), recid, hash, false)
  } catch {
    return undefined // r or s zero or not below the curve order, or no point for r
  }
}

/** Whether the uncompressed public key `publicKey` is the one of the 20-byte `address`. */
function isKeyOf(publicKey: Uint8Array, address: Uint8Array): boolean {
  const h = keccak256(publicKey.subarray(1))
  return Buffer.compare(h.subarray(12), address) === 0
}

function signatureBytes(v: unknown): Uint8Array {
  if (typeof v !== 'string' || !HEX.test(v))
    throw new WalletSignatureInvalid('signature must be 0x-prefixed hex of whole bytes')
  if (v.length > 2 + 2 * MAX_CONTRACT_SIGNATURE_BYTES)
    throw new WalletSignatureInvalid(`signature longer than ${MAX_CONTRACT_SIGNATURE_BYTES} bytes`)
  return Buffer.from(v.slice(2), 'hex')
}

/** The adapter that can check `chainId` on chain, if the node has one. */
function onChainChecker(context: SignInContext, chainId: string) {
  const a = signInAdapter(context, chainId)
  return a?.capabilities.signIn ? a : undefined
}

/**
 * The `eip155` sign-in scheme (format `eip4361`). `verify` needs no chain for externally owned
 * accounts; contract wallets (EIP-1271, ERC-6492) need the chain's adapter (`AccountKeyUnverifiable`
 * without one).
 *
 * @example
 * const rendered = await eip155SignInScheme.render(challenge, context)
 * const signature = await wallet.signMessage(rendered.message)
 * await eip155SignInScheme.verify(challenge, rendered, { message: rendered.message, signature }, context)
 */
export const eip155SignInScheme: SignInScheme = {
  namespace: 'eip155',
  formats: [EIP4361_FORMAT],
  normalizeAccount,

  async render(challenge) {
    if (challenge.format !== undefined && challenge.format !== EIP4361_FORMAT)
      throw new InvalidInput(`eip155 sign-in has one format, ${EIP4361_FORMAT}`)
    const account = normalizeAccount(challenge.account)
    const [, ref, address] = account.split(':') as [string, string, string]
    if (`eip155:${ref}` !== challenge.chainId)
      throw new ChainMismatch(`the account is not on ${challenge.chainId}`, {
        details: { chainId: challenge.chainId },
      })
    return { message: renderCaip122(challengeFields(challenge, address, ref), CHAIN_NAME) }
  },

  parse(message, format) {
    if (format !== EIP4361_FORMAT) throw new InvalidSignInMessage(`unknown eip155 message format ${format}`)
    const f = parseCaip122(message, CHAIN_NAME)
    return {
      nonce: f.nonce,
      domain: f.domain,
      uri: f.uri,
      chainId: `eip155:${f.chainId}`,
      account: `eip155:${f.chainId}:${f.address}`, // the grammar requires EIP-55 already
      ...(f.resources ? { resources: f.resources } : {}),
    }
  },

  async verify(challenge, rendered, proof, context): Promise<VerifiedSignIn> {
    if (typeof proof?.message !== 'string' || proof.message !== rendered.message)
      throw new MessageMismatch('the signed message differs from the challenge')
    const m = ACCOUNT.exec(challenge.account)
    if (!m) throw new InvalidInput('the challenge account is not an Ethereum account')
    if (`eip155:${m[1]}` !== challenge.chainId)
      throw new ChainMismatch(`the account is not on ${challenge.chainId}`, {
        details: { chainId: challenge.chainId },
      })
    const signature = signatureBytes(proof.signature)
    const message = Buffer.from(proof.message, 'utf8')
    const hash = personalMessageHash(message)
    const address = Buffer.from(m[2]!.slice(2), 'hex')

    // An externally owned account: the signature (or, ERC-6492 wrapped, its inner one) recovers to it.
    const wrapped = hasErc6492Suffix(signature)
    const ecdsa = wrapped ? unwrapErc6492(signature)?.signature : signature
    const publicKey = ecdsa && recoverPublicKey(hash, ecdsa)
    if (publicKey && isKeyOf(publicKey, address))
      return { account: challenge.account, method: 'eoa', publicKey: toHex(publicKey) }

    // Otherwise only the chain can tell: a contract wallet (EIP-1271), maybe not deployed yet (ERC-6492).
    const adapter = onChainChecker(context, challenge.chainId)
    if (!adapter) {
      if (signature.length === 65 && !wrapped)
        throw new WalletSignatureInvalid('the signature does not recover to the account')
      throw new AccountKeyUnverifiable(
        `a contract-wallet signature (EIP-1271 / ERC-6492) is checked on chain, and ${challenge.chainId} has no RPC here`,
        { details: { chainId: challenge.chainId } },
      )
    }
    const ok = await adapter.verifySignIn({ account: challenge.account, message, signature }, context.call)
    if (!ok)
      throw new WalletSignatureInvalid(
        'the signature does not recover to the account and the account does not accept it (EIP-1271 / ERC-6492)',
      )
    return { account: challenge.account, method: wrapped ? 'erc6492' : 'eip1271' }
  },
}
