import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ed25519 } from '@noble/curves/ed25519'
import {
  Account,
  Horizon,
  Keypair,
  Operation,
  StrKey,
  TransactionBuilder,
  type xdr,
} from '@stellar/stellar-sdk'
import { type StellarDevnet, startStellarDevnet } from '../../devnets/stellar/stellar-devnet.ts'
import { createStellarAdapter, type StellarAdapter } from './stellar-adapter.ts'
import { sep53Hash } from './stellar-signers.ts'

const CHAIN = 'stellar:standalone'

describe('stellar sign-in (SEP-10 signer and threshold check)', { timeout: 30_000 }, () => {
  let dir: string
  let d: {
    net: StellarDevnet
    raw: (source: string, signers: Keypair[], ops: xdr.Operation[]) => Promise<unknown>
  }
  let owner: StellarAdapter

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stellar-signin-'))
    const net = await startStellarDevnet({ dataDir: dir, blockMs: 50 })
    const server = new Horizon.Server(net.url, { allowHttp: true })
    const raw = async (source: string, signers: Keypair[], ops: xdr.Operation[]) => {
      const acc = await server.loadAccount(source)
      const b = new TransactionBuilder(new Account(source, acc.sequenceNumber()), {
        fee: '100',
        networkPassphrase: net.passphrase,
      })
      for (const op of ops) b.addOperation(op)
      const tx = b.setTimeout(30).build()
      tx.sign(...signers)
      return server.submitTransaction(tx)
    }
    d = { net, raw }
    // A read-only adapter is enough: sign-in only reads the account.
    owner = await createStellarAdapter({
      rpcUrl: net.url,
      chainId: CHAIN,
      contract: Keypair.random().publicKey(),
    })
  })
  after(async () => {
    await owner?.close()
    await d?.net.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('sign-in: signer weights against the account thresholds (SEP-10 style)', async () => {
    const user = Keypair.random()
    const cosigner = Keypair.random()
    await d.net.fund(user.publicKey())
    const message = new TextEncoder().encode('mero sign-in nonce 42')
    // SEP-53: the wallet signs sha256("Stellar Signed Message:\n" ‖ message).
    const sign = (k: Keypair, m: Uint8Array = message) => ed25519.sign(sep53Hash(m), k.rawSecretKey())
    const account = `${CHAIN}:${user.publicKey()}`
    assert.equal(await owner.verifySignIn({ account, message, signature: sign(user) }), true)
    // A raw ed25519 signature over the message itself is not the SEP-53 form: refused.
    assert.equal(
      await owner.verifySignIn({ account, message, signature: ed25519.sign(message, user.rawSecretKey()) }),
      false,
    )
    assert.equal(await owner.verifySignIn({ account, message, signature: sign(cosigner) }), false)
    assert.equal(
      await owner.verifySignIn({
        account: `stellar:testnet:${user.publicKey()}`,
        message,
        signature: sign(user),
      }),
      false,
    )
    await d.raw(
      user.publicKey(),
      [user],
      [
        Operation.setOptions({
          signer: { ed25519PublicKey: cosigner.publicKey(), weight: 1 },
          lowThreshold: 1,
          medThreshold: 2,
          highThreshold: 2,
        }),
      ],
    )
    assert.deepEqual(await owner.checkSigners(user.publicKey(), [user.publicKey()], 'medium'), {
      ok: false,
      weight: 1,
      required: 2,
      exists: true,
    })
    assert.deepEqual(
      await owner.checkSigners(user.publicKey(), [user.publicKey(), cosigner.publicKey()], 'high'),
      { ok: true, weight: 2, required: 2, exists: true },
    )
    assert.equal(await owner.verifySignIn({ account, message, signature: sign(user) }), false)
    // The threshold is the verifier's option: a client asking for 'low' is still held to 'medium'.
    assert.equal(
      await owner.verifySignIn({ account, message, signature: sign(user), extra: { threshold: 'low' } }),
      false,
    )
    const lowVerifier = await createStellarAdapter({
      rpcUrl: d.net.url,
      chainId: CHAIN,
      contract: Keypair.random().publicKey(),
      signInThreshold: 'low',
    })
    assert.equal(await lowVerifier.verifySignIn({ account, message, signature: sign(user) }), true)
    await lowVerifier.close()
    const both = {
      account,
      message,
      signature: sign(user),
      extra: {
        signers: [
          { publicKey: cosigner.publicKey(), signature: Buffer.from(sign(cosigner)).toString('base64') },
        ],
      },
    }
    assert.equal(await owner.verifySignIn(both), true)
    const forged = {
      ...both,
      extra: {
        signers: [{ publicKey: cosigner.publicKey(), signature: Buffer.from(sign(user)).toString('base64') }],
      },
    }
    assert.equal(await owner.verifySignIn(forged), false)
    // A new account (not on chain yet) signs in with its master key only.
    const fresh = Keypair.random()
    assert.equal(
      await owner.verifySignIn({ account: `${CHAIN}:${fresh.publicKey()}`, message, signature: sign(fresh) }),
      true,
    )
  })

  it('sign-in: a small-order key (the identity point) with R = identity, s = 0 is refused, SEP-53 and SEP-10', async () => {
    // node:crypto alone accepts this signature for every message; the account does not exist, so its
    // master key would be its only signer.
    const weak = new Uint8Array([1, ...new Array(31).fill(0)])
    const forged = new Uint8Array([1, ...new Array(63).fill(0)])
    const account = `${CHAIN}:${StrKey.encodeEd25519PublicKey(Buffer.from(weak))}`
    const message = new TextEncoder().encode('mero sign-in nonce 43')
    assert.equal(await owner.verifySignIn({ account, message, signature: forged }), false)
    const sep10 = {
      account,
      message: new Uint8Array(32).fill(7), // a transaction hash
      signature: new Uint8Array(0),
      extra: { format: 'sep10', signatures: [{ hint: weak.subarray(28), signature: forged }] },
    }
    assert.equal(await owner.verifySignIn(sep10), false)
  })
})
