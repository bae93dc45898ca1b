import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Horizon } from '@stellar/stellar-sdk'
import { createStellarAdapter } from '../../adapters/stellar/stellar-adapter.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { startStellarDevChain } from './dev-chain.ts'
import { startStellarDevnet } from './stellar-devnet.ts'

describe('stellar dev chain', { timeout: 60_000 }, () => {
  let dir: string
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('start → stop → start on the same folder: same account, node still registered, anchors persist', async () => {
    dir = await mkdtemp(join(tmpdir(), 'stellar-dev-'))
    const nodeKey = random32()
    const first = await startStellarDevChain({ dataDir: dir, nodeKey })
    const { config } = first
    assert.equal(config.chainId, 'stellar:standalone')
    assert.equal(config.kind, 'stellar')
    assert.match(config.contract, /^G[A-Z2-7]{55}$/)
    assert.equal((await stat(config.signerKeyFile!)).mode & 0o777, 0o600)
    const secret = (await readFile(config.signerKeyFile!, 'utf8')).trim()
    const a = await createStellarAdapter({ ...config, secret })
    assert.equal(await a.isNode(nodeKey), true)
    assert.equal(await a.isSubmitter(), true)
    const req = { logId: random32(), treeSize: 3, root: random32() }
    assert.equal((await a.submitAnchor(req)).kind, 'submitted')
    await a.close()
    const seqOf = async (url: string) =>
      (await new Horizon.Server(url, { allowHttp: true }).loadAccount(config.contract)).sequenceNumber()
    const seq = await seqOf(config.rpcUrl)
    await first.stop()

    const second = await startStellarDevChain({ dataDir: dir, nodeKey })
    assert.equal(second.config.contract, config.contract)
    assert.equal(await seqOf(second.config.rpcUrl), seq, 'the restart sent no transaction')
    const b = await createStellarAdapter({ ...second.config })
    assert.equal(await b.isNode(nodeKey), true)
    assert.equal((await b.anchorOf(req.root))?.treeSize, 3)
    assert.equal((await b.anchorStatus(req.root, undefined)).state, 'final')
    await b.close()
    await second.stop()
    await second.stop()
  })

  it('attaches to an external Horizon (rpcUrl): funds the operator by friendbot, leaves the chain running', async () => {
    const ext = await mkdtemp(join(tmpdir(), 'stellar-ext-'))
    const net = await startStellarDevnet({ blockMs: 50 })
    try {
      const nodeKey = random32()
      const chain = await startStellarDevChain({ dataDir: ext, nodeKey, rpcUrl: net.url })
      assert.equal(chain.config.rpcUrl, net.url)
      assert.equal(chain.description, 'external Horizon')
      const reader = await createStellarAdapter({ ...chain.config })
      assert.equal(await reader.isNode(nodeKey), true)
      await reader.close()
      await chain.stop()
      assert.equal((await fetch(net.url)).status, 200, 'the external chain still runs')
    } finally {
      await net.stop()
      await rm(ext, { recursive: true, force: true })
    }
  })
})
