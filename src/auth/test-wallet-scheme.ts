/**
 * A wallet chain for tests of the chain-independent sign-in rules (namespace `tst`): accounts are
 * base58 Ed25519 keys (`tst:net:<key>`), messages CAIP-122 text, signatures base64 Ed25519.
 */
import { challengeFields, parseCaip122, renderCaip122 } from '../chain/caip122-message.ts'
import type { SignInScheme } from '../chain/sign-in-scheme.ts'
import { fromBase58, toBase58, toBase64 } from '../core/bytes.ts'
import { type Ed25519KeyPair, generateKeyPair, sign, verify } from '../core/ed25519.ts'
import { MessageMismatch, WalletSignatureInvalid } from '../core/errors.ts'

/** The `tst` scheme. */
export const testWalletScheme: SignInScheme = {
  namespace: 'tst',
  formats: ['caip122'],
  normalizeAccount: (a) => {
    fromBase58(a.split(':')[2] ?? '', 32)
    return a
  },
  async render(ch) {
    return { message: renderCaip122(challengeFields(ch, ch.account.split(':')[2]!, 'net'), 'Test') }
  },
  parse(message) {
    const f = parseCaip122(message, 'Test')
    return {
      nonce: f.nonce,
      domain: f.domain,
      uri: f.uri,
      chainId: `tst:${f.chainId}`,
      account: `tst:${f.chainId}:${f.address}`,
    }
  },
  async verify(ch, rendered, proof) {
    if (proof.message !== rendered.message) throw new MessageMismatch('differs')
    const ok = verify(
      fromBase58(ch.account.split(':')[2]!),
      new TextEncoder().encode(proof.message),
      Buffer.from(String(proof.signature), 'base64'),
    )
    if (!ok) throw new WalletSignatureInvalid('bad')
    return { account: ch.account, method: 'test' }
  },
}

/** A `tst` wallet: its key and CAIP-10 account. */
export function testWallet(): { key: Ed25519KeyPair; account: string } {
  const key = generateKeyPair()
  return { key, account: `tst:net:${toBase58(key.publicKey)}` }
}

/** Base64 Ed25519 signature of `message` by `key`. */
export function testSign(key: Ed25519KeyPair, message: string): string {
  return toBase64(sign(key.secretKey, new TextEncoder().encode(message)))
}
