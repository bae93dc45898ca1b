import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { waitFor } from '../../test/helpers/child-process.ts'
import { defer } from '../../test/helpers/defer.ts'
import { signLeaf } from '../attest/leaf.ts'
import { bytesEqual } from '../core/bytes.ts'
import { generateKeyPair } from '../core/ed25519.ts'
import { silentLogger } from '../core/logger.ts'
import { verifyConsistency, verifyInclusion } from '../core/merkle.ts'
import { openStore } from '../store/store.ts'
import { verifyCheckpoint } from './checkpoint.ts'
import { LogService } from './log-service.ts'

const nodeKey = generateKeyPair()
const attester = generateKeyPair()
const stranger = generateKeyPair()
const leaf = (i: number, key = attester) =>
  signLeaf(
    {
      kind: 'heads',
      contextId: new Uint8Array(32).fill(7),
      payloadRoot: new Uint8Array(32).fill(i & 0xff),
      stateRoot: new Uint8Array(32).fill(2),
      revision: 1,
      attester: key.publicKey,
      issuedAt: 1_700_000_000_000 + i,
    },
    key.secretKey,
  )

async function open(
  t: import('node:test').TestContext,
  opts: { intervalMs?: number; maxLeaves?: number } = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'mero-logsvc-'))
  defer(t, () => rm(dir, { recursive: true, force: true }))
  const store = await openStore(dir)
  defer(t, () => store.close())
  const log = await LogService.open({
    store,
    nodeKey,
    origin: 'test.example/log',
    intervalMs: opts.intervalMs ?? 60_000,
    maxLeaves: opts.maxLeaves ?? 10_000,
    logger: silentLogger(),
    authorize: (f) => !bytesEqual(f.attester, stranger.publicKey),
  })
  defer(t, () => log.close())
  return log
}

test('ingest appends, dedupes, and concurrent ingests share group commits', async (t) => {
  const log = await open(t)
  const first = await log.ingest([leaf(1), leaf(2), leaf(1)])
  assert.deepEqual(
    first.map((r) => r.index),
    [0, 1, 0],
  )
  const again = await log.ingest([leaf(2)])
  assert.equal(again[0]!.index, 1, 'a leaf already in the log is not appended twice')
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => log.ingest([leaf(100 + i)])))
  assert.deepEqual(
    many.map((r) => r[0]!.index).sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => 2 + i),
  )
  assert.equal(log.size, 52)
})

test('bad leaves are rejected whole, with a named reason, and nothing is written', async (t) => {
  const log = await open(t)
  await log.ingest([leaf(1)])
  const tampered = leaf(2)
  tampered[40] = tampered[40]! ^ 1
  await assert.rejects(
    log.ingest([leaf(3), tampered]),
    (e: Error & { details: { check: string } }) =>
      e.name === 'InvalidLeaf' && e.details.check === 'signature',
  )
  await assert.rejects(
    log.ingest([leaf(4, stranger)]),
    (e: Error & { details: { check: string } }) => e.name === 'InvalidLeaf' && e.details.check === 'attester',
  )
  await assert.rejects(log.ingest([new Uint8Array(100)]), { name: 'InvalidLeaf' })
  assert.equal(log.size, 1)
})

test('checkpoints: signed C2SP note, cut only when the log grew, consistent with earlier ones', async (t) => {
  const log = await open(t)
  assert.equal(await log.cutCheckpoint(), undefined, 'empty log: nothing to cut')
  const r = await log.ingest([leaf(1), leaf(2), leaf(3)])
  const cp1 = (await log.cutCheckpoint())!
  assert.equal(cp1.treeSize, 3)
  assert.equal(await log.cutCheckpoint(), undefined, 'no growth: no new checkpoint')
  const parsed = verifyCheckpoint(cp1.note, { name: log.origin, publicKey: nodeKey.publicKey })
  assert.equal(parsed.treeSize, 3)
  const path = await log.merkleLog.inclusionProof(1, 3)
  assert.ok(verifyInclusion(r[1]!.leafHash, 1, 3, path, parsed.rootHash))
  await log.ingest([leaf(4), leaf(5)])
  const cp2 = (await log.cutCheckpoint())!
  const proof = await log.merkleLog.consistencyProof(3, 5)
  const root2 = verifyCheckpoint(cp2.note, { name: log.origin, publicKey: nodeKey.publicKey }).rootHash
  assert.ok(verifyConsistency(3, 5, parsed.rootHash, root2, proof))
  assert.equal((await log.checkpoint(3)).rootHash, cp1.rootHash)
  assert.equal(log.latestCheckpoint().treeSize, 5)
  await assert.rejects(log.checkpoint(4), { name: 'UnknownCheckpoint' })
})

test('the timer cuts a checkpoint every interval; maxLeaves cuts at once', async (t) => {
  const timed = await open(t, { intervalMs: 30 })
  const seen: number[] = []
  timed.onCheckpoint((cp) => seen.push(cp.treeSize))
  await timed.ingest([leaf(1)])
  await waitFor('the timer to cut a checkpoint', () => seen.length > 0, { timeoutMs: 20_000, intervalMs: 10 })
  // A few more intervals with no growth: the timer must not cut another checkpoint.
  await new Promise((r) => setTimeout(r, 150))
  assert.deepEqual(seen, [1])
  const eager = await open(t, { maxLeaves: 4 })
  const eagerSeen: number[] = []
  eager.onCheckpoint((cp) => eagerSeen.push(cp.treeSize))
  await eager.ingest([leaf(1), leaf(2), leaf(3), leaf(4)])
  // The cut starts with the ingest (not awaited by it); the interval is 60 s, so only maxLeaves can cut it.
  await waitFor('maxLeaves to cut a checkpoint', () => eagerSeen.length > 0, {
    timeoutMs: 20_000,
    intervalMs: 10,
  })
  assert.deepEqual(eagerSeen, [4])
})
