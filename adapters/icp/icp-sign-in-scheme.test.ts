import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, requestIdOf } from '@dfinity/agent'
import { Delegation, DelegationChain, Ed25519KeyIdentity } from '@dfinity/identity'
import { Principal } from '@dfinity/principal'
import { ed25519 } from '@noble/curves/ed25519'
import { canisterSignature } from '../../devnets/icp/canister-signature.ts'
import { randomRootSecret } from '../../devnets/icp/certification.ts'
import type { SignInProof } from '../../src/chain/sign-in-scheme.ts'
import {
  createIcpTestWallet,
  type IcpSignInChain,
  startIcpSignInChain,
} from '../../test/helpers/icp-test-wallet.ts'
import {
  signInChallenge as challengeFor,
  signInContext as ctx,
  named,
} from '../../test/helpers/sign-in-fixtures.ts'
import { delegationSigningBytes } from './icp-sign-in.ts'
import { icpSignInScheme as scheme } from './icp-sign-in-scheme.ts'

/** Renders a challenge for `wallet`'s account and has the wallet sign it. */
async function signedBy(wallet: ReturnType<typeof createIcpTestWallet>, c = challengeFor(wallet.account)) {
  const rendered = await scheme.render(c, ctx())
  return { c, rendered, proof: await wallet.sign(rendered) }
}

