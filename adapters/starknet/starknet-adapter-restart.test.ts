import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { deployStarknetAnchor } from '../../devnets/starknet/deploy-anchor.ts'
import { deriveAccounts, MODEL_CLASS_HASHES } from '../../devnets/starknet/devnet-accounts.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { type ChildHandle, freePort, spawnNode } from '../../test/helpers/child-process.ts'
import { createStarknetAdapter, type StarknetAdapter } from './starknet-adapter.ts'

const account = deriveAccounts('mero-starknet-devnet', 6)[0]!

describe('starknet adapter: the devnet is killed while an anchor is in flight', { timeout: 120_000 }, () => {
  let dir: string
  let port: number
  let devnet: ChildHandle | undefined
  let adapter: StarknetAdapter
  const url = () => `http://127.0.0.1:${port}/rpc`
  const start = async (blockMs: number) => {
    devnet = spawnNode(['bin/run.js', 'devnets/starknet/run-devnet.ts', dir, String(port), String(blockMs)])
    for (let i = 0; i < 400 && !devnet.output().includes('READY'); i++) {
      if (!devnet.running) throw new Error(`devnet exited: ${devnet.output()}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    assert.ok(devnet.output().includes('READY'), devnet.output())
  }
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sn-restart-'))
    port = await freePort()
    await start(0)
    const contract = await deployStarknetAnchor(url(), account, MODEL_CLASS_HASHES.anchor)
    adapter = await createStarknetAdapter({
      rpcUrl: url(),
      chainId: 'starknet:SN_DEVNET',
      contract,
      account,
      pollMs: 20,
      requestTimeoutMs: 2000,
    })
    await adapter.registerNode(random32(), 'restart')
    await devnet!.stop()
  })
  after(async () => {
    await adapter?.close()
    await devnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('a pending anchor lost in a kill -9: missing after the restart, resubmitted once, nonce re-read', async () => {
    await start(600_000) // blocks close only at stop(): the transaction stays pending
    const root = random32()
    const first = await adapter.submitAnchor({ logId: random32(), treeSize: 5, root })
    assert.equal(first.kind, 'submitted')
    const tx = first.kind === 'submitted' ? first.tx : ''
    assert.equal((await adapter.anchorStatus(root, tx)).state, 'pending')
    await devnet!.kill9()
    await assert.rejects(adapter.anchorStatus(root, tx), (e: Error) => e.name === 'ChainUnavailable')
    await start(0)
    assert.deepEqual(await adapter.anchorStatus(root, tx), { state: 'missing' })
    // The adapter's local nonce is one ahead of the restarted chain: the resubmission must not fail
    // permanently nor wait for a nonce that never comes.
    const again = await adapter.submitAnchor({ logId: random32(), treeSize: 5, root })
    assert.equal(again.kind, 'submitted')
    const tx2 = again.kind === 'submitted' ? again.tx : ''
    assert.notEqual(tx2, tx)
    const st = await adapter.anchorStatus(root, tx2)
    assert.equal(st.state, 'final')
    assert.equal(st.state === 'final' && st.anchor.treeSize, 5)
    // and the next anchor goes straight through (nonce in step with the chain again)
    const next = await adapter.submitAnchor({ logId: random32(), treeSize: 6, root: random32() })
    assert.equal(next.kind, 'submitted')
  })

  it('a graceful stop keeps the pending anchor: it is in the last block after the restart', async () => {
    await devnet!.stop()
    await start(600_000)
    const root = random32()
    const r = await adapter.submitAnchor({ logId: random32(), treeSize: 7, root })
    assert.equal(r.kind, 'submitted')
    await devnet!.stop() // SIGTERM: pending transactions go into a last block
    await start(0)
    const st = await adapter.anchorStatus(root, r.kind === 'submitted' ? r.tx : undefined)
    assert.equal(st.state, 'final')
    const dup = await adapter.submitAnchor({ logId: random32(), treeSize: 7, root })
    assert.equal(dup.kind, 'already-anchored')
  })
})
