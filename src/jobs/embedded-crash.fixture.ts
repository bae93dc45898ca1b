/**
 * Child process of the embedded queue's crash test (embedded-job-queue.test.ts): adds jobs to the
 * database at argv[2], starts one that never ends, acknowledges one more, then waits to be killed.
 * Each step is one JSON line on stdout.
 */
import { openStore, section } from '../store/store.ts'
import { createEmbeddedJobQueue } from './embedded-job-queue.ts'
import type { JobData } from './job-queue.ts'

const dir = process.argv[2]
if (!dir) throw new Error('usage: embedded-crash.fixture.ts <db dir>')
const say = (msg: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(msg)}\n`)
}
const store = await openStore(dir)
const jobs = createEmbeddedJobQueue({ section: section(store, 'jobs') })
const beforeAdd = Date.now()
await jobs.add('q', { id: 'delayed', name: 'x', data: {}, delayMs: 1500 })
say({ added: 'delayed', at: beforeAdd })
let started!: () => void
const hangStarted = new Promise<void>((r) => {
  started = r
})
jobs.process('q', async (job) => {
  say({ started: job.id, attempt: job.attempt })
  started()
  return new Promise<JobData>(() => {}) // never ends: the process is killed during this attempt
})
await jobs.add('q', { id: 'hang', name: 'x', data: {}, attempts: 3 })
await hangStarted
await jobs.add('q', { id: 'acked', name: 'x', data: { n: 7 } })
say({ acked: 'acked' })
setInterval(() => {}, 60_000) // wait for SIGKILL
