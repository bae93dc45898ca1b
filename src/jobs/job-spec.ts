/**
 * What both JobQueue implementations share: defaults, validation of a {@link JobSpec}, the backoff
 * formula and the test for a permanent failure. Keeping them here makes the embedded queue and the
 * bullmq queue retry on exactly the same schedule.
 */
import { InvalidInput, PermanentJobFailure } from '../core/errors.ts'
import type { JobData, JobSpec } from './job-queue.ts'

/** Defaults of a job (DESIGN §11). */
export const JOB_DEFAULTS = Object.freeze({
  attempts: 10,
  backoffMs: 500,
  /** Cap of one backoff delay. */
  maxBackoffMs: 300_000,
  /** Finished job records kept per queue and per outcome (completed, failed); older ones are dropped. */
  keepFinished: 1000,
})

/** A {@link JobSpec} with every option filled in. */
export interface NormalizedJobSpec<D extends JobData = JobData> {
  readonly id: string
  readonly name: string
  readonly data: D
  readonly attempts: number
  readonly backoffMs: number
  readonly delayMs: number
}

/**
 * Validates a job spec and fills in the defaults; throws `InvalidInput` when an option is out of range.
 *
 * @example
 * normalizeJobSpec({ id: 'a', name: 'n', data: {} }).attempts // 10
 */
export function normalizeJobSpec<D extends JobData>(spec: JobSpec<D>): NormalizedJobSpec<D> {
  if (typeof spec.id !== 'string' || spec.id.length === 0)
    throw new InvalidInput('job id must be a non-empty string')
  if (typeof spec.name !== 'string')
    throw new InvalidInput('job name must be a string', { details: { id: spec.id } })
  if (spec.data === null || typeof spec.data !== 'object' || Array.isArray(spec.data)) {
    throw new InvalidInput('job data must be a JSON object', { details: { id: spec.id } })
  }
  const attempts = spec.attempts ?? JOB_DEFAULTS.attempts
  const backoffMs = spec.backoffMs ?? JOB_DEFAULTS.backoffMs
  const delayMs = spec.delayMs ?? 0
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new InvalidInput('attempts must be an integer >= 1', { details: { id: spec.id, attempts } })
  if (!Number.isFinite(backoffMs) || backoffMs < 0)
    throw new InvalidInput('backoffMs must be >= 0', { details: { id: spec.id, backoffMs } })
  if (!Number.isFinite(delayMs) || delayMs < 0)
    throw new InvalidInput('delayMs must be >= 0', { details: { id: spec.id, delayMs } })
  return { id: spec.id, name: spec.name, data: spec.data, attempts, backoffMs, delayMs }
}

/** Throws `InvalidInput` unless `queue` is a non-empty string. */
export function checkQueueName(queue: string): void {
  if (typeof queue !== 'string' || queue.length === 0)
    throw new InvalidInput('queue name must be a non-empty string')
}

/** The concurrency of a worker: an integer >= 1 (default 1). */
export function checkConcurrency(concurrency: number | undefined): number {
  const c = concurrency ?? 1
  if (!Number.isInteger(c) || c < 1)
    throw new InvalidInput('concurrency must be an integer >= 1', { details: { concurrency: c } })
  return c
}

/**
 * Delay before the next attempt after attempt `attempt` (1-based) failed:
 * `baseMs * 2^(attempt-1)`, capped at `capMs`, less up to 10 % of jitter so that many jobs failing
 * together do not retry in lockstep.
 *
 * @example
 * backoffDelay(3, 500, 300_000, () => 0) // 2000
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const full = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.max(0, Math.round(full * (1 - 0.1 * random())))
}

/** True when a handler's error asks to fail the job at once (`PermanentJobFailure`, by class or by name). */
export function isPermanentFailure(e: unknown): boolean {
  return e instanceof PermanentJobFailure || (e instanceof Error && e.name === 'PermanentJobFailure')
}

/** The message of a thrown value, for the `failed` event. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name
  return String(e)
}
