import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { defer } from '../../test/helpers/defer.ts'
import { createMemoryChain } from '../chain/memory-chain-adapter.ts'
import { toHex } from '../core/bytes.ts'
import { sha256 } from '../core/hash.ts'
import { silentLogger } from '../core/logger.ts'
import { createEmbeddedJobQueue } from '../jobs/embedded-job-queue.ts'
import { openStore, section } from '../store/store.ts'
import { anchorQueueName, createAnchorJobHandler } from './anchor-job.ts'
import { AnchorScheduler, RESUME_BACKFILL_MAX } from './anchor-scheduler.ts'

const root = (i: number) => toHex(sha256(new Uint8Array([i])))
const until = async (f: () => Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** `f` run at most once: later calls share the first call's promise (the test closes, then the cleanup again). */
const once = (f: () => Promise<void>) => {
  let done: Promise<void> | undefined
  return () => {
    done ??= f()
    return done
  }
}

async function setup(t: import('node:test').TestContext, anchorEveryMs = 0) {
  const dir = await mkdtemp(join(tmpdir(), 'mero-sched-'))
  defer(t, () => rm(dir, { recursive: true, force: true })) // first registered: runs after every close
  const chain = createMemoryChain()
  const adapter = chain.adapter()
  await adapter.registerNode(new Uint8Array(32).fill(1), 'node')
  /** `ackDelayMs`: every write lands at once but is acknowledged that much later (a busy machine). */
  const open = async ({ ackDelayMs = 0 } = {}) => {
    const store = await openStore(join(dir, 'db'))
    if (ackDelayMs > 0) {
      const sublevel = store.sublevel.bind(store)
      store.sublevel = ((name: string, o: object) => {
        const sub = sublevel(name, o)
        const put = sub.put.bind(sub)
        sub.put = (async (...a: Parameters<typeof put>) => {
          await put(...a)
          await new Promise((r) => setTimeout(r, ackDelayMs))
        }) as typeof sub.put
        return sub
      }) as typeof store.sublevel
    }
    const closeStore = once(() => store.close())
    defer(t, closeStore)
    const jobs = createEmbeddedJobQueue({ section: section(store, 'jobs') })
    const closeJobs = once(() => jobs.close())
    defer(t, closeJobs)
    const scheduler = await AnchorScheduler.open({
      store,
      jobs,
      logId: sha256(new Uint8Array([9])),
      logger: silentLogger(),
      readers: new Map([[chain.chainId, adapter]]),
      reconcileMs: 0,
      backoffMs: 10,
      chains: [{ chainId: chain.chainId, contract: chain.contract, anchorEveryMs }],
    })
    const closeScheduler = once(() => scheduler.close())
    defer(t, closeScheduler)
    const worker = jobs.process(
      anchorQueueName(chain.chainId),
      createAnchorJobHandler(new Map([[chain.chainId, adapter]]), { pollMs: 5 }),
    )
    const closeWorker = once(() => worker.close())
    defer(t, closeWorker)
    return {
      scheduler,
      close: async () => {
        await closeWorker()
        await closeScheduler()
        await closeJobs()
        await closeStore()
      },
    }
  }
  return { chain, adapter, open }
}

test('every checkpoint goes queued → final on chain, once', async (t) => {
  const { chain, open } = await setup(t)
  const s = await open()
  await s.scheduler.onCheckpoint({ treeSize: 1, rootHash: root(1) })
  await s.scheduler.onCheckpoint({ treeSize: 1, rootHash: root(1) }) // again: no second anchor
  await until(async () => (await s.scheduler.get(chain.chainId, root(1)))?.state === 'final')
  const rec = (await s.scheduler.get(chain.chainId, root(1)))!
  assert.equal(rec.treeSize, 1)
  assert.ok(rec.tx && rec.height !== undefined)
  assert.equal(chain.transactionCount('mem:owner'), 2) // registerNode + one anchor
  assert.deepEqual((await s.scheduler.counts())[chain.chainId]?.final, 1)
  await s.close()
})

test('cadence: within anchorEveryMs only the latest checkpoint is anchored, when due', async (t) => {
  const { chain, open } = await setup(t, 300)
  const s = await open()
  const t0 = Date.now()
  await s.scheduler.onCheckpoint({ treeSize: 1, rootHash: root(1) }, t0)
  await s.scheduler.onCheckpoint({ treeSize: 2, rootHash: root(2) }, t0 + 10)
  await s.scheduler.onCheckpoint({ treeSize: 3, rootHash: root(3) }, t0 + 20)
  await until(async () => (await s.scheduler.get(chain.chainId, root(3)))?.state === 'final')
  assert.equal(await s.scheduler.get(chain.chainId, root(2)), undefined, 'the middle checkpoint is skipped')
  assert.equal((await s.scheduler.get(chain.chainId, root(1)))?.state, 'final')
  const sizes = []
  for (const size of s.scheduler.anchoredSizesFrom(0)) sizes.push(size)
  assert.deepEqual(sizes, [1, 3])
  await s.close()
})

test('an anchor queued before a restart completes after it, without a second transaction', async (t) => {
  const { chain, open } = await setup(t)
  chain.failNext(1000) // chain down: the job keeps retrying
  let s = await open()
  await s.scheduler.onCheckpoint({ treeSize: 5, rootHash: root(5) })
  await until(async () => (await s.scheduler.get(chain.chainId, root(5)))?.lastError !== undefined)
  await s.close()
  chain.failNext(0)
  s = await open()
  await until(async () => (await s.scheduler.get(chain.chainId, root(5)))?.state === 'final')
  assert.equal(chain.transactionCount('mem:owner'), 2)
  await s.close()
})

test('a reorg after inclusion moves the anchor back and it is anchored again', async (t) => {
  const { chain, open } = await setup(t)
  const s = await open()
  await s.scheduler.onCheckpoint({ treeSize: 7, rootHash: root(7) })
  await until(async () => (await s.scheduler.get(chain.chainId, root(7)))?.state === 'final')
  chain.reorg(1)
  assert.equal(await s.scheduler.reconcile(), 1)
  await until(async () => (await s.scheduler.get(chain.chainId, root(7)))?.state === 'final')
  assert.ok(await chain.adapter({ account: null }).anchorOf(Buffer.from(root(7).slice(2), 'hex')))
  await s.close()
})

test('reconciliations never overlap: two at once re-queue a reorged anchor once', async (t) => {
  const { chain, open } = await setup(t)
  const s = await open()
  await s.scheduler.onCheckpoint({ treeSize: 9, rootHash: root(9) })
  await until(async () => (await s.scheduler.get(chain.chainId, root(9)))?.state === 'final')
  chain.reorg(1)
  const moved = await Promise.all([s.scheduler.reconcile(), s.scheduler.reconcile(), s.scheduler.reconcile()])
  assert.deepEqual(moved, [1, 0, 0], 'the first run re-queued it; the runs after it found it queued')
  await until(async () => (await s.scheduler.get(chain.chainId, root(9)))?.state === 'final')
  assert.equal(chain.transactionCount('mem:owner'), 2, 'anchored once more, not once per reconciliation')
  await s.close()
})

test('reconcile and counts include a state change written but not yet acknowledged', async (t) => {
  const { chain, open } = await setup(t)
  const s = await open({ ackDelayMs: 300 })
  await s.scheduler.onCheckpoint({ treeSize: 11, rootHash: root(11) })
  await until(async () => (await s.scheduler.get(chain.chainId, root(11)))?.state === 'final') // stored, not acked
  assert.equal((await s.scheduler.counts())[chain.chainId]?.final, 1)
  chain.reorg(1)
  assert.equal(
    await s.scheduler.reconcile(),
    1,
    'the reorged anchor is found although its write was still in flight',
  )
  await until(async () => (await s.scheduler.get(chain.chainId, root(11)))?.state === 'final')
  await s.close()
})

/** Checkpoints of tree sizes 1..`n`, as the log lists them. */
const checkpoints = (n: number) => (min: number) =>
  (async function* () {
    for (let i = Math.max(min, 1); i <= n; i++) yield { treeSize: i, rootHash: root(i) }
  })()

test('resume: every checkpoint cut after the last recorded one is anchored (a crash lost their records)', async (t) => {
  const { chain, open } = await setup(t)
  let s = await open()
  await s.scheduler.onCheckpoint({ treeSize: 1, rootHash: root(1) })
  await until(async () => (await s.scheduler.get(chain.chainId, root(1)))?.state === 'final')
  await s.close()
  s = await open() // checkpoints 2..4 were cut, then kill -9 before any was recorded
  await s.scheduler.resume({ treeSize: 4, rootHash: root(4) }, checkpoints(4))
  for (const i of [2, 3, 4])
    await until(async () => (await s.scheduler.get(chain.chainId, root(i)))?.state === 'final')
  assert.equal(chain.transactionCount('mem:owner'), 5, 'registerNode + one anchor for each of 1..4')
  await s.scheduler.resume({ treeSize: 4, rootHash: root(4) }, checkpoints(4)) // again: nothing new
  assert.equal((await s.scheduler.counts())[chain.chainId]?.queued ?? 0, 0)
  assert.equal(chain.transactionCount('mem:owner'), 5)
  await s.close()
})

test('resume on a chain with a cadence anchors only the latest checkpoint', async (t) => {
  const { chain, open } = await setup(t, 300)
  let s = await open()
  await s.scheduler.onCheckpoint({ treeSize: 1, rootHash: root(1) })
  await until(async () => (await s.scheduler.get(chain.chainId, root(1)))?.state === 'final')
  await s.close()
  s = await open()
  await s.scheduler.resume({ treeSize: 4, rootHash: root(4) }, checkpoints(4))
  assert.equal(await s.scheduler.get(chain.chainId, root(2)), undefined)
  assert.equal(await s.scheduler.get(chain.chainId, root(3)), undefined)
  await until(async () => (await s.scheduler.get(chain.chainId, root(4)))?.state === 'final')
  await s.close()
})

test('resume anchors at most the newest RESUME_BACKFILL_MAX unrecorded checkpoints (a long gap is no crash)', async (t) => {
  const { chain, open } = await setup(t)
  let s = await open()
  await s.scheduler.onCheckpoint({ treeSize: 1, rootHash: root(1) })
  await until(async () => (await s.scheduler.get(chain.chainId, root(1)))?.state === 'final')
  await s.close()
  s = await open()
  const latest = 2 + RESUME_BACKFILL_MAX + 20 // checkpoints 2 … latest − 1 were never recorded
  await s.scheduler.resume({ treeSize: latest, rootHash: root(latest) }, checkpoints(latest))
  const firstKept = latest - RESUME_BACKFILL_MAX
  for (let i = 2; i < firstKept; i++)
    assert.equal(await s.scheduler.get(chain.chainId, root(i)), undefined, `${i}`)
  for (let i = firstKept; i <= latest; i++)
    await until(async () => (await s.scheduler.get(chain.chainId, root(i)))?.state === 'final')
  assert.equal(chain.transactionCount('mem:owner'), 2 + RESUME_BACKFILL_MAX + 1)
  await s.close()
})
