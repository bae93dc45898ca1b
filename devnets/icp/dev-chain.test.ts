import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createIcpAdapter } from '../../adapters/icp/icp-adapter.ts'
import { startIcpDevChain } from './dev-chain.ts'

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
})
