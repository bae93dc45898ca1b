import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { actions, createTransaction, KeyPairSigner, type KeyPairString } from 'near-api-js'
import { fromBase58, toBase64 } from '../../src/core/bytes.ts'
import { BlockProducer } from './block-producer.ts'
import { ChainState, NO_CODE_HASH } from './chain-state.ts'
import { NEAR_ROOT_ACCOUNT, NEAR_ROOT_KEY } from './dev-keys.ts'
import { type NearDevnet, startNearDevnet } from './near-devnet.ts'
import { NearRuntime } from './near-runtime.ts'
import { RPC_METHODS, type RpcContext } from './rpc-methods.ts'

describe('NEAR devnet under hostile or racing input', { timeout: 30_000 }, () => {
  let devnet: NearDevnet
  before(async () => {
    devnet = await startNearDevnet({ port: 0, blockMs: 60_000 })
  })
  after(async () => {
    await devnet?.stop()
  })

  const post = async (body: string) => {
    const r = await fetch(devnet.url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    })
    return { status: r.status, text: await r.text() }
  }

  it('a JSON-RPC id that cannot be echoed (deeply nested) still gets a JSON-RPC answer, with id null', async () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`
    const r = await post(`{"jsonrpc":"2.0","id":${deep},"method":"health","params":[]}`)
    assert.equal(r.status, 200)
    assert.deepEqual(JSON.parse(r.text), { jsonrpc: '2.0', id: null, result: null })
    const bad = JSON.parse((await post(`{"jsonrpc":"2.0","id":${deep},"method":"nope"}`)).text)
    assert.equal(bad.id, null)
    assert.equal(bad.error.cause.name, 'METHOD_NOT_FOUND')
    // ordinary ids are echoed
    assert.equal(JSON.parse((await post('{"jsonrpc":"2.0","id":"a","method":"health"}')).text).id, 'a')
  })

  it('deeply nested params answer an error in the chain shape and the node keeps serving', async () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`
    const r = JSON.parse(
      (await post(`{"jsonrpc":"2.0","id":1,"method":"tx","params":{"tx_hash":${deep}}}`)).text,
    )
    assert.equal(r.id, 1)
    assert.ok(r.error?.cause?.name, 'an error with a cause name')
    assert.deepEqual(JSON.parse((await post('{"jsonrpc":"2.0","id":2,"method":"health"}')).text).result, null)
  })
})

describe('NEAR devnet duplicate submissions', () => {
  it('a duplicate send_tx that races the block applying the first copy answers its outcome, not InvalidNonce', async () => {
    const state = await ChainState.open(undefined, 1000)
    const runtime = new NearRuntime(state, 1000)
    const producer = new BlockProducer(state, runtime)
    state.accounts.set(NEAR_ROOT_ACCOUNT, {
      amount: 10n ** 33n,
      codeHash: NO_CODE_HASH,
      keys: new Map([[NEAR_ROOT_KEY.publicKey, { nonce: 0n, permission: 'FullAccess' }]]),
    })
    state.touchAccount(NEAR_ROOT_ACCOUNT)
    await producer.genesis()
    const ctx: RpcContext = { chainId: 'localnet', state, runtime, producer, waitTimeoutMs: 5000 }
    try {
      const signer = KeyPairSigner.fromSecretKey(NEAR_ROOT_KEY.secretKey as KeyPairString)
      const tx = createTransaction(
        NEAR_ROOT_ACCOUNT,
        await signer.getPublicKey(),
        NEAR_ROOT_ACCOUNT,
        1n,
        [actions.transfer(1n)],
        fromBase58(state.latest()!.hash, 32),
      )
      const signed = toBase64((await signer.signTransaction(tx)).signedTransaction.encode())
      const send = RPC_METHODS.send_tx!
      await send(ctx, { signed_tx_base64: signed, wait_until: 'NONE' })
      // the block that applies the first copy is queued before the duplicate is checked
      const block = producer.mine()
      const dup = (await send(ctx, { signed_tx_base64: signed, wait_until: 'FINAL' })) as {
        status?: Record<string, unknown>
        final_execution_status?: string
      }
      await block
      assert.equal(dup.final_execution_status, 'FINAL')
      assert.ok(dup.status && 'SuccessValue' in dup.status, JSON.stringify(dup))
    } finally {
      await producer.stop()
      runtime.close()
      await state.close()
    }
  })
})
