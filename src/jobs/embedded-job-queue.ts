/**
 * The embedded {@link JobQueue} (DESIGN §11): in-process, its state in one LevelDB section, nothing
 * else to install.
 *
 * Every job is one JSON record under the key `JSON.stringify([queue, id])`; every state change is
 * written (writes issued together share one batch) before its event is emitted, so `completed` means
 * the outcome is on disk and `add` resolves once the job is. Unfinished jobs are also held in memory
 * (a heap ordered by due time), which is what makes dispatch cheap: one timer per queue for the next
 * due job, no polling. On open every record is read back:
 * - a job that was active when the process died goes back to waiting and that attempt counts
 *   (if it was the last attempt, the job fails: a job that kills its process must not loop forever);
 * - a delayed job keeps its due time.
 *
 * A job interrupted by `close()` (its handler threw after its signal was aborted) goes back to waiting
 * and that attempt does not count. Only the last `keepCompleted` / `keepFailed` finished records of
 * each queue are kept; an id whose record was dropped can be added again.
 */
import { QueueClosed } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import type { Section } from '../store/store.ts'
import { DueHeap } from './due-heap.ts'
import type {
  Job,
  JobData,
  JobEvent,
  JobHandler,
  JobQueue,
  JobSpec,
  JobWorker,
  QueueCounts,
} from './job-queue.ts'
import {
  backoffDelay,
  checkConcurrency,
  checkQueueName,
  errorMessage,
  isPermanentFailure,
  JOB_DEFAULTS,
  normalizeJobSpec,
} from './job-spec.ts'
import { type SectionOp, SectionWriter } from './section-writer.ts'

/** Options of {@link createEmbeddedJobQueue}. */
export interface EmbeddedJobQueueOptions {
  /** The LevelDB section that holds the queue's records (owned by the queue; not closed by it). */
  readonly section: Section
  readonly logger?: Logger
  /** Completed records kept per queue (default 1000). */
  readonly keepCompleted?: number
  /** Failed records kept per queue (default 1000). */
  readonly keepFailed?: number
  /** Cap of one backoff delay, ms (default 300000). */
  readonly maxBackoffMs?: number
}

/**
 * Opens the embedded job queue over `section`. Recovering the jobs of a previous run happens in the
 * background; `add`, `remove` and `counts` wait for it, and workers start once it is done (a failure
 * to read the section is logged and rejects those calls).
 *
 * @example
 * const jobs = createEmbeddedJobQueue({ section: section(store, 'jobs') })
 * jobs.process('anchor-eip155_1', async (job) => ({ ok: true }))
 * await jobs.add('anchor-eip155_1', { id: 'anchor:eip155:1:0xab', name: 'anchor', data: {} })
 */
export function createEmbeddedJobQueue(options: EmbeddedJobQueueOptions): JobQueue {
  return new EmbeddedJobQueue(options)
}

type State = 'pending' | 'active' | 'completed' | 'failed'

/** What is stored per job. `pending` covers waiting (due) and delayed (not yet due). */
interface JobRecord {
  readonly queue: string
  readonly id: string
  readonly name: string
  readonly data: JobData
  readonly attempts: number
  readonly backoffMs: number
  state: State
  /** Attempts started (and not given back by an interrupting close). */
  attempt: number
  dueAt: number
  /** Order of the last transition: FIFO among jobs due at the same time; age of finished records. */
  seq: number
  result?: JobData
  error?: string
  finishedAt?: number
}

interface Running {
  readonly controller: AbortController
  done: Promise<void>
}

interface WorkerState {
  readonly handler: JobHandler<JobData, JobData>
  readonly concurrency: number
  readonly running: Set<Running>
  stopping: boolean
  closed: Promise<void> | undefined
}

interface QueueState {
  readonly name: string
  readonly jobs: Map<string, JobRecord>
  readonly due: DueHeap<JobRecord>
  /** Finished ids, oldest first. */
  readonly completed: string[]
  readonly failed: string[]
  readonly workers: Set<WorkerState>
  readonly listeners: Set<(event: JobEvent) => void>
  active: number
  timer: NodeJS.Timeout | undefined
  timerAt: number
}

const MAX_TIMER_MS = 2 ** 31 - 1
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const keyOf = (queue: string, id: string): string => JSON.stringify([queue, id])
const put = (rec: JobRecord): SectionOp => ({
  type: 'put',
  key: keyOf(rec.queue, rec.id),
  value: encoder.encode(JSON.stringify(rec)),
})
const toJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T

