/**
 * The node's attestation log: verifies incoming leaves, appends them to the persisted RFC 6962 log
 * in group commits, and cuts signed C2SP checkpoints every `batch.intervalMs` when the log grew (or
 * at once when `batch.maxLeaves` leaves wait). Acknowledged = persisted: `ingest` resolves after the
 * leaves are in the log's LevelDB batch, so a crash never loses an acknowledged attestation.
 */

import { attestationLeafHash, decodeLeaf, type LeafFields, verifyLeafSignatureAsync } from '../attest/leaf.ts'
import { bytesEqual, toBase58, toHex } from '../core/bytes.ts'
import type { Ed25519KeyPair } from '../core/ed25519.ts'
import { InvalidLeaf, UnknownCheckpoint } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import type { Logger } from '../core/logger.ts'
import type { ProofCheckpoint } from '../proof/proof-types.ts'
import { type Section, type Store, section, seqKey } from '../store/store.ts'
import { signCheckpoint } from './checkpoint.ts'
import { MerkleLog } from './merkle-log.ts'

/** Decides whether an attester may attest for a context (DESIGN §6); throws Forbidden-like errors or returns false. */
export type AttesterPolicy = (leaf: LeafFields) => Promise<boolean> | boolean

/** A checkpoint as stored. */
export interface StoredCheckpoint extends ProofCheckpoint {
  /** Node time when it was cut, ms. */
  cutAt: number
}

/** Options of {@link LogService.open}. */
export interface LogServiceOptions {
  store: Store
  nodeKey: Ed25519KeyPair
  /** Checkpoint origin line; also the note signer name. */
  origin: string
  intervalMs: number
  maxLeaves: number
  authorize: AttesterPolicy
  logger: Logger
}

/** Result of ingesting one leaf. */
export interface IngestResult {
  leafHash: Uint8Array
  index: number
}

interface PendingAppend {
  leaves: Uint8Array[]
  resolve: (first: number) => void
  reject: (e: unknown) => void
}

const enc = new TextEncoder()
const dec = new TextDecoder()

/** The attestation log of one node. */
export class LogService {
  readonly logId: Uint8Array
  readonly origin: string
  private readonly log: MerkleLog
  private readonly checkpoints: Section
  private readonly opts: LogServiceOptions
  private queue: PendingAppend[] = []
  private appending = false
  private timer: NodeJS.Timeout | undefined
  private latest: StoredCheckpoint | undefined
  private cutting: Promise<StoredCheckpoint | undefined> | undefined
  private readonly checkpointListeners = new Set<(cp: StoredCheckpoint) => void>()
  private readonly tickHooks = new Set<() => Promise<void>>()
  private closed = false

  private constructor(opts: LogServiceOptions, log: MerkleLog, checkpoints: Section) {
    this.opts = opts
    this.log = log
    this.checkpoints = checkpoints
    this.origin = opts.origin
    this.logId = sha256(enc.encode(opts.origin))
  }

  /** Opens the log and starts the checkpoint timer. */
  static async open(opts: LogServiceOptions): Promise<LogService> {
    const log = await MerkleLog.open(section(opts.store, 'log'))
    const svc = new LogService(opts, log, section(opts.store, 'checkpoints'))
    for await (const [, v] of svc.checkpoints.iterator({ reverse: true, limit: 1 }))
      svc.latest = JSON.parse(dec.decode(v))
    svc.schedule()
    return svc
  }

  /** Current number of leaves. */
  get size(): number {
    return this.log.size
  }

  /** The underlying Merkle log (proof reads). */
  get merkleLog(): MerkleLog {
    return this.log
  }

  /**
   * Verifies (signature, policy) and appends leaves; leaves already in the log are not appended
   * again. Resolves once persisted. Throws `InvalidLeaf`/`InvalidSignature`/`Forbidden` before
   * anything is written when any leaf is bad (all or nothing).
   */
  async ingest(leaves: Uint8Array[]): Promise<IngestResult[]> {
    const decoded = leaves.map((bytes, i) => {
      try {
        return decodeLeaf(bytes)
      } catch (e) {
        if (e instanceof InvalidLeaf) e.details.index = i
        throw e
      }
    })
    const sigs = await Promise.all(leaves.map((b) => verifyLeafSignatureAsync(b)))
    const bad = sigs.indexOf(false)
    if (bad >= 0)
      throw new InvalidLeaf(`leaf ${bad}: attester signature does not verify`, {
        details: { index: bad, check: 'signature' },
      })
    for (let i = 0; i < decoded.length; i++) {
      if (!(await this.opts.authorize(decoded[i]!)))
        throw new InvalidLeaf(`leaf ${i}: attester may not attest for this context`, {
          details: { index: i, check: 'attester' },
        })
    }
    const hashes = leaves.map((b) => attestationLeafHash(b))
    const results: (IngestResult | undefined)[] = new Array(leaves.length)
    const firstOf = new Map<string, number>()
    const fresh: number[] = []
    for (let i = 0; i < leaves.length; i++) {
      const key = toHex(hashes[i]!)
      if (firstOf.has(key)) continue
      firstOf.set(key, i)
      const existing = await this.log.indexOf(hashes[i]!)
      if (existing !== undefined) results[i] = { leafHash: hashes[i]!, index: existing }
      else fresh.push(i)
    }
    if (fresh.length > 0) {
      const first = await this.enqueue(fresh.map((i) => leaves[i]!))
      fresh.forEach((i, k) => {
        results[i] = { leafHash: hashes[i]!, index: first + k }
      })
    }
    for (let i = 0; i < leaves.length; i++) results[i] ??= results[firstOf.get(toHex(hashes[i]!))!]
    if (this.log.size - (this.latest?.treeSize ?? 0) >= this.opts.maxLeaves)
      void this.cutCheckpoint().catch(() => {})
    return results as IngestResult[]
  }

