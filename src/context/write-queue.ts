/**
 * Group commit: callers enqueue the batch operations of one logical write; the queue writes
 * everything enqueued so far as one atomic LevelDB batch (one thread-pool hop for many writes) and
 * resolves each caller once its operations are durable. Writes land in enqueue order. When a batch
 * fails, it and everything queued behind it fail (later writes may build on the failed ones) and
 * `onFailure` runs before any caller sees the error, so in-memory state can be reset.
 */
import type { Store } from '../store/store.ts'
import type { BatchOp } from './context-store.ts'

interface Waiter {
  ops: BatchOp[]
  resolve: () => void
  reject: (e: unknown) => void
}

/**
 * A single-writer group-commit queue over one store.
 *
 * @example
 * const q = new WriteQueue(store, () => dropCaches())
 * await q.enqueue([{ type: 'put', sublevel, key, value }])
 */
export class WriteQueue {
  readonly #store: Store
  readonly #onFailure: (e: unknown) => void
  readonly #sync: boolean
  #queue: Waiter[] = []
  #running: Promise<void> | undefined

  /** `sync: true` fsyncs every batch (survives power loss, not only a process crash). */
  constructor(store: Store, onFailure: (e: unknown) => void, options: { sync?: boolean } = {}) {
    this.#store = store
    this.#onFailure = onFailure
    this.#sync = options.sync === true
  }

  /** Resolves once `ops` are durable (written in one atomic batch with whatever else was queued). */
  enqueue(ops: BatchOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject })
      if (!this.#running) this.#running = this.#run()
    })
  }

  /** Resolves when nothing is queued or being written. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running
  }

  async #run(): Promise<void> {
    // Yield once: `#running` is assigned before this settles, and writes enqueued in the same tick join the batch.
    await Promise.resolve()
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue
        this.#queue = []
        const ops = group.length === 1 ? group[0]!.ops : group.flatMap((w) => w.ops)
        try {
          if (ops.length > 0) await this.#store.batch(ops, { sync: this.#sync })
        } catch (e) {
          const failed = [...group, ...this.#queue]
          this.#queue = []
          this.#onFailure(e)
          for (const w of failed) w.reject(e)
          continue
        }
        for (const w of group) w.resolve()
      }
    } finally {
      this.#running = undefined
    }
  }
}
