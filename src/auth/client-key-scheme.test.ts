import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import type { SignInChallenge, SignInContext } from '../chain/sign-in-scheme.ts'
import { toBase58 } from '../core/bytes.ts'
import { generateKeyPair, sign } from '../core/ed25519.ts'
import { isMeroError } from '../core/errors.ts'
import { CLIENT_KEY_CHAIN, clientKeyAccount, clientKeySignInScheme as scheme } from './client-key-scheme.ts'

const server = generateKeyPair()
const ctx: SignInContext = {
  server: { publicKey: server.publicKey, sign: (m) => sign(server.secretKey, m) },
  now: Date.now,
}
const challengeFor = (publicKey: Uint8Array): SignInChallenge => ({
  nonce: toBase58(new Uint8Array(randomBytes(32))),
  chainId: CLIENT_KEY_CHAIN,
  account: clientKeyAccount(toBase58(publicKey)),
  domain: 'localhost:2528',
  uri: 'http://localhost:2528',
  statement: 'Sign in to mero',
  issuedAt: Date.now(),
  expiresAt: Date.now() + 300_000,
})
const named = (name: string) => (e: unknown) => {
  assert.ok(isMeroError(e), `expected ${name}, got ${String(e)}`)
  assert.equal(e.name, name, e.message)
  return true
}

describe('client-key sign-in scheme', () => {
  it('the client key signs in; another key does not', async () => {
    const key = generateKeyPair()
    const c = challengeFor(key.publicKey)
    const rendered = await scheme.render(c, ctx)
    const signature = Buffer.from(sign(key.secretKey, new TextEncoder().encode(rendered.message)))
    const who = await scheme.verify(
      c,
      rendered,
      { message: rendered.message, signature: signature.toString('base64') },
      ctx,
    )
    assert.equal(who.account, c.account)
    const other = Buffer.from(sign(generateKeyPair().secretKey, new TextEncoder().encode(rendered.message)))
    await assert.rejects(
      scheme.verify(c, rendered, { message: rendered.message, signature: other.toString('base64') }, ctx),
      named('WalletSignatureInvalid'),
    )
  })

  it('a small-order key (the identity point) with R = identity, s = 0 does not sign in', async () => {
    const identity = new Uint8Array([1, ...new Array(31).fill(0)])
    const c = challengeFor(identity)
    const rendered = await scheme.render(c, ctx)
    const signature = `0x${'01'.padEnd(128, '0')}`
    await assert.rejects(
      scheme.verify(c, rendered, { message: rendered.message, signature }, ctx),
      named('WalletSignatureInvalid'),
    )
  })
})
