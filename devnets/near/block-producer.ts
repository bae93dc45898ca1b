/**
 * The devnet's block production: accepted transactions wait in a pool and are applied in the next
 * block (produced every `blockMs`, or on demand); blocks are final as soon as they are produced.
 * Everything that reads or changes state runs through one queue, so checks, block production and
 * persistence never interleave.
 */
import { toBase58 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { BlockRecord, ChainState, TxRecord } from './chain-state.ts'
import type { NearRuntime } from './near-runtime.ts'
import { handlerError } from './rpc-errors.ts'
import type { DecodedTx } from './signed-transaction.ts'

/** Produces blocks and tracks the transaction pool. */
export class BlockProducer {
  private pool: DecodedTx[] = []
  private readonly waiters = new Map<string, ((r: TxRecord) => void)[]>()
  private tail: Promise<unknown> = Promise.resolve()
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(
    private readonly state: ChainState,
    private readonly runtime: NearRuntime,
  ) {}

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
      if (this.pending(tx.hash)) return
      const nonces = new Set(
        this.pool
          .filter((t) => t.signerId === tx.signerId && t.publicKey === tx.publicKey)
          .map((t) => t.nonce),
      )
      await this.runtime.check(tx, nonces)
      this.pool.push(tx)
    })
  }

  /** Resolves with the transaction's record once a block included it; rejects with TIMEOUT_ERROR. */
  waitFor(hash: string, timeoutMs: number): Promise<TxRecord> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const list = this.waiters.get(hash)?.filter((w) => w !== done)
        if (list?.length) this.waiters.set(hash, list)
        else this.waiters.delete(hash)
        reject(handlerError('TIMEOUT_ERROR', {}, 'Timeout'))
      }, timeoutMs)
      const done = (r: TxRecord) => {
        clearTimeout(t)
        resolve(r)
      }
      this.waiters.set(hash, [...(this.waiters.get(hash) ?? []), done])
    })
  }

  /** Produces one block now (with the pooled transactions). */
  mine(): Promise<BlockRecord> {
    return this.serial(() => this.produce())
  }

  private async produce(genesis = false): Promise<BlockRecord> {
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
    const block: BlockRecord = { height, hash, prevHash, timestampNs, txs: txs.map((t) => t.hash) }
    const records = txs.map((t) => {
      try {
        return this.runtime.apply(t, block)
      } catch (e) {
        // a devnet bug must not lose the transaction: record it as failed
        const failure = {
          ActionError: {
            index: 0,
            kind: { FunctionCallError: { ExecutionError: `devnet error: ${String(e)}` } },
          },
        }
        return { hash: t.hash, signerId: t.signerId, height, outcome: { status: { Failure: failure } } }
      }
    })
    await this.state.commit(block, records)
    for (const r of records) {
      for (const w of this.waiters.get(r.hash) ?? []) w(r)
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
  }
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
