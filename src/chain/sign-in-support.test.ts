import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fromBase64, toBase58, toBase64 } from '../core/bytes.ts'
import { InvalidSignInMessage, isMeroError } from '../core/errors.ts'
import type { ChainAdapter } from './chain-adapter.ts'
import type { SignInChallenge, SignInContext } from './sign-in-scheme.ts'
import {
  caip10Parts,
  challengeNonceBytes,
  requireRenderedMessage,
  signatureBytes,
  signInAdapter,
  signInFields,
} from './sign-in-support.ts'

const named = (name: string) => (e: unknown) => {
  assert.ok(isMeroError(e), `expected ${name}, got ${String(e)}`)
  assert.equal(e.name, name, e.message)
  return true
}
const challenge = { chainId: 'tst:a' } as SignInChallenge
const rendered = { message: 'chain tst:a, nonce 1' }
/** A message's chain as a scheme's parse gives it: the word after `chain `, else InvalidSignInMessage. */
const chainIdOf = (m: string) => {
  const c = /^chain (\S+),/.exec(m)?.[1]
  if (!c) throw new InvalidSignInMessage('not a test message')
  return c
}

describe('sign-in support', () => {
  it('caip10Parts splits an account of the namespace and refuses any other shape', () => {
    assert.deepEqual(caip10Parts('near:localnet:alice.test', 'near', 'near:<network>:<id>'), {
      network: 'localnet',
      address: 'alice.test',
    })
    for (const bad of [
      'near:localnet',
      'icp:localnet:a',
      'near:local net:a',
      'near:a:b:c',
      5 as unknown as string,
    ])
      assert.throws(
        () => caip10Parts(bad, 'near', 'near:<network>:<id>'),
        (e: unknown) => {
          named('InvalidInput')(e)
          assert.equal((e as Error).message, 'account must be near:<network>:<id>')
          return true
        },
      )
  })

  it('challengeNonceBytes gives the 32 bytes of a base58 nonce, else InvalidInput naming the purpose', () => {
    const bytes = new Uint8Array(32).fill(7)
    assert.deepEqual(challengeNonceBytes(toBase58(bytes)), bytes)
    assert.throws(
      () => challengeNonceBytes(toBase58(new Uint8Array(31).fill(1)), 'NEP-413'),
      (e: unknown) => {
        named('InvalidInput')(e)
        assert.match((e as Error).message, /for NEP-413$/)
        return true
      },
    )
  })

  it('signInFields builds the fields and turns a bad account into InvalidSignInMessage', () => {
    const f = { nonce: 'n', domain: 'd', uri: 'u', chainId: 'a', address: 'x' }
    assert.deepEqual(
      signInFields(
        'tst',
        { ...f, resources: ['r:1'] },
        (a) => a.toUpperCase(),
        () => 'bad',
      ),
      { nonce: 'n', domain: 'd', uri: 'u', chainId: 'tst:a', account: 'TST:A:X', resources: ['r:1'] },
    )
    assert.equal(
      'resources' in
        signInFields(
          'tst',
          f,
          (a) => a,
          () => 'bad',
        ),
      false,
    )
    const refuse = () => {
      throw new Error('no such address')
    }
    assert.throws(
      () => signInFields('tst', f, refuse, (why) => `bad account: ${why}`),
      (e: unknown) => {
        named('InvalidSignInMessage')(e)
        assert.equal((e as Error).message, 'bad account: no such address')
        return true
      },
    )
  })

  it('requireRenderedMessage: same passes, other chain ChainMismatch, other text MessageMismatch', () => {
    requireRenderedMessage(challenge, rendered, { message: rendered.message }, { chainIdOf })
    assert.throws(
      () => requireRenderedMessage(challenge, rendered, { message: 'chain tst:b, nonce 1' }, { chainIdOf }),
      named('ChainMismatch'),
    )
    assert.throws(
      () => requireRenderedMessage(challenge, rendered, { message: 'chain tst:a, nonce 2' }, { chainIdOf }),
      named('MessageMismatch'),
    )
    assert.throws(
      () => requireRenderedMessage(challenge, rendered, { message: 7 as unknown as string }, { chainIdOf }),
      named('InvalidSignInMessage'),
    )
    // an unparsable message: the parse's error, unless the scheme counts it as just another message
    assert.throws(
      () => requireRenderedMessage(challenge, rendered, { message: 'hello' }, { chainIdOf }),
      named('InvalidSignInMessage'),
    )
    assert.throws(
      () =>
        requireRenderedMessage(
          challenge,
          rendered,
          { message: 'hello' },
          { chainIdOf, unparsableDiffers: true },
        ),
      named('MessageMismatch'),
    )
  })

  it('signatureBytes decodes exactly `length` bytes, else InvalidInput (never a crash)', () => {
    const sig = new Uint8Array(64).fill(9)
    const decode = (s: string) => fromBase64(s, 'signature')
    assert.deepEqual(signatureBytes(toBase64(sig), 64, decode, 'bad signature'), sig)
    for (const bad of [undefined, 12, 'not base64!', toBase64(new Uint8Array(63))])
      assert.throws(() => signatureBytes(bad, 64, decode, 'bad signature'), named('InvalidInput'))
    assert.throws(() => signatureBytes('x', 64, () => undefined, 'bad signature'), named('InvalidInput'))
  })

  it('signInAdapter is the context adapter only for its chain and only when it checks sign-ins', () => {
    const ctx = (adapter?: Partial<ChainAdapter>) => ({ adapter }) as unknown as SignInContext
    const checker = { chainId: 'tst:a', verifySignIn: async () => true }
    assert.equal(signInAdapter(ctx(checker), 'tst:a'), checker)
    assert.equal(signInAdapter(ctx(checker), 'tst:b'), undefined)
    assert.equal(signInAdapter(ctx({ chainId: 'tst:a' }), 'tst:a'), undefined)
    assert.equal(signInAdapter(ctx(), 'tst:a'), undefined)
  })
})