  /** Group commit: concurrent ingests share one LevelDB batch. */
  private enqueue(leaves: Uint8Array[]): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ leaves, resolve, reject })
      if (!this.appending) void this.drain()
    })
  }

  private async drain(): Promise<void> {
    this.appending = true
    try {
      while (this.queue.length > 0) {
        const batch = this.queue
        this.queue = []
        const all = batch.flatMap((p) => p.leaves)
        try {
          const { firstIndex } = await this.log.append(all)
          let at = firstIndex
          for (const p of batch) {
            p.resolve(at)
            at += p.leaves.length
          }
        } catch (e) {
          for (const p of batch) p.reject(e)
        }
      }
    } finally {
      this.appending = false
    }
  }

  /** Registers work to run before each checkpoint cut (the attester flushes dirty contexts here). */
  onTick(hook: () => Promise<void>): () => void {
    this.tickHooks.add(hook)
    return () => this.tickHooks.delete(hook)
  }

  /** Subscribes to new checkpoints. */
  onCheckpoint(listener: (cp: StoredCheckpoint) => void): () => void {
    this.checkpointListeners.add(listener)
    return () => this.checkpointListeners.delete(listener)
  }

  private schedule(): void {
    if (this.closed) return
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule())
    }, this.opts.intervalMs)
    this.timer.unref?.()
  }

  private async tick(): Promise<void> {
    for (const hook of this.tickHooks) {
      try {
        await hook()
      } catch (e) {
        this.opts.logger.error({ err: e }, 'log tick hook failed')
      }
    }
    try {
      await this.cutCheckpoint()
    } catch (e) {
      this.opts.logger.error({ err: e }, 'checkpoint cut failed')
    }
  }

  /**
   * Cuts a checkpoint at the current size when the log grew since the last one. Returns the new
   * checkpoint, or undefined when there was nothing new.
   */
  cutCheckpoint(): Promise<StoredCheckpoint | undefined> {
    if (this.cutting) return this.cutting.then(() => this.cutCheckpoint())
    this.cutting = this.doCut().finally(() => {
      this.cutting = undefined
    })
    return this.cutting
  }

  private async doCut(): Promise<StoredCheckpoint | undefined> {
    while (this.appending) await new Promise((r) => setImmediate(r))
    const treeSize = this.log.size
    if (treeSize === 0 || treeSize === this.latest?.treeSize) return undefined
    const rootHash = await this.log.root(treeSize)
    const note = signCheckpoint(
      { origin: this.origin, treeSize, rootHash },
      { name: this.origin, secretKey: this.opts.nodeKey.secretKey },
    )
    const cp: StoredCheckpoint = {
      origin: this.origin,
      treeSize,
      rootHash: toHex(rootHash),
      note,
      signer: toBase58(this.opts.nodeKey.publicKey),
      cutAt: Date.now(),
    }
    await this.checkpoints.put(seqKey(treeSize), enc.encode(JSON.stringify(cp)))
    this.latest = cp
    for (const l of this.checkpointListeners) {
      try {
        l(cp)
      } catch (e) {
        this.opts.logger.error({ err: e }, 'checkpoint listener failed')
      }
    }
    return cp
  }

  /** The latest checkpoint; throws UnknownCheckpoint when none was cut yet. */
  latestCheckpoint(): StoredCheckpoint {
    if (!this.latest) throw new UnknownCheckpoint('no checkpoint has been cut yet')
    return this.latest
  }

  /** The checkpoint of exactly `treeSize` (a synchronous LevelDB read). */
  async checkpoint(treeSize: number): Promise<StoredCheckpoint> {
    return this.checkpointSync(treeSize)
  }

  /** The checkpoint of exactly `treeSize`, read synchronously. */
  checkpointSync(treeSize: number): StoredCheckpoint {
    const v = this.checkpoints.getSync(seqKey(treeSize))
    if (!v) throw new UnknownCheckpoint(`no checkpoint of tree size ${treeSize}`, { details: { treeSize } })
    return JSON.parse(dec.decode(v))
  }

  /** Checkpoints whose tree size is at least `minTreeSize`, ascending. */
  async *checkpointsFrom(minTreeSize: number): AsyncGenerator<StoredCheckpoint> {
    for await (const [, v] of this.checkpoints.iterator({ gte: seqKey(minTreeSize) }))
      yield JSON.parse(dec.decode(v))
  }

  /** Whether `leafHash` at `index` matches the log (a cheap integrity check for proof assembly). */
  async hasLeaf(index: number, leafHash: Uint8Array): Promise<boolean> {
    if (index >= this.log.size) return false
    return bytesEqual(await this.log.leafHashAt(index), leafHash)
  }

  /** Stops the timer, flushes pending appends and cuts a last checkpoint. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    while (this.appending || this.queue.length > 0) await new Promise((r) => setTimeout(r, 1))
    await this.cutting
    await this.log.close()
  }
}
