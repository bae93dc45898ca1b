/**
 * Chain RPC outages and reorgs, end to end through a node: anchors wait and retry with backoff while
 * the chain is unreachable (the reason is visible in `/v1/anchors/:root`), complete once it is back,
 * and an anchor that a reorg removed after it was final is re-anchored by the scheduler's reconcile.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { JsonRpcProvider } from 'ethers'
import { createEthereumAdapter } from '../adapters/ethereum/ethereum-adapter.ts'
import { startAnvil } from '../devnets/ethereum/anvil.ts'
import { deployAnchorContract } from '../devnets/ethereum/deploy.ts'
import { createMemoryChain } from '../src/chain/memory-chain-adapter.ts'
import { fromHex } from '../src/core/bytes.ts'
import { loadConfig } from '../src/core/config.ts'
import { MeroNode } from '../src/node/mero-node.ts'
import type { Proof } from '../src/proof/proof-types.ts'
import { verifyProof } from '../src/proof/verify-proof.ts'
import { waitFor } from './helpers/child-process.ts'
import { defer } from './helpers/defer.ts'
import { anchorsOf, contextProof, createContext, setValue } from './helpers/inject-requests.ts'
import { startMemoryNode } from './helpers/memory-node.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const DOWN = 1_000_000 // "every call fails" for the memory chain's failNext

test('memory chain RPC down before submission: anchors stay queued with the reason, back off, then go final', async (t) => {
  const chain = createMemoryChain()
  const h = await startMemoryNode({ chain, intervalMs: 50 })
  t.after(() => h.stop())
  chain.failNext(DOWN)
  const ctx = await createContext(h.node.api, h.auth)
  await setValue(h.node.api, h.auth, ctx, 'k', 'v')
  const proof = await waitFor('a proof whose anchor shows the outage', async () => {
    const p = await contextProof(h.node.api, ctx)
    return p?.anchors[0]?.reason ? p : undefined
  })
  const root = proof.checkpoint.rootHash
  const [during] = await anchorsOf(h.node.api, root)
  assert.equal(during!.status, 'queued')
  assert.match(during!.reason!, /unavailable/i)

  // With a 500 ms exponential backoff the attempts come at ~0, 0.5, 1.5, 3.5 s… — retried, yet not a hot
  // loop (the job polls every 10 ms): after t ms at most 1 + log2(t / 500 + 1) attempts.
  const record = await waitFor(
    'a retry during the outage',
    async () => {
      const r = await h.node.anchors.get(chain.chainId, root)
      return r && r.attempts >= 2 ? r : undefined
    },
    { timeoutMs: 10_000 },
  )
  const elapsed = Date.now() - record.queuedAt
  assert.equal(record.state, 'queued')
  const most = 1 + Math.floor(Math.log2(elapsed / 500 + 1))
  assert.ok(
    record.attempts <= most + 1,
    `${record.attempts} attempts in ${elapsed} ms (backoff allows ${most})`,
  )

  chain.failNext(0)
  const final = await waitFor(
    'final once the chain is back',
    async () => {
      const [a] = await anchorsOf(h.node.api, root)
      return a?.status === 'final' ? a : undefined
    },
    { timeoutMs: 15_000 },
  )
  assert.equal(final.reason, undefined, 'the transient error is cleared')
  assert.ok(final.tx)
  const reader = chain.adapter({ account: null })
  const done = (await contextProof(h.node.api, ctx))!
  const r = await verifyProof(done, { readers: new Map([[reader.chainId, reader]]) })
  assert.ok(r.ok, JSON.stringify(r.checks.filter((c) => !c.ok)))
})

test('memory chain RPC down after submission: the anchor stays submitted with its tx and the reason, then goes final', async (t) => {
  const chain = createMemoryChain({ automine: false })
  const h = await startMemoryNode({ chain, intervalMs: 50 })
  t.after(() => h.stop())
  const ctx = await createContext(h.node.api, h.auth)
  await setValue(h.node.api, h.auth, ctx, 'k', 'v')
  const submitted = await waitFor('the anchor transaction sent (not mined)', async () => {
    const p = await contextProof(h.node.api, ctx)
    return p?.anchors[0]?.status === 'submitted' ? p : undefined
  })
  const root = submitted.checkpoint.rootHash
  const tx = submitted.anchors[0]!.tx
  assert.ok(tx)
  chain.failNext(DOWN)
  const during = await waitFor('the outage visible on the submitted anchor', async () => {
    const [a] = await anchorsOf(h.node.api, root)
    return a?.reason ? a : undefined
  })
  assert.equal(during.status, 'submitted', 'an outage does not move the anchor back')
  assert.equal(during.tx, tx)
  assert.match(during.reason!, /unavailable/i)
  const sent = chain.transactionCount(chain.owner)

  chain.failNext(0)
  const final = await waitFor(
    'final once the chain is back and mines',
    async () => {
      chain.mine()
      const [a] = await anchorsOf(h.node.api, root)
      return a?.status === 'final' ? a : undefined
    },
    { timeoutMs: 15_000, intervalMs: 100 },
  )
  assert.equal(final.tx, tx, 'the pending transaction was reused, not sent again')
  assert.equal(chain.transactionCount(chain.owner), sent, 'no second transaction for the root')
})

test('anvil stopped and restarted on the same port with its state: the anchor waits, then completes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mero-outage-'))
  defer(t, () => rm(dir, { recursive: true, force: true }))
  const stateFile = join(dir, 'anvil-state.json')
  let anvil = await startAnvil({ port: 0, stateFile })
  defer(t, () => anvil.stop())
  const { port } = anvil
  const owner = anvil.accounts[0]!
  const contract = await deployAnchorContract(anvil.rpcUrl, owner.privateKey)
  const chainId = 'eip155:31337'
  const adapter = createEthereumAdapter({
    rpcUrl: anvil.rpcUrl,
    chainId,
    contract,
    privateKey: owner.privateKey,
    pollMs: 50,
    requestTimeoutMs: 2000,
  })
  defer(t, () => adapter.close())
  const config = loadConfig({
    dataDir: join(dir, 'node'),
    log: { level: 'silent' },
    batch: { intervalMs: 50 },
    chains: [{ chainId, kind: 'ethereum', rpcUrl: anvil.rpcUrl, contract, pollMs: 50 }],
  })
  const node = await MeroNode.start({ config, adapters: [adapter], listen: false })
  defer(t, () => node.close())
  await adapter.registerNode(node.nodeKey.publicKey, 'outage test')
  const auth = { authorization: `Bearer ${node.adminToken}` }

  await anvil.stop() // SIGTERM: anvil writes its state file
  const ctx = await createContext(node.api, auth)
  await setValue(node.api, auth, ctx, 'k', 'v')
  const waiting = await waitFor('the anchor waiting on the unreachable chain', async () => {
    const p = await contextProof(node.api, ctx)
    return p?.anchors[0]?.reason ? p : undefined
  })
  const root = waiting.checkpoint.rootHash
  assert.equal(waiting.anchors[0]!.status, 'queued')
  assert.match(waiting.anchors[0]!.reason!, /unavailable/i)
  await sleep(500)
  assert.equal(
    (await anchorsOf(node.api, root))[0]!.status,
    'queued',
    'still waiting while the chain is down',
  )

  anvil = await startAnvil({ port, stateFile })
  const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 })
  t.after(() => provider.destroy())
  assert.notEqual(await provider.getCode(contract), '0x', 'the restarted chain kept the contract')
  const proof = await waitFor(
    'final after the chain is back',
    async () => {
      const p = await contextProof(node.api, ctx)
      return p?.checkpoint.rootHash === root && p.anchors[0]?.status === 'final' ? p : undefined
    },
    { timeoutMs: 20_000 },
  )
  const onChain = await adapter.anchorOf(fromHex(root, 32))
  assert.equal(onChain?.treeSize, proof.checkpoint.treeSize)
  const reader = createEthereumAdapter({ rpcUrl: anvil.rpcUrl, chainId, contract })
  t.after(() => reader.close())
  const r = await verifyProof(proof, { readers: new Map([[chainId, reader]]) })
  assert.ok(r.ok, JSON.stringify(r.checks.filter((c) => !c.ok)))
})

test('a reorg after final: reconcile moves the anchor back to queued and it is anchored again', async (t) => {
  const chain = createMemoryChain()
  const h = await startMemoryNode({ chain, intervalMs: 50 })
  t.after(() => h.stop())
  const ctx = await createContext(h.node.api, h.auth)
  await setValue(h.node.api, h.auth, ctx, 'k', 'v')
  const proof: Proof = await waitFor('final anchor', async () => {
    const p = await contextProof(h.node.api, ctx)
    return p?.anchors[0]?.status === 'final' ? p : undefined
  })
  const root = proof.checkpoint.rootHash
  const before = proof.anchors[0]!
  const reader = chain.adapter({ account: null })
  assert.ok(await reader.anchorOf(fromHex(root, 32)))

  const requeued = async () =>
    (await h.node.metrics.anchorTransitions.get()).values
      .filter((v) => v.labels.status === 'queued')
      .reduce((n, v) => n + v.value, 0)
  const queuedBefore = await requeued()
  chain.reorg(chain.height() - before.height! + 1) // drop the anchoring block and everything after it
  assert.equal(await reader.anchorOf(fromHex(root, 32)), null, 'the reorg removed the anchor')
  // The node's own periodic reconciliation (every 5 s) may catch the reorg first on a slow machine;
  // runs never overlap, so once this one returns the anchor has gone back to queued exactly once.
  const moved = await h.node.anchors.reconcile()
  assert.ok(moved <= 1, `reconcile moved ${moved} anchors`)
  assert.equal(await requeued(), queuedBefore + 1, 'the reorged anchor went back to queued once')

  const again = await waitFor('re-anchored to final', async () => {
    const [a] = await anchorsOf(h.node.api, root)
    return a?.status === 'final' && a.tx !== before.tx ? a : undefined
  })
  const onChain = await reader.anchorOf(fromHex(root, 32))
  assert.equal(onChain?.height, again.height)
  const p = (await contextProof(h.node.api, ctx))!
  const r = await verifyProof(p, { readers: new Map([[reader.chainId, reader]]) })
  assert.ok(r.ok, JSON.stringify(r.checks.filter((c) => !c.ok)))
})
