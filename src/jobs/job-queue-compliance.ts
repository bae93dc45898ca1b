/**
 * The compliance suite of the {@link JobQueue} interface: every implementation runs it (node:test).
 * It checks what the anchoring code relies on: results in `completed` events, idempotent ids,
 * retries with backoff and their attempt numbers, permanent failures, delays, progress, concurrency,
 * clean close (interrupted jobs run again later, the attempt not counted), `remove` and `counts`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PermanentJobFailure } from '../core/errors.ts'
import type { Job, JobData, JobEvent, JobQueue } from './job-queue.ts'

/** How the suite gets queues of one implementation. */
export interface JobQueueComplianceOptions {
  /** A fresh queue over an empty backend (called once per test). */
  setup(): Promise<JobQueue>
  /** Another queue over the backend of the last `setup` (its earlier queues are closed by then). */
  reopen(): Promise<JobQueue>
  /** Closes every queue made since `setup` and deletes the backend. */
  teardown(): Promise<void>
  /** When set, every test is reported skipped with this reason (e.g. no Redis). */
  skip?: string | undefined
}

/** A queue name with a ':' in it: implementations must cope with any non-empty name. */
const Q = 'compliance:jobs'

/**
 * Registers the compliance tests of an implementation under `describe(name)`.
 *
 * @example
 * jobQueueCompliance('embedded', { setup, reopen, teardown })
 */
