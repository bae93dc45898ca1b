/**
 * Benchmark 1 — attestation ingest: `LogService.ingest` (decode, Ed25519 verify on the thread pool,
 * append, persist) on a real LevelDB, leaves of several attesters signed before timing, submitted in
 * batches with several in flight. Ceilings: raw `node:crypto` Ed25519 verify with cached KeyObjects,
 * as a sync loop (one core) and in its async form (thread pool, both cores).
 */
import crypto, { type KeyObject } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LEAF_SIZE, SIGNED_SIZE, signLeaf } from '../src/attest/leaf.ts'
import { generateKeyPair } from '../src/core/ed25519.ts'
import { sha256 } from '../src/core/hash.ts'
import { silentLogger } from '../src/core/logger.ts'
import { LogService } from '../src/log/log-service.ts'
import { openStore } from '../src/store/store.ts'
import { type BenchResult, fmt, since } from './table.ts'

const ATTESTERS = 8
const WARMUP = 2_000
const LEAVES = 24_000
const BATCH = 100
const IN_FLIGHT = 8
const SYNC_CEILING_N = 6_000
const ASYNC_CEILING_N = 12_000
const ASYNC_CEILING_IN_FLIGHT = 256
const TARGET = 0.6

interface Signed {
  digest: Uint8Array
  key: KeyObject
  sig: Uint8Array
}

/** Leaves of `ATTESTERS` attesters (one context each), distinct state roots, signed now. */
function signLeaves(n: number): Uint8Array[] {
  const attesters = Array.from({ length: ATTESTERS }, () => ({
    kp: generateKeyPair(),
    contextId: new Uint8Array(crypto.randomBytes(32)),
  }))
  const random = new Uint8Array(crypto.randomBytes(64 * n))
  const issuedAt = Date.now()
  return Array.from({ length: n }, (_, i) => {
    const a = attesters[i % ATTESTERS]!
    return signLeaf(
      {
        kind: 'heads',
        contextId: a.contextId,
        payloadRoot: random.subarray(64 * i, 64 * i + 32),
        stateRoot: random.subarray(64 * i + 32, 64 * i + 64),
        revision: i,
        attester: a.kp.publicKey,
        issuedAt,
      },
      a.kp.secretKey,
    )
  })
}

/** The verify inputs of each leaf, with one KeyObject per attester built up front. */
function verifyInputs(leaves: readonly Uint8Array[]): Signed[] {
  const keys = new Map<string, KeyObject>()
  return leaves.map((leaf) => {
    const pub = leaf.subarray(120, 152)
    const x = Buffer.from(pub).toString('base64url')
    let key = keys.get(x)
    if (!key) {
      key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
      keys.set(x, key)
    }
    return { digest: sha256(leaf.subarray(0, SIGNED_SIZE)), key, sig: leaf.subarray(SIGNED_SIZE, LEAF_SIZE) }
  })
}

function verifySync(items: readonly Signed[]): number {
  const t0 = performance.now()
  for (const it of items)
    if (!crypto.verify(null, it.digest, it.key, it.sig))
      throw new Error('ceiling: a signature did not verify')
  return items.length / (since(t0) / 1000)
}

function verifyAsync(items: readonly Signed[], inFlight: number): Promise<number> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    let next = 0
    let done = 0
    const launch = (): void => {
      const it = items[next++]!
      crypto.verify(null, it.digest, it.key, it.sig, (err, ok) => {
        if (err || !ok) return reject(err ?? new Error('ceiling: a signature did not verify'))
        done++
        if (next < items.length) launch()
        else if (done === items.length) resolve(items.length / (since(t0) / 1000))
      })
    }
    for (let k = 0; k < Math.min(inFlight, items.length); k++) launch()
  })
}

/** Both ceilings over the first leaves' inputs. */
async function ceilings(inputs: readonly Signed[]): Promise<{ sync: number; async: number }> {
  return {
    sync: verifySync(inputs.slice(0, SYNC_CEILING_N)),
    async: await verifyAsync(inputs.slice(0, ASYNC_CEILING_N), ASYNC_CEILING_IN_FLIGHT),
  }
}

/** Submits `leaves` in batches of `BATCH`, `IN_FLIGHT` batches at a time. */
async function submit(log: LogService, leaves: readonly Uint8Array[]): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < leaves.length) {
      const batch = leaves.slice(next, next + BATCH)
      next += BATCH
      await log.ingest(batch)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
}

/** Runs benchmark 1. */
export async function ingestBench(): Promise<BenchResult> {
  const leaves = signLeaves(WARMUP + LEAVES)
  const inputs = verifyInputs(leaves)
  verifySync(inputs.slice(0, 500)) // warm-up
  const before = await ceilings(inputs)

  const dir = await mkdtemp(join(tmpdir(), 'mero-bench-ingest-'))
  const store = await openStore(join(dir, 'db'))
  let rate: number
  try {
    const log = await LogService.open({
      store,
      nodeKey: generateKeyPair(),
      origin: 'bench/ingest',
      intervalMs: 1000,
      maxLeaves: 10_000,
      authorize: () => true,
      logger: silentLogger(),
    })
    await submit(log, leaves.slice(0, WARMUP))
    const t0 = performance.now()
    await submit(log, leaves.slice(WARMUP))
    rate = LEAVES / (since(t0) / 1000)
    if (log.size !== WARMUP + LEAVES) throw new Error(`ingest: log has ${log.size} leaves`)
    await log.close()
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
  // The machine drifts by ±25 % over minutes: the ceilings are the mean of a run before and one after.
  const after = await ceilings(inputs)
  const syncCeiling = (before.sync + after.sync) / 2
  const asyncCeiling = (before.async + after.async) / 2

  const ratio = rate / asyncCeiling
  return {
    figures: [
      {
        bench: '1 ingest',
        name: `LogService.ingest (${ATTESTERS} attesters, ${BATCH}/batch, ${IN_FLIGHT} in flight)`,
        value: rate,
        unit: 'leaves/s',
        ceiling: { name: 'node:crypto async, 2 cores', value: asyncCeiling, unit: 'verify/s' },
        ratio,
        target: { text: '≥ 60 % of async verify', met: ratio >= TARGET },
      },
      {
        bench: '1 ingest',
        name: 'same, against the sync verify loop',
        value: rate,
        unit: 'leaves/s',
        ceiling: { name: 'node:crypto sync loop, 1 core', value: syncCeiling, unit: 'verify/s' },
        ratio: rate / syncCeiling,
      },
    ],
    notes: [
      'ingest verifies with the async (thread pool) form, so the async ceiling is the one the target compares against',
      `ceilings = mean of runs before and after the ingest (async ${fmt(before.async)} → ${fmt(after.async)} verify/s)`,
      `${LEAVES} timed leaves after ${WARMUP} warm-up leaves; real LevelDB in a temp folder; policy check always allows`,
    ],
    details: {
      leaves: LEAVES,
      warmupLeaves: WARMUP,
      attesters: ATTESTERS,
      batch: BATCH,
      inFlight: IN_FLIGHT,
      leavesPerSecond: rate,
      ceilingAsyncVerifyPerSecond: asyncCeiling,
      ceilingSyncVerifyPerSecond: syncCeiling,
      ceilingsBefore: before,
      ceilingsAfter: after,
      ratioToAsync: ratio,
      ratioToSync: rate / syncCeiling,
    },
  }
}
