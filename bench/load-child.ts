/**
 * The load generator of benchmark 3, in its own process so that it runs on the other core: receives
 * one {@link LoadSpec} over IPC, runs autocannon (each request to a random path of the list), answers
 * with a {@link LoadResult} and exits. Started by {@link runLoad}.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

/** What to load. */
export interface LoadSpec {
  url: string
  /** Each request picks one at random. */
  paths: string[]
  connections: number
  durationSeconds: number
}

/** What autocannon measured, and the CPU the load generator itself used. */
export interface LoadResult {
  reqPerSec: number
  total: number
  latencyP50Ms: number
  latencyP99Ms: number
  non2xx: number
  errors: number
  timeouts: number
  bytesPerSec: number
  /** CPU time of the generator over wall time (1 = one core busy). */
  clientCpu: number
}

async function generate(spec: LoadSpec): Promise<LoadResult> {
  const { paths } = spec
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSeconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)]! }),
      },
    ],
  })
  const cpu = process.cpuUsage(cpu0)
  return {
    reqPerSec: r.requests.total / r.duration,
    total: r.requests.total,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    bytesPerSec: r.throughput.total / r.duration,
    clientCpu: (cpu.user + cpu.system) / 1000 / (performance.now() - t0),
  }
}

/**
 * Runs autocannon against `spec` in a child process and resolves with its result; the child is killed
 * (by its PID) if the run outlasts its duration by a minute.
 *
 * @example
 * const r = await runLoad({ url: 'http://127.0.0.1:3000', paths: ['/'], connections: 100, durationSeconds: 5 })
 */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise<LoadResult>((resolve, reject) => {
    let result: LoadResult | undefined
    const timer = setTimeout(() => child.kill('SIGKILL'), (spec.durationSeconds + 60) * 1000)
    child.once('message', (m) => {
      result = m as LoadResult
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (result) resolve(result)
      else reject(new Error(`load generator exited (code ${code}, signal ${signal}) without a result`))
    })
    child.send(spec)
  })
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.once('message', (spec) => {
    generate(spec as LoadSpec).then(
      (r) => process.send!(r, () => process.disconnect()),
      (e) => {
        console.error(e)
        process.exit(1)
      },
    )
  })
}
