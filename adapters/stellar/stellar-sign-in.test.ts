import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { Keypair, StrKey, Transaction, TransactionBuilder, WebAuth, xdr } from '@stellar/stellar-sdk'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInContext,
  SignInProof,
} from '../../src/chain/sign-in-scheme.ts'
import { generateKeyPair } from '../../src/core/ed25519.ts'
import { named, signInChallenge, signInContext } from '../../test/helpers/sign-in-fixtures.ts'
import {
  createStellarTestWallet,
  type StellarSignInChain,
  type StellarTestWallet,
  startStellarSignInChain,
} from '../../test/helpers/stellar-test-wallet.ts'
import { transactionHash } from './sep10-challenge.ts'
import { STELLAR_PASSPHRASES } from './stellar-network.ts'
import { stellarSignInScheme as scheme, verifySep53Signature } from './stellar-sign-in.ts'

const STANDALONE = STELLAR_PASSPHRASES.standalone!
const TESTNET = STELLAR_PASSPHRASES.testnet!
const serverKey = generateKeyPair()
const contextWith = (key: typeof serverKey, adapter?: SignInContext['adapter']) =>
  signInContext(adapter ? { adapter } : {}, key)
const context = (adapter?: SignInContext['adapter']) => contextWith(serverKey, adapter)
const SERVER_ACCOUNT = StrKey.encodeEd25519PublicKey(Buffer.from(serverKey.publicKey))

type Format = 'sep53' | 'sep10'
const challengeFor = (account: string, format: Format, over: Partial<SignInChallenge> = {}) =>
  signInChallenge(account, { format, ...over })

