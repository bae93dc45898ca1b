import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { RpcError } from 'starknet'
import { deployStarknetAnchor } from '../../devnets/starknet/deploy-anchor.ts'
import { startStarknetDevnet } from '../../devnets/starknet/starknet-devnet.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { isMeroError } from '../../src/core/errors.ts'
import { createStarknetAdapter, type StarknetAdapter } from './starknet-adapter.ts'
import { wrapStarknetError } from './starknet-errors.ts'

const CHAIN = 'starknet:SN_DEVNET'

describe('starknet adapter: races, chain checks on reads, retryable nonce errors', {
  timeout: 60_000,
}, () => {
  let d: Awaited<ReturnType<typeof startStarknetDevnet>>
  let contract: string
  let owner: StarknetAdapter
  before(async () => {
    d = await startStarknetDevnet({ port: 0, blockMs: 0 })
    contract = await deployStarknetAnchor(d.url, d.accounts[0]!, d.anchorClassHash)
    owner = await createStarknetAdapter({
      rpcUrl: d.url,
      chainId: CHAIN,
      contract,
      account: d.accounts[0]!,
      pollMs: 10,
    })
    await owner.registerNode(random32(), 'owner')
  })
  after(async () => {
    await owner?.close()
    await d?.stop()
  })

  it('a status poll that finds nothing while a send is in flight does not fail that send', async () => {
    const outcomes: string[] = []
    for (let i = 0; i < 30; i++) {
      const p = owner.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }).then(
        (r) => r.kind,
        (e) => `${e.name}: ${e.message}`,
      )
      const polls = (async () => {
        for (let k = 0; k < 10; k++) {
          assert.equal((await owner.anchorStatus(random32(), undefined)).state, 'missing')
          await new Promise((r) => setTimeout(r, 1))
        }
      })()
      const [r] = await Promise.all([p, polls])
      outcomes.push(r)
    }
    assert.deepEqual(outcomes, Array(30).fill('submitted'))
  })

  it('reads check the chain id too: a read-only adapter on the wrong chain gets WrongChain', async () => {
    const wrong = await createStarknetAdapter({ rpcUrl: d.url, chainId: 'starknet:SN_SEPOLIA', contract })
    for (const read of [
      () => wrong.anchorOf(random32()),
      () => wrong.isNode(random32()),
      () => wrong.anchorStatus(random32(), undefined),
    ])
      await assert.rejects(read(), (e) => isMeroError(e) && e.details.reason === 'WrongChain')
  })

  it('nonce error 52 is retryable (ChainUnavailable), not a permanent rejection', () => {
    const e = wrapStarknetError(
      'anchor',
      new RpcError({ code: 52, message: 'Invalid transaction nonce', data: 'x' } as never, 'm', {}),
    )
    assert.equal(e.name, 'ChainUnavailable')
    assert.equal(e.details.code, 52)
  })

  it('a transaction the node never learns of ends in ChainUnavailable, and the nonce is re-read', async () => {
    let drop = true
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      res.setHeader('content-type', 'application/json')
      if (drop && body.method === 'starknet_addInvokeTransaction') {
        res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { transaction_hash: '0x1234' } }))
        return
      }
      const r = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      res.end(await r.text())
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    const port = (proxy.address() as AddressInfo).port
    const a = await createStarknetAdapter({
      rpcUrl: `http://127.0.0.1:${port}`,
      chainId: CHAIN,
      contract,
      account: d.accounts[0]!,
      pollMs: 10,
      unknownTxMs: 200,
    })
    try {
      const t0 = Date.now()
      await assert.rejects(
        a.registerNode(random32(), 'dropped'),
        (e) => isMeroError(e) && e.name === 'ChainUnavailable' && e.details.reason === 'TransactionDropped',
      )
      assert.ok(Date.now() - t0 < 5000)
      drop = false
      const key = random32()
      await a.registerNode(key, 'after the drop') // uses the node's nonce, not the dropped one's + 1
      assert.equal(await a.isNode(key), true)
    } finally {
      await a.close()
      await new Promise((r) => proxy.close(r))
    }
  })

  it('a resend of the very same transaction (lost answer, lagging nonce view) is 59: retryable, and the anchor lands', async () => {
    // blocks close only when told: transactions wait in the pool as in a node's mempool
    const node = await startStarknetDevnet({ port: 0, blockMs: 600_000 })
    const mining = setInterval(() => node.chain.closeBlock(), 10) // for the setup only
    let lose = false
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const ch of req) chunks.push(ch as Buffer)
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      // a node whose pre_confirmed view lags: it reports the nonce of the latest block
      if (body.method === 'starknet_getNonce') body.params.block_id = 'latest'
      const text = await (await fetch(node.url, { method: 'POST', body: JSON.stringify(body) })).text()
      if (lose && body.method === 'starknet_addInvokeTransaction') {
        lose = false
        res.destroy() // the node accepted it; the answer never arrives
        return
      }
      res.setHeader('content-type', 'application/json')
      res.end(text)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    let a: StarknetAdapter | undefined
    try {
      const c = await deployStarknetAnchor(node.url, node.accounts[0]!, node.anchorClassHash)
      a = await createStarknetAdapter({
        rpcUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        chainId: CHAIN,
        contract: c,
        account: node.accounts[0]!,
        pollMs: 10,
        requestTimeoutMs: 2000,
      })
      await a.registerNode(random32(), 'dup')
      clearInterval(mining)
      const root = random32()
      const req = { logId: random32(), treeSize: 2, root }
      lose = true
      await assert.rejects(a.submitAnchor(req), (e) => isMeroError(e) && e.name === 'ChainUnavailable')
      assert.equal(node.chain.pendingTxs.length, 1)
      // the retry signs the same transaction again (same nonce from the lagging view): 59, retryable
      await assert.rejects(
        a.submitAnchor(req),
        (e) => isMeroError(e) && e.name === 'ChainUnavailable' && e.details.reason === 'DuplicateTx',
      )
      node.mine()
      assert.equal((await a.anchorStatus(root, undefined)).state, 'final')
      assert.equal((await a.submitAnchor(req)).kind, 'already-anchored')
    } finally {
      clearInterval(mining)
      await a?.close()
      await new Promise((r) => proxy.close(r))
      await node.stop()
    }
  })
})
