import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { defer } from '../../test/helpers/defer.ts'
import { deleteRedisKeys, redisKeysUnder } from '../../test/helpers/redis-keys.ts'
import { createBullmqJobQueue, decodeBullmqName, encodeBullmqName } from './bullmq-job-queue.ts'
import type { JobEvent, JobQueue } from './job-queue.ts'
import { jobQueueCompliance } from './job-queue-compliance.ts'
import { redisAvailable } from './redis-available.ts'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const redis = await redisAvailable(url, { timeoutMs: 1000 })
const skip = redis.ok
  ? undefined
  : `no Redis answers (${redis.reason}); set REDIS_URL to run the bullmq tests`

const keysUnder = (prefix: string) => redisKeysUnder(url, prefix)
const deleteKeys = (prefix: string) => deleteRedisKeys(url, prefix)

/** A unique prefix per test, queues under it, and their cleanup (keys deleted). */
function harness() {
  let prefix = ''
  let made: JobQueue[] = []
  const open = (): JobQueue => {
    const q = createBullmqJobQueue({ connection: url, prefix })
    made.push(q)
    return q
  }
  return {
    prefix: () => prefix,
    async setup(): Promise<JobQueue> {
      prefix = `mero-test-${randomBytes(6).toString('hex')}`
      return open()
    },
    async reopen(): Promise<JobQueue> {
      return open()
    },
    async teardown(): Promise<void> {
      await Promise.all(made.map((q) => q.close()))
      made = []
      await deleteKeys(prefix)
    },
  }
}

const h = harness()
jobQueueCompliance('bullmq', {
  skip,
  setup: () => h.setup(),
  reopen: () => h.reopen(),
  teardown: () => h.teardown(),
})

describe('bullmq job queue', () => {
  it('encodes queue names and job ids reversibly into names bullmq accepts', () => {
    for (const s of [
      'anchor:eip155:1:0xab',
      '42',
      '-7',
      '0',
      'a%3Ab:c',
      '%',
      'plain',
      'anchor-eip155_1',
      '1.5',
      'é:ü',
    ]) {
      const e = encodeBullmqName(s)
      assert.equal(decodeBullmqName(e), s)
      assert.ok(!e.includes(':'), e)
      assert.notEqual(`${Number.parseInt(e, 10)}`, e)
    }
    assert.equal(encodeBullmqName('anchor:eip155:1:0xab'), 'anchor%3Aeip155%3A1%3A0xab')
    assert.equal(encodeBullmqName('plain'), 'plain')
  })

  it('a worker in another process runs the jobs this one adds; the events come back here; SIGTERM closes it cleanly', {
    skip,
    timeout: 60_000,
  }, async (ctx) => {
    const t = harness()
    const q = await t.setup()
    defer(ctx, () => t.teardown()) // first registered: the keys go after the worker process is gone
    const queue = 'anchor-eip155_1'
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'src/jobs/bullmq-worker.fixture.ts')],
      {
        cwd: repoRoot,
        env: { ...process.env, MERO_REDIS_URL: url, MERO_PREFIX: t.prefix(), MERO_QUEUE: queue },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    // Killed whatever happens (a failure, or a timeout while the body still waits).
    defer(ctx, async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    })
    for await (const line of createInterface({ input: child.stdout })) if (line === 'ready') break
    const events: JobEvent[] = []
    const n = 5
    const done = new Promise<void>((resolve) => {
      q.onEvent(queue, (e) => {
        events.push(e)
        if (events.filter((x) => x.type === 'completed').length === n) resolve()
      })
    })
    for (let i = 0; i < n; i++)
      await q.add(queue, { id: `anchor:eip155:1:0x0${i}`, name: 'anchor', data: { n: i } })
    await done
    for (let i = 0; i < n; i++) {
      const id = `anchor:eip155:1:0x0${i}`
      assert.deepEqual(
        events.filter((e) => e.jobId === id),
        [
          { type: 'progress', jobId: id, value: { pid: child.pid } },
          { type: 'completed', jobId: id, result: { pid: child.pid, doubled: 2 * i } },
        ],
      )
    }
    assert.deepEqual(await q.counts(queue), { waiting: 0, active: 0, delayed: 0, completed: n, failed: 0 })
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
    await t.teardown()
    assert.deepEqual(await keysUnder(t.prefix()), [], 'teardown leaves no keys behind')
  })
})
