/**
 * Benchmark 5 — chain cost per checkpoint on anvil: checkpoints of 1, 100 and 10,000 leaves, each
 * anchored through the node's own anchor job; transactions counted by the submitting account's nonce,
 * gas read from the anchor transaction's receipt. One anchor transaction per checkpoint is the design
 * (DESIGN §7): the root is all that goes on chain, so gas must not grow with the leaves.
 */
import crypto from 'node:crypto'
import { JsonRpcProvider } from 'ethers'
import { signLeaf } from '../src/attest/leaf.ts'
import type { MeroNode } from '../src/node/mero-node.ts'
import { startAnvilNode } from './anvil-node.ts'
import type { BenchResult, Figure } from './table.ts'

const SIZES = [1, 100, 10_000]

function nodeLeaves(node: MeroNode, n: number): Uint8Array[] {
  const r = new Uint8Array(crypto.randomBytes(96 * n))
  const issuedAt = Date.now()
  return Array.from({ length: n }, (_, i) =>
    signLeaf(
      {
        kind: 'heads',
        contextId: r.subarray(96 * i, 96 * i + 32),
        payloadRoot: r.subarray(96 * i + 32, 96 * i + 64),
        stateRoot: r.subarray(96 * i + 64, 96 * i + 96),
        revision: i,
        attester: node.nodeKey.publicKey,
        issuedAt,
      },
      node.nodeKey.secretKey,
    ),
  )
}

/** Runs benchmark 5. */
export async function chainCostBench(): Promise<BenchResult> {
  // Checkpoints are cut by hand: a long batch interval keeps the timer out of the way.
  const env = await startAnvilNode({ intervalMs: 600_000 })
  const { node, adapter } = env
  const provider = new JsonRpcProvider(env.anvil.rpcUrl, env.anvil.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  const finals = new Map<string, string | undefined>()
  const unsubscribe = env.onFinal((root, tx) => finals.set(root, tx))
  try {
    const rows: { leaves: number; transactions: number; gasUsed: number; calldataBytes: number }[] = []
    for (const n of SIZES) {
      const leaves = nodeLeaves(node, n)
      const nonce0 = await provider.getTransactionCount(adapter.account!)
      const size0 = node.log.size
      await node.log.ingest(leaves) // a batch of ≥ maxLeaves cuts its own checkpoint
      await node.log.cutCheckpoint()
      const cp = node.log.latestCheckpoint()
      if (cp.treeSize - size0 !== n)
        throw new Error(`gas: checkpoint holds ${cp.treeSize - size0} leaves, not ${n}`)
      const deadline = Date.now() + 30_000
      while (!finals.has(cp.rootHash)) {
        if (Date.now() > deadline) throw new Error(`gas: checkpoint of ${n} leaves not final after 30 s`)
        await new Promise((r) => setTimeout(r, 20))
      }
      const tx = finals.get(cp.rootHash)
      if (!tx) throw new Error('gas: the anchor job reported no transaction')
      const [receipt, sent, nonce1] = await Promise.all([
        provider.getTransactionReceipt(tx),
        provider.getTransaction(tx),
        provider.getTransactionCount(adapter.account!),
      ])
      if (!receipt || !sent) throw new Error(`gas: no receipt for ${tx}`)
      rows.push({
        leaves: n,
        transactions: nonce1 - nonce0,
        gasUsed: Number(receipt.gasUsed),
        calldataBytes: (sent.data.length - 2) / 2,
      })
    }
    const base = rows[0]!.gasUsed
    const figures: Figure[] = rows.map((r) => ({
      bench: '5 gas',
      name: `checkpoint of ${r.leaves.toLocaleString('en-US')} ${r.leaves === 1 ? 'leaf' : 'leaves'}: ${r.transactions} tx`,
      value: r.gasUsed,
      unit: 'gas',
      target: {
        text: '1 tx, gas flat (±1 %)',
        met: r.transactions === 1 && Math.abs(r.gasUsed - base) <= base * 0.01,
      },
    }))
    const notes = [
      `anchor calldata ${rows[0]!.calldataBytes} bytes (logId, treeSize, root); anvil automine, 1 confirmation`,
    ]
    return { figures, notes, details: { chain: env.chainId, checkpoints: rows } }
  } finally {
    unsubscribe()
    provider.destroy()
    await env.stop()
  }
}
