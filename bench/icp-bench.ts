/**
 * ICP benchmark, on the mero ICP devnet through the ICP adapter (the unmodified @dfinity/agent):
 *
 * - anchor submission → certified reply, p50 / p95 of sequential anchors, next to the floor set by
 *   the certificate's cryptography measured in the same run (one BLS12-381 signature by the devnet +
 *   one verification by the agent: every certified reply pays both);
 * - canister message execution (the Motoko canister in Node's Wasm engine under the IC System API
 *   executor): the `anchor` update and the `anchor_of` query, next to the lightest message through
 *   the same executor in the same run (`anchor_count`: the fixed per-message cost);
 * - bytes per call: the CBOR request envelope and the certified response.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bls12_381 } from '@noble/curves/bls12-381'
import { createIcpAdapter, parseIcpSecret } from '../adapters/icp/icp-adapter.ts'
import { deployAnchorCanister } from '../devnets/icp/deploy-anchor.ts'
import { startIcpDevnet } from '../devnets/icp/icp-devnet.ts'
import { type BenchResult, fmt, quantile } from './table.ts'

const SEQUENTIAL = 40
const r32 = () => new Uint8Array(randomBytes(32))

/** Runs the ICP benchmark (about 10 s). */
export async function icpBench(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'icp-bench-'))
  const exec: { kind: string; method: string; ms: number; persistMs: number }[] = []
  const http: { path: string; requestBytes: number; responseBytes: number }[] = []
  const ic = await startIcpDevnet({
    port: 0,
    dataDir: dir,
    onExecute: (e) => exec.push(e),
    onRequest: (e) => http.push(e),
  })
  const secret = randomBytes(32).toString('hex')
  try {
    const contract = await deployAnchorCanister(ic.url, parseIcpSecret(secret))
    const adapter = await createIcpAdapter({ rpcUrl: ic.url, chainId: 'icp:local', contract, secret })
    await adapter.registerNode(r32(), 'bench')
    for (let i = 0; i < 3; i++) await adapter.submitAnchor({ logId: r32(), treeSize: 1, root: r32() }) // warm-up

    exec.length = 0
    http.length = 0
    const latencies: number[] = []
    const roots: Uint8Array[] = []
    for (let i = 0; i < SEQUENTIAL; i++) {
      const root = r32()
      roots.push(root)
      const t0 = performance.now()
      const r = await adapter.submitAnchor({ logId: r32(), treeSize: i + 1, root })
      if (r.kind !== 'submitted') throw new Error('icp bench: anchor not submitted')
      latencies.push(performance.now() - t0)
    }
    const anchorExec = exec.filter((e) => e.kind === 'update' && e.method === 'anchor')
    const updates = anchorExec.map((e) => e.ms)
    const persists = anchorExec.map((e) => e.persistMs)
    const queries = exec.filter((e) => e.kind === 'query' && e.method === 'anchor_of').map((e) => e.ms)
    const calls = http.filter((h) => h.path.endsWith('/call'))
    const reads = http.filter((h) => h.path.endsWith('/query'))
    // Floor 2: the lightest message through the same executor (`anchor_count`, no argument).
    exec.length = 0
    const empty = new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 0])
    for (let i = 0; i < SEQUENTIAL; i++)
      await adapter.agent.query(contract, { methodName: 'anchor_count', arg: empty })
    const trivial = exec.filter((e) => e.method === 'anchor_count').map((e) => e.ms)
    const trivialMs = quantile(trivial, 0.5)
    await adapter.close()

    // Floor 1: one certificate's cryptography (BLS sign on the devnet + BLS verify in the agent).
    const sk = bls12_381.utils.randomPrivateKey()
    const pk = bls12_381.getPublicKeyForShortSignatures(sk)
    const crypto: number[] = []
    for (let i = 0; i < 10; i++) {
      const msg = r32()
      const t0 = performance.now()
      const sig = bls12_381.signShortSignature(msg, sk)
      if (!bls12_381.verifyShortSignature(sig, msg, pk)) throw new Error('bls')
      crypto.push(performance.now() - t0)
    }
    const cryptoMs = quantile(crypto, 0.5)
    const heapBytes = heapSize(dir)
    const p50 = quantile(latencies, 0.5)
    const p95 = quantile(latencies, 0.95)
    const u50 = quantile(updates, 0.5)
    const q50 = quantile(queries, 0.5)
    const cryptoCeiling = { name: 'BLS sign + verify of one certificate', value: cryptoMs }
    const trivialCeiling = { name: 'empty query anchor_count, same executor', value: trivialMs }
    return {
      figures: [
        {
          bench: 'icp',
          name: `anchor → certified reply p50 (${SEQUENTIAL} anchors)`,
          value: p50,
          unit: 'ms',
          ceiling: cryptoCeiling,
          ratio: p50 / cryptoMs,
        },
        {
          bench: 'icp',
          name: `anchor → certified reply p95 (${SEQUENTIAL} anchors)`,
          value: p95,
          unit: 'ms',
          ceiling: cryptoCeiling,
          ratio: p95 / cryptoMs,
        },
        {
          bench: 'icp',
          name: 'canister execution: anchor update p50',
          value: u50,
          unit: 'ms',
          ceiling: trivialCeiling,
          ratio: u50 / trivialMs,
        },
        {
          bench: 'icp',
          name: 'canister execution: anchor_of query p50',
          value: q50,
          unit: 'ms',
          ceiling: trivialCeiling,
          ratio: q50 / trivialMs,
        },
        {
          bench: 'icp',
          name: 'state write per committed update p50',
          value: quantile(persists, 0.5),
          unit: 'ms',
        },
        {
          bench: 'icp',
          name: 'call request bytes (CBOR envelope)',
          value: quantile(
            calls.map((c) => c.requestBytes),
            0.5,
          ),
          unit: 'B',
        },
        {
          bench: 'icp',
          name: 'call response bytes (certificate)',
          value: quantile(
            calls.map((c) => c.responseBytes),
            0.5,
          ),
          unit: 'B',
        },
        {
          bench: 'icp',
          name: 'query request + response bytes',
          value: quantile(
            reads.map((c) => c.requestBytes + c.responseBytes),
            0.5,
          ),
          unit: 'B',
        },
      ],
      notes: [
        'ICP: mero devnet (IC System API executor + IC HTTP interface), adapter on the unmodified @dfinity/agent; a certified reply is final, so submit → reply is the whole anchor latency.',
        `Each anchor = one query (already anchored?) + one v3 call; the reply's certificate is BLS-signed by the devnet and verified by the agent (${fmt(cryptoMs)} ms of the latency is that cryptography). No cycles are charged on the devnet; mainnet cycle fees are not measured here.`,
        `Execution: the Motoko canister in Node's Wasm engine under the IC System API executor, including the commit snapshot (updates) or rollback (queries) of its ${fmt(heapBytes / 1024)} KiB Wasm memory; the ceiling is the lightest message (no argument, one nat64 reply) through the same path, i.e. the executor's fixed cost per message. The state write (temp file + rename) is reported apart.`,
      ],
      details: {
        latenciesMs: latencies,
        updateExecMs: updates,
        persistMs: persists,
        queryExecMs: queries,
        blsMs: crypto,
        trivialExecMs: trivial,
        heapBytes,
        calls,
        reads,
      },
    }
  } finally {
    await ic.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/** Wasm memory size of the (only) canister, from its state file header. */
function heapSize(dir: string): number {
  const f = readdirSync(join(dir, 'canisters')).find((x) => x.endsWith('.state'))
  if (!f) return 0
  const raw = readFileSync(join(dir, 'canisters', f))
  const n = raw.readUInt32BE(0)
  return (JSON.parse(raw.subarray(4, 4 + n).toString('utf8')) as { heapLength: number }).heapLength
}
