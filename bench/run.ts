/**
 * `npm run bench [-- names…]`: runs the benchmarks one after another (all by default, or those named:
 * ingest, append, proofs, latency, gas, near, icp, stellar, starknet, signin, membership), each in a fresh child process (own heap and RSS, nothing left
 * behind by the one before), prints each table as it finishes and a summary table at the end, and
 * writes every figure, note and detail to `bench/results/latest.json`.
 */
import { fork } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { anchorLatencyBench } from './anchor-latency-bench.ts'
import { chainCostBench } from './chain-cost-bench.ts'
import { icpBench } from './icp-bench.ts'
import { ingestBench } from './ingest-bench.ts'
import { membershipBench } from './membership-bench.ts'
import { merkleAppendBench } from './merkle-append-bench.ts'
import { nearBench } from './near-bench.ts'
import { proofHttpBench } from './proof-http-bench.ts'
import { signInBench } from './sign-in-bench.ts'
import { starknetBench } from './starknet-bench.ts'
import { stellarBench } from './stellar-bench.ts'
import { type BenchResult, type Figure, figureTable } from './table.ts'

const BENCHES: Record<string, () => Promise<BenchResult>> = {
  ingest: ingestBench,
  append: merkleAppendBench,
  proofs: proofHttpBench,
  latency: anchorLatencyBench,
  gas: chainCostBench,
  near: nearBench,
  icp: icpBench,
  stellar: stellarBench,
  starknet: starknetBench,
  signin: signInBench,
  membership: membershipBench,
}
const self = fileURLToPath(import.meta.url)

/** Runs one benchmark in a child process and resolves with its result. */
function inChild(name: string): Promise<BenchResult> {
  const child = fork(self, ['--child', name], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    let answer: { result?: BenchResult; error?: string } | undefined
    let timer: NodeJS.Timeout | undefined
    child.once('message', (m) => {
      answer = m as typeof answer
      // A benchmark that left a server, timer or process behind keeps its child alive: say so, then end it.
      timer = setTimeout(() => {
        console.error(`✗ ${name}: the benchmark process did not exit after answering (something left open)`)
        child.kill('SIGKILL')
      }, 15_000)
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (answer?.result && signal === null) resolve(answer.result)
      else reject(new Error(answer?.error ?? `exited (code ${code}, signal ${signal}) without a result`))
    })
  })
}

async function main(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !Object.hasOwn(BENCHES, n))
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`)
    process.exitCode = 2
    return
  }
  const started = new Date()
  const figures: Figure[] = []
  const results: Record<string, unknown> = {}
  for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
    console.log(`\n▶ ${name}`)
    const t0 = performance.now()
    try {
      const r = await inChild(name)
      figures.push(...r.figures)
      results[name] = { ...r.details, notes: r.notes, seconds: (performance.now() - t0) / 1000 }
      console.log(figureTable(r.figures))
      for (const n of r.notes) console.log(`  · ${n}`)
    } catch (e) {
      process.exitCode = 1
      results[name] = { error: String(e) }
      console.error(`✗ ${name} failed: ${e}`)
    }
  }

  const load = loadavg().map((l) => l.toFixed(1))
  console.log(
    `\n■ summary (${cpus().length} cores, node ${process.version}, load average ${load.join(' ')})\n`,
  )
  console.log(figureTable(figures))
  const out = join(dirname(self), 'results', 'latest.json')
  await mkdir(dirname(out), { recursive: true })
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadavg: loadavg() }
  const seconds = (Date.now() - started.getTime()) / 1000
  const json = { startedAt: started.toISOString(), seconds, machine, figures, results }
  await writeFile(out, `${JSON.stringify(json, null, 2)}\n`)
  console.log(`\nresults written to ${out}`)
}

/** The child side: run one benchmark, answer over IPC, let the process end on its own. */
async function child(name: string): Promise<void> {
  let answer: { result?: BenchResult; error?: string }
  try {
    answer = { result: await BENCHES[name]!() }
  } catch (e) {
    answer = { error: String((e as Error)?.stack ?? e) }
  }
  await new Promise((resolve) => process.send!(answer, resolve))
  process.disconnect()
}

const args = process.argv.slice(2)
if (args[0] === '--child' && process.send) await child(args[1]!)
else await main(args)
