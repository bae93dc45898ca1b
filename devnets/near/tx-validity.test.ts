import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  type Action,
  actions,
  createTransaction,
  JsonRpcProvider,
  KeyPair,
  KeyPairSigner,
  type KeyPairString,
} from 'near-api-js'
import { fromBase58 } from '../../src/core/bytes.ts'
import { type NearDevnet, startNearDevnet } from './near-devnet.ts'

describe('NEAR devnet transaction admission (validity period, storage stake)', { timeout: 30_000 }, () => {
  let devnet: NearDevnet
  before(async () => {
    devnet = await startNearDevnet({ port: 0, blockMs: 60_000, validityBlocks: 2 })
  })
  after(async () => {
    await devnet?.stop()
  })

  it('a known block hash older than the validity period is rejected as Expired', async () => {
    const provider = new JsonRpcProvider({ url: devnet.url }, { retries: 1, wait: 50, backoff: 1 })
    const signer = KeyPairSigner.fromSecretKey(devnet.rootSecretKey as KeyPairString)
    const pk = await signer.getPublicKey()
    const base = await provider.viewBlock({ finality: 'final' })
    const tx = async (nonce: bigint) => {
      const t = createTransaction(
        'test.near',
        pk,
        'test.near',
        nonce,
        [actions.transfer(1n)],
        fromBase58(base.header.hash, 32),
      )
      return (await signer.signTransaction(t)).signedTransaction
    }
    await devnet.mine()
    await devnet.mine()
    // two blocks later the hash is still valid
    await provider.sendTransactionUntil(await tx(1n), 'NONE')
    await devnet.mine()
    await assert.rejects(provider.sendTransactionUntil(await tx(2n), 'NONE'), {
      name: 'TransactionExpiredError',
    })
  })

  it('a transaction that would leave the signer below its storage stake is refused (LackBalanceForState)', async () => {
    const provider = new JsonRpcProvider({ url: devnet.url }, { retries: 1, wait: 50, backoff: 1 })
    const rootSigner = KeyPairSigner.fromSecretKey(devnet.rootSecretKey as KeyPairString)
    const tiny = KeyPair.fromRandom('ed25519')
    const send = async (signer: KeyPairSigner, signerId: string, receiverId: string, acts: Action[]) => {
      const pk = await signer.getPublicKey()
      const key = await provider.viewAccessKey({ accountId: signerId, publicKey: pk })
      const block = await provider.viewBlock({ finality: 'final' })
      const t = createTransaction(
        signerId,
        pk,
        receiverId,
        key.nonce + 1n,
        acts,
        fromBase58(block.header.hash, 32),
      )
      await provider.sendTransactionUntil((await signer.signTransaction(t)).signedTransaction, 'NONE')
      await devnet.mine()
    }
    // 0.003 NEAR stakes 300 bytes; the account with one FullAccess key uses ~182
    await send(rootSigner, 'test.near', 'tiny.test.near', [
      actions.createAccount(),
      actions.transfer(3n * 10n ** 21n),
      actions.addFullAccessKey(tiny.getPublicKey()),
    ])
    const usage = (await provider.viewAccount({ accountId: 'tiny.test.near' })).storage_usage
    assert.ok(usage > 100 && usage < 300, `storage_usage ${usage}`)
    const signer = new KeyPairSigner(tiny)
    await assert.rejects(
      send(signer, 'tiny.test.near', 'test.near', [actions.transfer(2n * 10n ** 21n)]),
      (e: Error) => {
        assert.match(`${e.name} ${e.message}`, /LackBalanceForState/)
        return true
      },
    )
    await send(signer, 'tiny.test.near', 'test.near', [actions.transfer(10n ** 21n)])
    assert.equal(
      BigInt((await provider.viewAccount({ accountId: 'tiny.test.near' })).amount),
      2n * 10n ** 21n,
    )
  })
})
