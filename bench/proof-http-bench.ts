/**
 * Benchmark 3 — proof reads over HTTP: `GET /v1/proofs/:leafHash` on a real node (MeroNode on a
 * temp LevelDB, anchoring on an in-memory chain, listening on 127.0.0.1:0) holding a few thousand
 * leaves in several anchored checkpoints, each request for a random leaf. Ceiling: a fastify
 * hello-world route (`{hello: 'world'}`) in this same process, loaded the same way (autocannon,
 * same connections and duration, in a child process so the server keeps its own core).
 */
import crypto from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { attestationLeafHash, signLeaf } from '../src/attest/leaf.ts'
import { createMemoryChain } from '../src/chain/memory-chain-adapter.ts'
import { toHex } from '../src/core/bytes.ts'
import { loadConfig } from '../src/core/config.ts'
import { MeroNode } from '../src/node/mero-node.ts'
import { type LoadResult, runLoad } from './load-child.ts'
import type { BenchResult } from './table.ts'

const CHECKPOINTS = 5
const LEAVES_PER_CHECKPOINT = 1_000
const CONNECTIONS = 100
const WARMUP_SECONDS = 1
const SECONDS = 6
const TARGET = 0.6

/** Appends `CHECKPOINTS` × `LEAVES_PER_CHECKPOINT` node-signed leaves, cutting a checkpoint after each batch. */
async function populate(node: MeroNode): Promise<string[]> {
  const paths: string[] = []
  for (let c = 0; c < CHECKPOINTS; c++) {
    const leaves = Array.from({ length: LEAVES_PER_CHECKPOINT }, (_, i) => {
      const r = new Uint8Array(crypto.randomBytes(96))
      return signLeaf(
        {
          kind: 'heads',
          contextId: r.subarray(0, 32),
          payloadRoot: r.subarray(32, 64),
          stateRoot: r.subarray(64, 96),
          revision: c * LEAVES_PER_CHECKPOINT + i,
          attester: node.nodeKey.publicKey,
          issuedAt: Date.now(),
        },
        node.nodeKey.secretKey,
      )
    })
    await node.log.ingest(leaves)
    await node.log.cutCheckpoint()
    for (const l of leaves) paths.push(`/v1/proofs/${toHex(attestationLeafHash(l))}`)
  }
  return paths
}

/** Waits until every queued anchor is final (the steady state a proof read sees). */
async function anchorsFinal(node: MeroNode, chainId: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const c = (await node.anchors.counts())[chainId]
    if (c && c.final === count) return
    if (Date.now() > deadline) throw new Error(`proofs: anchors not final: ${JSON.stringify(c)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A warm-up run, then the measured one; also the server process's CPU use during it. */
async function load(url: string, paths: string[]): Promise<LoadResult & { serverCpu: number }> {
  await runLoad({ url, paths, connections: CONNECTIONS, durationSeconds: WARMUP_SECONDS })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await runLoad({ url, paths, connections: CONNECTIONS, durationSeconds: SECONDS })
  const cpu = process.cpuUsage(cpu0)
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
    throw new Error(`proofs: ${url}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`)
  return { ...r, serverCpu: (cpu.user + cpu.system) / 1000 / (performance.now() - t0) }
}

/** Runs benchmark 3. */
export async function proofHttpBench(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mero-bench-proofs-'))
  const chain = createMemoryChain()
  const adapter = chain.adapter()
  const hello = Fastify()
  hello.get('/', async () => ({ hello: 'world' }))
  let node: MeroNode | undefined
  try {
    const config = loadConfig({
      dataDir,
      api: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
      chains: [
        { chainId: chain.chainId, kind: 'memory', rpcUrl: 'memory:', contract: chain.contract, pollMs: 10 },
      ],
    })
    node = await MeroNode.start({ config, adapters: [adapter] })
    await adapter.registerNode(node.nodeKey.publicKey, 'bench')
    const paths = await populate(node)
    await anchorsFinal(node, chain.chainId, CHECKPOINTS)
    const sample = await fetch(`${node.url}${paths[0]}`)
    const sampleBody = await sample.text()
    const status = (JSON.parse(sampleBody) as { anchors?: { status: string }[] }).anchors?.[0]?.status
    if (sample.status !== 200 || status !== 'final')
      throw new Error(`proofs: sample proof answered ${sample.status} with anchor ${status}`)

    await hello.listen({ host: '127.0.0.1', port: 0 })
    const helloUrl = `http://127.0.0.1:${(hello.server.address() as { port: number }).port}`
    const helloRun = await load(helloUrl, ['/'])
    const proofRun = await load(node.url, paths)

    const ratio = proofRun.reqPerSec / helloRun.reqPerSec
    return {
      figures: [
        {
          bench: '3 proofs',
          name: `GET /v1/proofs/:leafHash (${CONNECTIONS} conns, ${SECONDS} s, random of ${paths.length})`,
          value: proofRun.reqPerSec,
          unit: 'req/s',
          ceiling: { name: 'fastify hello, same run', value: helloRun.reqPerSec },
          ratio,
          target: { text: '≥ 60 % of hello', met: ratio >= TARGET },
        },
      ],
      notes: [
        `autocannon runs in a child process: hello used ${helloRun.clientCpu.toFixed(2)} client + ${helloRun.serverCpu.toFixed(2)} server cores, proofs ${proofRun.clientCpu.toFixed(2)} + ${proofRun.serverCpu.toFixed(2)} (2 cores in all)`,
        `proof JSON ${Buffer.byteLength(sampleBody)} bytes; latency p50/p99 proofs ${proofRun.latencyP50Ms}/${proofRun.latencyP99Ms} ms, hello ${helloRun.latencyP50Ms}/${helloRun.latencyP99Ms} ms`,
      ],
      details: {
        leaves: paths.length,
        checkpoints: CHECKPOINTS,
        connections: CONNECTIONS,
        seconds: SECONDS,
        proofBytes: Buffer.byteLength(sampleBody),
        proofs: proofRun,
        hello: helloRun,
        ratio,
      },
    }
  } finally {
    await hello.close()
    await node?.close()
    await adapter.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}