class EmbeddedJobQueue implements JobQueue {
  private readonly section: Section
  private readonly logger: Logger
  private readonly keepCompleted: number
  private readonly keepFailed: number
  private readonly maxBackoffMs: number
  private readonly queues = new Map<string, QueueState>()
  private readonly writer: SectionWriter
  /** Events in the order of their transitions; each leaves once its write is durable. */
  private readonly outbox: Array<{ qs: QueueState; event: JobEvent; ready: boolean; drop: boolean }> = []
  /** Writes of records being added, awaited by a duplicate add. */
  private readonly adding = new WeakMap<JobRecord, Promise<void>>()
  private readonly ready: Promise<void>
  private loaded = false
  private seq = 0
  private closed = false
  private closing: Promise<void> | undefined

  constructor(options: EmbeddedJobQueueOptions) {
    this.section = options.section
    this.logger = options.logger ?? silentLogger()
    this.keepCompleted = options.keepCompleted ?? JOB_DEFAULTS.keepFinished
    this.keepFailed = options.keepFailed ?? JOB_DEFAULTS.keepFinished
    this.maxBackoffMs = options.maxBackoffMs ?? JOB_DEFAULTS.maxBackoffMs
    this.writer = new SectionWriter(this.section)
    this.ready = this.open()
    this.ready.catch((err: unknown) => this.logger.error({ err }, 'job queue: reading its section failed'))
  }

  private async open(): Promise<void> {
    const interrupted: JobRecord[] = []
    for await (const [, value] of this.section.iterator()) {
      const rec = JSON.parse(decoder.decode(value)) as JobRecord
      this.seq = Math.max(this.seq, rec.seq + 1)
      const qs = this.state(rec.queue)
      qs.jobs.set(rec.id, rec)
      if (rec.state === 'pending') qs.due.push(rec)
      else if (rec.state === 'active') interrupted.push(rec)
    }
    const now = Date.now()
    const ops: SectionOp[] = []
    for (const rec of interrupted) {
      // The process died during this attempt: it counts. The job keeps its place in the queue.
      if (rec.attempt >= rec.attempts) {
        Object.assign(rec, {
          state: 'failed',
          error: `the process stopped during attempt ${rec.attempt}`,
          finishedAt: now,
          seq: this.seq++,
        })
      } else {
        rec.state = 'pending'
        this.state(rec.queue).due.push(rec)
      }
      ops.push(put(rec))
    }
    for (const qs of this.queues.values()) {
      const finished = [...qs.jobs.values()]
        .filter((r) => r.state === 'completed' || r.state === 'failed')
        .sort((a, b) => a.seq - b.seq)
      for (const r of finished) (r.state === 'completed' ? qs.completed : qs.failed).push(r.id)
      ops.push(...this.prune(qs))
    }
    if (ops.length > 0) await this.writer.write(ops)
    if (interrupted.length > 0)
      this.logger.warn(
        { count: interrupted.length },
        'recovered jobs that were running when the process stopped',
      )
    this.loaded = true
    for (const qs of this.queues.values()) this.pump(qs)
  }

  async add<D extends JobData>(queue: string, spec: JobSpec<D>): Promise<void> {
    this.assertOpen()
    checkQueueName(queue)
    const s = normalizeJobSpec(spec)
    await this.ready
    this.assertOpen()
    const qs = this.state(queue)
    const existing = qs.jobs.get(s.id)
    if (existing) return this.adding.get(existing)
    const now = Date.now()
    const rec: JobRecord = {
      queue,
      id: s.id,
      name: s.name,
      data: toJson(s.data),
      attempts: s.attempts,
      backoffMs: s.backoffMs,
      state: 'pending',
      attempt: 0,
      dueAt: now + s.delayMs,
      seq: this.seq++,
    }
    qs.jobs.set(rec.id, rec)
    const written = this.writer.write([put(rec)])
    this.adding.set(rec, written)
    try {
      await written
    } catch (e) {
      if (qs.jobs.get(rec.id) === rec) qs.jobs.delete(rec.id)
      throw e
    } finally {
      this.adding.delete(rec)
    }
    if (this.closed) return // durable: it runs after the next open
    qs.due.push(rec)
    this.pump(qs)
  }

  process<D extends JobData, R extends JobData>(
    queue: string,
    handler: JobHandler<D, R>,
    options?: { concurrency?: number },
  ): JobWorker {
    this.assertOpen()
    checkQueueName(queue)
    const concurrency = checkConcurrency(options?.concurrency)
    const qs = this.state(queue)
    const w: WorkerState = {
      handler: handler as unknown as JobHandler<JobData, JobData>,
      concurrency,
      running: new Set(),
      stopping: false,
      closed: undefined,
    }
    qs.workers.add(w)
    this.pump(qs)
    return { close: () => this.closeWorker(qs, w) }
  }

