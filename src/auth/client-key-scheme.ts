/**
 * Sign-in of a client key (DESIGN §3): an Ed25519 key a root key registered for one device or app
 * proves possession by signing a CAIP-122 challenge, exactly like a wallet does, on the pseudo-chain
 * `mero:client` with accounts `mero:client:<base58 public key>`. The auth service then checks that
 * the key is registered and not revoked.
 */
import { challengeFields, parseCaip122, renderCaip122 } from '../chain/caip122-message.ts'
import type { SignInScheme } from '../chain/sign-in-scheme.ts'
import { fromBase58, fromBase64, fromHex } from '../core/bytes.ts'
import { verifyStrict } from '../core/ed25519.ts'
import { ChainMismatch, InvalidInput, MessageMismatch, WalletSignatureInvalid } from '../core/errors.ts'

/** The CAIP-2 id of client-key sign-in. */
export const CLIENT_KEY_CHAIN = 'mero:client'
const NAME = 'mero client key'

/** The account of a client key. */
export function clientKeyAccount(keyId: string): string {
  return `${CLIENT_KEY_CHAIN}:${keyId}`
}

function keyOf(account: string): Uint8Array {
  const prefix = `${CLIENT_KEY_CHAIN}:`
  if (typeof account !== 'string' || !account.startsWith(prefix))
    throw new InvalidInput(`a client key account is ${prefix}<base58 public key>`)
  return fromBase58(account.slice(prefix.length), 32, 'client key')
}

function signatureBytes(v: unknown): Uint8Array {
  try {
    if (typeof v === 'string' && v.startsWith('0x')) return fromHex(v, 64, 'signature')
    if (typeof v === 'string') {
      const b = fromBase64(v, 'signature')
      if (b.length === 64) return b
    }
  } catch {
    // fall through to the named error
  }
  throw new WalletSignatureInvalid('signature must be 64 bytes, 0x hex or base64')
}

/** The client-key scheme (namespace `mero`). */
export const clientKeySignInScheme: SignInScheme = {
  namespace: 'mero',
  formats: ['caip122'],
  normalizeAccount(account) {
    keyOf(account)
    return account
  },
  async render(challenge) {
    const address = challenge.account.slice(CLIENT_KEY_CHAIN.length + 1)
    return { message: renderCaip122(challengeFields(challenge, address, 'client'), NAME) }
  },
  parse(message) {
    const f = parseCaip122(message, NAME)
    return {
      nonce: f.nonce,
      domain: f.domain,
      uri: f.uri,
      chainId: `mero:${f.chainId}`,
      account: `mero:${f.chainId}:${f.address}`,
      ...(f.resources ? { resources: f.resources } : {}),
    }
  },
  async verify(challenge, rendered, proof) {
    if (challenge.chainId !== CLIENT_KEY_CHAIN) throw new ChainMismatch('client keys sign in on mero:client')
    if (proof.message !== rendered.message) throw new MessageMismatch('message differs from the challenge')
    const key = keyOf(challenge.account)
    if (!verifyStrict(key, new TextEncoder().encode(proof.message), signatureBytes(proof.signature)))
      throw new WalletSignatureInvalid('the client key signature does not verify')
    return { account: challenge.account, method: 'ed25519', publicKey: challenge.account.slice(12) }
  },
}