describe('stellar sign-in offline', () => {
  it('SEP-53: the public test vector verifies (and the SDK signs the same bytes)', () => {
    // SEP-53 test case: seed SAKICEVQ…, message "Hello, World!"
    const kp = Keypair.fromSecret('SAKICEVQLYWGSOJS4WW7HZJWAHZVEEBS527LHK5V4MLJALYKICQCJXMW')
    assert.equal(kp.publicKey(), 'GBXFXNDLV4LSWA4VB7YIL5GBD7BVNR22SGBTDKMO2SBZZHDXSKZYCP7L')
    const sig = Buffer.from(
      'fO5dbYhXUhBMhe6kId/cuVq/AfEnHRHEvsP8vXh03M1uLpi5e46yO2Q8rEBzu3feXQewcQE5GArp88u6ePK6BA==',
      'base64',
    )
    const msg = new TextEncoder().encode('Hello, World!')
    assert.equal(verifySep53Signature(kp.rawPublicKey(), msg, sig), true)
    assert.equal(Buffer.from(kp.signMessage('Hello, World!')).equals(sig), true)
    assert.equal(
      verifySep53Signature(kp.rawPublicKey(), new TextEncoder().encode('Hello, World?'), sig),
      false,
    )
    assert.equal(verifySep53Signature(Keypair.random().rawPublicKey(), msg, sig), false)
    // a plain Ed25519 signature over the message (not SEP-53) is refused
    assert.equal(verifySep53Signature(kp.rawPublicKey(), msg, kp.sign(Buffer.from(msg))), false)
  })

  it('keeps stellar:<network>:G… accounts and refuses the rest with InvalidInput', () => {
    const g = Keypair.random().publicKey()
    assert.equal(scheme.normalizeAccount(`stellar:pubnet:${g}`), `stellar:pubnet:${g}`)
    for (const bad of [
      `stellar:pubnet:${g.toLowerCase()}`,
      `stellar:pubnet:${g.slice(0, -1)}${g.endsWith('A') ? 'B' : 'A'}`,
      `stellar:pubnet:${Keypair.random().secret()}`,
      `near:pubnet:${g}`,
      `stellar:${g}`,
      'stellar:pubnet:MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVAAAAAAAAAAAAAJLK',
    ])
      assert.throws(() => scheme.normalizeAccount(bad), named('InvalidInput'), bad)
  })

  it('SEP-53: render and parse are inverses, resources included', async () => {
    const challenge = challengeFor(`stellar:pubnet:${Keypair.random().publicKey()}`, 'sep53', {
      resources: ['mero:identity:5Hq8'],
    })
    const rendered = await scheme.render(challenge, context())
    assert.equal(rendered.extra, undefined)
    assert.deepEqual(scheme.parse(rendered.message, 'sep53'), {
      nonce: challenge.nonce,
      domain: challenge.domain,
      uri: challenge.uri,
      chainId: 'stellar:pubnet',
      account: challenge.account,
      resources: ['mero:identity:5Hq8'],
    })
  })

  it('SEP-10: the rendered challenge passes the SDK client check (WebAuth.readChallengeTx) and parses back', async () => {
    const client = Keypair.random().publicKey()
    const challenge = challengeFor(`stellar:testnet:${client}`, 'sep10')
    const rendered = await scheme.render(challenge, context())
    assert.deepEqual(rendered.extra, { networkPassphrase: TESTNET, serverAccount: SERVER_ACCOUNT })
    const read = WebAuth.readChallengeTx(
      rendered.message,
      SERVER_ACCOUNT,
      TESTNET,
      challenge.domain,
      challenge.domain,
    )
    assert.equal(read.clientAccountID, client)
    assert.equal(read.matchedHomeDomain, challenge.domain)
    assert.equal(read.tx.sequence, '0')
    assert.deepEqual(read.tx.timeBounds, {
      minTime: String(Math.floor(challenge.issuedAt / 1000)),
      maxTime: String(Math.ceil(challenge.expiresAt / 1000)),
    })
    // the hash every signature is over, computed by hand, equals the SDK's for every network
    const env = xdr.TransactionEnvelope.fromXDR(rendered.message, 'base64')
    assert.ok(env.type === 'envelopeTypeTx')
    for (const passphrase of Object.values(STELLAR_PASSPHRASES))
      assert.deepEqual(
        Buffer.from(transactionHash(passphrase, env.v1.tx.toXdr())),
        Buffer.from(new Transaction(rendered.message, passphrase).hash()),
      )
    assert.deepEqual(scheme.parse(rendered.message, 'sep10'), {
      nonce: challenge.nonce,
      domain: challenge.domain,
      uri: challenge.uri,
      chainId: 'stellar:testnet',
      account: challenge.account,
    })
  })

  it('SEP-10: an envelope with more than 20 signatures does not decode: InvalidSignInMessage', async () => {
    // Each signature bearing the server key's hint costs up to four verifies (one per network) before
    // the nonce is looked up; the envelope XDR (`DecoratedSignature signatures<20>`) bounds them.
    const challenge = challengeFor(`stellar:testnet:${Keypair.random().publicKey()}`, 'sep10')
    const rendered = await scheme.render(challenge, context())
    const tx = new Transaction(rendered.message, TESTNET)
    const serverSig = tx.signatures[0]!
    for (let i = 0; i < 19; i++) tx.addDecoratedSignature(serverSig)
    const twenty = Buffer.from(tx.toXDR(), 'base64')
    assert.equal(scheme.parse(twenty.toString('base64'), 'sep10').nonce, challenge.nonce)
    // Append a 21st (the count is the u32 before the 20 signatures of 72 bytes that end the envelope).
    const at = twenty.length - 20 * 72 - 4
    assert.equal(twenty.readUInt32BE(at), 20)
    const more = Buffer.concat([twenty, twenty.subarray(at + 4, at + 4 + 72)])
    more.writeUInt32BE(21, at)
    assert.throws(() => scheme.parse(more.toString('base64'), 'sep10'), named('InvalidSignInMessage'))
  })

  it('SEP-10: render refuses what a manageData entry cannot hold, and networks without a known passphrase', async () => {
    const client = Keypair.random().publicKey()
    const on = (network: string, over: Partial<SignInChallenge>, format: Format = 'sep10') =>
      scheme.render(challengeFor(`stellar:${network}:${client}`, format, over), context())
    await assert.rejects(
      on('testnet', { uri: `http://localhost:2528/${'x'.repeat(50)}` }),
      named('InvalidInput'),
    )
    await assert.rejects(on('testnet', { domain: `${'a'.repeat(60)}.io` }), named('InvalidInput'))
    await assert.rejects(on('foonet', {}), named('InvalidInput'))
    await assert.rejects(on('testnet', { nonce: 'abcdefgh' }), named('InvalidInput'))
    await assert.rejects(on('testnet', { format: 'sep99' }), named('InvalidInput'))
    // SEP-53 has no such limits
    assert.match(
      (await on('testnet', { uri: `http://localhost:2528/${'x'.repeat(50)}` }, 'sep53')).message,
      /xxxx/,
    )
  })
})

