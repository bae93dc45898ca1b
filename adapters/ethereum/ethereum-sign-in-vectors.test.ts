import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { type Caip122Fields, isRfc3339DateTime, renderCaip122 } from '../../src/chain/caip122-message.ts'
import { isMeroError } from '../../src/core/errors.ts'
import { REPO_ROOT } from '../../test/helpers/child-process.ts'
import {
  eip155Challenge as challengeFor,
  signInContext as offline,
} from '../../test/helpers/eip155-test-wallet.ts'
import { eip155SignInScheme as scheme } from './ethereum-sign-in.ts'

const rejects = (p: Promise<unknown>, name: string, what?: string) =>
  assert.rejects(p, (e) => isMeroError(e) && e.name === name, what ?? name)

// The SIWE verification vectors (spruceid/siwe), read in place from the shared folder.
const SIWE = join(REPO_ROOT, '../shared/vectors/siwe')
type Vector = Record<string, unknown> & { signature: string; time?: string }
const vectors = (name: string): [string, Vector][] =>
  Object.entries(JSON.parse(readFileSync(join(SIWE, `${name}.json`), 'utf8')) as Record<string, Vector>)

/** The vector's message fields (without the verification parameters) and the challenge it answers. */
function fromVector(v: Vector) {
  const { signature: _s, time: _t, domainBinding: _d, matchNonce: _n, ...rest } = v
  const fields = { ...rest, chainId: String(rest.chainId) } as unknown as Caip122Fields
  const chainId = `eip155:${fields.chainId}`
  const challenge = challengeFor(`${chainId}:${fields.address}`, { chainId, nonce: fields.nonce })
  return { fields, challenge }
}

describe('eip155 sign-in scheme against the SIWE verification vectors', () => {
  it('eip1271: mainnet contract-wallet messages parse; offline, their signatures are refused or need the chain', async () => {
    // These wallets live on mainnet: this node cannot ask them (contract-wallet.test.ts deploys one on anvil).
    const cases = vectors('eip1271') as unknown as [string, { message: string; signature: string }][]
    assert.equal(cases.length, 2)
    const outcome: Record<string, string> = {
      argent: 'WalletSignatureInvalid', // 65 bytes that recover to another address than the wallet
      loopring: 'AccountKeyUnverifiable', // 66 bytes: only the wallet contract can tell
    }
    for (const [name, { message, signature }] of cases) {
      const parsed = scheme.parse(message, 'eip4361')
      assert.equal(parsed.chainId, 'eip155:1', name)
      const challenge = challengeFor(parsed.account, { chainId: 'eip155:1', nonce: parsed.nonce })
      await rejects(
        scheme.verify(challenge, { message }, { message, signature }, offline()),
        outcome[name]!,
        name,
      )
    }
  })

  it('verification_positive: every signature verifies (eoa) and every message parses', async () => {
    const cases = vectors('verification_positive')
    assert.ok(cases.length >= 4)
    for (const [name, v] of cases) {
      const { fields, challenge } = fromVector(v)
      const message = renderCaip122(fields, 'Ethereum')
      assert.equal(scheme.parse(message, 'eip4361').account, challenge.account, name)
      const now = v.time === undefined ? Date.now() : Date.parse(v.time)
      const verified = await scheme.verify(
        challenge,
        { message },
        { message, signature: v.signature },
        offline(now),
      )
      assert.equal(verified.method, 'eoa', name)
    }
  })

  it('verification_negative: signature and format cases fail here; expiry, domain and nonce cases are the auth service’s', async () => {
    // What refuses each case. 'auth' cases carry a valid signature over a well-formed message: the auth
    // service refuses them (ChallengeExpired, ChallengeNotYetValid, DomainMismatch, ChallengeNotFound)
    // before asking the scheme; here they must parse and their signature must verify.
    const expected: Record<string, string> = {
      'expired message': 'auth', // Expiration Time before the vector's time → ChallengeExpired
      'domain binding': 'auth', // the message's domain is not the expected one → DomainMismatch
      'custom time': 'auth', // verified at a time after Expiration Time → ChallengeExpired
      'custom nonce': 'auth', // the nonce is not the expected one → ChallengeNotFound
      'not yet valid': 'auth', // Not Before in the future → ChallengeNotYetValid
      'malformed signature': 'WalletSignatureInvalid', // odd-length hex
      'wrong signature': 'WalletSignatureInvalid', // recovers to another account
      'invalid issuedAt': 'InvalidSignInMessage', // 2022-02-31
      'invalid notBefore': 'InvalidSignInMessage', // 2025-02-31
      'invalid expirationTime': 'InvalidSignInMessage', // 2100-02-31
    }
    const cases = vectors('verification_negative')
    assert.deepEqual(cases.map(([n]) => n).sort(), Object.keys(expected).sort(), 'every vector is classified')
    for (const [name, v] of cases) {
      const { fields, challenge } = fromVector(v)
      const outcome = expected[name]!
      if (outcome === 'InvalidSignInMessage') {
        assert.throws(
          () => renderCaip122(fields, 'Ethereum'),
          (e) => isMeroError(e) && e.name === outcome,
          name,
        )
        // The same text, written by hand (a valid date rendered, then swapped for the bad one), does not parse.
        const key = (['issuedAt', 'expirationTime', 'notBefore'] as const).find(
          (k) => fields[k] !== undefined && !isRfc3339DateTime(fields[k]),
        )!
        const placeholder = '2000-01-01T00:00:00.000Z'
        const handWritten = renderCaip122({ ...fields, [key]: placeholder }, 'Ethereum').replace(
          placeholder,
          fields[key]!,
        )
        assert.throws(
          () => scheme.parse(handWritten, 'eip4361'),
          (e) => isMeroError(e) && e.name === outcome,
          name,
        )
        continue
      }
      const message = renderCaip122(fields, 'Ethereum')
      const parsed = scheme.parse(message, 'eip4361')
      const now = v.time === undefined ? Date.now() : Date.parse(v.time)
      const verify = scheme.verify(challenge, { message }, { message, signature: v.signature }, offline(now))
      if (outcome !== 'auth') {
        await rejects(verify, outcome, name)
        continue
      }
      assert.equal((await verify).method, 'eoa', name)
      // …and the field the auth service refuses is indeed off.
      if (v.domainBinding !== undefined) assert.notEqual(parsed.domain, v.domainBinding, name)
      else if (v.matchNonce !== undefined) assert.notEqual(parsed.nonce, v.matchNonce, name)
      else if (fields.notBefore !== undefined) assert.ok(Date.parse(fields.notBefore) > now, name)
      else assert.ok(Date.parse(fields.expirationTime!) < now, name)
    }
  })
})
