/**
 * The NEAR devnet's state: accounts with their access keys, contract code and storage, blocks and
 * transaction outcomes. Held in memory; with a data folder every produced block is written to LevelDB
 * in one atomic batch (the block, its transactions and every state change since the previous block),
 * and loaded back at start.
 */
import { ClassicLevel } from 'classic-level'
import { toBase58 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import { recordBytes } from './storage-staking.ts'

/** An access key's permission (NEAR's `AccessKeyPermission`). */
export type KeyPermission =
  | 'FullAccess'
  | {
      readonly receiverId: string
      readonly methodNames: readonly string[]
      readonly allowance: string | null
    }

/** An access key. */
export interface AccessKeyRecord {
  nonce: bigint
  readonly permission: KeyPermission
}

/** An account. */
export interface AccountRecord {
  amount: bigint
  /** base58 sha256 of the code; all-ones (NEAR's default hash) when none. */
  codeHash: string
  readonly keys: Map<string, AccessKeyRecord>
}

/** A produced block. */
export interface BlockRecord {
  readonly height: number
  readonly hash: string
  readonly prevHash: string
  readonly timestampNs: bigint
  readonly txs: readonly string[]
}

/** A transaction's stored outcome (the RPC's FinalExecutionOutcome without `final_execution_status`). */
export interface TxRecord {
  readonly hash: string
  readonly signerId: string
  readonly height: number
  readonly outcome: Record<string, unknown>
}

/** NEAR's code hash of "no contract". */
export const NO_CODE_HASH = '11111111111111111111111111111111'

/** Base58 sha256 of contract code, NEAR's `code_hash`. */
export function codeHashOf(code: Uint8Array): string {
  return toBase58(sha256(code))
}

const pad = (h: number) => h.toString().padStart(12, '0')

/**
 * Recent blocks (and their outcomes) held in memory when a database backs the state; older ones are
 * read from it. Without a database the whole `keepBlocks` window stays in memory.
 */
export const DB_MEMORY_BLOCKS = 1000

interface AccountJson {
  amount: string
  codeHash: string
  keys: [string, { nonce: string; permission: KeyPermission }][]
}

/** The devnet's state, with its persistence. */
export class ChainState {
  readonly accounts = new Map<string, AccountRecord>()
  readonly codes = new Map<string, Uint8Array>()
  /** Contract storage per account: hex key → value. */
  readonly storage = new Map<string, Map<string, Uint8Array>>()
  /** Recent blocks by height and hash (older ones are read from the database). */
  private readonly blocksByHeight = new Map<number, BlockRecord>()
  private readonly heightByHash = new Map<string, number>()
  private readonly txs = new Map<string, TxRecord>()
  private head: BlockRecord | undefined
  private readonly dirtyAccounts = new Set<string>()
  private readonly dirtyCodes = new Set<string>()
  private readonly dirtyStorage = new Map<string, Set<string>>()
  /** Cached bytes of contract storage records per account (see storage-staking.ts). */
  private readonly dataBytes = new Map<string, number>()

  private constructor(
    private readonly db: ClassicLevel<string, string> | undefined,
    private readonly keepBlocks: number,
  ) {}

  /**
   * Opens the state (loading it from `dataDir` when given; an empty state otherwise). `keepBlocks`:
   * how many recent blocks and their outcomes stay readable from memory; with a database at most
   * {@link DB_MEMORY_BLOCKS} of them are held (the rest is read from the database), so memory and
   * start-up time do not grow with the validity window.
   */
  static async open(dataDir: string | undefined, keepBlocks: number): Promise<ChainState> {
    const db = dataDir ? new ClassicLevel<string, string>(dataDir, { valueEncoding: 'utf8' }) : undefined
    const s = new ChainState(db, db ? Math.min(keepBlocks, DB_MEMORY_BLOCKS) : keepBlocks)
    if (db) {
      await db.open()
      await s.load(db)
    }
    return s
  }

  private async load(db: ClassicLevel<string, string>): Promise<void> {
    for await (const [k, v] of db.iterator({ gte: 'acct:', lt: 'acct;' })) {
      const j = JSON.parse(v) as AccountJson
      this.accounts.set(k.slice(5), {
        amount: BigInt(j.amount),
        codeHash: j.codeHash,
        keys: new Map(j.keys.map(([pk, ak]) => [pk, { nonce: BigInt(ak.nonce), permission: ak.permission }])),
      })
    }
    for await (const [k, v] of db.iterator({ gte: 'code:', lt: 'code;' }))
      this.codes.set(k.slice(5), new Uint8Array(Buffer.from(v, 'base64')))
    for await (const [k, v] of db.iterator({ gte: 'st:', lt: 'st;' })) {
      const [account, key] = k.slice(3).split(':') as [string, string]
      this.contractStorage(account).set(key, new Uint8Array(Buffer.from(v, 'base64')))
    }
    const recent: BlockRecord[] = []
    for await (const v of db.values({ gte: 'blk:', lt: 'blk;', reverse: true, limit: this.keepBlocks }))
      recent.push(parseBlock(v))
    for (const b of recent.reverse()) this.remember(b)
  }

  /** The storage map of a contract account (created empty). */
  contractStorage(accountId: string): Map<string, Uint8Array> {
    let m = this.storage.get(accountId)
    if (!m) {
      m = new Map()
      this.storage.set(accountId, m)
    }
    return m
  }

  /** Bytes of an account's contract storage records (key + value + 40 each), cached. */
  dataUsage(accountId: string): number {
    let n = this.dataBytes.get(accountId)
    if (n === undefined) {
      n = 0
      for (const [k, v] of this.storage.get(accountId) ?? []) n += recordBytes(k, v)
      this.dataBytes.set(accountId, n)
    }
    return n
  }

  /** Adjusts the cached storage bytes by `delta`, or forgets them (`undefined`: recount when asked). */
  adjustDataUsage(accountId: string, delta: number | undefined): void {
    const n = this.dataBytes.get(accountId)
    if (n === undefined) return
    if (delta === undefined) this.dataBytes.delete(accountId)
    else this.dataBytes.set(accountId, n + delta)
  }

  /** Drops a deleted account's contract storage (and marks every key removed). */
  dropStorage(accountId: string): void {
    const m = this.storage.get(accountId)
    if (!m) return
    this.touchStorage(accountId, m.keys())
    m.clear()
    this.dataBytes.delete(accountId)
  }

  /** Marks an account (keys, balance, code hash) as changed. */
  touchAccount(accountId: string): void {
    this.dirtyAccounts.add(accountId)
  }

  /** Records new contract code. */
  putCode(code: Uint8Array): string {
    const hash = codeHashOf(code)
    if (!this.codes.has(hash)) {
      this.codes.set(hash, code)
      this.dirtyCodes.add(hash)
    }
    return hash
  }

  /** Marks storage keys of a contract as changed. */
  touchStorage(accountId: string, keys: Iterable<string>): void {
    let s = this.dirtyStorage.get(accountId)
    if (!s) {
      s = new Set()
      this.dirtyStorage.set(accountId, s)
    }
    for (const k of keys) s.add(k)
  }

  /** The latest block (undefined before genesis). */
  latest(): BlockRecord | undefined {
    return this.head
  }

  /** A block by height or hash, from memory or the database. */
  async block(ref: number | string): Promise<BlockRecord | undefined> {
    const height = typeof ref === 'number' ? ref : this.heightByHash.get(ref)
    if (height !== undefined) {
      const b = this.blocksByHeight.get(height)
      if (b) return b
    }
    if (!this.db) return undefined
    try {
      const h = height ?? Number(await this.db.get(`bh:${ref}`))
      if (!Number.isSafeInteger(h)) return undefined
      const v = await this.db.get(`blk:${pad(h)}`)
      return v === undefined ? undefined : parseBlock(v)
    } catch {
      return undefined
    }
  }

  /** A transaction outcome by hash. */
  async tx(hash: string): Promise<TxRecord | undefined> {
    const t = this.txs.get(hash)
    if (t || !this.db) return t
    try {
      const v = await this.db.get(`tx:${hash}`)
      return v === undefined ? undefined : (JSON.parse(v) as TxRecord)
    } catch {
      return undefined
    }
  }

  private remember(b: BlockRecord): void {
    this.blocksByHeight.set(b.height, b)
    this.heightByHash.set(b.hash, b.height)
    this.head = b
    const old = this.blocksByHeight.get(b.height - this.keepBlocks)
    if (old) {
      this.blocksByHeight.delete(old.height)
      this.heightByHash.delete(old.hash)
      for (const t of old.txs) this.txs.delete(t)
    }
  }

  /**
   * Commits a block with its transactions and every change since the previous commit: first the one
   * atomic database batch, then the block becomes the head in memory. When the write fails nothing
   * is marked clean and the head stays where it was.
   */
  async commit(block: BlockRecord, txs: readonly TxRecord[]): Promise<void> {
    if (this.db) await this.batchFor(block, txs).write()
    this.remember(block)
    for (const t of txs) this.txs.set(t.hash, t)
    this.clearDirty()
  }

  private batchFor(block: BlockRecord, txs: readonly TxRecord[]) {
    const batch = this.db!.batch()
    for (const id of this.dirtyAccounts) {
      const a = this.accounts.get(id)
      if (!a) {
        batch.del(`acct:${id}`)
        continue
      }
      const j: AccountJson = {
        amount: a.amount.toString(),
        codeHash: a.codeHash,
        keys: [...a.keys].map(([pk, k]) => [pk, { nonce: k.nonce.toString(), permission: k.permission }]),
      }
      batch.put(`acct:${id}`, JSON.stringify(j))
    }
    for (const h of this.dirtyCodes)
      batch.put(`code:${h}`, Buffer.from(this.codes.get(h)!).toString('base64'))
    for (const [account, keys] of this.dirtyStorage) {
      const m = this.contractStorage(account)
      for (const k of keys) {
        const v = m.get(k)
        if (v === undefined) batch.del(`st:${account}:${k}`)
        else batch.put(`st:${account}:${k}`, Buffer.from(v).toString('base64'))
      }
    }
    for (const t of txs) batch.put(`tx:${t.hash}`, JSON.stringify(t))
    batch.put(
      `blk:${pad(block.height)}`,
      JSON.stringify({ ...block, timestampNs: block.timestampNs.toString() }),
    )
    batch.put(`bh:${block.hash}`, String(block.height))
    return batch
  }

  private clearDirty(): void {
    this.dirtyAccounts.clear()
    this.dirtyCodes.clear()
    this.dirtyStorage.clear()
  }

  /** Closes the database. */
  async close(): Promise<void> {
    await this.db?.close()
  }
}

function parseBlock(v: string): BlockRecord {
  const j = JSON.parse(v) as Omit<BlockRecord, 'timestampNs'> & { timestampNs: string }
  return { ...j, timestampNs: BigInt(j.timestampNs) }
}