describe('stellar sign-in on the devnet', { timeout: 60_000 }, () => {
  let chain: StellarSignInChain
  let wallet: StellarTestWallet
  before(async () => {
    chain = await startStellarSignInChain()
    wallet = await createStellarTestWallet(chain.rpcUrl, { chainId: chain.chainId })
  })
  after(() => chain?.stop())

  const issue = async (format: Format, account = wallet.account) => {
    const challenge = challengeFor(account, format)
    return { challenge, rendered: await scheme.render(challenge, context(chain.adapter)) }
  }
  const verify = (c: SignInChallenge, r: RenderedChallenge, p: SignInProof, ctx = context(chain.adapter)) =>
    scheme.verify(c, r, p, ctx)
  const G = () => wallet.keypair.publicKey()
  const FORMATS = ['sep53', 'sep10'] as const

  it('SEP-53: the account key signs in (Keypair.signMessage); the text parses back to the challenge', async () => {
    const { challenge, rendered } = await issue('sep53')
    assert.match(rendered.message, /wants you to sign in with your Stellar account:\n/)
    assert.deepEqual(scheme.parse(rendered.message, 'sep53'), {
      nonce: challenge.nonce,
      domain: challenge.domain,
      uri: challenge.uri,
      chainId: chain.chainId,
      account: wallet.account,
    })
    const proof = await wallet.sign(rendered)
    assert.deepEqual(await verify(challenge, rendered, proof), {
      account: wallet.account,
      method: 'sep53',
      publicKey: G(),
    })
    // without extra.publicKey the account's own key is meant
    const bare = { message: proof.message, signature: proof.signature }
    assert.equal((await verify(challenge, rendered, bare)).publicKey, G())
  })

  it('SEP-10: the challenge signed with Transaction.sign signs in', async () => {
    const { challenge, rendered } = await issue('sep10')
    const proof = await wallet.sign(rendered)
    assert.equal(scheme.parse(proof.message, 'sep10').account, wallet.account)
    assert.deepEqual(await verify(challenge, rendered, proof), { account: wallet.account, method: 'sep10' })
  })

  it('a key that is not a signer of the account is refused (both formats)', async () => {
    for (const format of FORMATS) {
      const { challenge, rendered } = await issue(format)
      await assert.rejects(
        verify(challenge, rendered, await wallet.signWithWrongKey(rendered)),
        named('WalletSignatureInvalid'),
      )
    }
    // SEP-53 by the wrong key, claimed as the account key: fails offline already, even without an adapter
    const { challenge, rendered } = await issue('sep53')
    const wrong = await wallet.signWithWrongKey(rendered)
    await assert.rejects(
      verify(challenge, rendered, { ...wrong, extra: {} }, context()),
      named('WalletSignatureInvalid'),
    )
  })

  it('SEP-10: an extra (unknown) or repeated signature fails the whole sign-in, as does none', async () => {
    const { challenge, rendered } = await issue('sep10')
    const extra = await wallet.signWith(rendered, wallet.keypair, Keypair.random())
    await assert.rejects(verify(challenge, rendered, extra), named('WalletSignatureInvalid'))
    const twice = await wallet.signWith(rendered, wallet.keypair, wallet.keypair)
    assert.equal(new Transaction(twice.message, STANDALONE).signatures.length, 3)
    await assert.rejects(verify(challenge, rendered, twice), named('WalletSignatureInvalid'))
    await assert.rejects(
      verify(challenge, rendered, { message: rendered.message }),
      named('WalletSignatureInvalid'),
    )
  })

  it('multisig: medium threshold 2 with two weight-1 signers — one signature fails, both pass', async () => {
    const multi = await createStellarTestWallet(chain.rpcUrl, { chainId: chain.chainId })
    const cosigner = await multi.addCosigner()
    for (const format of FORMATS) {
      const { challenge, rendered } = await issue(format, multi.account)
      await assert.rejects(
        verify(challenge, rendered, await multi.sign(rendered)),
        named('WalletSignatureInvalid'),
      )
      await assert.rejects(
        verify(challenge, rendered, await multi.signWith(rendered, cosigner)),
        named('WalletSignatureInvalid'),
      )
      const both = await multi.signWith(rendered, multi.keypair, cosigner)
      assert.equal((await verify(challenge, rendered, both)).method, format)
      const reversed = await multi.signWith(rendered, cosigner, multi.keypair)
      assert.equal((await verify(challenge, rendered, reversed)).account, multi.account)
    }
  })

  it('an account not on chain signs in with its master key only', async () => {
    const fresh = await createStellarTestWallet(chain.rpcUrl, { chainId: chain.chainId, fund: false })
    for (const format of FORMATS) {
      const { challenge, rendered } = await issue(format, fresh.account)
      assert.equal((await verify(challenge, rendered, await fresh.sign(rendered))).method, format)
      const other = Keypair.random()
      await assert.rejects(
        verify(challenge, rendered, await fresh.signWith(rendered, other)),
        named('WalletSignatureInvalid'),
      )
      // the master key plus a key that is no signer: refused (SEP-10's rule, for SEP-53 co-signers too)
      await assert.rejects(
        verify(challenge, rendered, await fresh.signWith(rendered, fresh.keypair, other)),
        named('WalletSignatureInvalid'),
      )
    }
  })

  it('a small-order key (the identity point) with R = identity, s = 0 does not sign in (both formats)', async () => {
    // node:crypto alone accepts this signature for every message; the account does not exist, so its
    // master key would be its only signer.
    const weak = new Uint8Array([1, ...new Array(31).fill(0)])
    const forged = new Uint8Array([1, ...new Array(63).fill(0)])
    const account = `${chain.chainId}:${StrKey.encodeEd25519PublicKey(Buffer.from(weak))}`
    const s53 = await issue('sep53', account)
    const signature = Buffer.from(forged).toString('base64')
    await assert.rejects(
      verify(s53.challenge, s53.rendered, { message: s53.rendered.message, signature }),
      named('WalletSignatureInvalid'),
    )
    assert.equal(verifySep53Signature(weak, new TextEncoder().encode(s53.rendered.message), forged), false)
    const s10 = await issue('sep10', account)
    const tx = new Transaction(s10.rendered.message, STANDALONE)
    tx.addDecoratedSignature(
      new xdr.DecoratedSignature({ hint: Buffer.from(weak.subarray(28)), signature: Buffer.from(forged) }),
    )
    await assert.rejects(
      verify(s10.challenge, s10.rendered, { message: tx.toXDR() }),
      named('WalletSignatureInvalid'),
    )
  })

  it('a tampered message is MessageMismatch; the right message signed over other bytes is WalletSignatureInvalid', async () => {
    const s53 = await issue('sep53')
    const proof = await wallet.sign(s53.rendered)
    const tampered = s53.rendered.message.replace('Sign in to mero', 'Sign in to mero and pay')
    await assert.rejects(
      verify(s53.challenge, s53.rendered, { ...proof, message: tampered }),
      named('MessageMismatch'),
    )
    const otherBytes = Buffer.from(wallet.keypair.signMessage(tampered)).toString('base64')
    await assert.rejects(
      verify(s53.challenge, s53.rendered, { ...proof, signature: otherBytes }),
      named('WalletSignatureInvalid'),
    )

    const s10 = await issue('sep10')
    const another = await issue('sep10') // same chain and account, another challenge (nonce)
    await assert.rejects(
      verify(s10.challenge, s10.rendered, await wallet.sign(another.rendered)),
      named('MessageMismatch'),
    )
    // the right envelope with a signature by the account key over other bytes
    const tx = new Transaction(s10.rendered.message, STANDALONE)
    tx.addDecoratedSignature(wallet.keypair.signDecorated(randomBytes(32)))
    await assert.rejects(
      verify(s10.challenge, s10.rendered, { message: tx.toXDR() }),
      named('WalletSignatureInvalid'),
    )
  })

  it('SEP-10: a challenge issued by another server (valid on its own) is MessageMismatch', async () => {
    const { challenge, rendered } = await issue('sep10')
    const foreign = await scheme.render(challenge, contextWith(generateKeyPair()))
    const proof = await wallet.sign(foreign)
    assert.equal(scheme.parse(proof.message, 'sep10').nonce, challenge.nonce)
    await assert.rejects(verify(challenge, rendered, proof), named('MessageMismatch'))
  })

  it('without a Stellar adapter a valid signature is AccountKeyUnverifiable, never a success', async () => {
    for (const format of FORMATS) {
      const { challenge, rendered } = await issue(format)
      const proof = await wallet.sign(rendered)
      await assert.rejects(verify(challenge, rendered, proof, context()), named('AccountKeyUnverifiable'))
      const elsewhere = { ...chain.adapter, chainId: 'stellar:testnet' }
      await assert.rejects(
        verify(challenge, rendered, proof, context(elsewhere)),
        named('AccountKeyUnverifiable'),
      )
    }
  })

  it('a message or signature for another Stellar network is ChainMismatch', async () => {
    const testnetAccount = `stellar:testnet:${G()}`
    // SEP-53 text naming testnet
    const s53 = await issue('sep53')
    const elsewhere53 = await scheme.render(challengeFor(testnetAccount, 'sep53'), context())
    assert.equal(scheme.parse(elsewhere53.message, 'sep53').chainId, 'stellar:testnet')
    await assert.rejects(
      verify(s53.challenge, s53.rendered, await wallet.sign(elsewhere53)),
      named('ChainMismatch'),
    )
    // SEP-10 challenge issued for testnet
    const s10 = await issue('sep10')
    const elsewhere10 = await scheme.render(challengeFor(testnetAccount, 'sep10'), context())
    assert.equal(scheme.parse(elsewhere10.message, 'sep10').chainId, 'stellar:testnet')
    await assert.rejects(
      verify(s10.challenge, s10.rendered, await wallet.sign(elsewhere10)),
      named('ChainMismatch'),
    )
    // the standalone challenge, signed by the wallet as a testnet transaction
    const tx = new Transaction(s10.rendered.message, TESTNET)
    tx.sign(wallet.keypair)
    assert.equal(scheme.parse(tx.toXDR(), 'sep10').chainId, chain.chainId) // the server signature decides
    await assert.rejects(verify(s10.challenge, s10.rendered, { message: tx.toXDR() }), named('ChainMismatch'))
  })

  it('SEP-53: bad encodings give named errors, never a crash', async () => {
    const { challenge, rendered } = await issue('sep53')
    const proof = await wallet.sign(rendered)
    const badSignatures: unknown[] = [
      undefined,
      5,
      '',
      'not base64!',
      Buffer.alloc(63).toString('base64'),
      [1, 2],
    ]
    for (const signature of badSignatures)
      await assert.rejects(
        verify(challenge, rendered, { ...proof, signature }),
        named('InvalidInput'),
        String(signature),
      )
    const badExtras: Record<string, unknown>[] = [
      { publicKey: 'GABC' },
      { publicKey: 12 },
      { publicKey: Keypair.random().secret() },
      { signers: 'x' },
      { signers: [null] },
      { signers: [{ publicKey: G(), signature: 'zz' }] },
      { signers: Array.from({ length: 21 }, () => ({ publicKey: G(), signature: proof.signature })) },
    ]
    for (const extra of badExtras)
      await assert.rejects(verify(challenge, rendered, { ...proof, extra }), named('InvalidInput'))
    for (const message of [undefined, 7, '', 'hello'] as unknown[])
      await assert.rejects(
        verify(challenge, rendered, { ...proof, message: message as string }),
        named('InvalidSignInMessage'),
      )
    assert.throws(() => scheme.parse(rendered.message, 'sep99'), named('InvalidSignInMessage'))
  })

  it('SEP-10: bad envelopes give named errors, never a crash', async () => {
    const { challenge, rendered } = await issue('sep10')
    const s53 = await issue('sep53')
    const garbage = ['', 'AAAA', 'not base64!', s53.rendered.message, randomBytes(200).toString('base64')]
    for (const message of garbage)
      await assert.rejects(
        verify(challenge, rendered, { message }),
        named('InvalidSignInMessage'),
        message.slice(0, 20),
      )
    // without the server signature (only the wallet's) it is no challenge
    const wire = xdr.TransactionEnvelope.fromXDR(rendered.message, 'base64').toXdrObject()
    assert.equal(wire.type, 2)
    if (wire.type === 2) wire.v1.signatures = []
    const unsigned = new Transaction(xdr.TransactionEnvelope.fromXdrObject(wire).toXdr('base64'), STANDALONE)
    unsigned.sign(wallet.keypair)
    assert.equal(unsigned.signatures.length, 1)
    await assert.rejects(
      verify(challenge, rendered, { message: unsigned.toXDR() }),
      named('InvalidSignInMessage'),
    )
    // a fee-bump envelope around the signed challenge is not a challenge either
    const inner = new Transaction((await wallet.sign(rendered)).message, STANDALONE)
    const bump = TransactionBuilder.buildFeeBumpTransaction(wallet.keypair, '200', inner, STANDALONE)
    await assert.rejects(
      verify(challenge, rendered, { message: bump.toXDR() }),
      named('InvalidSignInMessage'),
    )
    // a client signature of the wrong length
    const short = new Transaction(rendered.message, STANDALONE)
    short.addDecoratedSignature(
      new xdr.DecoratedSignature({ hint: wallet.keypair.signatureHint(), signature: new Uint8Array(63) }),
    )
    await assert.rejects(
      verify(challenge, rendered, { message: short.toXDR() }),
      named('WalletSignatureInvalid'),
    )
  })
})