describe('icp sign-in scheme (offline)', () => {
  it("the bytes a delegation's signer signs are @dfinity/agent's domain separator ‖ requestIdOf", () => {
    for (const expiration of [
      0n,
      1n,
      127n,
      128n,
      2n ** 63n,
      2n ** 64n - 1n,
      BigInt(Date.now()) * 1_000_000n,
    ]) {
      const pubkey = new Uint8Array(randomBytes(1 + (Number(expiration % 90n) || 44)))
      const expected = [
        ...IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR,
        ...requestIdOf({ pubkey, expiration }),
      ]
      assert.deepEqual([...delegationSigningBytes(pubkey, expiration)], expected, String(expiration))
    }
  })

  it('normalizeAccount keeps a canonical self-authenticating principal and refuses anything else', () => {
    const w = createIcpTestWallet()
    assert.equal(scheme.normalizeAccount(w.account), w.account)
    const principal = w.account.split(':')[2]!
    for (const bad of [
      `icp:local:${principal.toUpperCase()}`,
      `icp:local:${principal.replace(/-/g, '')}`,
      `icp:local:${principal.slice(0, -1)}a`, // checksum
      'icp:local:rdmx6-jaaaa-aaaaa-aaadq-cai', // a canister cannot sign in
      'icp:local:2vxsx-fae', // anonymous
      `near:local:${principal}`,
      `icp:${principal}`,
      42 as unknown as string,
    ])
      assert.throws(() => scheme.normalizeAccount(bad), named('InvalidInput'), String(bad))
  })

  it('a session key delegated from an Ed25519 root signs in; render and parse are inverse', async () => {
    const w = createIcpTestWallet()
    const { c, rendered, proof } = await signedBy(w)
    assert.match(
      rendered.message,
      /^localhost:2528 wants you to sign in with your Internet Computer account:\n/,
    )
    const fields = scheme.parse(rendered.message, 'caip122')
    assert.deepEqual(fields, {
      nonce: c.nonce,
      domain: c.domain,
      uri: c.uri,
      chainId: 'icp:local',
      account: w.account,
    })
    const who = await scheme.verify(c, rendered, proof, ctx())
    assert.equal(who.account, w.account)
    assert.equal(who.method, 'delegation')
    // The signature may also come as hex.
    const hex = `0x${Buffer.from(proof.signature as string, 'base64').toString('hex')}`
    assert.equal((await scheme.verify(c, rendered, { ...proof, signature: hex }, ctx())).account, w.account)
  })

  it('resources are parsed back', async () => {
    const w = createIcpTestWallet()
    const c = { ...challengeFor(w.account), resources: ['mero:identity:abc'] }
    const rendered = await scheme.render(c, ctx())
    assert.deepEqual(scheme.parse(rendered.message, 'caip122').resources, ['mero:identity:abc'])
    await scheme.verify(c, rendered, await w.sign(rendered), ctx())
  })

  it('a session key the chain does not lead to is refused', async () => {
    const w = createIcpTestWallet()
    const { c, rendered } = await signedBy(w)
    await assert.rejects(
      scheme.verify(c, rendered, await w.signWithWrongKey(rendered), ctx()),
      named('WalletSignatureInvalid'),
    )
  })

  it("another principal's chain does not sign in for this account", async () => {
    const victim = createIcpTestWallet()
    const attacker = createIcpTestWallet()
    const { c, rendered } = await signedBy(victim)
    await assert.rejects(
      scheme.verify(c, rendered, await attacker.sign(rendered), ctx()),
      named('WalletSignatureInvalid'),
    )
  })

  it('an expired delegation is refused, judged by context.now()', async () => {
    const expired = createIcpTestWallet({ expiresInMs: -1000 })
    const a = await signedBy(expired)
    await assert.rejects(scheme.verify(a.c, a.rendered, a.proof, ctx()), named('WalletSignatureInvalid'))
    const w = createIcpTestWallet({ expiresInMs: 60_000 })
    const b = await signedBy(w)
    await scheme.verify(b.c, b.rendered, b.proof, ctx())
    const later = ctx({ now: () => Date.now() + 120_000 })
    await assert.rejects(scheme.verify(b.c, b.rendered, b.proof, later), named('WalletSignatureInvalid'))
  })

  it('a delegation restricted to canisters (targets) is refused', async () => {
    const w = createIcpTestWallet({ targets: [Principal.fromText('rdmx6-jaaaa-aaaaa-aaadq-cai')] })
    const { c, rendered, proof } = await signedBy(w)
    await assert.rejects(scheme.verify(c, rendered, proof, ctx()), named('WalletSignatureInvalid'))
  })

  it('a tampered message: MessageMismatch when it differs, WalletSignatureInvalid when the signature is over other bytes', async () => {
    const w = createIcpTestWallet()
    const { c, rendered, proof } = await signedBy(w)
    const edited = rendered.message.replace('Sign in to mero', 'Sign in to evil')
    await assert.rejects(
      scheme.verify(c, rendered, { ...proof, message: edited }, ctx()),
      named('MessageMismatch'),
    )
    const other = await w.sign({ message: edited })
    await assert.rejects(
      scheme.verify(c, rendered, { ...other, message: rendered.message }, ctx()),
      named('WalletSignatureInvalid'),
    )
  })

  it('a message for another ICP network is a chain mismatch', async () => {
    const w = createIcpTestWallet()
    const { c, rendered } = await signedBy(w)
    const onMainnet = await scheme.render(
      { ...c, chainId: 'icp:mainnet', account: w.account.replace('icp:local', 'icp:mainnet') },
      ctx(),
    )
    assert.equal(scheme.parse(onMainnet.message, 'caip122').chainId, 'icp:mainnet')
    const proof = await w.sign(onMainnet)
    await assert.rejects(scheme.verify(c, rendered, proof, ctx()), named('ChainMismatch'))
    await assert.rejects(scheme.render({ ...c, chainId: 'icp:mainnet' }, ctx()), named('InvalidInput'))
  })

  it('bad encodings are named errors, never a crash', async () => {
    const w = createIcpTestWallet()
    const { c, rendered, proof } = await signedBy(w)
    const chainJson = proof.extra!.delegationChain as { delegations: unknown[]; publicKey: string }
    const cases: [string, SignInProof][] = [
      ['InvalidInput', { ...proof, signature: undefined }],
      ['InvalidInput', { ...proof, signature: 12 }],
      ['InvalidInput', { ...proof, signature: 'zz' }],
      ['InvalidInput', { ...proof, signature: Buffer.alloc(63).toString('base64') }],
      ['InvalidInput', { ...proof, signature: `0x${'ab'.repeat(65)}` }],
      ['InvalidInput', { ...proof, extra: {} }],
      ['InvalidInput', { ...proof, extra: { delegationChain: 'not json' } }],
      ['InvalidInput', { ...proof, extra: { delegationChain: { publicKey: 'zz', delegations: [] } } }],
      ['InvalidInput', { ...proof, extra: { delegationChain: { ...chainJson, delegations: 'x' } } }],
      ['InvalidInput', { ...proof, extra: { delegationChain: { ...chainJson, delegations: [null] } } }],
      [
        'InvalidInput',
        {
          ...proof,
          extra: { delegationChain: { ...chainJson, delegations: Array(21).fill(chainJson.delegations[0]) } },
        },
      ],
      ['InvalidSignInMessage', { ...proof, message: 7 as unknown as string }],
    ]
    for (const [name, p] of cases) await assert.rejects(scheme.verify(c, rendered, p, ctx()), named(name))
    // The chain as JSON text is accepted as well as the object.
    const asText = { ...proof, extra: { delegationChain: JSON.stringify(chainJson) } }
    assert.equal((await scheme.verify(c, rendered, asText, ctx())).account, w.account)
    for (const bad of ['{', '', '{"a":1}', 'x'.repeat(100_000)])
      assert.throws(() => scheme.parse(bad, 'caip122'), named('InvalidSignInMessage'))
    assert.throws(() => scheme.parse(rendered.message, 'snip12'), named('InvalidInput'))
    assert.throws(
      () => scheme.parse(rendered.message.replace('Internet Computer', 'Ethereum'), 'caip122'),
      named('InvalidSignInMessage'),
    )
  })

  it('an Ed25519 key that is the identity point (canonical or not) does not sign in', async () => {
    // Under the identity point A, R = r·B with s = r satisfies s·B = R + k·A for every message, and
    // node:crypto (OpenSSL) accepts it; the IC (verify_strict) refuses small-order keys, and so must we.
    const r = BigInt(`0x${randomBytes(31).toString('hex')}`)
    const R = ed25519.ExtendedPoint.BASE.multiply(r).toRawBytes()
    const s = Buffer.from(r.toString(16).padStart(64, '0'), 'hex').reverse()
    const sig = Buffer.concat([R, s])
    const der = (key: Uint8Array) => Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key])
    const identity = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)])
    // y = p + 1 ≡ 1: the identity point under a non-canonical encoding.
    const nonCanonical = Buffer.concat([Buffer.from([0xee]), Buffer.alloc(30, 0xff), Buffer.from([0x7f])])
    for (const key of [identity, nonCanonical]) {
      const account = `icp:local:${Principal.selfAuthenticating(der(key)).toText()}`
      const c = challengeFor(account)
      const rendered = await scheme.render(c, ctx())
      const expiration = (BigInt(Date.now() + 600_000) * 1_000_000n).toString(16)
      const delegationChain = {
        publicKey: der(key).toString('hex'),
        delegations: [
          { delegation: { pubkey: der(key).toString('hex'), expiration }, signature: sig.toString('hex') },
        ],
      }
      const proof = { message: rendered.message, signature: sig.toString('hex'), extra: { delegationChain } }
      await assert.rejects(scheme.verify(c, rendered, proof, ctx()), named('WalletSignatureInvalid'))
    }
  })
})

