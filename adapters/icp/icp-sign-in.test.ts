import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, requestIdOf } from '@dfinity/agent'
import { Delegation, DelegationChain, Ed25519KeyIdentity } from '@dfinity/identity'
import { Principal } from '@dfinity/principal'
import { canisterSignature } from '../../devnets/icp/canister-signature.ts'
import { randomRootSecret, rootKeyFrom } from '../../devnets/icp/certification.ts'
import { verifyIcpSignIn } from './icp-sign-in.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const rootSecret = randomRootSecret()
const rootKey = rootKeyFrom(rootSecret).publicKeyDer
const msg = new TextEncoder().encode('localhost wants you to sign in with your ICP account')
const inMs = (ms: number) => BigInt(Date.now() + ms) * 1_000_000n

/**
 * Sign-in with an II-style chain whose canister signature was certified at `signedAtMs` and whose
 * delegation expires at `expiresAtMs`, checked as of `atMs` (default: now).
 */
async function iiSignIn(signedAtMs: number, expiresAtMs = Date.now() + 600_000, atMs?: number) {
  const session = Ed25519KeyIdentity.generate()
  const delegation = new Delegation(
    new Uint8Array(session.getPublicKey().toDer()),
    BigInt(expiresAtMs) * 1_000_000n,
  )
  const toSign = new Uint8Array([
    ...IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR,
    ...requestIdOf({ pubkey: delegation.pubkey, expiration: delegation.expiration }),
  ])
  const cs = canisterSignature({
    rootSecret,
    canisterId: Principal.fromText('rdmx6-jaaaa-aaaaa-aaadq-cai'),
    seed: new Uint8Array(randomBytes(32)),
    message: toSign,
    timeMs: signedAtMs,
  })
  const chain = DelegationChain.fromDelegations(
    [{ delegation, signature: cs.signature as never }],
    cs.publicKey as never,
  )
  const account = `icp:local:${Principal.selfAuthenticating(new Uint8Array(cs.publicKey)).toText()}`
  const signature = new Uint8Array(await session.sign(msg))
  return verifyIcpSignIn(
    {
      account,
      message: msg,
      signature,
      extra: { delegationChain: chain.toJSON() },
      ...(atMs === undefined ? {} : { atMs }),
    },
    rootKey,
  )
}

describe('ICP sign-in', () => {
  it('a small-order Ed25519 root and session key (identity point, s = 0) does not sign in', async () => {
    const der = new Uint8Array([
      ...Buffer.from('302a300506032b6570032100', 'hex'),
      1,
      ...new Array(31).fill(0),
    ])
    const sig = new Uint8Array([1, ...new Array(63).fill(0)])
    const delegationChain = {
      publicKey: hex(der),
      delegations: [
        { delegation: { pubkey: hex(der), expiration: inMs(600_000).toString(16) }, signature: hex(sig) },
      ],
    }
    const account = `icp:local:${Principal.selfAuthenticating(der).toText()}`
    assert.equal(
      await verifyIcpSignIn({ account, message: msg, signature: sig, extra: { delegationChain } }, rootKey),
      false,
    )
  })

  it('a canister signature certified an hour ago, in an unexpired delegation, signs in; one from the future does not', async () => {
    assert.equal(await iiSignIn(Date.now()), true)
    assert.equal(await iiSignIn(Date.now() - 3_600_000), true)
    assert.equal(await iiSignIn(Date.now() + 3_600_000), false)
  })

  it('expiry and certificate age are judged at check.atMs: a sign-in made 3 h ago, expired since, still verifies as of then', async () => {
    const signedAt = Date.now() - 3 * 3_600_000
    const expiredAt = Date.now() - 3_600_000
    assert.equal(await iiSignIn(signedAt, expiredAt, signedAt), true)
    assert.equal(await iiSignIn(signedAt, expiredAt), false) // at real now: expired
    // A certificate made now is an hour in the future of a check as of an hour ago.
    const hourAgo = Date.now() - 3_600_000
    assert.equal(await iiSignIn(Date.now(), Date.now() + 600_000, hourAgo), false)
    // Its age limit (47 days) counts back from the check's time too.
    const days = (n: number) => n * 24 * 3_600_000
    assert.equal(await iiSignIn(signedAt - days(46), expiredAt, signedAt), true)
    assert.equal(await iiSignIn(signedAt - days(48), expiredAt, signedAt), false)
  })

  it('a delegation restricted to targets does not sign in', async () => {
    const root = Ed25519KeyIdentity.generate()
    const session = Ed25519KeyIdentity.generate()
    const account = `icp:local:${root.getPrincipal().toText()}`
    const signature = new Uint8Array(await session.sign(msg))
    const signIn = async (targets?: Principal[]) => {
      const chain = await DelegationChain.create(
        root,
        session.getPublicKey(),
        new Date(Date.now() + 600_000),
        {
          ...(targets ? { targets } : {}),
        },
      )
      return verifyIcpSignIn(
        { account, message: msg, signature, extra: { delegationChain: chain.toJSON() } },
        rootKey,
      )
    }
    assert.equal(await signIn(), true)
    assert.equal(await signIn([Principal.fromText('rdmx6-jaaaa-aaaaa-aaadq-cai')]), false)
  })
})
