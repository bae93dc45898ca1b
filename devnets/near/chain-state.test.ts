import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { type BlockRecord, ChainState, DB_MEMORY_BLOCKS, type TxRecord } from './chain-state.ts'

type Internals = { blocksByHeight: Map<number, BlockRecord>; txs: Map<string, TxRecord> }
const internals = (s: ChainState) => s as unknown as Internals

/** Commits `n` blocks after the head, each with one transaction outcome. */
async function grow(s: ChainState, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const prev = s.latest()
    const height = (prev?.height ?? 0) + 1
    const tx: TxRecord = { hash: `tx${height}`, signerId: 'test.near', height, outcome: { status: {} } }
    const block = {
      height,
      hash: `b${height}`,
      prevHash: prev?.hash ?? 'genesis',
      timestampNs: BigInt(height),
      txs: [tx.hash],
    }
    await s.commit(block, [tx])
  }
}

describe('NEAR devnet state over long runs', { timeout: 60_000 }, () => {
  it('with a database, memory holds a bounded number of recent blocks and outcomes whatever the validity window; older ones stay readable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'near-state-'))
    try {
      const blocks = DB_MEMORY_BLOCKS + 200
      const s = await ChainState.open(dir, 86_401)
      await grow(s, blocks)
      assert.equal(internals(s).blocksByHeight.size, DB_MEMORY_BLOCKS)
      assert.equal(internals(s).txs.size, DB_MEMORY_BLOCKS)
      assert.equal((await s.block(1))?.hash, 'b1')
      assert.equal((await s.block('b2'))?.height, 2)
      assert.equal((await s.tx('tx3'))?.height, 3)
      await s.close()
      // a restart loads only the recent window
      const again = await ChainState.open(dir, 86_401)
      assert.equal(again.latest()?.height, blocks)
      assert.equal(internals(again).blocksByHeight.size, DB_MEMORY_BLOCKS)
      assert.equal((await again.block('b5'))?.height, 5)
      await again.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('without a database, the whole window stays in memory and older blocks are dropped', async () => {
    const s = await ChainState.open(undefined, 50)
    await grow(s, 120)
    assert.equal(internals(s).blocksByHeight.size, 50)
    assert.equal(await s.block(1), undefined)
    assert.equal(await s.tx('tx1'), undefined)
    assert.equal((await s.tx('tx120'))?.height, 120)
  })
})
