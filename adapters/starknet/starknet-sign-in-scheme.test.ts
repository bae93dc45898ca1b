import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Account, ec, hash, stark, type TypedData, typedData } from 'starknet'
import { MODEL_CLASS_HASHES } from '../../devnets/starknet/devnet-accounts.ts'
import type { ChainAdapter } from '../../src/chain/chain-adapter.ts'
import type { SignInProof } from '../../src/chain/sign-in-scheme.ts'
import {
  signInChallenge as challengeFor,
  signInContext as ctx,
  named,
} from '../../test/helpers/sign-in-fixtures.ts'
import {
  createStarknetTestWallet,
  type StarknetSignInChain,
  type StarknetTestWallet,
  startStarknetSignInChain,
} from '../../test/helpers/starknet-test-wallet.ts'
import {
  createStarknetSignInScheme,
  DEVNET_ACCOUNT_CLASS_HASH,
  starknetSignInScheme as scheme,
} from './starknet-sign-in-scheme.ts'

/**
 * An adapter of `starknet:SN_DEVNET` on which nothing is deployed, as the devnet's adapter answers for
 * a fresh counterfactual address (its on-chain check refuses everything: it must not be reached).
 */
const nothingDeployed = {
  chainId: 'starknet:SN_DEVNET',
  classHashAt: async () => undefined,
  verifySignIn: async () => false,
} as unknown as ChainAdapter
const undeployed = () => ctx({ adapter: nothingDeployed })
async function signedBy(wallet: StarknetTestWallet, c = challengeFor(wallet.account)) {
  const rendered = await scheme.render(c, ctx())
  return { c, rendered, proof: await wallet.sign(rendered) }
}