export function jobQueueCompliance(name: string, options: JobQueueComplianceOptions): void {
  const test = (title: string, fn: (q: JobQueue) => Promise<void>): void => {
    it(title, { skip: options.skip ?? false, timeout: 30_000 }, async () => {
      const q = await options.setup()
      try {
        await fn(q)
      } finally {
        await options.teardown()
      }
    })
  }

  describe(`JobQueue compliance: ${name}`, () => {
    test('add + process: the handler sees the job; its result is the completed event', async (q) => {
      const ev = recorder(q, Q)
      const seen: Array<Pick<Job, 'id' | 'name' | 'data' | 'attempt'>> = []
      q.process(Q, async (job) => {
        seen.push({ id: job.id, name: job.name, data: job.data, attempt: job.attempt })
        return { doubled: (job.data.n as number) * 2 }
      })
      // ids bullmq would refuse as they are: several ':', an integer, a literal '%3A'.
      const ids = ['anchor:eip155:1:0xab', '42', 'a%3Ab:c']
      for (const [i, id] of ids.entries()) await q.add(Q, { id, name: 'double', data: { n: i + 1 } })
      for (const [i, id] of ids.entries()) {
        const e = await ev.until((x) => x.type === 'completed' && x.jobId === id, `completed ${id}`)
        assert.deepEqual(e, { type: 'completed', jobId: id, result: { doubled: (i + 1) * 2 } })
      }
      assert.deepEqual(
        [...seen].sort((a, b) => (a.data.n as number) - (b.data.n as number)),
        ids.map((id, i) => ({ id, name: 'double', data: { n: i + 1 }, attempt: 1 })),
      )
    })

    test('a second add of an existing id (waiting, active, completed) is ignored', async (q) => {
      const ev = recorder(q, Q)
      const runs: JobData[] = []
      const dupStarted = deferred()
      const release = deferred()
      await q.add(Q, { id: 'dup', name: 'x', data: { v: 1 } })
      await q.add(Q, { id: 'dup', name: 'x', data: { v: 2 } }) // while waiting
      q.process(Q, async (job) => {
        if (job.id === 'dup') {
          runs.push(job.data)
          dupStarted.resolve()
          await release.promise
        }
        return { id: job.id }
      })
      await dupStarted.promise
      await q.add(Q, { id: 'dup', name: 'x', data: { v: 3 } }) // while active
      release.resolve()
      await ev.until((e) => e.type === 'completed' && e.jobId === 'dup', 'dup completed')
      await q.add(Q, { id: 'dup', name: 'x', data: { v: 4 } }) // once completed
      await q.add(Q, { id: 'sentinel', name: 'x', data: {} })
      await ev.until((e) => e.type === 'completed' && e.jobId === 'sentinel', 'sentinel completed')
      assert.deepEqual(runs, [{ v: 1 }])
      assert.equal(ev.events.filter((e) => e.jobId === 'dup').length, 1)
    })

    test('a failing job is retried with exponential backoff until it succeeds (attempts 1, 2, 3)', async (q) => {
      const ev = recorder(q, Q)
      const starts: Array<{ attempt: number; at: number }> = []
      q.process(Q, async (job) => {
        starts.push({ attempt: job.attempt, at: Date.now() })
        if (job.attempt < 3) throw new Error(`boom ${job.attempt}`)
        return { attempt: job.attempt }
      })
      await q.add(Q, { id: 'flaky', name: 'x', data: {}, attempts: 5, backoffMs: 60 })
      await ev.until((e) => e.type === 'completed', 'completed')
      assert.deepEqual(ev.events, [
        { type: 'failed', jobId: 'flaky', error: 'boom 1', final: false, attempt: 1 },
        { type: 'failed', jobId: 'flaky', error: 'boom 2', final: false, attempt: 2 },
        { type: 'completed', jobId: 'flaky', result: { attempt: 3 } },
      ])
      assert.deepEqual(
        starts.map((s) => s.attempt),
        [1, 2, 3],
      )
      const [s1, s2, s3] = starts.map((s) => s.at) as [number, number, number]
      // 60 ms then 120 ms, less at most 10 % of jitter (a few ms of timer slack allowed).
      assert.ok(s2 - s1 >= 50, `first backoff ${s2 - s1} ms`)
      assert.ok(s3 - s2 >= 100, `second backoff ${s3 - s2} ms`)
    })

    test('PermanentJobFailure fails the job at once, without retry', async (q) => {
      const ev = recorder(q, Q)
      let runs = 0
      q.process(Q, async () => {
        runs++
        throw new PermanentJobFailure('cannot ever work')
      })
      await q.add(Q, { id: 'doomed', name: 'x', data: {}, attempts: 5, backoffMs: 1 })
      await ev.until((e) => e.type === 'failed', 'failed')
      assert.deepEqual(ev.events, [
        { type: 'failed', jobId: 'doomed', error: 'cannot ever work', final: true, attempt: 1 },
      ])
      assert.equal(runs, 1)
      assert.deepEqual(await q.counts(Q), { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 1 })
    })

    test('a job that fails every attempt fails for good after `attempts`', async (q) => {
      const ev = recorder(q, Q)
      let runs = 0
      q.process(Q, async (job) => {
        runs++
        throw new Error(`no ${job.attempt}`)
      })
      await q.add(Q, { id: 'hopeless', name: 'x', data: {}, attempts: 3, backoffMs: 5 })
      await ev.until((e) => e.type === 'failed' && e.final, 'final failure')
      assert.deepEqual(ev.events, [
        { type: 'failed', jobId: 'hopeless', error: 'no 1', final: false, attempt: 1 },
        { type: 'failed', jobId: 'hopeless', error: 'no 2', final: false, attempt: 2 },
        { type: 'failed', jobId: 'hopeless', error: 'no 3', final: true, attempt: 3 },
      ])
      assert.equal(runs, 3)
      assert.equal((await q.counts(Q)).failed, 1)
    })

    test('delayMs holds a job back; jobs due earlier run first', async (q) => {
      const ev = recorder(q, Q)
      const started = new Map<string, number>()
      const addedAt = Date.now()
      await q.add(Q, { id: 'later', name: 'x', data: {}, delayMs: 400 })
      await q.add(Q, { id: 'now', name: 'x', data: {} })
      assert.deepEqual(await q.counts(Q), { waiting: 1, active: 0, delayed: 1, completed: 0, failed: 0 })
      q.process(Q, async (job) => {
        started.set(job.id, Date.now())
        return {}
      })
      await ev.until((e) => e.type === 'completed' && e.jobId === 'later', 'later completed')
      assert.deepEqual(
        ev.events.map((e) => e.jobId),
        ['now', 'later'],
      )
      const waited = (started.get('later') as number) - addedAt
      assert.ok(waited >= 390, `ran after ${waited} ms`)
    })

    test('progress reaches listeners, in order, before completion', async (q) => {
      const ev = recorder(q, Q)
      q.process(Q, async (job) => {
        await job.progress({ step: 1 })
        await job.progress({ step: 2 })
        return { done: true }
      })
      await q.add(Q, { id: 'p', name: 'x', data: {} })
      await ev.until((e) => e.type === 'completed', 'completed')
      assert.deepEqual(ev.events, [
        { type: 'progress', jobId: 'p', value: { step: 1 } },
        { type: 'progress', jobId: 'p', value: { step: 2 } },
        { type: 'completed', jobId: 'p', result: { done: true } },
      ])
    })

    test('concurrency: N handlers run at once, never more', async (q) => {
      const ev = recorder(q, Q)
      const total = 7
      const concurrency = 3
      let running = 0
      let max = 0
      let started = 0
      const full = deferred()
      q.process(
        Q,
        async () => {
          running++
          started++
          max = Math.max(max, running)
          if (running === concurrency || started === total) full.resolve()
          await full.promise
          await sleep(20)
          running--
          return {}
        },
        { concurrency },
      )
      for (let i = 0; i < total; i++) await q.add(Q, { id: `c${i}`, name: 'x', data: {} })
      for (let i = 0; i < total; i++)
        await ev.until((e) => e.type === 'completed' && e.jobId === `c${i}`, `c${i} completed`)
      assert.equal(max, concurrency)
    })

    test('close aborts running jobs and waits for their handlers; the job runs again after reopen, that attempt not counted', async (q) => {
      const started = deferred<Job>()
      let handlerDone = false
      q.process(Q, async (job) => {
        started.resolve(job)
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }))
        await sleep(50)
        handlerDone = true
        throw new Error('aborted')
      })
      await q.add(Q, { id: 'long', name: 'x', data: { k: 1 }, attempts: 2, backoffMs: 1 })
      const job = await started.promise
      assert.equal(job.signal.aborted, false)
      await q.close()
      assert.equal(job.signal.aborted, true)
      assert.equal(handlerDone, true, 'close() resolved before the handler finished')
      await q.close() // idempotent

      const q2 = await options.reopen()
      const ev = recorder(q2, Q)
      q2.process(Q, async (j) => ({ attempt: j.attempt, data: j.data }))
      const e = await ev.until(
        (x) => x.type === 'completed' && x.jobId === 'long',
        'long completed after reopen',
      )
      assert.deepEqual(e, { type: 'completed', jobId: 'long', result: { attempt: 1, data: { k: 1 } } })
    })

    test('closing a worker gives its running job back; another worker runs it', async (q) => {
      const ev = recorder(q, Q)
      const started = deferred()
      const w1 = q.process(Q, async (job) => {
        started.resolve()
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }))
        throw new Error('aborted')
      })
      await q.add(Q, { id: 'handover', name: 'x', data: {}, attempts: 1 })
      await started.promise
      await w1.close()
      q.process(Q, async (job) => ({ attempt: job.attempt }))
      const e = await ev.until((x) => x.jobId === 'handover' && x.type !== 'progress', 'handover outcome')
      assert.deepEqual(e, { type: 'completed', jobId: 'handover', result: { attempt: 1 } })
    })

    test('remove lets a finished id be used again; it leaves unfinished jobs alone', async (q) => {
      const ev = recorder(q, Q)
      let runs = 0
      q.process(Q, async () => ({ run: ++runs }))
      await q.add(Q, { id: 'r', name: 'x', data: {} })
      await ev.until((e) => e.type === 'completed' && e.jobId === 'r', 'first run')
      await q.remove(Q, 'r')
      await q.add(Q, { id: 'r', name: 'x', data: {} })
      await ev.until((e) => e.type === 'completed' && e.jobId === 'r' && e.result.run === 2, 'second run')
      await q.remove(Q, 'never-added') // no-op
      await q.add(Q, { id: 'pending', name: 'x', data: {}, delayMs: 60_000 })
      await q.remove(Q, 'pending')
      assert.deepEqual(await q.counts(Q), { waiting: 0, active: 0, delayed: 1, completed: 1, failed: 0 })
    })

    test('counts by state', async (q) => {
      const ev = recorder(q, Q)
      assert.deepEqual(await q.counts(Q), { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 })
      await q.add(Q, { id: 'a', name: 'x', data: {} })
      await q.add(Q, { id: 'b', name: 'x', data: {} })
      await q.add(Q, { id: 'c', name: 'x', data: {}, delayMs: 60_000 })
      assert.deepEqual(await q.counts(Q), { waiting: 2, active: 0, delayed: 1, completed: 0, failed: 0 })
      const aStarted = deferred()
      const release = deferred()
      q.process(Q, async (job) => {
        if (job.id === 'b') throw new PermanentJobFailure('b fails')
        aStarted.resolve()
        await release.promise
        return {}
      })
      await aStarted.promise
      assert.deepEqual(await q.counts(Q), { waiting: 1, active: 1, delayed: 1, completed: 0, failed: 0 })
      release.resolve()
      await ev.until((e) => e.type === 'failed' && e.jobId === 'b', 'b failed')
      await ev.until((e) => e.type === 'completed' && e.jobId === 'a', 'a completed')
      assert.deepEqual(await q.counts(Q), { waiting: 0, active: 0, delayed: 1, completed: 1, failed: 1 })
    })
  })
}

/** Collects the events of one queue and waits for particular ones. */
function recorder(q: JobQueue, queue: string) {
  const events: JobEvent[] = []
  const waiters = new Set<{ match: (e: JobEvent) => boolean; hit: (e: JobEvent) => void }>()
  q.onEvent(queue, (e) => {
    events.push(e)
    for (const w of waiters) if (w.match(e)) w.hit(e)
  })
  const until = (match: (e: JobEvent) => boolean, what: string, timeoutMs = 10_000): Promise<JobEvent> => {
    const found = events.find(match)
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const w = {
        match,
        hit: (e: JobEvent) => {
          clearTimeout(timer)
          waiters.delete(w)
          resolve(e)
        },
      }
      const timer = setTimeout(() => {
        waiters.delete(w)
        reject(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events)}`))
      }, timeoutMs)
      waiters.add(w)
    })
  }
  return { events, until }
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
