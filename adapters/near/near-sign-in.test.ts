import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { serialize } from 'borsh'
import { JsonRpcProvider, KeyPair } from 'near-api-js'
import type { SignInChallenge, SignInContext, SignInProof } from '../../src/chain/sign-in-scheme.ts'
import { fromBase58, toBase58 } from '../../src/core/bytes.ts'
import {
  createNearTestWallet,
  type NearSignInChain,
  type NearTestWallet,
  startNearSignInChain,
} from '../../test/helpers/near-test-wallet.ts'
import { signInChallenge as challengeFor, named, signInContext } from '../../test/helpers/sign-in-fixtures.ts'
import {
  NEP413_PAYLOAD_SCHEMA,
  NEP413_TAG,
  nep413Hash,
  nep413SignedBytes,
  nearSignInScheme as scheme,
  verifyNep413Signature,
} from './near-sign-in.ts'

const context = (adapter?: SignInContext['adapter']) => signInContext(adapter ? { adapter } : {})

/** NEP-413's bytes written out by hand (borsh: u32 LE lengths, option = 0/1 byte), for the golden check. */
function manualNep413Bytes(message: string, nonce: Uint8Array, recipient: string, callbackUrl?: string) {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n)
    return b
  }
  const str = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s, 'utf8')])
  return Buffer.concat([
    u32(2 ** 31 + 413),
    str(message),
    Buffer.from(nonce),
    str(recipient),
    callbackUrl === undefined ? Buffer.from([0]) : Buffer.concat([Buffer.from([1]), str(callbackUrl)]),
  ])
}

describe('NEP-413 hash', () => {
  it('matches the public NEP-413 vectors (near-kit serializeNep413Message, nonce 0..31)', () => {
    const nonce = Uint8Array.from({ length: 32 }, (_, i) => i)
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
    assert.equal(
      hex(nep413Hash({ message: 'Sign in to nearbuilders.org', nonce, recipient: 'nearbuilders.org' })),
      'e3d06d4045a76d8281580760de255b9408dffdff686edc10d04ab2b44bbc0472',
    )
    assert.equal(
      hex(
        nep413Hash({
          message: 'hola ☕ señor',
          nonce,
          recipient: 'app.testnet',
          callbackUrl: 'nearcoffee://callback/success',
        }),
      ),
      '764cf074303ca1652e52548c3585b7f99b4b1a8835b7486ee6beb3047ea55778',
    )
  })

  it('equals sha256 of the bytes written by hand, with and without callbackUrl', async () => {
    const { createHash } = await import('node:crypto')
    assert.equal(NEP413_TAG, 2147484061)
    for (const callbackUrl of [undefined, 'https://app.example/cb']) {
      const nonce = new Uint8Array(randomBytes(32))
      const message = `mero ✓ ${randomBytes(8).toString('hex')}\nline two`
      const expected = createHash('sha256')
        .update(manualNep413Bytes(message, nonce, 'localhost:2528', callbackUrl))
        .digest()
      const got = nep413Hash({
        message,
        nonce,
        recipient: 'localhost:2528',
        ...(callbackUrl ? { callbackUrl } : {}),
      })
      assert.deepEqual(Buffer.from(got), expected)
    }
  })

  it('the bytes written field by field equal what the borsh library serializes', () => {
    const texts = [
      '',
      'a',
      'mero ✓ 署名 🔑',
      'x'.repeat(300),
      `line\nbreak ${randomBytes(40).toString('base64')}`,
    ]
    for (const message of texts)
      for (const recipient of ['', 'localhost:2528', 'é.example'])
        for (const callbackUrl of [undefined, '', 'https://app.example/cb?q=✓']) {
          const payload = { message, nonce: new Uint8Array(randomBytes(32)), recipient, callbackUrl }
          const expected = Buffer.concat([
            serialize('u32', NEP413_TAG),
            serialize(NEP413_PAYLOAD_SCHEMA, { ...payload, callbackUrl: callbackUrl ?? null }),
          ])
          const { callbackUrl: _, ...withoutCallback } = payload
          const got = nep413SignedBytes(callbackUrl === undefined ? withoutCallback : payload)
          assert.deepEqual(Buffer.from(got), expected, JSON.stringify({ message, recipient, callbackUrl }))
        }
  })

  it('verifyNep413Signature: true for the key over the payload, false for any other payload or key', () => {
    const kp = KeyPair.fromRandom('ed25519')
    const payload = { message: 'hi', nonce: new Uint8Array(randomBytes(32)), recipient: 'localhost:2528' }
    const sig = kp.sign(nep413Hash(payload)).signature
    const pub = kp.getPublicKey().data
    assert.equal(verifyNep413Signature(pub, payload, sig), true)
    assert.equal(verifyNep413Signature(pub, { ...payload, recipient: 'evil.example' }, sig), false)
    assert.equal(verifyNep413Signature(pub, { ...payload, message: 'hi!' }, sig), false)
    assert.equal(
      verifyNep413Signature(KeyPair.fromRandom('ed25519').getPublicKey().data, payload, sig),
      false,
    )
    assert.equal(verifyNep413Signature(pub, { ...payload, nonce: new Uint8Array(31) }, sig), false)
    assert.equal(verifyNep413Signature(pub, payload, sig.subarray(0, 63)), false)
  })

  it('a small-order key (the identity point) with R = identity, s = 0 verifies no payload, and does not sign in', async () => {
    const weak = new Uint8Array([1, ...new Array(31).fill(0)])
    const forged = new Uint8Array([1, ...new Array(63).fill(0)])
    for (const message of ['hi', 'anything else'])
      assert.equal(
        verifyNep413Signature(
          weak,
          { message, nonce: new Uint8Array(32), recipient: 'localhost:2528' },
          forged,
        ),
        false,
      )
    // The implicit account of that key: refused offline, before any RPC would be needed.
    const challenge = challengeFor(`near:localnet:${Buffer.from(weak).toString('hex')}`)
    const rendered = await scheme.render(challenge, context())
    const proof = {
      message: rendered.message,
      signature: Buffer.from(forged).toString('base64'),
      extra: { publicKey: `ed25519:${toBase58(weak)}` },
    }
    await assert.rejects(
      scheme.verify(challenge, rendered, proof, context()),
      named('WalletSignatureInvalid'),
    )
  })
})

