/**
 * The bullmq path end to end: a node whose anchor jobs go to Redis (unique prefix, no workers of its
 * own, a read-only chain adapter) and a separate `merod worker --config <file>` process that holds the
 * signer key and anchors on a real anvil. Skipped, with the reason, when no Redis answers.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Contract, getAddress, JsonRpcProvider } from 'ethers'
import { ANCHOR_ABI } from '../adapters/ethereum/anchor-abi.ts'
import { createEthereumAdapter } from '../adapters/ethereum/ethereum-adapter.ts'
import { type AnvilInstance, startAnvil } from '../devnets/ethereum/anvil.ts'
import { deployAnchorContract } from '../devnets/ethereum/deploy.ts'
import { loadConfig } from '../src/core/config.ts'
import { redisAvailable } from '../src/jobs/redis-available.ts'
import { loadNodeKey, MeroNode } from '../src/node/mero-node.ts'
import { verifyProof } from '../src/proof/verify-proof.ts'
import { type ChildHandle, spawnNode, waitFor } from './helpers/child-process.ts'
import { anchorsOf, contextProof, createContext, setValue } from './helpers/inject-requests.ts'
import { deleteRedisKeys, redisKeysUnder } from './helpers/redis-keys.ts'

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const redis = await redisAvailable(redisUrl, { timeoutMs: 1000 })
const skip = redis.ok
  ? undefined
  : `no Redis answers (${redis.reason}); set REDIS_URL to run the bullmq worker test`

test('a `merod worker` process anchors the node’s checkpoints from Redis and exits cleanly on SIGTERM', {
  skip,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mero-bullmq-'))
  const prefix = `mero-test-${randomBytes(6).toString('hex')}`
  const chainId = 'eip155:31337'
  let anvil: AnvilInstance | undefined
  let node: MeroNode | undefined
  let worker: ChildHandle | undefined
  const closers: (() => Promise<void>)[] = []
  try {
    anvil = await startAnvil({ port: 0 })
    const owner = anvil.accounts[0]!
    const contract = await deployAnchorContract(anvil.rpcUrl, owner.privateKey)
    const signerKeyFile = join(dir, 'ethereum-submitter.key')
    await writeFile(signerKeyFile, `${owner.privateKey}\n`, { mode: 0o600 })
    const rawConfig = {
      dataDir: join(dir, 'node'),
      log: { level: 'warn' },
      batch: { intervalMs: 100 },
      jobs: { redisUrl, prefix, runWorkers: false },
      chains: [{ chainId, kind: 'ethereum', rpcUrl: anvil.rpcUrl, contract, pollMs: 50, signerKeyFile }],
    }
    const configFile = join(dir, 'config.json')
    await writeFile(configFile, `${JSON.stringify(rawConfig, null, 2)}\n`)

    // The contract owner registers the node's key (as `merod dev` does).
    const ownerAdapter = createEthereumAdapter({
      rpcUrl: anvil.rpcUrl,
      chainId,
      contract,
      privateKey: owner.privateKey,
    })
    closers.push(() => ownerAdapter.close())
    const nodeKey = await loadNodeKey(rawConfig.dataDir)
    await ownerAdapter.registerNode(nodeKey.publicKey, 'bullmq test node')

    // The node can only read the chain: whatever gets anchored, the worker process did it.
    const readOnly = createEthereumAdapter({ rpcUrl: anvil.rpcUrl, chainId, contract, pollMs: 50 })
    closers.push(() => readOnly.close())
    assert.equal(readOnly.capabilities.canSubmit, false)
    node = await MeroNode.start({ config: loadConfig(rawConfig), adapters: [readOnly], listen: false })
    const api = node.api
    const auth = { authorization: `Bearer ${node.adminToken}` }

    const ctx = await createContext(api, auth)
    await setValue(api, auth, ctx, 'greeting', 'hello')
    const queued = await waitFor('a checkpoint queued for anchoring', async () => {
      const p = await contextProof(api, ctx)
      return p?.anchors[0] ? p : undefined
    })
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(
      (await anchorsOf(api, queued.checkpoint.rootHash))[0]!.status,
      'queued',
      'no worker runs in the node: the job waits in Redis',
    )

    worker = spawnNode(['bin/merod.js', 'worker', '--config', configFile], {
      env: { ...process.env, REDIS_URL: redisUrl },
    })
    const w = worker
    await waitFor('the worker started', () => /merod worker: anchoring eip155:31337/.test(w.output()), {
      alive: w,
      timeoutMs: 30_000,
    })

    const info = (
      await api.inject({ method: 'GET', url: `/admin-api/contexts/${ctx.contextId}`, headers: auth })
    ).json().data as { stateRoot: string }
    const proof = await waitFor(
      'the latest state anchored to final by the worker',
      async () => {
        const p = await contextProof(api, ctx)
        return p?.leaf.stateRoot === info.stateRoot && p.anchors[0]?.status === 'final' ? p : undefined
      },
      { alive: w, timeoutMs: 30_000 },
    )
    const r = await verifyProof(proof, { readers: new Map([[chainId, readOnly]]) })
    assert.ok(r.ok, JSON.stringify(r.checks.filter((c) => !c.ok)))
    assert.equal((await anchorsOf(api, queued.checkpoint.rootHash))[0]!.status, 'final')

    // On chain, the anchor was sent by the worker's account.
    const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 })
    closers.push(async () => provider.destroy())
    const events = await new Contract(contract, ANCHOR_ABI, provider).queryFilter('Anchored', 0, 'latest')
    const ours = events.find(
      (e) =>
        (e as unknown as { args: { root: string } }).args.root.toLowerCase() === proof.checkpoint.rootHash,
    ) as unknown as { args: { submitter: string } } | undefined
    assert.ok(ours, 'the checkpoint root is anchored on chain')
    assert.equal(getAddress(ours.args.submitter), owner.address)

    const exit = await worker.stop(10_000)
    assert.deepEqual(exit, { code: 0, signal: null }, `worker exit on SIGTERM\n${worker.output()}`)
    assert.match(worker.output(), /SIGTERM: stopping/)
  } finally {
    await worker?.stop(5000)
    await node?.close()
    for (const c of closers.reverse()) await c()
    await anvil?.stop()
    if (redis.ok) {
      await deleteRedisKeys(redisUrl, prefix)
      assert.deepEqual(await redisKeysUnder(redisUrl, prefix), [], 'no keys left under the test prefix')
    }
    await rm(dir, { recursive: true, force: true })
  }
})
