/**
 * Starknet benchmark: on the local Starknet devnet (JSON-RPC 0.9, modelled anchor contract, a block
 * per transaction) with the real starknet.js client and the mero adapter:
 * - anchor submission → `final` (ACCEPTED_ON_L2, 1 confirmation) latency, p50 / p95, sequential;
 * - the same with 20 submissions in flight (nonces serialized by the adapter), anchors/s;
 * - Stark-curve signature verifications per second inside the devnet (`check_ecdsa_signature` model,
 *   x-only key) and through `starknet_call is_valid_signature` over HTTP, next to the ceiling: a plain
 *   `ec.starkCurve.verify` loop with the full public key, measured in this run (LIMITS.md: ~434/s).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ec, num, RpcProvider } from 'starknet'
import { isValidSignature } from '../adapters/starknet/sign-in.ts'
import { createStarknetAdapter } from '../adapters/starknet/starknet-adapter.ts'
import { deployStarknetAnchor } from '../devnets/starknet/deploy-anchor.ts'
import { checkStarkSignature } from '../devnets/starknet/devnet-accounts.ts'
import { startStarknetDevnet } from '../devnets/starknet/starknet-devnet.ts'
import { random32 } from '../src/chain/chain-compliance.ts'
import { type BenchResult, quantile } from './table.ts'

const SEQUENTIAL = 40
const CONCURRENT = 20
const VERIFY_MS = 1500

/** Runs `f` repeatedly for about `ms`; returns operations per second. */
async function rate(ms: number, f: () => unknown | Promise<unknown>, parallel = 1): Promise<number> {
  let n = 0
  const end = performance.now() + ms
  const start = performance.now()
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < end) {
        await f()
        n++
      }
    }),
  )
  return n / ((performance.now() - start) / 1000)
}

/** Runs the Starknet benchmark (~15 s). */
export async function starknetBench(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'sn-bench-'))
  const devnet = await startStarknetDevnet({ port: 0, dataDir: dir })
  try {
    const a0 = devnet.accounts[0]!
    const contract = await deployStarknetAnchor(devnet.url, a0, devnet.anchorClassHash)
    const adapter = await createStarknetAdapter({
      rpcUrl: devnet.url,
      chainId: `starknet:${devnet.chainId}`,
      contract,
      account: a0,
      pollMs: 5,
    })
    await adapter.registerNode(random32(), 'bench')
    const waitFinal = async (root: Uint8Array, tx?: string) => {
      for (;;) {
        if ((await adapter.anchorStatus(root, tx)).state === 'final') return
        await new Promise((r) => setTimeout(r, 5))
      }
    }
    const latencies: number[] = []
    for (let i = 0; i < SEQUENTIAL; i++) {
      const req = { logId: random32(), treeSize: i + 1, root: random32() }
      const t0 = performance.now()
      const r = await adapter.submitAnchor(req)
      await waitFinal(req.root, r.kind === 'submitted' ? r.tx : undefined)
      latencies.push(performance.now() - t0)
    }
    latencies.sort((x, y) => x - y)
    const t1 = performance.now()
    const reqs = Array.from({ length: CONCURRENT }, (_, i) => ({
      logId: random32(),
      treeSize: i + 1,
      root: random32(),
    }))
    const sent = await Promise.all(reqs.map((r) => adapter.submitAnchor(r)))
    await Promise.all(
      reqs.map((r, i) =>
        waitFinal(r.root, sent[i]!.kind === 'submitted' ? (sent[i] as { tx: string }).tx : undefined),
      ),
    )
    const concurrentRate = CONCURRENT / ((performance.now() - t1) / 1000)
    await adapter.close()

    // Signatures: one message hash per op, signed ahead of time.
    const sigs = Array.from({ length: 64 }, () => {
      const h = BigInt(`0x${Buffer.from(random32()).toString('hex')}`) >> 8n
      const s = ec.starkCurve.sign(num.toHex(h), a0.privateKey)
      return { h, r: s.r, s: s.s, sig: s }
    })
    const fullKey = ec.starkCurve.getPublicKey(a0.privateKey, false)
    const pubX = BigInt(a0.publicKey)
    let i = 0
    const ceiling = await rate(VERIFY_MS, () => {
      const x = sigs[i++ % sigs.length]!
      if (!ec.starkCurve.verify(x.sig, num.toHex(x.h), fullKey)) throw new Error('verify failed')
    })
    const inDevnet = await rate(VERIFY_MS, () => {
      const x = sigs[i++ % sigs.length]!
      if (!checkStarkSignature(x.h, pubX, [x.r, x.s])) throw new Error('devnet verify failed')
    })
    const provider = new RpcProvider({ nodeUrl: devnet.url, specVersion: '0.9.0' })
    const overRpc = await rate(
      VERIFY_MS,
      async () => {
        const x = sigs[i++ % sigs.length]!
        if (!(await isValidSignature(provider, a0.address, x.h, [x.r, x.s])))
          throw new Error('rpc verify failed')
      },
      4,
    )
    const p50 = quantile(latencies, 0.5)
    const p95 = quantile(latencies, 0.95)
    const b = 'starknet'
    return {
      figures: [
        { bench: b, name: 'anchor submit → final p50', value: p50, unit: 'ms' },
        { bench: b, name: 'anchor submit → final p95', value: p95, unit: 'ms' },
        {
          bench: b,
          name: `anchors → final, ${CONCURRENT} in flight`,
          value: concurrentRate,
          unit: 'anchors/s',
        },
        {
          bench: b,
          name: 'Stark verify in the devnet (x-only key)',
          value: inDevnet,
          unit: 'verify/s',
          ceiling: { name: 'ec.starkCurve.verify loop', value: ceiling },
          ratio: inDevnet / ceiling,
        },
        {
          bench: b,
          name: 'is_valid_signature via starknet_call (HTTP)',
          value: overRpc,
          unit: 'checks/s',
          ceiling: { name: 'ec.starkCurve.verify loop', value: ceiling, unit: 'verify/s' },
          ratio: overRpc / ceiling,
        },
      ],
      notes: [
        'Starknet: local devnet, a block per transaction, ACCEPTED_ON_L2 = final; the contract logic is a model of the Cairo source, so the latency is client + RPC + signature check, not Cairo execution or a real sequencer.',
        'The Stark verify ceiling is measured in this run; the devnet pays the same curve operation per transaction (one verify when the key parity is known).',
      ],
      details: { latenciesMs: latencies, ceilingVerifyPerSec: ceiling, inDevnet, overRpc, concurrentRate },
    }
  } finally {
    await devnet.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
