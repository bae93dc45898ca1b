import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { defer } from '../../test/helpers/defer.ts'
import { openStore, type Store, section } from '../store/store.ts'
import { createEmbeddedJobQueue, type EmbeddedJobQueueOptions } from './embedded-job-queue.ts'
import type { JobData, JobEvent, JobQueue } from './job-queue.ts'
import { jobQueueCompliance } from './job-queue-compliance.ts'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

/** A temp database, queues over its 'jobs' section, and their cleanup. */
function harness() {
  let dir = ''
  let store: Store | undefined
  let made: JobQueue[] = []
  const open = (extra: Partial<EmbeddedJobQueueOptions> = {}): JobQueue => {
    if (!store) throw new Error('no store')
    const q = createEmbeddedJobQueue({ section: section(store, 'jobs'), ...extra })
    made.push(q)
    return q
  }
  return {
    async setup(extra: Partial<EmbeddedJobQueueOptions> = {}): Promise<JobQueue> {
      dir = await mkdtemp(join(tmpdir(), 'mero-jobs-'))
      store = await openStore(dir)
      return open(extra)
    },
    async reopen(extra: Partial<EmbeddedJobQueueOptions> = {}): Promise<JobQueue> {
      return open(extra)
    },
    async teardown(): Promise<void> {
      for (const q of made) await q.close()
      made = []
      await store?.close()
      store = undefined
      await rm(dir, { recursive: true, force: true })
    },
  }
}

const h = harness()
jobQueueCompliance('embedded', {
  setup: () => h.setup(),
  reopen: () => h.reopen(),
  teardown: () => h.teardown(),
})

const completions = (q: JobQueue, queue: string, n: number): Promise<JobEvent[]> =>
  new Promise((resolve) => {
    const got: JobEvent[] = []
    q.onEvent(queue, (e) => {
      if (e.type === 'completed' && got.push(e) === n) resolve(got)
    })
  })

describe('embedded job queue', () => {
  it('after kill -9: the active job runs again (attempt counted), an acknowledged job runs, a delayed one keeps its due time', {
    timeout: 60_000,
  }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mero-jobs-crash-'))
    defer(t, () => rm(dir, { recursive: true, force: true })) // first registered: runs after the child is gone
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'src/jobs/embedded-crash.fixture.ts'), dir],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    )
    // The fixture keeps itself alive: kill it whatever happens (a failure or a timeout before `acked`).
    defer(t, async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    })
    let delayedAt = 0
    const seen: unknown[] = []
    for await (const line of createInterface({ input: child.stdout })) {
      const msg = JSON.parse(line) as Record<string, unknown>
      seen.push(msg)
      if (msg.added === 'delayed') delayedAt = msg.at as number
      if (msg.acked) break
    }
    child.kill('SIGKILL')
    assert.equal(await exited, 'SIGKILL')
    assert.deepEqual(seen[1], { started: 'hang', attempt: 1 })

    const store = await openStore(dir)
    defer(t, () => store.close())
    const q = createEmbeddedJobQueue({ section: section(store, 'jobs') })
    defer(t, () => q.close())
    const counts = await q.counts('q')
    if (Date.now() < delayedAt + 1500)
      assert.deepEqual(counts, { waiting: 2, active: 0, delayed: 1, completed: 0, failed: 0 })
    // On a slow machine the delayed job may already be due (then it counts as waiting); its due time
    // is checked below, when it runs.
    else
      assert.deepEqual(
        { ...counts, waiting: counts.waiting + counts.delayed, delayed: 0 },
        { waiting: 3, active: 0, delayed: 0, completed: 0, failed: 0 },
      )
    const done = completions(q, 'q', 3)
    const ran = new Map<string, { attempt: number; at: number; data: unknown }>()
    q.process('q', async (job) => {
      ran.set(job.id, { attempt: job.attempt, at: Date.now(), data: job.data })
      return {}
    })
    const events = await done
    assert.deepEqual(
      events.map((e) => e.jobId),
      ['hang', 'acked', 'delayed'],
    )
    assert.equal(ran.get('hang')?.attempt, 2)
    assert.deepEqual(ran.get('acked'), { ...ran.get('acked'), attempt: 1, data: { n: 7 } })
    const due = delayedAt + 1500
    assert.ok(
      (ran.get('delayed')?.at ?? 0) >= due,
      `delayed ran ${due - (ran.get('delayed')?.at ?? 0)} ms early`,
    )
    await q.close()
  })

  it('a job interrupted by a crash during its last attempt fails on reopen', async () => {
    // Simulated by closing the store under an active job: its record stays `active` on disk.
    const t = harness()
    const q = await t.setup()
    try {
      let started!: () => void
      const running = new Promise<void>((r) => {
        started = r
      })
      q.process('q', async (job) => {
        started()
        return new Promise<JobData>((_, reject) =>
          job.signal.addEventListener('abort', () => reject(job.signal.reason)),
        )
      })
      await q.add('q', { id: 'last', name: 'x', data: {}, attempts: 1 })
      await running
      // The first queue is left as a killed process would leave it; a second one reads the disk.
      const q2 = await t.reopen()
      assert.deepEqual(await q2.counts('q'), { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 1 })
    } finally {
      await t.teardown()
    }
  })

  it('keeps only the last keepCompleted finished records; a dropped id can be added again', async () => {
    const t = harness()
    const q = await t.setup({ keepCompleted: 3 })
    try {
      const runs: string[] = []
      q.process('q', async (job) => {
        runs.push(job.id)
        return {}
      })
      const five = completions(q, 'q', 5)
      for (let i = 0; i < 5; i++) await q.add('q', { id: `j${i}`, name: 'x', data: {} })
      await five
      assert.equal((await q.counts('q')).completed, 3)
      const two = completions(q, 'q', 2)
      await q.add('q', { id: 'j4', name: 'x', data: {} }) // still kept: ignored
      await q.add('q', { id: 'j0', name: 'x', data: {} }) // dropped: runs again
      await q.add('q', { id: 'end', name: 'x', data: {} })
      await two
      assert.deepEqual(runs, ['j0', 'j1', 'j2', 'j3', 'j4', 'j0', 'end'])
      await q.close()
      const q2 = await t.reopen({ keepCompleted: 3 })
      assert.equal((await q2.counts('q')).completed, 3)
    } finally {
      await t.teardown()
    }
  })

  it('rejects bad specs and calls after close', async () => {
    const t = harness()
    const q = await t.setup()
    try {
      await assert.rejects(q.add('q', { id: '', name: 'x', data: {} }), { name: 'InvalidInput' })
      await assert.rejects(q.add('q', { id: 'a', name: 'x', data: {}, attempts: 0 }), {
        name: 'InvalidInput',
      })
      assert.throws(() => q.process('q', async () => ({}), { concurrency: 0 }), { name: 'InvalidInput' })
      await q.close()
      await assert.rejects(q.add('q', { id: 'a', name: 'x', data: {} }), { name: 'QueueClosed' })
    } finally {
      await t.teardown()
    }
  })
})
