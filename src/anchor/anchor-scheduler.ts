/**
 * The anchor scheduler: decides which checkpoints to anchor on which chain (per-chain cadence),
 * keeps the persisted state machine per (checkpoint, chain) —
 * `queued → submitted(tx) → included(block) → final`, or `failed(reason)`; a reorg moves it back —
 * and hands the chain work to the job queue with deterministic ids, so a root is never anchored
 * twice on one chain. Job outcomes arrive as queue events, wherever the worker ran.
 */

import type { ChainAdapter } from '../chain/chain-adapter.ts'
import { fromHex, toHex } from '../core/bytes.ts'
import type { Logger } from '../core/logger.ts'
import type { JobEvent, JobQueue } from '../jobs/job-queue.ts'
import type { AnchorState, ProofAnchor } from '../proof/proof-types.ts'
import { type Section, type Store, section, seqKey } from '../store/store.ts'
import { type AnchorJobData, type AnchorJobResult, anchorJobId, anchorQueueName } from './anchor-job.ts'

/** A checkpoint to anchor. */
export interface AnchorableCheckpoint {
  treeSize: number
  rootHash: string
}

/** One chain as the scheduler sees it. */
export interface ScheduledChain {
  chainId: string
  contract: string
  /** Anchor at most once per this many ms (0 = every checkpoint). */
  anchorEveryMs: number
}

/** The persisted state of one (checkpoint, chain). */
export interface AnchorRecord {
  chainId: string
  contract: string
  root: string
  treeSize: number
  state: AnchorState
  tx?: string
  height?: number
  confirmations?: number
  reason?: string
  /** Last transient error (RPC down…), kept while retrying. */
  lastError?: string
  attempts: number
  queuedAt: number
  updatedAt: number
}

/** Options of {@link AnchorScheduler.open}. */
export interface AnchorSchedulerOptions {
  store: Store
  jobs: JobQueue
  logId: Uint8Array
  chains: ScheduledChain[]
  logger: Logger
  /** Adapters readable from this process, for reorg reconciliation (optional). */
  readers?: ReadonlyMap<string, ChainAdapter>
  /** How long after finality anchors are re-checked for reorgs, ms (default 10 min). */
  reorgWindowMs?: number
  /** Reconciliation interval, ms (default 5 s; 0 disables the timer). */
  reconcileMs?: number
  /** Attempts per anchor job before it is marked failed (default 10 000: with the 30 s backoff cap a chain may be down for days; permanent rejections fail at once). */
  attempts?: number
  /** Backoff base between attempts, ms (default 500, exponential, capped by the queue). */
  backoffMs?: number
  /** Called on every state change (metrics). */
  onChange?: (record: AnchorRecord, previous: AnchorState | undefined) => void
}

const enc = new TextEncoder()
const dec = new TextDecoder()
const recordKey = (chainId: string, root: string) => `${chainId} ${root}`
const FORWARD: Record<AnchorState, number> = { queued: 0, submitted: 1, included: 2, final: 3, failed: 4 }

/** Most unrecorded checkpoints {@link AnchorScheduler.resume} anchors per chain after a restart. */
export const RESUME_BACKFILL_MAX = 16

/** Schedules and tracks anchors of this node's checkpoints. */
export class AnchorScheduler {
  private readonly records: Section
  private readonly byTreeSize: Section
  private readonly opts: AnchorSchedulerOptions
  private readonly lastQueuedAt = new Map<string, number>()
  /** The largest tree size queued per chain. */
  private readonly lastTreeSize = new Map<string, number>()
  private readonly stateCounts = new Map<string, Record<AnchorState, number>>()
  /** Tree sizes queued for anchoring on any chain, ascending (proof assembly looks them up without I/O). */
  private readonly anchoredSizes: number[] = []
  private readonly deferred = new Map<string, { timer: NodeJS.Timeout; cp: AnchorableCheckpoint }>()
  private readonly unsubscribe: (() => void)[] = []
  /** Included/final anchors still inside the reorg window (reconcile checks these, never the whole store). */
  private readonly recent = new Map<string, AnchorRecord>()
  private reconcileTimer: NodeJS.Timeout | undefined
  /** The reconciliation in progress: runs never overlap, so an anchor is re-queued once. */
  private reconciling: Promise<unknown> = Promise.resolve()
  private writeChain: Promise<unknown> = Promise.resolve()
  private closed = false

