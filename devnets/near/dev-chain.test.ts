import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createNearAdapter } from '../../adapters/near/near-adapter.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { waitFor } from '../../test/helpers/child-process.ts'
import { defer } from '../../test/helpers/defer.ts'
import { startNearDevChain } from './dev-chain.ts'
import { NEAR_ROOT_KEY } from './dev-keys.ts'
import { startNearDevnet } from './near-devnet.ts'

describe('NEAR dev chain (merod dev plug-in)', { timeout: 60_000 }, () => {
  const dirs: string[] = []
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'near-dev-'))
    dirs.push(d)
    return d
  }
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  it('start → stop → start on the same folder: same contract, node still registered, anchors kept', async (t) => {
    const dir = await tempDir()
    const nodeKey = random32()
    const first = await startNearDevChain({ dataDir: dir, nodeKey })
    defer(t, () => first.stop()) // idempotent: stopped again here only if the test failed before
    const { config } = first
    assert.equal(config.chainId, 'near:localnet')
    assert.equal(config.kind, 'near')
    assert.equal((await stat(config.signerKeyFile!)).mode & 0o777, 0o600)
    const secret = (await readFile(config.signerKeyFile!, 'utf8')).trim()
    const [accountId, ...key] = secret.split(':')
    const adapter = await createNearAdapter({
      ...config,
      accountId: accountId!,
      secretKey: key.join(':'),
      pollMs: 20,
    })
    defer(t, () => adapter.close())
    assert.equal(await adapter.isNode(nodeKey), true)
    assert.equal(await adapter.isSubmitter(), true)
    const root = random32()
    const r = await adapter.submitAnchor({ logId: random32(), treeSize: 4, root })
    assert.equal(r.kind, 'submitted')
    // the anchor must be final before the stop (it is what the restart has to keep)
    await waitFor(
      'the anchor to be final',
      async () => (await adapter.anchorStatus(root, undefined)).state === 'final',
      { timeoutMs: 20_000 },
    )
    const nonce = await adapter.nonce()
    await adapter.close()
    await first.stop()

    const second = await startNearDevChain({ dataDir: dir, nodeKey })
    defer(t, () => second.stop())
    assert.equal(second.config.contract, config.contract)
    const again = await createNearAdapter({
      ...second.config,
      accountId: accountId!,
      secretKey: key.join(':'),
    })
    defer(t, () => again.close())
    assert.equal(await again.isNode(nodeKey), true)
    assert.equal((await again.anchorOf(root))?.treeSize, 4)
    // registering again sent nothing
    assert.equal(await again.nonce(), nonce)
  })

  it('a start that stopped after deploying but before remembering the registry (near.json lost) reuses it', async () => {
    const dir = await tempDir()
    const nodeKey = random32()
    const first = await startNearDevChain({ dataDir: dir, nodeKey })
    const contract = first.config.contract
    await first.stop()
    await rm(join(dir, 'near.json'))
    const second = await startNearDevChain({ dataDir: dir, nodeKey })
    try {
      assert.equal(second.config.contract, contract)
      const reader = await createNearAdapter({ ...second.config })
      assert.equal(await reader.isNode(nodeKey), true)
      await reader.close()
      assert.match(await readFile(join(dir, 'near.json'), 'utf8'), new RegExp(contract))
    } finally {
      await second.stop()
    }
  })

  it('attaches to a running chain with root credentials from near-root.key (validator_key.json format)', async () => {
    const dir = await tempDir()
    const devnet = await startNearDevnet({ port: 0, blockMs: 50 })
    try {
      const dataDir = join(dir, 'near')
      await mkdir(dataDir)
      const validatorKey = {
        account_id: 'test.near',
        public_key: NEAR_ROOT_KEY.publicKey,
        secret_key: NEAR_ROOT_KEY.secretKey,
      }
      await writeFile(join(dataDir, 'near-root.key'), JSON.stringify(validatorKey))
      const nodeKey = random32()
      const chain = await startNearDevChain({ dataDir, nodeKey, rpcUrl: devnet.url })
      assert.equal(chain.config.rpcUrl, devnet.url)
      const reader = await createNearAdapter({ ...chain.config })
      assert.equal(await reader.isNode(nodeKey), true)
      await chain.stop() // attached: leaves the chain running
      assert.equal(await reader.isNode(nodeKey), true)
      await reader.close()
    } finally {
      await devnet.stop()
    }
  })
})
