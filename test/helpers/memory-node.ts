/** Test helper: a MeroNode on a temp data folder, anchoring on an in-memory chain. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryChain, type MemoryChain } from '../../src/chain/memory-chain-adapter.ts'
import type { SignInScheme } from '../../src/chain/sign-in-scheme.ts'
import { loadConfig } from '../../src/core/config.ts'
import { MeroNode } from '../../src/node/mero-node.ts'

/** A started node and its chain; `stop()` closes the node and removes the folder. */
export interface MemoryNodeHarness {
  node: MeroNode
  chain: MemoryChain
  dataDir: string
  /** `Authorization` header for admin routes. */
  auth: { authorization: string }
  restart(): Promise<MeroNode>
  stop(): Promise<void>
}

/** Starts a node whose checkpoints are anchored on an in-memory chain where it is registered. */
export async function startMemoryNode(
  options: {
    intervalMs?: number
    dataDir?: string
    chain?: MemoryChain
    signInSchemes?: ReadonlyMap<string, () => Promise<SignInScheme>>
  } = {},
): Promise<MemoryNodeHarness> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'mero-node-')))
  const chain = options.chain ?? createMemoryChain()
  const config = loadConfig({
    dataDir,
    log: { level: 'silent' },
    batch: { intervalMs: options.intervalMs ?? 50 },
    chains: [
      { chainId: chain.chainId, kind: 'memory', rpcUrl: 'memory:', contract: chain.contract, pollMs: 10 },
    ],
  })
  const adapter = chain.adapter()
  const start = () =>
    MeroNode.start({
      config,
      adapters: [adapter],
      listen: false,
      ...(options.signInSchemes ? { signInSchemes: options.signInSchemes } : {}),
    })
  let node = await start()
  await adapter.registerNode(node.nodeKey.publicKey, 'test node')
  const h: MemoryNodeHarness = {
    node,
    chain,
    dataDir,
    auth: { authorization: `Bearer ${node.adminToken}` },
    async restart() {
      await node.close()
      node = await start()
      h.node = node
      return node
    },
    async stop() {
      await node.close()
      await adapter.close()
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true })
    },
  }
  return h
}