  onEvent(queue: string, listener: (event: JobEvent) => void): () => void {
    checkQueueName(queue)
    const qs = this.state(queue)
    const wrapped = (event: JobEvent): void => listener(event)
    qs.listeners.add(wrapped)
    return () => {
      qs.listeners.delete(wrapped)
    }
  }

  async remove(queue: string, jobId: string): Promise<void> {
    this.assertOpen()
    await this.ready
    const qs = this.queues.get(queue)
    const rec = qs?.jobs.get(jobId)
    if (!qs || !rec || (rec.state !== 'completed' && rec.state !== 'failed')) return
    qs.jobs.delete(jobId)
    const list = rec.state === 'completed' ? qs.completed : qs.failed
    const i = list.indexOf(jobId)
    if (i >= 0) list.splice(i, 1)
    await this.writer.write([{ type: 'del', key: keyOf(queue, jobId) }])
  }

  async counts(queue: string): Promise<QueueCounts> {
    await this.ready
    const counts: QueueCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 }
    const qs = this.queues.get(queue)
    if (!qs) return counts
    const now = Date.now()
    for (const rec of qs.due.values()) {
      if (rec.dueAt > now) counts.delayed++
      else counts.waiting++
    }
    counts.active = qs.active
    counts.completed = qs.completed.length
    counts.failed = qs.failed.length
    return counts
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true
      await this.ready.catch(() => undefined)
      const stops: Promise<void>[] = []
      for (const qs of this.queues.values()) {
        for (const w of qs.workers) stops.push(this.closeWorker(qs, w))
        clearTimeout(qs.timer)
        qs.timer = undefined
      }
      await Promise.all(stops)
      await this.writer.idle()
      for (const qs of this.queues.values()) qs.listeners.clear()
    })()
    return this.closing
  }

  private assertOpen(): void {
    if (this.closed) throw new QueueClosed('the job queue is closed')
  }

  private state(name: string): QueueState {
    let qs = this.queues.get(name)
    if (!qs) {
      qs = {
        name,
        jobs: new Map(),
        due: new DueHeap<JobRecord>(),
        completed: [],
        failed: [],
        workers: new Set(),
        listeners: new Set(),
        active: 0,
        timer: undefined,
        timerAt: 0,
      }
      this.queues.set(name, qs)
    }
    return qs
  }

  /** Starts every due job a worker has room for; arms a timer for the next one not yet due. */
  private pump(qs: QueueState): void {
    if (this.closed || !this.loaded) return
    const now = Date.now()
    for (;;) {
      const head = qs.due.peek()
      if (!head) return
      let free: WorkerState | undefined
      for (const w of qs.workers)
        if (!w.stopping && w.running.size < w.concurrency) {
          free = w
          break
        }
      if (!free) return
      if (head.dueAt > now) {
        this.arm(qs, head.dueAt, now)
        return
      }
      qs.due.pop()
      this.start(qs, free, head)
    }
  }

  private arm(qs: QueueState, at: number, now: number): void {
    if (qs.timer && qs.timerAt <= at) return
    clearTimeout(qs.timer)
    qs.timerAt = at
    qs.timer = setTimeout(
      () => {
        qs.timer = undefined
        this.pump(qs)
      },
      Math.min(at - now, MAX_TIMER_MS),
    )
  }

  private start(qs: QueueState, w: WorkerState, rec: JobRecord): void {
    rec.state = 'active'
    rec.attempt += 1
    qs.active += 1
    const running: Running = { controller: new AbortController(), done: Promise.resolve() }
    w.running.add(running)
    running.done = this.run(qs, w, rec, running.controller.signal).finally(() => {
      w.running.delete(running)
      qs.active -= 1
      this.pump(qs)
    })
  }

  private async run(qs: QueueState, w: WorkerState, rec: JobRecord, signal: AbortSignal): Promise<void> {
    const attempt = rec.attempt
    let outcome: { ok: true; result: JobData } | { ok: false; error: unknown }
    try {
      await this.writer.write([put(rec)]) // the attempt counts from here on, even if the process dies
      const job: Job = {
        id: rec.id,
        name: rec.name,
        data: structuredClone(rec.data),
        attempt,
        signal,
        progress: async (value) => {
          if (rec.state === 'active' && rec.attempt === attempt)
            this.enqueueEvent(qs, { type: 'progress', jobId: rec.id, value: toJson(value) }, true)
        },
      }
      outcome = { ok: true, result: toJson((await w.handler(job)) ?? {}) }
    } catch (error) {
      outcome = { ok: false, error }
    }
    const now = Date.now()
    if (outcome.ok) return this.finish(qs, rec, 'completed', { result: outcome.result }, now)
    if (signal.aborted && (w.stopping || this.closed)) {
      // Interrupted by a close: back to waiting in its old place, the attempt does not count.
      Object.assign(rec, { state: 'pending', attempt: attempt - 1 })
      qs.due.push(rec)
      return this.persist(qs, [put(rec)], undefined)
    }
    const error = errorMessage(outcome.error)
    if (isPermanentFailure(outcome.error) || attempt >= rec.attempts) {
      this.logger.warn({ queue: qs.name, jobId: rec.id, attempt, error }, 'job failed')
      return this.finish(qs, rec, 'failed', { error }, now)
    }
    this.logger.debug({ queue: qs.name, jobId: rec.id, attempt, error }, 'job attempt failed; retrying')
    Object.assign(rec, {
      state: 'pending',
      error,
      dueAt: now + backoffDelay(attempt, rec.backoffMs, this.maxBackoffMs),
      seq: this.seq++,
    })
    qs.due.push(rec)
    this.persist(qs, [put(rec)], { type: 'failed', jobId: rec.id, error, final: false, attempt })
  }

  private finish(
    qs: QueueState,
    rec: JobRecord,
    state: 'completed' | 'failed',
    outcome: { result?: JobData; error?: string },
    now: number,
  ): void {
    Object.assign(rec, { state, finishedAt: now, seq: this.seq++, ...outcome })
    ;(state === 'completed' ? qs.completed : qs.failed).push(rec.id)
    const event: JobEvent =
      state === 'completed'
        ? { type: 'completed', jobId: rec.id, result: rec.result ?? {} }
        : { type: 'failed', jobId: rec.id, error: rec.error ?? '', final: true, attempt: rec.attempt }
    this.persist(qs, [put(rec), ...this.prune(qs)], event)
  }

  /** Drops the oldest finished records beyond the limits; returns their deletions. */
  private prune(qs: QueueState): SectionOp[] {
    const ops: SectionOp[] = []
    for (const [list, keep] of [
      [qs.completed, this.keepCompleted],
      [qs.failed, this.keepFailed],
    ] as const) {
      while (list.length > keep) {
        const id = list.shift() as string
        qs.jobs.delete(id)
        ops.push({ type: 'del', key: keyOf(qs.name, id) })
      }
    }
    return ops
  }

  /** Writes `ops`; emits `event` once they are durable and every earlier event has been emitted. */
  private persist(qs: QueueState, ops: SectionOp[], event: JobEvent | undefined): void {
    const entry = event ? this.enqueueEvent(qs, event, false) : undefined
    this.writer.write(ops).then(
      () => this.release(entry, false),
      (err: unknown) => {
        this.logger.error({ err, queue: qs.name }, 'job queue write failed')
        this.release(entry, true)
      },
    )
  }

  /** Queues `event` behind the earlier ones; `ready` when it waits for no write. */
  private enqueueEvent(qs: QueueState, event: JobEvent, ready: boolean): { ready: boolean; drop: boolean } {
    const entry = { qs, event, ready, drop: false }
    this.outbox.push(entry)
    if (ready) this.drain()
    return entry
  }

  private release(entry: { ready: boolean; drop: boolean } | undefined, drop: boolean): void {
    if (!entry) return
    entry.ready = true
    entry.drop = drop
    this.drain()
  }

  private drain(): void {
    while (this.outbox[0]?.ready) {
      const { qs, event, drop } = this.outbox.shift() as (typeof this.outbox)[number]
      if (drop) continue
      for (const listener of qs.listeners) {
        try {
          listener(event)
        } catch (err) {
          this.logger.error({ err, queue: qs.name }, 'job event listener threw')
        }
      }
    }
  }

  private closeWorker(qs: QueueState, w: WorkerState): Promise<void> {
    w.closed ??= (async () => {
      w.stopping = true
      qs.workers.delete(w)
      if (qs.workers.size === 0) {
        clearTimeout(qs.timer)
        qs.timer = undefined
      }
      const running = [...w.running]
      for (const r of running) r.controller.abort(new QueueClosed('the job worker is closing'))
      await Promise.all(running.map((r) => r.done))
      this.pump(qs) // jobs given back may go to another worker of this queue
    })()
    return w.closed
  }
}
