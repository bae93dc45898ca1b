/**
 * A node anchoring on a fresh anvil, assembled as `merod dev` does it (anvil from npm in automine, the
 * anchor contract deployed, the node registered with anvil's first dev account as submitter, 1
 * confirmation, every checkpoint anchored, status polled every 50 ms) but on a temp data folder, the
 * API on 127.0.0.1:0, and with the node object in hand for benchmarks 4 and 5.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEthereumAdapter, type EthereumAdapter } from '../adapters/ethereum/ethereum-adapter.ts'
import { type AnvilInstance, startAnvil } from '../devnets/ethereum/anvil.ts'
import { deployAnchorContract } from '../devnets/ethereum/deploy.ts'
import { anchorJobId, anchorQueueName } from '../src/anchor/anchor-job.ts'
import { loadConfig } from '../src/core/config.ts'
import { MeroNode } from '../src/node/mero-node.ts'

/** A running node on anvil; `stop()` closes everything it started and removes the folder. */
export interface AnvilNode {
  node: MeroNode
  anvil: AnvilInstance
  adapter: EthereumAdapter
  chainId: string
  /** Calls `listener(root, tx)` when the anchor job of a checkpoint root completes final. */
  onFinal(listener: (rootHex: string, tx: string | undefined) => void): () => void
  stop(): Promise<void>
}

/** Starts anvil, deploys, starts and registers the node. */
export async function startAnvilNode(options: { intervalMs: number }): Promise<AnvilNode> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mero-bench-anvil-'))
  const anvil = await startAnvil({ port: 0 })
  let adapter: EthereumAdapter | undefined
  let node: MeroNode | undefined
  const stop = async () => {
    await node?.close()
    await adapter?.close()
    await anvil.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    const owner = anvil.accounts[0]!
    const chainId = `eip155:${anvil.chainId}`
    const contract = await deployAnchorContract(anvil.rpcUrl, owner.privateKey)
    const chain = { chainId, kind: 'ethereum', rpcUrl: anvil.rpcUrl, contract, confirmations: 1, pollMs: 50 }
    adapter = createEthereumAdapter({ ...chain, privateKey: owner.privateKey })
    const config = loadConfig({
      dataDir,
      api: { host: '127.0.0.1', port: 0 },
      batch: { intervalMs: options.intervalMs },
      log: { level: 'silent' },
      chains: [{ ...chain, anchorEveryMs: 0 }],
    })
    const started = await MeroNode.start({ config, adapters: [adapter] })
    node = started
    await adapter.registerNode(started.nodeKey.publicKey, 'mero bench')
    const prefix = anchorJobId(chainId, '')
    return {
      node: started,
      anvil,
      adapter,
      chainId,
      onFinal: (listener) =>
        started.jobs.onEvent(anchorQueueName(chainId), (e) => {
          if (e.type === 'completed' && e.result.state === 'final' && e.jobId.startsWith(prefix))
            listener(e.jobId.slice(prefix.length), e.result.tx as string | undefined)
        }),
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}
