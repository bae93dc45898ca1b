/**
 * Benchmark 4 — write-to-final latency on anvil (automine, 1 confirmation, default 1000 ms batches):
 * writes (`execute` `set` over JSON-RPC/HTTP) spread over time across a few contexts; for each write,
 * the time from sending it until the checkpoint that first contains a heads attestation covering it
 * is anchored `final` (the anchor job's `completed` event — what the proof route then shows).
 *
 * Which attestation covers a write: every write is the single head of its context once acknowledged
 * (one writer per context, writes of a context in sequence), so the heads leaf whose payloadRoot is
 * `headsPayloadRoot([deltaId])` covers that write and every earlier one of the context. Leaves are
 * matched to writes after the fact, from the log itself, so no race with the client decides coverage.
 */
import { decodeLeaf } from '../src/attest/leaf.ts'
import { headsPayloadRoot } from '../src/context/context-roots.ts'
import { fromBase58, toHex } from '../src/core/bytes.ts'
import type { MeroNode } from '../src/node/mero-node.ts'
import { startAnvilNode } from './anvil-node.ts'
import { type BenchResult, fmt, quantile } from './table.ts'

const INTERVAL_MS = 1000
const CONTEXTS = 4
const WRITES = 240
const SPACING_MS = 15
const TARGET_P95_MS = INTERVAL_MS + 500

interface Write {
  ctx: number
  /** Position among its context's writes. */
  seq: number
  sentAt: number
  ackAt?: number
  payloadRoot?: string
  /** The checkpoint whose attestation first covers it. */
  checkpoint?: { root: string; cutAt: number }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)))

async function api<T>(node: MeroNode, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${node.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await res.json()) as T & { error?: unknown }
  if (!res.ok || json.error)
    throw new Error(`latency: ${path} answered ${res.status}: ${JSON.stringify(json)}`)
  return json
}

/** Runs benchmark 4. */
export async function anchorLatencyBench(): Promise<BenchResult> {
  const env = await startAnvilNode({ intervalMs: INTERVAL_MS })
  const { node } = env
  const finalAt = new Map<string, number>()
  const checkpoints: { treeSize: number; root: string; cutAt: number }[] = []
  const unsubscribe = [
    env.onFinal((root) => {
      if (!finalAt.has(root)) finalAt.set(root, performance.now())
    }),
    node.log.onCheckpoint((cp) =>
      checkpoints.push({ treeSize: cp.treeSize, root: cp.rootHash, cutAt: performance.now() }),
    ),
  ]
  try {
    const contexts: { contextId: string; memberPublicKey: string }[] = []
    for (let c = 0; c < CONTEXTS; c++)
      contexts.push((await api<{ data: (typeof contexts)[0] }>(node, '/admin-api/contexts', {})).data)
    await node.flush() // the contexts' own attestations, out of the way before timing
    const writes: Write[] = []
    const perContext: Write[][] = contexts.map(() => [])
    const inContext: Promise<void>[] = contexts.map(() => Promise.resolve())

    const write = async (i: number, w: Write) => {
      const { contextId, memberPublicKey } = contexts[w.ctx]!
      w.sentAt = performance.now()
      const res = await api<{ result: { deltaId: string } }>(node, '/jsonrpc', {
        jsonrpc: '2.0',
        id: i,
        method: 'execute',
        params: {
          contextId,
          method: 'set',
          argsJson: JSON.stringify({ key: `k${i}`, value: i }),
          executorPublicKey: memberPublicKey,
        },
      })
      w.ackAt = performance.now()
      w.payloadRoot = toHex(headsPayloadRoot([fromBase58(res.result.deltaId, 32)]))
    }
    const start = performance.now()
    for (let i = 0; i < WRITES; i++) {
      await sleep(start + i * SPACING_MS - performance.now())
      const ctx = i % CONTEXTS
      const w: Write = { ctx, seq: perContext[ctx]!.length, sentAt: Number.NaN }
      writes.push(w)
      perContext[ctx]!.push(w)
      inContext[ctx] = inContext[ctx]!.then(() => write(i, w))
    }
    await Promise.all(inContext)

    // Match heads leaves to writes, checkpoint by checkpoint, until every write's checkpoint is final.
    const byPayload = new Map(writes.map((w) => [w.payloadRoot!, w]))
    let scanned = 0
    let from = 0
    const deadline = Date.now() + 60_000
    for (;;) {
      for (; scanned < checkpoints.length; scanned++) {
        const cp = checkpoints[scanned]!
        for (; from < cp.treeSize; from++) {
          const leaf = decodeLeaf(await node.log.merkleLog.leafAt(from))
          const w = leaf.kind === 'heads' ? byPayload.get(toHex(leaf.payloadRoot)) : undefined
          if (!w) continue
          for (const x of perContext[w.ctx]!.slice(0, w.seq + 1)) x.checkpoint ??= cp
        }
      }
      if (writes.every((w) => w.checkpoint && finalAt.has(w.checkpoint.root))) break
      if (Date.now() > deadline) throw new Error('latency: writes not final after 60 s')
      await sleep(50)
    }

    const total = writes.map((w) => finalAt.get(w.checkpoint!.root)! - w.sentAt)
    const ack = writes.map((w) => w.ackAt! - w.sentAt)
    const toCheckpoint = writes.map((w) => w.checkpoint!.cutAt - w.sentAt)
    const anchoring = writes.map((w) => finalAt.get(w.checkpoint!.root)! - w.checkpoint!.cutAt)
    const stats = (xs: number[]) => ({
      p50: quantile(xs, 0.5),
      p95: quantile(xs, 0.95),
      max: Math.max(...xs),
    })
    const s = stats(total)
    const roots = new Set(writes.map((w) => w.checkpoint!.root))
    return {
      figures: [
        {
          bench: '4 latency',
          name: `write → final p95 (${WRITES} writes, ${CONTEXTS} contexts, 1 per ${SPACING_MS} ms)`,
          value: s.p95,
          unit: 'ms',
          ceiling: { name: `bound: batch ${INTERVAL_MS} ms + 500`, value: TARGET_P95_MS },
          ratio: s.p95 / TARGET_P95_MS,
          target: { text: `p95 ≤ ${TARGET_P95_MS} ms`, met: s.p95 <= TARGET_P95_MS },
        },
        { bench: '4 latency', name: 'write → final p50', value: s.p50, unit: 'ms' },
        { bench: '4 latency', name: 'write → final max', value: s.max, unit: 'ms' },
        {
          bench: '4 latency',
          name: 'of which checkpoint cut → anchor final, p50',
          value: quantile(anchoring, 0.5),
          unit: 'ms',
        },
      ],
      notes: [
        `write ack p50 ${fmt(quantile(ack, 0.5))} ms; write → checkpoint cut p95 ${fmt(quantile(toCheckpoint, 0.95))} ms; checkpoint cut → final p95 ${fmt(quantile(anchoring, 0.95))} ms; ${roots.size} checkpoints`,
        'final = the anchor job completing with state final (embedded queue event), as the proof route then shows',
      ],
      details: {
        writes: WRITES,
        contexts: CONTEXTS,
        spacingMs: SPACING_MS,
        batchIntervalMs: INTERVAL_MS,
        checkpointsUsed: roots.size,
        writeToFinalMs: s,
        ackMs: stats(ack),
        writeToCheckpointMs: stats(toCheckpoint),
        checkpointToFinalMs: stats(anchoring),
      },
    }
  } finally {
    for (const u of unsubscribe) u()
    await env.stop()
  }
}
