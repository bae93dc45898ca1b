/**
 * The devnet's block production: accepted transactions wait in a pool and are applied in the next
 * block (produced every `blockMs`, or on demand); blocks are final as soon as they are produced.
 * Everything that changes state runs through one queue, so checks, block production and persistence
 * never interleave; reads ({@link BlockProducer.read}) run at once unless a block is being produced.
 * A block is written to the database before it becomes the head; when that write fails the producer
 * stops for good (the state in memory is ahead of the disk) and answers `INTERNAL_ERROR`.
 */
import { toBase58 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { BlockRecord, ChainState, TxRecord } from './chain-state.ts'
import type { NearRuntime } from './near-runtime.ts'
import { handlerError, internalError } from './rpc-errors.ts'
import type { DecodedTx } from './signed-transaction.ts'

/** Produces blocks and tracks the transaction pool. */
export class BlockProducer {
  private pool: DecodedTx[] = []
  private readonly waiters = new Map<string, Waiter[]>()
  private tail: Promise<unknown> = Promise.resolve()
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private producing = false
  /** Set once a block could not be persisted. */
  private broken: Error | undefined

  constructor(
    private readonly state: ChainState,
    private readonly runtime: NearRuntime,
    /** Where the one message about a failed block write goes. */
    private readonly log: (message: string) => void = (m) => console.error(m),
  ) {}

  private checkHealthy(): void {
    if (this.broken)
      throw internalError(`block production stopped: the block store failed (${this.broken.message})`)
  }

  /**
   * Runs a read of the state: at once (a synchronous `f` sees one consistent state), or after the
   * block being produced when one is.
   */
  read<T>(f: () => T): Promise<T> {
    if (this.producing)
      return this.serial(() => {
        this.checkHealthy()
        return f()
      })
    try {
      this.checkHealthy()
      return Promise.resolve(f())
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** Runs `f` after everything queued before it. */
  serial<T>(f: () => Promise<T> | T): Promise<T> {
    const p = this.tail.then(f, f)
    this.tail = p.catch(() => undefined)
    return p
  }

  /** Produces the genesis block when the state is empty. */
  async genesis(): Promise<void> {
    if (!this.state.latest()) await this.produce(true)
  }

  /** Starts the block timer. */
  start(blockMs: number): void {
    this.timer = setInterval(() => {
      this.serial(() => this.produce()).catch(() => undefined)
    }, blockMs)
    this.timer.unref?.()
  }

  /** Whether a transaction is waiting in the pool. */
  pending(hash: string): boolean {
    return this.pool.some((t) => t.hash === hash)
  }

  /** Checks a transaction and adds it to the pool (throws the `InvalidTxError`). */
  submit(tx: DecodedTx): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) throw handlerError('INTERNAL_ERROR', { error_message: 'node is stopping' })
      this.checkHealthy()
      // an identical transaction pooled or already executed (a duplicate submission that raced the
      // block applying it) is answered with that one, never re-checked against its own used nonce
      if (this.pending(tx.hash) || (await this.state.tx(tx.hash))) return
      // like nearcore's pool, a second transaction with a pooled nonce is accepted; block production
      // applies the first and drops the other (its `tx` then answers UNKNOWN_TRANSACTION)
      await this.runtime.check(tx)
      this.pool.push(tx)
    })
  }

  /** Resolves with the transaction's record once a block included it; rejects with TIMEOUT_ERROR. */
  waitFor(hash: string, timeoutMs: number): Promise<TxRecord> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const list = this.waiters.get(hash)?.filter((w) => w !== waiter)
        if (list?.length) this.waiters.set(hash, list)
        else this.waiters.delete(hash)
        reject(handlerError('TIMEOUT_ERROR', {}, 'Timeout'))
      }, timeoutMs)
      t.unref()
      const waiter: Waiter = {
        done: (r) => {
          clearTimeout(t)
          resolve(r)
        },
        fail: (e) => {
          clearTimeout(t)
          reject(e)
        },
      }
      this.waiters.set(hash, [...(this.waiters.get(hash) ?? []), waiter])
    })
  }

  /** Produces one block now (with the pooled transactions). */
  mine(): Promise<BlockRecord> {
    return this.serial(() => this.produce())
  }

  private async produce(genesis = false): Promise<BlockRecord> {
    this.checkHealthy()
    this.producing = true
    try {
      return await this.produceBlock(genesis)
    } finally {
      this.producing = false
    }
  }

  private async produceBlock(genesis: boolean): Promise<BlockRecord> {
    const prev = this.state.latest()
    const height = prev ? prev.height + 1 : 1
    const now = BigInt(Date.now()) * 1_000_000n
    const timestampNs = prev && now <= prev.timestampNs ? prev.timestampNs + 1n : now
    const txs = genesis ? [] : ordered(this.pool)
    this.pool = []
    const prevHash = prev?.hash ?? toBase58(new Uint8Array(32))
    const hash = toBase58(
      sha256(
        new TextEncoder().encode(
          JSON.stringify([height, prevHash, timestampNs.toString(), txs.map((t) => t.hash)]),
        ),
      ),
    )
    const candidate: BlockRecord = { height, hash, prevHash, timestampNs, txs: [] }
    const records: TxRecord[] = []
    for (const t of txs) {
      try {
        const r = this.runtime.apply(t, candidate)
        if (r) records.push(r)
      } catch (e) {
        // a devnet bug must not lose the transaction: record it as failed
        const failure = {
          ActionError: {
            index: 0,
            kind: { FunctionCallError: { ExecutionError: `devnet error: ${String(e)}` } },
          },
        }
        records.push({
          hash: t.hash,
          signerId: t.signerId,
          height,
          outcome: { status: { Failure: failure } },
        })
      }
    }
    const block: BlockRecord = { ...candidate, txs: records.map((r) => r.hash) }
    try {
      await this.state.commit(block, records)
    } catch (e) {
      this.broken = e instanceof Error ? e : new Error(String(e))
      if (this.timer) clearInterval(this.timer)
      this.timer = undefined
      this.log(
        `NEAR devnet: writing block ${height} failed, block production stopped: ${this.broken.message}`,
      )
      const err = internalError(`block production stopped: the block store failed (${this.broken.message})`)
      for (const list of this.waiters.values()) for (const w of list) w.fail(err)
      this.waiters.clear()
      throw err
    }
    for (const r of records) {
      for (const w of this.waiters.get(r.hash) ?? []) w.done(r)
      this.waiters.delete(r.hash)
    }
    return block
  }

  /** Stops the timer and waits for queued work. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await this.tail
    const err = handlerError('INTERNAL_ERROR', { error_message: 'node is stopping' })
    for (const list of this.waiters.values()) for (const w of list) w.fail(err)
    this.waiters.clear()
  }
}

interface Waiter {
  done(r: TxRecord): void
  fail(e: Error): void
}

/** Arrival order, except that one key's transactions go in nonce order (as nearcore's pool does). */
function ordered(pool: readonly DecodedTx[]): DecodedTx[] {
  const groups = new Map<string, DecodedTx[]>()
  for (const t of pool) {
    const k = `${t.signerId} ${t.publicKey}`
    groups.set(k, [...(groups.get(k) ?? []), t])
  }
  for (const g of groups.values()) g.sort((a, b) => (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0))
  const cursor = new Map<string, number>()
  return pool.map((t) => {
    const k = `${t.signerId} ${t.publicKey}`
    const i = cursor.get(k) ?? 0
    cursor.set(k, i + 1)
    return groups.get(k)![i]!
  })
}
