/**
 * The bullmq {@link JobQueue} (DESIGN §11): jobs in Redis, so workers may run in other processes
 * (`merod worker`). One bullmq Queue per queue name, created on first use.
 *
 * - Names: bullmq 5.81 refuses ':' in queue names, ':' in custom job ids (unless the id splits into
 *   exactly 3 parts) and ids that are integers. Queue names and job ids are therefore stored encoded
 *   by {@link encodeBullmqName} (`%` → `%25`, `:` → `%3A`, and the first character of an integer id
 *   as `%3X`); events carry the original id again.
 * - Retries: `attempts` and a capped exponential backoff with jitter, computed by the same
 *   {@link backoffDelay} as the embedded queue (a custom backoff type the workers of this module know).
 *   `PermanentJobFailure` becomes bullmq's `UnrecoverableError`: failed at once.
 * - Events come from bullmq's event stream (QueueEvents), so outcomes of workers in other processes
 *   arrive: `progress` and `completed` are bullmq's own; a final `failed` is bullmq's (its attempt is
 *   read from the job); a retried failure is a custom stream event the worker adds before retrying.
 *   `add` and `process` wait until this instance's event subscriptions of that queue are reading the
 *   stream, so no event of a job added or processed here after `onEvent` is missed.
 * - `close()` (also from a SIGTERM handler) aborts the signals of running jobs, waits for their
 *   handlers, and closes workers, event readers and queues with their connections. A job whose handler
 *   gave up because of that abort goes back to waiting and the attempt does not count.
 * - Only the last `keepCompleted` / `keepFailed` finished jobs are kept (bullmq removeOnComplete/Fail).
 *
 * Job data is exactly the data passed to `add` (no secrets: callers pass ids and hashes).
 */

import type { EventEmitter } from 'node:events'
import { Job as BullJob, Queue, QueueEvents, UnrecoverableError, WaitingError, Worker } from 'bullmq'
import { QueueClosed } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
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

/** Options of {@link createBullmqJobQueue}. */
export interface BullmqJobQueueOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  readonly connection: string
  /** Key prefix of every queue (bullmq `prefix`), e.g. `mero`. */
  readonly prefix: string
  readonly logger?: Logger
  /** Completed jobs kept per queue (default 1000). */
  readonly keepCompleted?: number
  /** Failed jobs kept per queue (default 1000). */
  readonly keepFailed?: number
  /** Cap of one backoff delay, ms (default 300000). */
  readonly maxBackoffMs?: number
}

const BACKOFF_TYPE = 'mero-exponential'
/** Custom stream event of a failed attempt that will be retried. */
const RETRY_EVENT = 'mero-failed'
const MAX_EVENTS = 10_000

/**
 * Encodes a queue name or job id for bullmq, reversibly (see the module comment).
 *
 * @example
 * encodeBullmqName('anchor:eip155:1:0xab') // 'anchor%3Aeip155%3A1%3A0xab'
 */
export function encodeBullmqName(s: string): string {
  const e = s.replace(/%/g, '%25').replace(/:/g, '%3A')
  if (`${Number.parseInt(e, 10)}` !== e) return e
  return `%${e.charCodeAt(0).toString(16).toUpperCase()}${e.slice(1)}`
}

/** Inverse of {@link encodeBullmqName}. */
export function decodeBullmqName(s: string): string {
  return s.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
}

interface Subscription {
  readonly listeners: Set<(event: JobEvent) => void>
  /** Resolves once the stream is being read from a position taken before it resolved. */
  readonly ready: Promise<void>
  events: QueueEvents | undefined
  /** Deliveries in stream order (a final failure first reads its attempt). */
  chain: Promise<void>
  closed: boolean
}

/**
 * Creates a job queue on bullmq. Connections open lazily, per queue name, on first use.
 *
 * @example
 * const jobs = createBullmqJobQueue({ connection: 'redis://127.0.0.1:6379', prefix: 'mero' })
 * process.once('SIGTERM', () => void jobs.close())
 */
