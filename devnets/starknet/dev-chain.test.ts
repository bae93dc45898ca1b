import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createStarknetAdapter } from '../../adapters/starknet/starknet-adapter.ts'
import { parseStarknetSecret } from '../../adapters/starknet/starknet-secret.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { startStarknetDevChain } from './dev-chain.ts'

describe('starknet dev chain', { timeout: 60_000 }, () => {
  it('start → anchor → stop → start on the same folder: same contract, node still registered, anchor kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sn-devchain-'))
    const nodeKey = random32()
    const root = random32()
    try {
      const first = await startStarknetDevChain({ dataDir: dir, nodeKey })
      let contract: string
      try {
        assert.equal(first.config.chainId, 'starknet:SN_DEVNET')
        assert.equal(first.config.kind, 'starknet')
        contract = first.config.contract
        const keyFile = first.config.signerKeyFile!
        assert.equal((await stat(keyFile)).mode & 0o777, 0o600)
        const secret = parseStarknetSecret(await readFile(keyFile, 'utf8'))
        const a = await createStarknetAdapter({ ...first.config, account: secret, pollMs: 20 })
        assert.equal(await a.isNode(nodeKey), true)
        assert.equal(await a.isSubmitter(), true)
        const r = await a.submitAnchor({ logId: random32(), treeSize: 3, root })
        assert.equal(r.kind, 'submitted')
        for (let i = 0; i < 50 && (await a.anchorStatus(root, undefined)).state !== 'final'; i++)
          await new Promise((res) => setTimeout(res, 20))
        await a.close()
      } finally {
        await first.stop()
      }
      const second = await startStarknetDevChain({ dataDir: dir, nodeKey })
      try {
        assert.equal(second.config.contract, contract)
        const ro = await createStarknetAdapter({ ...second.config })
        assert.equal(await ro.isNode(nodeKey), true)
        assert.equal((await ro.anchorOf(root))?.treeSize, 3)
        await ro.close()
      } finally {
        await second.stop()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
