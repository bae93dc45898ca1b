import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { BlockProducer } from './block-producer.ts'
import { ChainState, NO_CODE_HASH } from './chain-state.ts'
import { NearRuntime } from './near-runtime.ts'

const internal = (e: unknown) =>
  (e as { name?: string }).name === 'INTERNAL_ERROR' || /INTERNAL_ERROR/.test(JSON.stringify(e))

describe('NEAR devnet block persistence', () => {
  it('a block whose batch write fails never becomes the head; production stops with INTERNAL_ERROR, logged once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'near-bp-'))
    try {
      const state = await ChainState.open(dir, 100)
      const logs: string[] = []
      const producer = new BlockProducer(state, new NearRuntime(state, 100), (m) => logs.push(m))
      state.accounts.set('test.near', { amount: 10n ** 30n, codeHash: NO_CODE_HASH, keys: new Map() })
      state.touchAccount('test.near')
      await producer.genesis()
      await producer.mine()
      assert.equal(state.latest()?.height, 2)
      // the next batch write rejects once
      const db = (state as unknown as { db: { batch(): { write(): Promise<void> } } }).db
      const batch = db.batch.bind(db)
      let failures = 1
      db.batch = () => {
        const b = batch()
        const write = b.write.bind(b)
        b.write = () => (failures-- > 0 ? Promise.reject(new Error('disk full')) : write())
        return b
      }
      await assert.rejects(producer.mine(), internal)
      assert.equal(state.latest()?.height, 2, 'the unwritten block became the head')
      await assert.rejects(producer.mine(), internal)
      await assert.rejects(
        producer.read(() => 1),
        internal,
      )
      assert.equal(logs.length, 1)
      assert.match(logs[0]!, /writing block 3 failed.*disk full/)
      await producer.stop()
      await state.close()
      const reopened = await ChainState.open(dir, 100)
      assert.equal(reopened.latest()?.height, 2)
      await reopened.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('reads do not wait behind queued work when no block is being produced', async () => {
    const state = await ChainState.open(undefined, 100)
    const producer = new BlockProducer(state, new NearRuntime(state, 100))
    await producer.genesis()
    let release = () => {}
    const slow = producer.serial(() => new Promise<void>((r) => (release = r)))
    const order: string[] = []
    const read = producer.read(() => order.push('read'))
    await read
    order.push('after read')
    release()
    await slow
    assert.deepEqual(order, ['read', 'after read'])
    await producer.stop()
  })
})