describe('near account names', () => {
  it('keeps valid NEAR account ids (named, sub-accounts, implicit) and refuses the rest with InvalidInput', () => {
    const implicit = 'a'.repeat(64)
    for (const ok of [
      'near:mainnet:alice.near',
      'near:testnet:a-b_c.sub.testnet',
      `near:localnet:${implicit}`,
      'near:localnet:ab',
    ])
      assert.equal(scheme.normalizeAccount(ok), ok)
    for (const bad of [
      'near:mainnet:Alice.near',
      'near:mainnet:a',
      `near:mainnet:${'a'.repeat(65)}`,
      'near:mainnet:alice..near',
      'near:mainnet:.alice',
      'near:mainnet:alice-',
      'eip155:1:alice.near',
      'near:alice.near',
      'near:main net:alice.near',
      '',
    ])
      assert.throws(() => scheme.normalizeAccount(bad), named('InvalidInput'), bad)
  })
})

describe('near messages', () => {
  it('render and parse are inverses, resources included', async () => {
    const challenge = challengeFor('near:testnet:alice.testnet', {
      resources: ['mero:identity:5Hq8', 'https://example.com/terms'],
      notBefore: Date.now() + 1000,
    })
    const rendered = await scheme.render(challenge, context())
    assert.match(rendered.message, /\nResources:\n- mero:identity:5Hq8\n- https:\/\/example.com\/terms$/)
    assert.deepEqual(scheme.parse(rendered.message, 'nep413'), {
      nonce: challenge.nonce,
      domain: challenge.domain,
      uri: challenge.uri,
      chainId: 'near:testnet',
      account: challenge.account,
      resources: challenge.resources,
    })
  })
})