  private constructor(opts: AnchorSchedulerOptions) {
    this.opts = opts
    this.records = section(opts.store, 'anchors')
    this.byTreeSize = section(opts.store, 'anchored')
  }

  /** Opens the scheduler, re-queues every unfinished anchor (idempotent), and listens to job events. */
  static async open(opts: AnchorSchedulerOptions): Promise<AnchorScheduler> {
    const s = new AnchorScheduler(opts)
    for (const chain of opts.chains) {
      s.unsubscribe.push(
        opts.jobs.onEvent(anchorQueueName(chain.chainId), (e) => void s.onJobEvent(chain.chainId, e)),
      )
    }
    for await (const k of s.byTreeSize.keys()) {
      const [size, chainId] = k.split(' ') as [string, string]
      s.noteAnchoredSize(Number(size), chainId)
    }
    for await (const [, v] of s.records.iterator()) {
      const r = JSON.parse(dec.decode(v)) as AnchorRecord
      s.count(r.chainId, r.state, 1)
      s.noteRecent(r)
      s.lastQueuedAt.set(r.chainId, Math.max(s.lastQueuedAt.get(r.chainId) ?? 0, r.queuedAt))
      if (r.state !== 'final' && r.state !== 'failed') await s.enqueueJob(r, true)
    }
    const every = opts.reconcileMs ?? 5000
    if (every > 0 && opts.readers && opts.readers.size > 0) {
      const loop = () => {
        s.reconcileTimer = setTimeout(() => {
          void s
            .reconcile()
            .catch((e) => opts.logger.warn({ err: e }, 'anchor reconciliation failed'))
            .finally(() => {
              if (!s.closed) loop()
            })
        }, every)
        s.reconcileTimer.unref?.()
      }
      loop()
    }
    return s
  }

  /**
   * After a (re)start: queues what a crash may have left unscheduled, since an idle node cuts no later
   * checkpoint to cover it. A chain that anchors every checkpoint gets those cut after the last it
   * recorded — at most the newest {@link RESUME_BACKFILL_MAX} (a longer gap is not a crash's: a chain
   * switched to anchoring every checkpoint, say; each would cost a transaction); a chain with no record
   * yet, or with a cadence, only `latest`. `latest` is queued as a new checkpoint (a no-op when recorded).
   */
  async resume(
    latest: AnchorableCheckpoint | undefined,
    checkpointsFrom: (minTreeSize: number) => AsyncIterable<AnchorableCheckpoint>,
  ): Promise<void> {
    if (!latest) return
    for (const chain of this.opts.chains) {
      const last = this.lastTreeSize.get(chain.chainId)
      if (chain.anchorEveryMs !== 0 || last === undefined) continue
      const gap: AnchorableCheckpoint[] = []
      let skipped = 0
      for await (const cp of checkpointsFrom(last + 1)) {
        if (cp.treeSize >= latest.treeSize) break
        gap.push(cp)
        if (gap.length > RESUME_BACKFILL_MAX) {
          gap.shift()
          skipped++
        }
      }
      if (skipped > 0)
        this.opts.logger.warn(
          { chainId: chain.chainId, skipped, fromTreeSize: last + 1 },
          'not anchoring older unrecorded checkpoints (their leaves are covered by later anchors)',
        )
      for (const cp of gap) await this.queue(chain, cp, Date.now())
    }
    await this.onCheckpoint(latest)
  }

  /** Called for each new checkpoint: queues it on every chain whose cadence is due. */
  async onCheckpoint(cp: AnchorableCheckpoint, now = Date.now()): Promise<void> {
    for (const chain of this.opts.chains) {
      const last = this.lastQueuedAt.get(chain.chainId) ?? 0
      const due = chain.anchorEveryMs === 0 || now - last >= chain.anchorEveryMs
      if (due) {
        const d = this.deferred.get(chain.chainId)
        if (d) {
          clearTimeout(d.timer)
          this.deferred.delete(chain.chainId)
        }
        await this.queue(chain, cp, now)
      } else {
        const prev = this.deferred.get(chain.chainId)
        if (prev) {
          prev.cp = cp
        } else {
          const timer = setTimeout(
            () => {
              const d = this.deferred.get(chain.chainId)
              this.deferred.delete(chain.chainId)
              if (d && !this.closed)
                void this.queue(chain, d.cp, Date.now()).catch((e) =>
                  this.opts.logger.error({ err: e }, 'queue anchor failed'),
                )
            },
            chain.anchorEveryMs - (now - last),
          )
          timer.unref?.()
          this.deferred.set(chain.chainId, { timer, cp })
        }
      }
    }
  }

