import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hashMessage, Wallet } from 'ethers'
import secp256k1 from 'secp256k1'
import type { ChainAdapter } from '../../src/chain/chain-adapter.ts'
import { toHex } from '../../src/core/bytes.ts'
import { isMeroError } from '../../src/core/errors.ts'
import {
  eip155Challenge as challengeFor,
  createEip155TestWallet,
  signInContext as offline,
} from '../../test/helpers/eip155-test-wallet.ts'
import { wrapErc6492 } from './contract-wallet.ts'
import { personalMessageHash, recoverPublicKey, eip155SignInScheme as scheme } from './ethereum-sign-in.ts'

const CHAIN = 'eip155:31337'
const rejects = (p: Promise<unknown>, name: string, what?: string) =>
  assert.rejects(p, (e) => isMeroError(e) && e.name === name, what ?? name)

describe('eip155 sign-in scheme (offline: externally owned accounts)', () => {
  const wallet = createEip155TestWallet()

  it('normalises accounts to EIP-55 and refuses other shapes', () => {
    const address = wallet.account.split(':')[2]!
    assert.equal(scheme.normalizeAccount(`eip155:31337:${address.toLowerCase()}`), wallet.account)
    assert.equal(scheme.normalizeAccount(`eip155:31337:0x${address.slice(2).toUpperCase()}`), wallet.account)
    assert.equal(scheme.normalizeAccount(wallet.account), wallet.account)
    const letter = address.slice(2).search(/[a-fA-F]/) + 2 // toggling one letter's case breaks the checksum
    const c = address[letter]!
    const flipped = `${address.slice(0, letter)}${c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()}${address.slice(letter + 1)}`
    for (const bad of [
      `eip155:31337:${flipped}`, // mixed case with a wrong checksum
      `eip155:0:${address}`,
      `eip155:31337:${address}00`,
      `near:localnet:${address}`,
      `eip155:31337`,
      42,
    ])
      assert.throws(
        () => scheme.normalizeAccount(bad as string),
        (e) => isMeroError(e) && e.name === 'InvalidInput',
        String(bad),
      )
  })

  it('renders EIP-4361 text that parses back to the challenge', async () => {
    const challenge = challengeFor(wallet.account, { resources: ['mero:identity:abc'] })
    const { message } = await scheme.render(challenge, offline())
    const address = wallet.account.split(':')[2]!
    assert.ok(
      message.startsWith(`localhost:2528 wants you to sign in with your Ethereum account:\n${address}\n\n`),
    )
    assert.match(message, /\nChain ID: 31337\n/)
    assert.deepEqual(scheme.parse(message, 'eip4361'), {
      nonce: challenge.nonce,
      domain: challenge.domain,
      uri: challenge.uri,
      chainId: CHAIN,
      account: wallet.account,
      resources: ['mero:identity:abc'],
    })
    assert.throws(
      () => scheme.parse(message, 'sep10'),
      (e) => isMeroError(e) && e.name === 'InvalidSignInMessage',
    )
    assert.throws(
      () => scheme.parse(message.replace(address, address.toLowerCase()), 'eip4361'),
      (e) => isMeroError(e) && e.name === 'InvalidSignInMessage',
    )
  })

  it('valid sign-in: an ethers personal_sign signature verifies as eoa', async () => {
    const challenge = challengeFor(wallet.account)
    const rendered = await scheme.render(challenge, offline())
    const proof = await wallet.sign(rendered)
    const verified = await scheme.verify(challenge, rendered, proof, offline())
    assert.equal(verified.account, wallet.account)
    assert.equal(verified.method, 'eoa')
    // Our EIP-191 hash is ethers' (the wallet's) hash.
    assert.equal(toHex(personalMessageHash(Buffer.from(rendered.message))), hashMessage(rendered.message))
  })

  it('wrong key: WalletSignatureInvalid', async () => {
    const challenge = challengeFor(wallet.account)
    const rendered = await scheme.render(challenge, offline())
    await rejects(
      scheme.verify(challenge, rendered, await wallet.signWithWrongKey(rendered), offline()),
      'WalletSignatureInvalid',
    )
  })

  it('tampered message: MessageMismatch when it differs from the challenge, WalletSignatureInvalid when the signature is over other bytes', async () => {
    const challenge = challengeFor(wallet.account)
    const rendered = await scheme.render(challenge, offline())
    const proof = await wallet.sign(rendered)
    const tampered = rendered.message.replace('Sign in to this mero node.', 'Sign in to this node.')
    await rejects(
      scheme.verify(challenge, rendered, { ...proof, message: tampered }, offline()),
      'MessageMismatch',
    )
    await rejects(scheme.verify(challenge, rendered, { message: 42 } as never, offline()), 'MessageMismatch')
    const otherBytes = await wallet.sign({ message: tampered })
    await rejects(
      scheme.verify(
        challenge,
        rendered,
        { message: rendered.message, signature: otherBytes.signature },
        offline(),
      ),
      'WalletSignatureInvalid',
    )
  })

  it('chain mismatch: a message signed for another chain is not this challenge, and accounts stay on their chain', async () => {
    const address = wallet.account.split(':')[2]!
    const challenge = challengeFor(wallet.account)
    const rendered = await scheme.render(challenge, offline())
    const onMainnet = await scheme.render(
      { ...challenge, chainId: 'eip155:1', account: `eip155:1:${address}` },
      offline(),
    )
    const proof = await wallet.sign(onMainnet) // a valid signature, over a message naming chain 1
    assert.equal(scheme.parse(proof.message, 'eip4361').chainId, 'eip155:1') // the auth service: ChainMismatch
    await rejects(scheme.verify(challenge, rendered, proof, offline()), 'MessageMismatch')
    await rejects(scheme.render({ ...challenge, chainId: 'eip155:1' }, offline()), 'ChainMismatch')
    await rejects(
      scheme.verify({ ...challenge, chainId: 'eip155:1' }, rendered, await wallet.sign(rendered), offline()),
      'ChainMismatch',
    )
  })

  it('bad signature encodings give named errors, never a crash', async () => {
    const challenge = challengeFor(wallet.account)
    const rendered = await scheme.render(challenge, offline())
    const good = Buffer.from(((await wallet.sign(rendered)).signature as string).slice(2), 'hex')
    const hex = (b: Uint8Array) => toHex(b)
    const highS = Buffer.from(good)
    const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')
    highS.set(
      Buffer.from((n - BigInt(toHex(good.subarray(32, 64)))).toString(16).padStart(64, '0'), 'hex'),
      32,
    )
    highS[64] = good[64] === 27 ? 28 : 27
    // The high-s twin is a valid signature for libsecp256k1 (same key): refusing it is our rule (EIP-2).
    const hash = personalMessageHash(Buffer.from(rendered.message))
    assert.deepEqual(
      secp256k1.ecdsaRecover(highS.subarray(0, 64), highS[64]! - 27, hash, false),
      recoverPublicKey(hash, good),
    )
    assert.equal(recoverPublicKey(hash, highS), undefined)
    const badV = Buffer.from(good)
    badV[64] = 29
    const zeroR = Buffer.from(good).fill(0, 0, 32)
    const invalid: unknown[] = [
      hex(highS),
      hex(badV),
      hex(zeroR),
      `${hex(good)}0`, // odd hex
      hex(good).slice(2), // no 0x
      `0x${'zz'.repeat(65)}`,
      '0x',
      undefined,
      42,
      { r: 1 },
      `0x${'00'.repeat(40_000)}`, // too long
    ]
    for (const signature of invalid)
      await rejects(
        scheme.verify(challenge, rendered, { message: rendered.message, signature }, offline()),
        'WalletSignatureInvalid',
        String(signature).slice(0, 20),
      )
    // Another length is a contract wallet's signature: only the chain can check it.
    await rejects(
      scheme.verify(
        challenge,
        rendered,
        { message: rendered.message, signature: hex(good.subarray(0, 64)) },
        offline(),
      ),
      'AccountKeyUnverifiable',
    )
  })

  it('an ERC-6492 wrapper around an account key signature verifies offline; other wrappers need the chain', async () => {
    const owner = Wallet.createRandom()
    const account = `eip155:31337:${owner.address}`
    const challenge = challengeFor(account)
    const rendered = await scheme.render(challenge, offline())
    const inner = Buffer.from((await owner.signMessage(rendered.message)).slice(2), 'hex')
    const factory = Wallet.createRandom().address
    const wrapped = toHex(wrapErc6492(factory, new Uint8Array([1, 2, 3]), inner))
    const verified = await scheme.verify(
      challenge,
      rendered,
      { message: rendered.message, signature: wrapped },
      offline(),
    )
    assert.equal(verified.method, 'eoa')
    const other = toHex(
      wrapErc6492(
        factory,
        new Uint8Array([1]),
        Buffer.from((await Wallet.createRandom().signMessage(rendered.message)).slice(2), 'hex'),
      ),
    )
    await rejects(
      scheme.verify(challenge, rendered, { message: rendered.message, signature: other }, offline()),
      'AccountKeyUnverifiable',
    )
    // An adapter of another chain is never asked.
    const elsewhere = {
      chainId: 'eip155:1',
      capabilities: { signIn: true },
      verifySignIn: async () => true,
    } as unknown as ChainAdapter
    await rejects(
      scheme.verify(
        challenge,
        rendered,
        { message: rendered.message, signature: other },
        offline(Date.now(), elsewhere),
      ),
      'AccountKeyUnverifiable',
    )
  })
})