describe('icp sign-in scheme with the ICP devnet', { timeout: 60_000 }, () => {
  let chain: IcpSignInChain
  before(async () => {
    chain = await startIcpSignInChain()
  })
  after(async () => {
    await chain?.stop()
  })

  it('an Ed25519-rooted sign-in needs no RPC, with or without the adapter', async () => {
    const w = createIcpTestWallet()
    const { c, rendered, proof } = await signedBy(w)
    assert.equal(
      (await scheme.verify(c, rendered, proof, ctx({ adapter: chain.adapter }))).account,
      w.account,
    )
  })

  it('an Internet Identity style chain (canister signature) verifies through the adapter against the devnet root key', async () => {
    const w = createIcpTestWallet({ canisterSigner: { rootSecret: chain.rootSecret } })
    const { c, rendered, proof } = await signedBy(w)
    const who = await scheme.verify(c, rendered, proof, ctx({ adapter: chain.adapter }))
    assert.equal(who.account, w.account)
    // Without the adapter the root key is unknown: unverifiable, not valid.
    await assert.rejects(scheme.verify(c, rendered, proof, ctx()), named('AccountKeyUnverifiable'))
    // A wrong session key is refused before the root key is needed.
    await assert.rejects(
      scheme.verify(c, rendered, await w.signWithWrongKey(rendered), ctx({ adapter: chain.adapter })),
      named('WalletSignatureInvalid'),
    )
  })

  it('an Internet Identity sign-in is judged at context.now() by the adapter too: signed 3 h ago, expired 1 h ago', async () => {
    // What a wallet proof re-checked at its challenge's issue time looks like.
    const signedAt = Date.now() - 3 * 3_600_000
    const session = Ed25519KeyIdentity.generate()
    const delegation = new Delegation(
      new Uint8Array(session.getPublicKey().toDer()),
      BigInt(Date.now() - 3_600_000) * 1_000_000n,
    )
    const cs = canisterSignature({
      rootSecret: chain.rootSecret,
      canisterId: Principal.fromText('rdmx6-jaaaa-aaaaa-aaadq-cai'),
      seed: new Uint8Array(randomBytes(32)),
      message: delegationSigningBytes(delegation.pubkey, delegation.expiration),
      timeMs: signedAt,
    })
    const delegationChain = DelegationChain.fromDelegations(
      [{ delegation, signature: cs.signature as never }],
      cs.publicKey as never,
    ).toJSON()
    const account = `icp:local:${Principal.selfAuthenticating(cs.publicKey).toText()}`
    const c = { ...challengeFor(account), issuedAt: signedAt, expiresAt: signedAt + 300_000 }
    const rendered = await scheme.render(c, ctx())
    const signature = Buffer.from(await session.sign(new TextEncoder().encode(rendered.message)))
    const proof = {
      message: rendered.message,
      signature: signature.toString('hex'),
      extra: { delegationChain },
    }
    const then = ctx({ adapter: chain.adapter, now: () => signedAt })
    assert.equal((await scheme.verify(c, rendered, proof, then)).account, account)
    await assert.rejects(
      scheme.verify(c, rendered, proof, ctx({ adapter: chain.adapter })),
      named('WalletSignatureInvalid'),
    )
  })

  it('a canister signature certified under another root key is refused through the adapter', async () => {
    const forged = createIcpTestWallet({ canisterSigner: { rootSecret: randomRootSecret() } })
    const { c, rendered, proof } = await signedBy(forged)
    await assert.rejects(
      scheme.verify(c, rendered, proof, ctx({ adapter: chain.adapter })),
      named('WalletSignatureInvalid'),
    )
  })
})