  private async queue(chain: ScheduledChain, cp: AnchorableCheckpoint, now: number): Promise<void> {
    const existing = await this.get(chain.chainId, cp.rootHash)
    if (existing) return
    this.lastQueuedAt.set(chain.chainId, now)
    const r: AnchorRecord = {
      chainId: chain.chainId,
      contract: chain.contract,
      root: cp.rootHash,
      treeSize: cp.treeSize,
      state: 'queued',
      attempts: 0,
      queuedAt: now,
      updatedAt: now,
    }
    await this.opts.store.batch([
      {
        type: 'put',
        sublevel: this.records,
        key: recordKey(chain.chainId, cp.rootHash),
        value: enc.encode(JSON.stringify(r)),
      },
      {
        type: 'put',
        sublevel: this.byTreeSize,
        key: `${seqKey(cp.treeSize)} ${chain.chainId}`,
        value: enc.encode(cp.rootHash),
      },
    ])
    this.noteAnchoredSize(cp.treeSize, chain.chainId)
    this.count(r.chainId, r.state, 1)
    this.opts.onChange?.(r, undefined)
    await this.enqueueJob(r, false)
  }

  private async enqueueJob(r: AnchorRecord, recovering: boolean): Promise<void> {
    const queue = anchorQueueName(r.chainId)
    const id = anchorJobId(r.chainId, r.root)
    // A job that finished but whose outcome was not recorded (crash) runs again: the handler is idempotent.
    if (recovering) await this.opts.jobs.remove(queue, id)
    const data: AnchorJobData = {
      chainId: r.chainId,
      logId: toHex(this.opts.logId),
      treeSize: r.treeSize,
      root: r.root,
    }
    await this.opts.jobs.add(queue, {
      id,
      name: 'anchor',
      data,
      attempts: this.opts.attempts ?? 10_000,
      backoffMs: this.opts.backoffMs ?? 500,
    })
  }

  private async onJobEvent(chainId: string, e: JobEvent): Promise<void> {
    const prefix = `anchor:${chainId}:`
    if (!e.jobId.startsWith(prefix)) return
    const root = e.jobId.slice(prefix.length)
    await this.update(chainId, root, (r) => {
      if (e.type === 'progress' || e.type === 'completed') {
        const v = (e.type === 'progress' ? e.value : e.result) as AnchorJobResult
        if (FORWARD[v.state] < FORWARD[r.state] && e.type === 'progress') return r
        return {
          ...r,
          state: v.state,
          tx: v.tx ?? r.tx,
          height: v.height ?? r.height,
          confirmations: v.confirmations ?? r.confirmations,
          lastError: undefined,
        }
      }
      if (e.final) return { ...r, state: 'failed', reason: e.error, attempts: e.attempt }
      return { ...r, lastError: e.error, attempts: e.attempt }
    })
  }

  private update(chainId: string, root: string, f: (r: AnchorRecord) => AnchorRecord): Promise<void> {
    const next = this.writeChain.then(async () => {
      const r = await this.get(chainId, root)
      if (!r) return
      const n = f(r)
      if (n === r) return
      n.updatedAt = Date.now()
      await this.records.put(recordKey(chainId, root), enc.encode(JSON.stringify(n)))
      this.noteRecent(n)
      if (n.state !== r.state) {
        this.count(r.chainId, r.state, -1)
        this.count(n.chainId, n.state, 1)
        this.opts.onChange?.(n, r.state)
      }
    })
    this.writeChain = next.catch((e) => this.opts.logger.error({ err: e }, 'anchor state update failed'))
    return next
  }

  /**
   * Re-checks recently included/final anchors against the chain; a reorged one goes back to `queued`.
   * Resolves with how many this run re-queued. Runs one at a time (the periodic one and a caller's
   * never check the same anchor at once); a call made during a run starts when that run ends.
   */
  reconcile(now?: number): Promise<number> {
    const run = this.reconciling.then(() => this.reconcileOnce(now ?? Date.now()))
    this.reconciling = run.catch(() => undefined)
    return run
  }

