import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chainAdapterCompliance, random32 } from './chain-compliance.ts'
import { createMemoryChain } from './memory-chain-adapter.ts'

for (const automine of [true, false]) {
  let chain = createMemoryChain({ automine })
  chainAdapterCompliance(`memory chain (automine ${automine})`, {
    setup: async () => {
      chain = createMemoryChain({ automine })
      const adapter = chain.adapter({ confirmations: 2 })
      return {
        adapter,
        readOnly: chain.adapter({ account: null }),
        unregistered: chain.adapter({ account: 'mem:stranger' }),
        registerSelf: () => adapter.registerNode(random32(), 'self'),
        mine: async () => chain.mine(),
        sentTransactions: async () => chain.transactionCount(chain.owner),
      }
    },
    teardown: async () => {},
  })
}

describe('memory chain', () => {
  const setup = async (automine = false) => {
    const chain = createMemoryChain({ automine })
    const adapter = chain.adapter({ confirmations: 3 })
    await adapter.registerNode(random32(), 'self')
    return { chain, adapter }
  }

  it('moves pending → included → final as blocks are mined', async () => {
    const { chain, adapter } = await setup()
    const req = { logId: random32(), treeSize: 3, root: random32() }
    const r = await adapter.submitAnchor(req)
    assert.equal(r.kind, 'submitted')
    const tx = r.kind === 'submitted' ? r.tx : undefined
    assert.deepEqual(await adapter.anchorStatus(req.root, tx), { state: 'pending', tx })
    chain.mine()
    const s1 = await adapter.anchorStatus(req.root, tx)
    assert.equal(s1.state, 'included')
    assert.equal(s1.state === 'included' && s1.confirmations, 1)
    chain.mine(2)
    const s2 = await adapter.anchorStatus(req.root, tx)
    assert.equal(s2.state, 'final')
    assert.equal(s2.state === 'final' && s2.height, chain.height() - 2)
  })

  it('a reorg that drops the including block makes the anchor missing; resubmitting lands it again', async () => {
    const { chain, adapter } = await setup(true)
    const req = { logId: random32(), treeSize: 8, root: random32() }
    const r = await adapter.submitAnchor(req)
    const tx = r.kind === 'submitted' ? r.tx : undefined
    chain.mine(3)
    assert.equal((await adapter.anchorStatus(req.root, tx)).state, 'final')
    chain.reorg(4)
    assert.deepEqual(await adapter.anchorStatus(req.root, tx), { state: 'missing' })
    assert.equal(await adapter.anchorOf(req.root), null)
    const again = await adapter.submitAnchor(req)
    assert.equal(again.kind, 'submitted')
    chain.mine(2)
    assert.equal(
      (await adapter.anchorStatus(req.root, again.kind === 'submitted' ? again.tx : undefined)).state,
      'final',
    )
  })

  it('a transaction that fails when mined is reported reverted with the reason', async () => {
    const chain = createMemoryChain({ automine: false })
    const owner = chain.adapter()
    await owner.registerNode(random32(), 'self') // mined at once in block 1
    const root = random32()
    const r = await owner.submitAnchor({ logId: random32(), treeSize: 1, root })
    const tx = r.kind === 'submitted' ? r.tx : undefined
    chain.reorg(1) // drops the registration; the anchor stays in the mempool
    chain.mine()
    assert.deepEqual(await owner.anchorStatus(root, tx), { state: 'reverted', tx, reason: 'NotSubmitter' })
  })

  it('failNext(n) makes the next n calls throw ChainUnavailable, then recovers', async () => {
    const { chain, adapter } = await setup()
    chain.failNext(2)
    const req = { logId: random32(), treeSize: 1, root: random32() }
    await assert.rejects(adapter.submitAnchor(req), { name: 'ChainUnavailable' })
    await assert.rejects(adapter.anchorOf(req.root), { name: 'ChainUnavailable' })
    assert.equal((await adapter.submitAnchor(req)).kind, 'submitted')
  })

  it('only the owner changes the registry', async () => {
    const chain = createMemoryChain()
    const other = chain.adapter({ account: 'mem:other' })
    await assert.rejects(
      other.registerNode(random32(), 'x'),
      (e: Error & { details?: { reason?: string } }) => {
        return e.name === 'ChainRejected' && e.details?.reason === 'NotOwner'
      },
    )
  })
})
