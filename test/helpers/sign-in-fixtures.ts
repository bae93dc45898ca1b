/**
 * Test helper: what the sign-in scheme tests share — a {@link SignInContext} with a server key, a
 * challenge for an account, and a predicate for a named mero error (`assert.rejects(p, named('X'))`).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { SignInChallenge, SignInContext } from '../../src/chain/sign-in-scheme.ts'
import { toBase58 } from '../../src/core/bytes.ts'
import { type Ed25519KeyPair, generateKeyPair, sign } from '../../src/core/ed25519.ts'
import { isMeroError } from '../../src/core/errors.ts'

const defaultServerKey = generateKeyPair()

/**
 * A sign-in context: server key `key` (default one random Ed25519 key for the process), clock
 * `Date.now`, and `extra` (e.g. `{ adapter }`) on top.
 *
 * @example
 * await scheme.verify(challenge, rendered, proof, signInContext({ adapter }))
 */
export function signInContext(
  extra: Partial<SignInContext> = {},
  key: Ed25519KeyPair = defaultServerKey,
): SignInContext {
  return {
    server: { publicKey: key.publicKey, sign: (m) => sign(key.secretKey, m) },
    now: Date.now,
    ...extra,
  }
}

/**
 * A challenge for the CAIP-10 `account` on its chain, issued now for 10 minutes, with a fresh nonce,
 * domain `localhost:2528` and statement `Sign in to mero`; `over` replaces any field.
 *
 * @example
 * const challenge = signInChallenge(wallet.account, { format: 'sep10' })
 */
export function signInChallenge(account: string, over: Partial<SignInChallenge> = {}): SignInChallenge {
  const now = Date.now()
  return {
    nonce: toBase58(randomBytes(32)),
    chainId: account.split(':').slice(0, 2).join(':'),
    account,
    domain: 'localhost:2528',
    uri: 'http://localhost:2528',
    statement: 'Sign in to mero',
    issuedAt: now,
    expiresAt: now + 600_000,
    ...over,
  }
}

/**
 * An `assert.rejects` / `assert.throws` predicate: the error is the mero error `name`.
 *
 * @example
 * await assert.rejects(scheme.verify(c, rendered, proof, ctx), named('MessageMismatch'))
 */
export function named(name: string): (e: unknown) => true {
  return (e: unknown) => {
    assert.ok(isMeroError(e), `expected ${name}, got ${String(e)}`)
    assert.equal(e.name, name, e.message)
    return true
  }
}