  private async reconcileOnce(now: number): Promise<number> {
    const readers = this.opts.readers
    if (!readers) return 0
    // A state update already under way (its record written, `recent` not yet told) is part of this run.
    await this.writeChain
    const window = this.opts.reorgWindowMs ?? 600_000
    let moved = 0
    const candidates: AnchorRecord[] = []
    for (const [key, r] of this.recent) {
      if (now - r.updatedAt > window) this.recent.delete(key)
      else candidates.push(r)
    }
    for (const r of candidates) {
      const adapter = readers.get(r.chainId)
      if (!adapter) continue
      const status = await adapter.anchorStatus(fromHex(r.root, 32), r.tx)
      if (status.state === 'missing') {
        moved++
        this.opts.logger.warn(
          { chainId: r.chainId, root: r.root },
          'anchor disappeared from chain (reorg): re-queued',
        )
        await this.update(r.chainId, r.root, (x) => ({
          ...x,
          state: 'queued',
          tx: undefined,
          height: undefined,
          confirmations: undefined,
        }))
        await this.opts.jobs.remove(anchorQueueName(r.chainId), anchorJobId(r.chainId, r.root))
        const fresh = await this.get(r.chainId, r.root)
        if (fresh) await this.enqueueJob(fresh, false)
      } else if ((status.state === 'final' || status.state === 'included') && status.state !== r.state) {
        await this.update(r.chainId, r.root, (x) => ({
          ...x,
          state: status.state,
          height: status.height,
          confirmations: status.confirmations,
        }))
      }
    }
    return moved
  }

  private noteRecent(r: AnchorRecord): void {
    const key = recordKey(r.chainId, r.root)
    const window = this.opts.reorgWindowMs ?? 600_000
    if ((r.state === 'final' || r.state === 'included') && Date.now() - r.updatedAt <= window)
      this.recent.set(key, r)
    else this.recent.delete(key)
  }

  /** The record of `root` on `chainId`, if queued (a synchronous LevelDB read). */
  async get(chainId: string, root: string): Promise<AnchorRecord | undefined> {
    return this.recordOf(chainId, root)
  }

  private recordOf(chainId: string, root: string): AnchorRecord | undefined {
    const v = this.records.getSync(recordKey(chainId, root))
    return v ? (JSON.parse(dec.decode(v)) as AnchorRecord) : undefined
  }

  /** Every chain's anchor of `root`, as shown in proofs. */
  anchorsOf(root: string): ProofAnchor[] {
    const out: ProofAnchor[] = []
    for (const chain of this.opts.chains) {
      const r = this.recordOf(chain.chainId, root)
      if (r) out.push(toProofAnchor(r))
    }
    return out
  }

  /** Tree sizes ≥ `minTreeSize` that were queued for anchoring (on any chain), ascending. */
  *anchoredSizesFrom(minTreeSize: number): Generator<number> {
    const a = this.anchoredSizes
    let lo = 0
    let hi = a.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (a[mid]! < minTreeSize) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < a.length; i++) yield a[i]!
  }

  private noteAnchoredSize(size: number, chainId: string): void {
    this.lastTreeSize.set(chainId, Math.max(this.lastTreeSize.get(chainId) ?? 0, size))
    const a = this.anchoredSizes
    if (a.length === 0 || a[a.length - 1]! < size) a.push(size)
    else if (!a.includes(size)) {
      a.push(size)
      a.sort((x, y) => x - y)
    }
  }

  /** Counts of anchors by chain and state (metrics; kept in memory, no scan). */
  async counts(): Promise<Record<string, Record<AnchorState, number>>> {
    await this.writeChain // updates already under way are counted
    const out: Record<string, Record<AnchorState, number>> = {}
    for (const [chainId, m] of this.stateCounts) out[chainId] = { ...m }
    return out
  }

  private count(chainId: string, state: AnchorState, delta: number): void {
    let m = this.stateCounts.get(chainId)
    if (!m) {
      m = { queued: 0, submitted: 0, included: 0, final: 0, failed: 0 }
      this.stateCounts.set(chainId, m)
    }
    m[state] += delta
  }

  /** Stops timers and listeners (pending state updates are flushed). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer)
    for (const d of this.deferred.values()) clearTimeout(d.timer)
    this.deferred.clear()
    for (const u of this.unsubscribe.splice(0)) u()
    await this.writeChain
  }
}

/** The proof view of an anchor record. */
export function toProofAnchor(r: AnchorRecord): ProofAnchor {
  const a: ProofAnchor = { chainId: r.chainId, contract: r.contract, status: r.state }
  if (r.tx) a.tx = r.tx
  if (r.height !== undefined) a.height = r.height
  if (r.confirmations !== undefined) a.confirmations = r.confirmations
  if (r.reason) a.reason = r.reason
  else if (r.lastError) a.reason = r.lastError
  return a
}
