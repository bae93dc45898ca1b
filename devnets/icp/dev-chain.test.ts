import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createIcpAdapter } from '../../adapters/icp/icp-adapter.ts'
import { deployAnchorCanister } from './deploy-anchor.ts'
import { startIcpDevChain } from './dev-chain.ts'
import { startIcpDevnet } from './icp-devnet.ts'

describe('ICP dev chain (merod dev)', () => {
  it('start → stop → start on the same folder: same canister, node still registered, signer can anchor', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mero-icp-dev-'))
    const nodeKey = new Uint8Array(randomBytes(32))
    try {
      const first = await startIcpDevChain({ dataDir, nodeKey })
      const { contract, signerKeyFile } = first.config
      assert.equal(first.config.chainId, 'icp:local')
      assert.equal(first.config.kind, 'icp')
      assert.equal(statSync(signerKeyFile!).mode & 0o777, 0o600)
      await first.stop()
      await first.stop()

      const second = await startIcpDevChain({ dataDir, nodeKey })
      try {
        assert.equal(second.config.contract, contract)
        const { readFile } = await import('node:fs/promises')
        const secret = (await readFile(signerKeyFile!, 'utf8')).trim()
        const a = await createIcpAdapter({ ...second.config, secret })
        assert.equal(await a.isNode(nodeKey), true)
        assert.equal(await a.isSubmitter(), true)
        const root = new Uint8Array(randomBytes(32))
        const r = await a.submitAnchor({ logId: new Uint8Array(randomBytes(32)), treeSize: 1, root })
        assert.equal(r.kind, 'submitted')
        assert.equal((await a.anchorStatus(root, undefined)).state, 'final')
      } finally {
        await second.stop()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('--rpc icp=<url>: attaches to a separately started replica, deploys there once, anchors', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mero-icp-attach-'))
    const replica = await startIcpDevnet({ port: 0 })
    const nodeKey = new Uint8Array(randomBytes(32))
    try {
      const first = await startIcpDevChain({ dataDir, nodeKey, rpcUrl: replica.url })
      assert.equal(first.config.rpcUrl, replica.url)
      assert.deepEqual(replica.canisterIds(), [first.config.contract])
      await first.stop()
      assert.equal(
        (await fetch(`${replica.url}/api/v2/status`)).status,
        200,
        'stop leaves the replica running',
      )
      const second = await startIcpDevChain({ dataDir, nodeKey, rpcUrl: replica.url })
      assert.equal(second.config.contract, first.config.contract)
      const { readFile } = await import('node:fs/promises')
      const secret = (await readFile(second.config.signerKeyFile!, 'utf8')).trim()
      const a = await createIcpAdapter({ ...second.config, secret })
      const root = new Uint8Array(randomBytes(32))
      assert.equal(
        (await a.submitAnchor({ logId: new Uint8Array(randomBytes(32)), treeSize: 1, root })).kind,
        'submitted',
      )
      assert.equal((await a.anchorStatus(root, undefined)).state, 'final')
      await a.close()
      await second.stop()
      assert.equal(replica.canisterIds().length, 1)
    } finally {
      await replica.stop()
      rmSync(dataDir, { recursive: true, force: true })
      rmSync(replica.dataDir, { recursive: true, force: true })
    }
  })

  it('a replica that accepts connections but never answers fails the deployment in bounded time', async () => {
    const { createServer } = await import('node:http')
    const { Ed25519KeyIdentity } = await import('@dfinity/identity')
    const server = createServer(() => {}) // never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as import('node:net').AddressInfo
    try {
      const started = Date.now()
      await assert.rejects(
        deployAnchorCanister(`http://127.0.0.1:${port}`, Ed25519KeyIdentity.generate(), undefined, 300),
      )
      assert.ok(Date.now() - started < 10_000) // 4 tries (the agent retries 3 times) of 300 ms + backoff
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
