/**
 * The anchoring job: drives one (checkpoint root, chain) from "queued" to "final" through a
 * {@link ChainAdapter}. It runs wherever the queue's workers run — in the node, or in a separate
 * `merod worker` process on bullmq — so it touches nothing but the adapter; the scheduler learns
 * the outcome from job events. Job data holds ids and hashes only, never a secret.
 */
import type { ChainAdapter } from '../chain/chain-adapter.ts'
import { fromHex } from '../core/bytes.ts'
import { ChainRejected, PermanentJobFailure, UnknownChain } from '../core/errors.ts'
import type { Job, JobHandler } from '../jobs/job-queue.ts'

/** Data of an anchor job. */
export interface AnchorJobData extends Record<string, unknown> {
  chainId: string
  logId: string
  treeSize: number
  root: string
}

/** Result of an anchor job (also the shape of its progress reports). */
export interface AnchorJobResult extends Record<string, unknown> {
  state: 'submitted' | 'included' | 'final'
  tx?: string
  height?: number
  confirmations?: number
}

/** Queue name for a chain's anchor jobs (one queue per chain). */
export function anchorQueueName(chainId: string): string {
  return `anchor-${chainId.replace(/[^a-zA-Z0-9_-]/g, '_')}`
}

/** Deterministic job id of anchoring `root` on `chainId` (DESIGN §11). */
export function anchorJobId(chainId: string, rootHex: string): string {
  return `anchor:${chainId}:${rootHex}`
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })

/** Options of {@link createAnchorJobHandler}. */
export interface AnchorJobOptions {
  /** Poll interval while waiting for inclusion/finality, ms. */
  pollMs?: number
  /** Give up waiting (and retry the job later) after this long, ms. */
  waitLimitMs?: number
  /** Resubmit when a submitted tx has been missing for this many polls (dropped or reorged out). */
  missingPolls?: number
}

/**
 * The handler for anchor jobs of the given adapters.
 *
 * @example
 * jobs.process(anchorQueueName(adapter.chainId), createAnchorJobHandler(new Map([[adapter.chainId, adapter]])))
 */
export function createAnchorJobHandler(
  adapters: ReadonlyMap<string, ChainAdapter>,
  options: AnchorJobOptions = {},
): JobHandler<AnchorJobData, AnchorJobResult> {
  const pollMs = options.pollMs ?? 200
  const waitLimitMs = options.waitLimitMs ?? 120_000
  const missingPolls = options.missingPolls ?? 10
  return async (job: Job<AnchorJobData>) => {
    const { chainId, treeSize } = job.data
    const adapter = adapters.get(chainId)
    if (!adapter)
      throw new PermanentJobFailure(`no adapter for ${chainId}`, { cause: new UnknownChain(chainId) })
    const root = fromHex(job.data.root, 32, 'root')
    const logId = fromHex(job.data.logId, 32, 'logId')
    const signal = job.signal
    let tx: string | undefined
    let reported: string | undefined
    let missing = 0
    const deadline = Date.now() + waitLimitMs

    const submit = async () => {
      try {
        const r = await adapter.submitAnchor({ logId, treeSize, root }, { signal })
        if (r.kind === 'submitted') {
          tx = r.tx
          await job.progress({ state: 'submitted', tx } satisfies AnchorJobResult)
          reported = 'submitted'
        }
      } catch (e) {
        if (e instanceof ChainRejected && (await adapter.anchorOf(root, { signal }))) return // someone anchored it first
        if (e instanceof ChainRejected)
          throw new PermanentJobFailure(`chain rejected the anchor: ${e.message}`, {
            cause: e,
            details: e.details,
          })
        throw e
      }
    }

    let status = await adapter.anchorStatus(root, undefined, { signal })
    if (status.state === 'missing') await submit()
    for (;;) {
      status = await adapter.anchorStatus(root, tx, { signal })
      switch (status.state) {
        case 'final':
          return {
            state: 'final',
            tx: status.tx ?? tx,
            height: status.height,
            confirmations: status.confirmations,
          }
        case 'included':
          missing = 0
          if (reported !== 'included') {
            await job.progress({
              state: 'included',
              tx: status.tx ?? tx,
              height: status.height,
              confirmations: status.confirmations,
            })
            reported = 'included'
          }
          break
        case 'reverted':
          if (await adapter.anchorOf(root, { signal })) break
          throw new PermanentJobFailure(`anchor transaction reverted: ${status.reason}`, {
            details: { tx: status.tx, reason: status.reason },
          })
        case 'missing':
          if (++missing >= missingPolls || reported === 'included') {
            missing = 0
            tx = undefined
            reported = undefined
            await submit()
          }
          break
        case 'pending':
          break
      }
      if (Date.now() > deadline)
        throw new Error(`anchor of ${job.data.root} on ${chainId} not final after ${waitLimitMs} ms`)
      await sleep(pollMs, signal)
    }
  }
}
