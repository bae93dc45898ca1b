/**
 * Group commit for a LevelDB section: writes are applied in the order they were issued, and every
 * write issued while a batch is in flight (or in the same tick) joins the next batch — one thread-pool
 * hop for many small writes (LIMITS.md: awaited single puts are ~13x slower than batches).
 */
import type { Section } from '../store/store.ts'

/** One operation of a {@link SectionWriter} batch. */
export type SectionOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string }

/** Serialises and batches writes to one section. */
export class SectionWriter {
  private queued: SectionOp[] = []
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = []
  private running: Promise<void> | undefined

  constructor(private readonly section: Section) {}

  /**
   * Queues `ops` (applied atomically, after every earlier write); resolves once they are written.
   *
   * @example
   * await writer.write([{ type: 'put', key: 'k', value: new Uint8Array([1]) }])
   */
  write(ops: readonly SectionOp[]): Promise<void> {
    for (const op of ops) this.queued.push(op)
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
    this.running ??= this.loop()
    return done
  }

  /** Resolves when every write issued so far is done (whether it succeeded or not). */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve()
  }

  private async loop(): Promise<void> {
    await null // let the writes of this tick join the first batch
    while (this.waiters.length > 0) {
      const ops = this.queued
      const waiters = this.waiters
      this.queued = []
      this.waiters = []
      try {
        await this.section.batch(ops)
        for (const w of waiters) w.resolve()
      } catch (e) {
        for (const w of waiters) w.reject(e)
      }
    }
    this.running = undefined
  }
}
