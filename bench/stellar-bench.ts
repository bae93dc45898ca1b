/**
 * Stellar benchmark: anchor submission → closed ledger through the adapter against the Horizon
 * emulator, p50 / p95, next to its ceiling — the devnet's ledger close interval, measured in the same
 * run (a synchronous submit waits for the next close, so a lone anchor costs up to one interval plus
 * the request). Also envelope bytes and fee per anchor, and a burst of concurrent anchors from one
 * account (one in-flight sequence: one anchor per ledger).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Keypair } from '@stellar/stellar-sdk'
import { createStellarAdapter } from '../adapters/stellar/stellar-adapter.ts'
import { startStellarDevnet } from '../devnets/stellar/stellar-devnet.ts'
import { type BenchResult, fmt, quantile } from './table.ts'

const BLOCK_MS = 250
const SEQUENTIAL = 30
const BURST = 10

const r32 = () => new Uint8Array(randomBytes(32))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs the Stellar benchmark (about 15 s). */
export async function stellarBench(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'stellar-bench-'))
  const net = await startStellarDevnet({ dataDir: dir, blockMs: BLOCK_MS })
  const operator = Keypair.random()
  const adapter = await createStellarAdapter({
    rpcUrl: net.url,
    chainId: 'stellar:standalone',
    contract: operator.publicKey(),
    secret: operator.secret(),
  })
  try {
    await net.fund(operator.publicKey())
    await adapter.registerNode(r32(), 'bench')

    // Ceiling: the ledger close interval, from ledger numbers sampled every 2 ms for 12 closes.
    const closes: number[] = []
    let last = net.ledger()
    while (closes.length < 13) {
      await sleep(2)
      if (net.ledger() !== last) {
        last = net.ledger()
        closes.push(performance.now())
      }
    }
    const intervals = closes.slice(1).map((t, i) => t - closes[i]!)
    const closeMs = intervals.reduce((a, b) => a + b, 0) / intervals.length

    const envelopesBefore = net.acceptedEnvelopes().length
    const latencies: number[] = []
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t0 = performance.now()
      const r = await adapter.submitAnchor({ logId: r32(), treeSize: i + 1, root: r32() })
      if (r.kind !== 'submitted') throw new Error('stellar bench: anchor not submitted')
      latencies.push(performance.now() - t0)
    }
    const anchorEnvelopes = net.acceptedEnvelopes().slice(envelopesBefore)
    const bytes = anchorEnvelopes.map((e) => Buffer.from(e, 'base64').length)

    const ledger0 = net.ledger()
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        adapter.submitAnchor({ logId: r32(), treeSize: i + 1, root: r32() }),
      ),
    )
    const burstMs = performance.now() - t0
    const burstLedgers = net.ledger() - ledger0

    const p50 = quantile(latencies, 0.5)
    const p95 = quantile(latencies, 0.95)
    const ceiling = { name: 'ledger close interval', value: closeMs }
    return {
      figures: [
        {
          bench: 'stellar',
          name: `anchor → closed ledger p50 (${SEQUENTIAL} anchors)`,
          value: p50,
          unit: 'ms',
          ceiling,
          ratio: p50 / closeMs,
        },
        {
          bench: 'stellar',
          name: `anchor → closed ledger p95 (${SEQUENTIAL} anchors)`,
          value: p95,
          unit: 'ms',
          ceiling,
          ratio: p95 / closeMs,
        },
        { bench: 'stellar', name: 'envelope bytes per anchor', value: quantile(bytes, 0.5), unit: 'B' },
        {
          bench: 'stellar',
          name: `${BURST} concurrent anchors, one account`,
          value: burstMs,
          unit: 'ms',
          ceiling: { name: `${BURST} × close interval`, value: BURST * closeMs },
          ratio: burstMs / (BURST * closeMs),
        },
      ],
      notes: [
        `Stellar: Horizon emulator, ledger every ${BLOCK_MS} ms (measured ${fmt(closeMs)} ms); submit waits for the closing ledger, which is final.`,
        `Fee per anchor: 100 stroops (0.00001 XLM), one manageData operation; ${BURST} concurrent anchors took ${burstLedgers} ledgers (one in-flight sequence per account).`,
      ],
      details: {
        closeIntervalsMs: intervals,
        latenciesMs: latencies,
        envelopeBytes: bytes,
        burstMs,
        burstLedgers,
      },
    }
  } finally {
    await adapter.close()
    await net.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
