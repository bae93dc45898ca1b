/**
 * The job queue interface (DESIGN §11). The embedded implementation keeps its state in LevelDB and
 * needs nothing installed; the bullmq one runs on Redis and lets workers live in other processes.
 *
 * Jobs carry no secrets: data is plain JSON with ids and hashes. Job ids are deterministic
 * (e.g. `anchor:<chainId>:<root>`), so adding the same job twice is a no-op while it exists.
 */

/** JSON-serialisable job data. */
export type JobData = Record<string, unknown>

/** A job to add. */
export interface JobSpec<D extends JobData = JobData> {
  /**
   * Deterministic id; a second add with an id that exists (waiting, active, delayed, completed or failed)
   * is ignored until `remove` (or until the finished record is pruned: implementations keep the last N).
   */
  readonly id: string
  readonly name: string
  readonly data: D
  /** Total attempts before the job fails (default 10). */
  readonly attempts?: number
  /** Base of the exponential backoff between attempts, ms (default 500). */
  readonly backoffMs?: number
  /** Do not run before this many ms from now. */
  readonly delayMs?: number
}

/** A job as a handler sees it. */
export interface Job<D extends JobData = JobData> {
  readonly id: string
  readonly name: string
  readonly data: D
  /** 1 for the first attempt. */
  readonly attempt: number
  /** Reports progress to listeners (`onEvent` 'progress'); JSON only. */
  progress(value: JobData): Promise<void>
  /** Aborted when the queue closes. */
  readonly signal: AbortSignal
}

/** A handler's return value is the job's result (JSON only). Throw `PermanentJobFailure` to fail without retry. */
export type JobHandler<D extends JobData = JobData, R extends JobData = JobData> = (job: Job<D>) => Promise<R>

/** Lifecycle events of jobs of one queue, wherever they ran. */
export type JobEvent =
  | { readonly type: 'progress'; readonly jobId: string; readonly value: JobData }
  | { readonly type: 'completed'; readonly jobId: string; readonly result: JobData }
  | {
      readonly type: 'failed'
      readonly jobId: string
      readonly error: string
      readonly final: boolean
      readonly attempt: number
    }

/** A running worker; `close` waits for active jobs to finish or abort. */
export interface JobWorker {
  close(): Promise<void>
}

/** Counts by state, for `/metrics` and the API. */
export interface QueueCounts {
  waiting: number
  active: number
  delayed: number
  completed: number
  failed: number
}

/** The queue contract. */
export interface JobQueue {
  /** Adds a job to `queue` (idempotent by id). */
  add<D extends JobData>(queue: string, job: JobSpec<D>): Promise<void>
  /** Starts processing `queue` in this process. */
  process<D extends JobData, R extends JobData>(
    queue: string,
    handler: JobHandler<D, R>,
    options?: { concurrency?: number },
  ): JobWorker
  /** Subscribes to events of `queue`; returns an unsubscribe function. */
  onEvent(queue: string, listener: (event: JobEvent) => void): () => void
  /**
   * Removes a finished (completed or failed) job so that its id can be used again; a no-op for an
   * unknown id or a job not yet finished.
   */
  remove(queue: string, jobId: string): Promise<void>
  counts(queue: string): Promise<QueueCounts>
  /** Stops workers and listeners and releases connections. Idempotent. */
  close(): Promise<void>
}