describe('NEAR sign-in on the devnet', { timeout: 60_000 }, () => {
  let chain: NearSignInChain
  let wallet: NearTestWallet
  let other: NearTestWallet
  before(async () => {
    chain = await startNearSignInChain()
    wallet = await createNearTestWallet(chain.rpcUrl, { chainId: chain.chainId })
    other = await createNearTestWallet(chain.rpcUrl, { chainId: chain.chainId })
  })
  after(() => chain?.stop())

  const issue = async (account = wallet.account, over: Partial<SignInChallenge> = {}) => {
    const challenge = challengeFor(account, over)
    return { challenge, rendered: await scheme.render(challenge, context(chain.adapter)) }
  }

  it('a FullAccess key signs in (near-api-js signNep413Message); the message parses back to the challenge', async () => {
    const { challenge, rendered } = await issue()
    const nep = rendered.extra?.nep413 as { message: string; nonce: string; recipient: string }
    assert.equal(nep.message, rendered.message)
    assert.equal(nep.recipient, challenge.domain)
    assert.deepEqual(new Uint8Array(Buffer.from(nep.nonce, 'base64')), fromBase58(challenge.nonce, 32))
    assert.match(rendered.message, /wants you to sign in with your NEAR account:\n/)
    assert.deepEqual(scheme.parse(rendered.message, 'nep413'), {
      nonce: challenge.nonce,
      domain: challenge.domain,
      uri: challenge.uri,
      chainId: chain.chainId,
      account: wallet.account,
    })
    const proof = await wallet.sign(rendered)
    assert.deepEqual(await scheme.verify(challenge, rendered, proof, context(chain.adapter)), {
      account: wallet.account,
      method: 'nep413',
      publicKey: wallet.publicKey,
    })
    // the same signature as `ed25519:<base58>` (some wallets' notation)
    const b58 = `ed25519:${toBase58(Buffer.from(proof.signature as string, 'base64'))}`
    const again = await scheme.verify(
      challenge,
      rendered,
      { ...proof, signature: b58 },
      context(chain.adapter),
    )
    assert.equal(again.account, wallet.account)
  })

  it('an account id with "_" is written %5F in the CAIP-10 address line, parses back and signs in', async () => {
    const under = await createNearTestWallet(chain.rpcUrl, {
      chainId: chain.chainId,
      label: `u_${randomBytes(3).toString('hex')}`,
    })
    const { challenge, rendered } = await issue(under.account)
    assert.ok(rendered.message.includes(`\n${under.accountId.replace('_', '%5F')}\n`))
    assert.equal(scheme.parse(rendered.message, 'nep413').account, under.account)
    const ok = await scheme.verify(challenge, rendered, await under.sign(rendered), context(chain.adapter))
    assert.equal(ok.account, under.account)
  })

  it('a FunctionCall key of the same account is refused: WalletSignatureInvalid', async () => {
    const { challenge, rendered } = await issue()
    const proof = await wallet.signWithFunctionCallKey(rendered)
    // the key is on the account, with a FunctionCall permission
    const provider = new JsonRpcProvider({ url: chain.rpcUrl })
    const key = await provider.viewAccessKey({
      accountId: wallet.accountId,
      publicKey: proof.extra!.publicKey as string,
      finalityQuery: { finality: 'final' },
    })
    assert.notEqual(key.permission, 'FullAccess')
    await assert.rejects(
      scheme.verify(challenge, rendered, proof, context(chain.adapter)),
      named('WalletSignatureInvalid'),
    )
  })

  it('a key that is not a key of the account (random, or another account FullAccess key) is refused', async () => {
    const { challenge, rendered } = await issue()
    const proofs = [await wallet.signWithWrongKey(rendered), await other.sign(rendered)]
    for (const proof of proofs)
      await assert.rejects(
        scheme.verify(challenge, rendered, proof, context(chain.adapter)),
        named('WalletSignatureInvalid'),
      )
    // an account that does not exist has no keys at all
    const ghost = await issue(`${chain.chainId}:ghost-${randomBytes(3).toString('hex')}.test.near`)
    const proof = await wallet.sign(ghost.rendered)
    await assert.rejects(
      scheme.verify(ghost.challenge, ghost.rendered, proof, context(chain.adapter)),
      named('WalletSignatureInvalid'),
    )
  })

  it('a tampered message is MessageMismatch; the right message signed over other bytes is WalletSignatureInvalid', async () => {
    const { challenge, rendered } = await issue()
    const proof = await wallet.sign(rendered)
    const tampered = rendered.message.replace('Sign in to mero', 'Sign in to mero and pay')
    await assert.rejects(
      scheme.verify(challenge, rendered, { ...proof, message: tampered }, context(chain.adapter)),
      named('MessageMismatch'),
    )
    // the wallet signed the same text for another recipient (a phishing site relaying it)
    const relayed = {
      ...rendered,
      extra: { nep413: { ...(rendered.extra!.nep413 as object), recipient: 'evil.example' } },
    }
    const relayedProof = await wallet.sign(relayed)
    await assert.rejects(
      scheme.verify(challenge, rendered, relayedProof, context(chain.adapter)),
      named('WalletSignatureInvalid'),
    )
    // the nonce of another challenge
    const second = await issue()
    const swapped = await wallet.sign({ ...rendered, extra: second.rendered.extra! })
    await assert.rejects(
      scheme.verify(challenge, rendered, { ...swapped, message: rendered.message }, context(chain.adapter)),
      named('WalletSignatureInvalid'),
    )
  })

  it('a signature over a callbackUrl verifies only when the proof names that callbackUrl', async () => {
    const { challenge, rendered } = await issue()
    const key = KeyPair.fromRandom('ed25519')
    const nonce = fromBase58(challenge.nonce, 32)
    const callbackUrl = 'http://localhost:2528/cb'
    const hash = nep413Hash({ message: rendered.message, nonce, recipient: challenge.domain, callbackUrl })
    const proof: SignInProof = {
      message: rendered.message,
      signature: Buffer.from(key.sign(hash).signature).toString('base64'),
      extra: { publicKey: key.getPublicKey().toString(), callbackUrl },
    }
    // offline part passes, then the chain says the key is not the account's
    await assert.rejects(
      scheme.verify(challenge, rendered, proof, context(chain.adapter)),
      named('WalletSignatureInvalid'),
    )
    await assert.rejects(
      scheme.verify(challenge, rendered, proof, context()),
      named('AccountKeyUnverifiable'),
    )
    await assert.rejects(
      scheme.verify(
        challenge,
        rendered,
        { ...proof, extra: { publicKey: proof.extra!.publicKey } },
        context(),
      ),
      named('WalletSignatureInvalid'),
    )
  })

  it('without a NEAR adapter a valid signature is AccountKeyUnverifiable, never a success', async () => {
    const { challenge, rendered } = await issue()
    const proof = await wallet.sign(rendered)
    await assert.rejects(
      scheme.verify(challenge, rendered, proof, context()),
      named('AccountKeyUnverifiable'),
    )
    const wrongChain = { ...chain.adapter, chainId: 'near:testnet' }
    await assert.rejects(
      scheme.verify(challenge, rendered, proof, context(wrongChain)),
      named('AccountKeyUnverifiable'),
    )
  })

  it('a message signed for another NEAR network is ChainMismatch (and parses as that network)', async () => {
    const account = `near:testnet:${wallet.accountId}`
    const elsewhere = await scheme.render(challengeFor(account), context())
    assert.equal(scheme.parse(elsewhere.message, 'nep413').chainId, 'near:testnet')
    const proof = await wallet.sign(elsewhere)
    const { challenge, rendered } = await issue()
    await assert.rejects(
      scheme.verify(challenge, rendered, proof, context(chain.adapter)),
      named('ChainMismatch'),
    )
  })

  it('bad encodings give named errors, never a crash', async () => {
    const { challenge, rendered } = await issue()
    const proof = await wallet.sign(rendered)
    const badSignatures: unknown[] = [
      undefined,
      42,
      '',
      'not base64!',
      Buffer.alloc(63).toString('base64'),
      Buffer.alloc(65).toString('base64'),
      'ed25519:0OIl',
      `ed25519:${toBase58(new Uint8Array(32))}`,
      { signature: proof.signature },
    ]
    for (const signature of badSignatures)
      await assert.rejects(
        scheme.verify(challenge, rendered, { ...proof, signature }, context(chain.adapter)),
        named('InvalidInput'),
        String(signature),
      )
    const badKeys: unknown[] = [
      undefined,
      7,
      'ed25519:',
      'ed25519:notbase58!',
      `ed25519:${toBase58(new Uint8Array(31))}`,
      `secp256k1:${toBase58(new Uint8Array(64))}`,
      wallet.publicKey.slice(8),
    ]
    for (const publicKey of badKeys)
      await assert.rejects(
        scheme.verify(challenge, rendered, { ...proof, extra: { publicKey } }, context(chain.adapter)),
        named('InvalidInput'),
        String(publicKey),
      )
    await assert.rejects(
      scheme.verify(challenge, rendered, { ...proof, extra: { ...proof.extra, callbackUrl: 5 } }, context()),
      named('InvalidInput'),
    )
    for (const message of [
      undefined,
      12,
      '',
      'hello',
      rendered.message.replace('Nonce: ', 'Nonce:'),
    ] as unknown[])
      await assert.rejects(
        scheme.verify(challenge, rendered, { ...proof, message: message as string }, context(chain.adapter)),
        named('InvalidSignInMessage'),
      )
    assert.throws(() => scheme.parse(rendered.message, 'sep53'), named('InvalidSignInMessage'))
    const badAddress = rendered.message.replace(wallet.accountId, 'Not.A.Near.Id')
    assert.throws(() => scheme.parse(badAddress, 'nep413'), named('InvalidSignInMessage'))
    await assert.rejects(scheme.render({ ...challenge, nonce: 'abcdefgh' }, context()), named('InvalidInput'))
    await assert.rejects(
      scheme.render({ ...challenge, account: 'near:localnet:Bad' }, context()),
      named('InvalidInput'),
    )
  })
})