export function createBullmqJobQueue(options: BullmqJobQueueOptions): JobQueue {
  const logger = options.logger ?? silentLogger()
  const connection = { url: options.connection }
  const prefix = options.prefix
  const keepCompleted = options.keepCompleted ?? JOB_DEFAULTS.keepFinished
  const keepFailed = options.keepFailed ?? JOB_DEFAULTS.keepFinished
  const maxBackoffMs = options.maxBackoffMs ?? JOB_DEFAULTS.maxBackoffMs
  const queues = new Map<string, Queue>()
  const subscriptions = new Map<string, Subscription>()
  const workers = new Set<() => Promise<void>>()
  const pending = new Set<Promise<void>>()
  let closing: Promise<void> | undefined

  const assertOpen = (): void => {
    if (closing) throw new QueueClosed('the job queue is closed')
  }
  const track = (p: Promise<void>): void => {
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }

  const queueOf = (name: string): Queue => {
    let q = queues.get(name)
    if (!q) {
      q = new Queue(encodeBullmqName(name), { connection, prefix })
      q.on('error', (err) => logger.error({ err, queue: name }, 'bullmq queue error'))
      queues.set(name, q)
    }
    return q
  }

  const deliver = (name: string, s: Subscription, make: () => JobEvent | Promise<JobEvent>): void => {
    s.chain = s.chain
      .then(async () => {
        const event = await make()
        for (const listener of s.listeners) {
          try {
            listener(event)
          } catch (err) {
            logger.error({ err, queue: name }, 'job event listener threw')
          }
        }
      })
      .catch((err: unknown) => logger.error({ err, queue: name }, 'job event delivery failed'))
  }

  const subscribe = (name: string): Subscription => {
    const existing = subscriptions.get(name)
    if (existing) return existing
    const s: Subscription = {
      listeners: new Set(),
      ready: Promise.resolve(),
      events: undefined,
      chain: Promise.resolve(),
      closed: false,
    }
    const open = async (): Promise<void> => {
      const q = queueOf(name)
      const client = await q.client
      const last = (await client.runCommand('xrevrange', [q.keys.events, '+', '-', 'COUNT', 1])) as Array<
        [string, string[]]
      >
      if (s.closed) return
      const events = new QueueEvents(encodeBullmqName(name), {
        connection,
        prefix,
        lastEventId: last[0]?.[0] ?? '0-0',
      })
      s.events = events
      events.on('error', (err) => logger.error({ err, queue: name }, 'bullmq queue events error'))
      events.on('progress', ({ jobId, data }) =>
        deliver(name, s, () => ({
          type: 'progress',
          jobId: decodeBullmqName(jobId),
          value: data as JobData,
        })),
      )
      events.on('completed', ({ jobId, returnvalue }) =>
        deliver(name, s, () => ({
          type: 'completed',
          jobId: decodeBullmqName(jobId),
          result: (returnvalue ?? {}) as unknown as JobData,
        })),
      )
      events.on('failed', ({ jobId, failedReason }) =>
        deliver(name, s, async () => {
          const job = await BullJob.fromId(q, jobId).catch(() => undefined)
          return {
            type: 'failed',
            jobId: decodeBullmqName(jobId),
            error: failedReason,
            final: true,
            attempt: job?.attemptsMade ?? 0,
          }
        }),
      )
      ;(events as unknown as EventEmitter).on(
        RETRY_EVENT,
        (args: { jobId: string; error: string; attempt: string }) =>
          deliver(name, s, () => ({
            type: 'failed',
            jobId: decodeBullmqName(args.jobId),
            error: args.error,
            final: false,
            attempt: Number(args.attempt),
          })),
      )
      await events.waitUntilReady()
    }
    ;(s as { ready: Promise<void> }).ready = open()
    s.ready.catch((err: unknown) => logger.error({ err, queue: name }, 'subscribing to bullmq events failed'))
    subscriptions.set(name, s)
    return s
  }

  const unsubscribe = (name: string, s: Subscription): void => {
    if (s.listeners.size > 0 || s.closed) return
    s.closed = true
    if (subscriptions.get(name) === s) subscriptions.delete(name)
    track(
      (async () => {
        await s.ready.catch(() => undefined)
        await s.chain
        await s.events?.close()
      })(),
    )
  }

  const backoffStrategy = (
    attemptsMade: number,
    _type?: string,
    _err?: Error,
    job?: { opts: { backoff?: number | { delay?: number } } },
  ): number => {
    const b = job?.opts.backoff
    const base = typeof b === 'number' ? b : (b?.delay ?? JOB_DEFAULTS.backoffMs)
    return backoffDelay(attemptsMade, base, maxBackoffMs)
  }

  return {
    async add<D extends JobData>(queue: string, spec: JobSpec<D>): Promise<void> {
      assertOpen()
      checkQueueName(queue)
      const s = normalizeJobSpec(spec)
      await subscriptions.get(queue)?.ready.catch(() => undefined)
      await queueOf(queue).add(s.name, s.data, {
        jobId: encodeBullmqName(s.id),
        attempts: s.attempts,
        backoff: { type: BACKOFF_TYPE, delay: s.backoffMs },
        delay: s.delayMs,
        removeOnComplete: { count: keepCompleted },
        removeOnFail: { count: keepFailed },
      })
    },

    process<D extends JobData, R extends JobData>(
      queue: string,
      handler: JobHandler<D, R>,
      opts?: { concurrency?: number },
    ): JobWorker {
      assertOpen()
      checkQueueName(queue)
      const concurrency = checkConcurrency(opts?.concurrency)
      const stop = new AbortController()
      const processor = async (
        bj: BullJob,
        token: string | undefined,
        signal: AbortSignal | undefined,
      ): Promise<JobData> => {
        const attempt = bj.attemptsMade + 1
        const job: Job<D> = {
          id: decodeBullmqName(bj.id ?? ''),
          name: bj.name,
          data: bj.data as D,
          attempt,
          signal: signal ? AbortSignal.any([stop.signal, signal]) : stop.signal,
          progress: (value) => bj.updateProgress(value),
        }
        try {
          return (await handler(job)) ?? {}
        } catch (e) {
          if (stop.signal.aborted && token) {
            await bj.moveToWait(token) // interrupted by close: back to waiting, the attempt does not count
            throw new WaitingError()
          }
          const message = errorMessage(e)
          if (isPermanentFailure(e)) throw new UnrecoverableError(message)
          if (attempt < (bj.opts.attempts ?? 1)) {
            logger.debug({ queue, jobId: job.id, attempt, error: message }, 'job attempt failed; retrying')
            const client = await worker.client
            await client.xadd(
              worker.keys.events as string,
              '*',
              { event: RETRY_EVENT, jobId: bj.id ?? '', error: message, attempt },
              { MAXLEN: MAX_EVENTS, approximate: true },
            )
          } else {
            logger.warn({ queue, jobId: job.id, attempt, error: message }, 'job failed')
          }
          throw e instanceof Error ? e : new Error(message)
        }
      }
      const worker = new Worker(encodeBullmqName(queue), processor, {
        connection,
        prefix,
        concurrency,
        settings: { backoffStrategy },
        autorun: false,
      })
      worker.on('error', (err) => logger.error({ err, queue }, 'bullmq worker error'))
      let closed: Promise<void> | undefined
      // Start once this instance's event readers of the queue are in place, so that they see the outcomes.
      void (subscriptions.get(queue)?.ready ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => {
          if (!closed)
            worker.run().catch((err: unknown) => logger.error({ err, queue }, 'bullmq worker stopped'))
        })
      const close = (): Promise<void> => {
        closed ??= (async () => {
          stop.abort(new QueueClosed('the job worker is closing'))
          await worker.close()
          workers.delete(close)
        })()
        return closed
      }
      workers.add(close)
      return { close }
    },

    onEvent(queue: string, listener: (event: JobEvent) => void): () => void {
      assertOpen()
      checkQueueName(queue)
      const s = subscribe(queue)
      const wrapped = (event: JobEvent): void => listener(event)
      s.listeners.add(wrapped)
      return () => {
        s.listeners.delete(wrapped)
        unsubscribe(queue, s)
      }
    },

    async remove(queue: string, jobId: string): Promise<void> {
      assertOpen()
      const job = await BullJob.fromId(queueOf(queue), encodeBullmqName(jobId))
      if (!job) return
      const state = await job.getState()
      if (state === 'completed' || state === 'failed') await job.remove()
    },

    async counts(queue: string): Promise<QueueCounts> {
      assertOpen()
      const c = await queueOf(queue).getJobCounts(
        'waiting',
        'prioritized',
        'paused',
        'active',
        'delayed',
        'completed',
        'failed',
      )
      return {
        waiting: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        completed: c.completed ?? 0,
        failed: c.failed ?? 0,
      }
    },

    close(): Promise<void> {
      closing ??= (async () => {
        await Promise.allSettled([...workers].map((close) => close()))
        for (const [name, s] of subscriptions) {
          s.listeners.clear()
          unsubscribe(name, s)
        }
        await Promise.allSettled([...pending])
        await Promise.allSettled([...queues.values()].map((q) => q.close()))
      })()
      return closing
    },
  }
}