describe('starknet sign-in scheme (offline)', () => {
  it('the devnet account class is the one the devnet deploys', () => {
    assert.equal(BigInt(DEVNET_ACCOUNT_CLASS_HASH), BigInt(MODEL_CLASS_HASHES.openzeppelin))
  })

  it('normalizeAccount pads and lowercases the address and refuses what is not an account', () => {
    assert.equal(
      scheme.normalizeAccount('starknet:SN_DEVNET:0xABC'),
      `starknet:SN_DEVNET:0x${'abc'.padStart(64, '0')}`,
    )
    for (const bad of [
      `starknet:SN_DEVNET:0x8${'0'.repeat(62)}`, // 2^251
      'starknet:SN_DEVNET:0x0',
      'starknet:SN_DEVNET:abc',
      `starknet:${'A'.repeat(32)}:0x1`,
      'eip155:1:0x1',
      undefined as unknown as string,
    ])
      assert.throws(() => scheme.normalizeAccount(bad), named('InvalidInput'), String(bad))
  })

  it('renders SNIP-12 revision 1 typed data with the CAIP-122 fields; parse gives them back', async () => {
    const w = createStarknetTestWallet()
    const notBefore = Date.now() + 1000
    const c = challengeFor(w.account, { notBefore, resources: ['mero:identity:abc'] })
    const rendered = await scheme.render(c, ctx())
    const td = JSON.parse(rendered.message) as TypedData
    assert.deepEqual(td.domain, { name: 'mero', version: '1', chainId: 'SN_DEVNET', revision: '1' })
    assert.deepEqual(
      td.types.SignIn!.map((m) => m.name),
      [
        'domain',
        'address',
        'statement',
        'uri',
        'version',
        'chainId',
        'nonce',
        'issuedAt',
        'expirationTime',
        'notBefore',
        'resources',
      ],
    )
    const message = td.message as Record<string, unknown>
    assert.equal(message.address, w.account.split(':')[2])
    assert.equal(message.notBefore, new Date(notBefore).toISOString())
    assert.deepEqual(scheme.parse(rendered.message, 'snip12'), {
      nonce: c.nonce,
      domain: c.domain,
      uri: c.uri,
      chainId: 'starknet:SN_DEVNET',
      account: w.account,
      resources: ['mero:identity:abc'],
    })
    // Absent optional fields are absent from the type as well.
    const plain = JSON.parse((await scheme.render(challengeFor(w.account), ctx())).message) as TypedData
    assert.deepEqual(plain.types.SignIn!.map((m) => m.name).slice(-2), ['issuedAt', 'expirationTime'])
  })

  it('parse refuses anything but the typed data it renders', async () => {
    const w = createStarknetTestWallet()
    const { rendered } = await signedBy(w)
    const td = JSON.parse(rendered.message)
    const variants = [
      'not json',
      '[]',
      JSON.stringify({ ...td, message: { ...td.message, extra: '1' } }),
      JSON.stringify({ ...td, message: { ...td.message, nonce: 42 } }),
      JSON.stringify({ ...td, domain: { ...td.domain, chainId: 'SN_MAIN' } }), // domain ≠ message chain
      JSON.stringify({ ...td, primaryType: 'Other' }),
      JSON.stringify({ ...td, types: { ...td.types, SignIn: [...td.types.SignIn].reverse() } }),
      JSON.stringify(td, null, 1), // same data, other text
      JSON.stringify({ ...td, message: { ...td.message, statement: 'x'.repeat(20_000) } }),
    ]
    for (const v of variants)
      assert.throws(() => scheme.parse(v, 'snip12'), named('InvalidSignInMessage'), v.slice(0, 80))
    assert.throws(() => scheme.parse(rendered.message, 'caip122'), named('InvalidInput'))
    await assert.rejects(
      scheme.render({ ...challengeFor(w.account), statement: 'Connexion à mero' }, ctx()),
      named('InvalidInput'),
    )
  })

  it('an undeployed account signs in by its class and public key once the chain says nothing is deployed there', async () => {
    const w = createStarknetTestWallet()
    const { c, rendered, proof } = await signedBy(w)
    // Without an adapter, nothing tells it from a deployed account whose key was rotated.
    await assert.rejects(scheme.verify(c, rendered, proof, ctx()), named('AccountKeyUnverifiable'))
    const who = await scheme.verify(c, rendered, proof, undeployed())
    assert.equal(who.account, w.account)
    assert.equal(who.method, 'snip12-counterfactual')
    // The signature may also be one hex string of 32-byte words.
    const words = `0x${(proof.signature as string[]).map((f) => BigInt(f).toString(16).padStart(64, '0')).join('')}`
    await scheme.verify(c, rendered, { ...proof, signature: words }, undeployed())
  })

  it('a wrong key, or the public key of another account, is refused', async () => {
    const w = createStarknetTestWallet()
    const { c, rendered, proof } = await signedBy(w)
    await assert.rejects(
      scheme.verify(c, rendered, await w.signWithWrongKey(rendered), undeployed()),
      named('WalletSignatureInvalid'),
    )
    const other = await createStarknetTestWallet().sign(rendered) // its own key, signed for w's address
    await assert.rejects(scheme.verify(c, rendered, other, undeployed()), named('WalletSignatureInvalid'))
    const swapped = { ...proof, extra: { ...proof.extra, publicKey: other.extra!.publicKey } }
    await assert.rejects(scheme.verify(c, rendered, swapped, undeployed()), named('WalletSignatureInvalid'))
    // A valid signature of exactly this typed data (for w's address) by a key whose account is elsewhere.
    const intruder = stark.randomAddress()
    const h = typedData.getMessageHash(JSON.parse(rendered.message), w.account.split(':')[2]!)
    const forged = {
      message: rendered.message,
      signature: stark.formatSignature(ec.starkCurve.sign(h, intruder)),
      extra: { publicKey: stark.getFullPublicKey(intruder), classHash: DEVNET_ACCOUNT_CLASS_HASH },
    }
    await assert.rejects(scheme.verify(c, rendered, forged, undeployed()), named('WalletSignatureInvalid'))
  })

  it('an account class the scheme does not know is unverifiable offline, and verifies once configured', async () => {
    const classHash = '0x1234abcd'
    const privateKey = stark.randomAddress()
    const x = ec.starkCurve.getStarkKey(privateKey)
    const address = `0x${BigInt(hash.calculateContractAddressFromHash(x, classHash, [x], 0))
      .toString(16)
      .padStart(64, '0')}`
    const c = challengeFor(`starknet:SN_DEVNET:${address}`)
    const rendered = await scheme.render(c, ctx())
    const account = new Account({ provider: { nodeUrl: 'http://127.0.0.1:9' }, address, signer: privateKey })
    const proof = {
      message: rendered.message,
      signature: stark.formatSignature(await account.signMessage(JSON.parse(rendered.message))),
      extra: { publicKey: stark.getFullPublicKey(privateKey), classHash },
    }
    await assert.rejects(scheme.verify(c, rendered, proof, undeployed()), named('AccountKeyUnverifiable'))
    const configured = createStarknetSignInScheme({ accountClassHashes: [classHash] })
    assert.equal((await configured.verify(c, rendered, proof, undeployed())).account, c.account)
  })

  it('a tampered message: MessageMismatch when it differs, WalletSignatureInvalid when the signature is over other data', async () => {
    const w = createStarknetTestWallet()
    const { c, rendered, proof } = await signedBy(w)
    const edited = rendered.message.replace('Sign in to mero', 'Sign in to evil')
    await assert.rejects(
      scheme.verify(c, rendered, { ...proof, message: edited }, undeployed()),
      named('MessageMismatch'),
    )
    const other = await w.sign({ message: edited })
    await assert.rejects(
      scheme.verify(c, rendered, { ...other, message: rendered.message }, undeployed()),
      named('WalletSignatureInvalid'),
    )
  })

  it('typed data signed for another chain id is a chain mismatch', async () => {
    const w = createStarknetTestWallet()
    const { c, rendered } = await signedBy(w)
    const sepolia = await scheme.render(
      { ...c, chainId: 'starknet:SN_SEPOLIA', account: w.account.replace('SN_DEVNET', 'SN_SEPOLIA') },
      ctx(),
    )
    assert.equal(scheme.parse(sepolia.message, 'snip12').chainId, 'starknet:SN_SEPOLIA')
    assert.equal(JSON.parse(sepolia.message).domain.chainId, 'SN_SEPOLIA')
    await assert.rejects(scheme.verify(c, rendered, await w.sign(sepolia), ctx()), named('ChainMismatch'))
    await assert.rejects(
      scheme.render({ ...c, chainId: 'starknet:SN_SEPOLIA' }, ctx()),
      named('InvalidInput'),
    )
  })

  it('bad encodings are named errors, never a crash', async () => {
    const w = createStarknetTestWallet()
    const { c, rendered, proof } = await signedBy(w)
    const sig = proof.signature as string[]
    const P = 2n ** 251n + 17n * 2n ** 192n + 1n
    const cases: [string, SignInProof][] = [
      ['InvalidInput', { ...proof, signature: undefined }],
      ['InvalidInput', { ...proof, signature: 7 }],
      ['InvalidInput', { ...proof, signature: [] }],
      ['InvalidInput', { ...proof, signature: ['zz', sig[1]] }],
      ['InvalidInput', { ...proof, signature: [sig[0], `0x${P.toString(16)}`] }],
      ['InvalidInput', { ...proof, signature: [sig[0], 5] }],
      ['InvalidInput', { ...proof, signature: Array(65).fill(sig[0]) }],
      ['InvalidInput', { ...proof, signature: '0x1234' }],
      ['InvalidInput', { ...proof, extra: { ...proof.extra, publicKey: '0x1234' } }],
      ['InvalidInput', { ...proof, extra: { ...proof.extra, publicKey: `0x04${'1'.repeat(128)}` } }], // not on the curve
      ['InvalidInput', { ...proof, extra: { publicKey: proof.extra!.publicKey } }],
      ['InvalidInput', { ...proof, extra: { ...proof.extra, classHash: 'class' } }],
      ['WalletSignatureInvalid', { ...proof, signature: [...sig, '0x1'] }],
      ['WalletSignatureInvalid', { ...proof, signature: ['0x0', sig[1]!] }],
      [
        'WalletSignatureInvalid',
        { ...proof, signature: [sig[0]!, `0x${ec.starkCurve.CURVE.n.toString(16)}`] },
      ], // s = n
      ['InvalidSignInMessage', { ...proof, message: { a: 1 } as unknown as string }],
    ]
    for (const [name, p] of cases)
      await assert.rejects(
        scheme.verify(c, rendered, p, undeployed()),
        named(name),
        JSON.stringify(p.signature),
      )
  })

  it('a deployed account without an adapter (no public key sent) is AccountKeyUnverifiable', async () => {
    const w = createStarknetTestWallet({ deployed: { address: '0x1234', privateKey: stark.randomAddress() } })
    const { c, rendered, proof } = await signedBy(w)
    await assert.rejects(scheme.verify(c, rendered, proof, ctx()), named('AccountKeyUnverifiable'))
    // An adapter of another chain is not used.
    const elsewhere = {
      chainId: 'starknet:SN_OTHER',
      verifySignIn: async () => true,
    } as unknown as ChainAdapter
    await assert.rejects(
      scheme.verify(c, rendered, proof, ctx({ adapter: elsewhere })),
      named('AccountKeyUnverifiable'),
    )
  })
})

