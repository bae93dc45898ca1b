/**
 * Benchmark 2 — log append: 1 M 32-byte leaves through `MerkleLog.append` in large batches, then
 * `root()`, on a real LevelDB; RSS sampled throughout; then the time the derived leafHash index needs
 * to catch up. Ceiling: the same 1 M leaves hashed with `crypto.hash` and reduced to the RFC 6962 root
 * in memory, nothing else.
 */
import crypto from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesEqual } from '../src/core/bytes.ts'
import { MerkleLog } from '../src/log/merkle-log.ts'
import { openStore, section } from '../src/store/store.ts'
import { type BenchResult, fmt, since } from './table.ts'

const N = 1_000_000
const BATCH = 65_536
const TARGET = 0.5
const MiB = 1024 * 1024

const hash = (data: Uint8Array): Uint8Array => crypto.hash('sha256', data, 'buffer')

/**
 * The raw ceiling: leaf hashes `sha256(0x00‖leaf)` and the RFC 6962 root, in one buffer. Digests come
 * back as latin1 ('binary') strings written straight into the buffer: `crypto.hash` allocating a Buffer per digest
 * is about twice as slow on Node 20 (measured here: ~1.1 µs against ~0.5 µs per 64-byte hash).
 */
function rawMerkleRoot(data: Uint8Array, n: number): Uint8Array {
  const nodes = Buffer.alloc(32 * n)
  const into = (input: Uint8Array, at: number) =>
    nodes.write(crypto.hash('sha256', input, 'binary'), at, 'binary')
  const leafIn = new Uint8Array(33)
  for (let i = 0; i < n; i++) {
    leafIn.set(data.subarray(32 * i, 32 * i + 32), 1)
    into(leafIn, 32 * i)
  }
  const pairIn = new Uint8Array(65)
  pairIn[0] = 1
  let count = n
  while (count > 1) {
    const pairs = count >>> 1
    for (let i = 0; i < pairs; i++) {
      pairIn.set(nodes.subarray(64 * i, 64 * i + 64), 1)
      into(pairIn, 32 * i)
    }
    if (count & 1) nodes.copyWithin(32 * pairs, 32 * (count - 1), 32 * count) // odd node carried up
    count = pairs + (count & 1)
  }
  return new Uint8Array(nodes.subarray(0, 32))
}

/** Samples RSS every 20 ms (and on demand) until stopped. */
function rssSampler() {
  let peak = process.memoryUsage.rss()
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }
  const timer = setInterval(sample, 20)
  return {
    sample,
    stop: () => {
      clearInterval(timer)
      sample()
      return peak
    },
  }
}

/** Runs benchmark 2. */
export async function merkleAppendBench(): Promise<BenchResult> {
  const data = new Uint8Array(crypto.randomBytes(32 * N))
  rawMerkleRoot(data, 10_000) // warm-up
  let t0 = performance.now()
  const rawRoot = rawMerkleRoot(data, N)
  const ceilingBefore = N / (since(t0) / 1000)

  const dir = await mkdtemp(join(tmpdir(), 'mero-bench-append-'))
  const store = await openStore(join(dir, 'db'))
  const rssBefore = process.memoryUsage.rss()
  let rate: number
  let appendSeconds: number
  let indexCatchUpMs: number
  let peak: number
  let rssAfter: number
  try {
    const log = await MerkleLog.open(section(store, 'log'))
    // The caller's input (leaf byte arrays) exists before the clock starts, as the ceiling's does.
    const batches: Uint8Array[][] = []
    for (let at = 0; at < N; at += BATCH) {
      const leaves: Uint8Array[] = []
      for (let i = at; i < Math.min(N, at + BATCH); i++) leaves.push(data.subarray(32 * i, 32 * i + 32))
      batches.push(leaves)
    }
    const rss = rssSampler()
    t0 = performance.now()
    for (const leaves of batches) {
      await log.append(leaves)
      rss.sample()
    }
    const root = await log.root()
    appendSeconds = since(t0) / 1000
    rate = N / appendSeconds
    if (!bytesEqual(root, rawRoot)) throw new Error('append: the log root differs from the raw Merkle root')
    const t1 = performance.now()
    const lastHash = hash(Uint8Array.of(0, ...data.subarray(32 * (N - 1))))
    if ((await log.indexOf(lastHash)) !== N - 1) throw new Error('append: the leafHash index is wrong')
    indexCatchUpMs = since(t1)
    peak = rss.stop()
    await log.close()
    rssAfter = process.memoryUsage.rss()
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
  // The machine drifts by ±25 % over minutes: the ceiling is the mean of a run before and one after.
  t0 = performance.now()
  rawMerkleRoot(data, N)
  const ceilingAfter = N / (since(t0) / 1000)
  const ceiling = (ceilingBefore + ceilingAfter) / 2

  const ratio = rate / ceiling
  return {
    figures: [
      {
        bench: '2 append',
        name: `MerkleLog.append 1 M leaves (${BATCH}/append) + root()`,
        value: rate,
        unit: 'leaves/s',
        ceiling: { name: 'crypto.hash RFC 6962 root in memory', value: ceiling },
        ratio,
        target: { text: '≥ 50 % of raw Merkle', met: ratio >= TARGET },
      },
      {
        bench: '2 append',
        name: 'leafHash index catch-up after the last append',
        value: indexCatchUpMs,
        unit: 'ms',
      },
      { bench: '2 append', name: 'RSS peak during append', value: peak / MiB, unit: 'MiB' },
      { bench: '2 append', name: 'RSS after (log closed)', value: rssAfter / MiB, unit: 'MiB' },
    ],
    notes: [
      `32-byte leaves (as the ceiling); raw Merkle ceiling = mean of a run before (${fmt(ceilingBefore)}/s) and after (${fmt(ceilingAfter)}/s)`,
      `the leafHash index is written in the background during the appends; catch-up counts only what was left after root()`,
      `RSS before the log opened ${fmt(rssBefore / MiB)} MiB (includes the 32 MiB of leaves)`,
    ],
    details: {
      leaves: N,
      leafBytes: 32,
      batch: BATCH,
      appendSeconds,
      leavesPerSecond: rate,
      ceilingLeavesPerSecond: ceiling,
      ceilingSeconds: N / ceiling,
      ceilingBefore,
      ceilingAfter,
      ratio,
      indexCatchUpMs,
      rssBeforeMiB: rssBefore / MiB,
      rssPeakMiB: peak / MiB,
      rssAfterMiB: rssAfter / MiB,
    },
  }
}