describe('starknet sign-in scheme on the Starknet devnet', { timeout: 90_000 }, () => {
  let chain: StarknetSignInChain
  before(async () => {
    chain = await startStarknetSignInChain()
  })
  after(async () => {
    await chain?.stop()
  })

  it("deployed accounts (OpenZeppelin, Argent) sign in through the contract's is_valid_signature", async () => {
    for (const a of [chain.accounts[1]!, chain.accounts.at(-1)!]) {
      const w = createStarknetTestWallet({ deployed: a })
      const { c, rendered, proof } = await signedBy(w)
      const who = await scheme.verify(c, rendered, proof, ctx({ adapter: chain.adapter }))
      assert.deepEqual(who, { account: w.account, method: 'snip12' }, a.variant)
      await assert.rejects(
        scheme.verify(c, rendered, await w.signWithWrongKey(rendered), ctx({ adapter: chain.adapter })),
        named('WalletSignatureInvalid'),
      )
      const other = await w.sign({ message: rendered.message.replace(c.nonce, `${c.nonce}x`) })
      await assert.rejects(
        scheme.verify(c, rendered, { ...other, message: rendered.message }, ctx({ adapter: chain.adapter })),
        named('WalletSignatureInvalid'),
      )
    }
  })

  it('a deployed account that also sends its public key is still asked on chain; an undeployed one is checked offline', async () => {
    const classHash = await chain.adapter.classHashAt(chain.accounts[2]!.address)
    assert.equal(BigInt(classHash!), BigInt(DEVNET_ACCOUNT_CLASS_HASH))
    await assert.rejects(chain.adapter.classHashAt('nope'), named('InvalidInput'))
    const deployed = createStarknetTestWallet({ deployed: chain.accounts[2]!, sendPublicKey: true })
    const a = await signedBy(deployed)
    assert.equal(
      (await scheme.verify(a.c, a.rendered, a.proof, ctx({ adapter: chain.adapter }))).method,
      'snip12',
    )
    // Without the adapter its deployment (and a key rotated since) cannot be seen: unverifiable.
    await assert.rejects(scheme.verify(a.c, a.rendered, a.proof, ctx()), named('AccountKeyUnverifiable'))
    const fresh = createStarknetTestWallet()
    const b = await signedBy(fresh)
    assert.equal(await chain.adapter.classHashAt(fresh.account.split(':')[2]!), undefined)
    const who = await scheme.verify(b.c, b.rendered, b.proof, ctx({ adapter: chain.adapter }))
    assert.equal(who.method, 'snip12-counterfactual')
    await assert.rejects(
      scheme.verify(
        b.c,
        b.rendered,
        await fresh.signWithWrongKey(b.rendered),
        ctx({ adapter: chain.adapter }),
      ),
      named('WalletSignatureInvalid'),
    )
    // Without its public key, an undeployed account has no contract to ask.
    const bare = { message: b.proof.message, signature: b.proof.signature }
    await assert.rejects(
      scheme.verify(b.c, b.rendered, bare, ctx({ adapter: chain.adapter })),
      named('WalletSignatureInvalid'),
    )
  })
})
