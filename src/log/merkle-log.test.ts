import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { toHex } from '../core/bytes.ts'
import { Aborted, InvalidInput, InvalidTreeRange } from '../core/errors.ts'
import {
  consistencyProof,
  inclusionPath,
  leafHash,
  merkleRoot,
  merkleRootOfLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '../core/merkle.ts'
import { openStore, type Section, type Store, section } from '../store/store.ts'
import { MerkleLog } from './merkle-log.ts'

const makeLeaf = (i: number, len = 20 + (i % 13)) => {
  const l = new Uint8Array(len)
  if (len >= 4) {
    new DataView(l.buffer).setUint32(0, i)
    l.fill(i & 0xff, 4)
  }
  return l
}
const hexes = (a: Uint8Array[]) => a.map(toHex)

let dir: string
let store: Store
let n = 0
const fresh = (): Section => section(store, `log${n++}`)

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mero-merkle-log-'))
  store = await openStore(join(dir, 'db'))
})
after(async () => {
  await store.close()
  await rm(dir, { recursive: true, force: true })
})

/** Checks every root, inclusion path and consistency proof of sizes 1..size against the reference. */
async function checkAll(log: MerkleLog, leaves: Uint8Array[]): Promise<void> {
  const hashes = leaves.map(leafHash)
  assert.equal(log.size, leaves.length)
  for (let size = 1; size <= leaves.length; size++) {
    const h = hashes.slice(0, size)
    const root = merkleRootOfLeafHashes(h)
    assert.equal(toHex(await log.root(size)), toHex(root), `root ${size}`)
    for (let i = 0; i < size; i++)
      assert.deepEqual(
        hexes(await log.inclusionProof(i, size)),
        hexes(inclusionPath(h, i)),
        `inclusion ${i}/${size}`,
      )
    for (let m = 0; m <= size; m++)
      assert.deepEqual(
        hexes(await log.consistencyProof(m, size)),
        hexes(consistencyProof(h, m)),
        `consistency ${m}/${size}`,
      )
  }
  for (let i = 0; i < leaves.length; i++) {
    assert.deepEqual(await log.leafAt(i), leaves[i])
    assert.equal(toHex(await log.leafHashAt(i)), toHex(hashes[i] as Uint8Array))
    assert.equal(await log.indexOf(hashes[i] as Uint8Array), i)
  }
}

describe('MerkleLog', () => {
  it('matches the reference for every size 1..70, one leaf per append (tile width 4)', async () => {
    const log = await MerkleLog.open(fresh(), { tileWidth: 4 })
    const leaves = Array.from({ length: 70 }, (_, i) => makeLeaf(i))
    for (let i = 0; i < leaves.length; i++) {
      const r = await log.append([leaves[i] as Uint8Array])
      assert.equal(r.firstIndex, i)
      assert.equal(r.size, i + 1)
      assert.equal(toHex(r.root), toHex(merkleRoot(leaves.slice(0, i + 1))))
    }
    await checkAll(log, leaves)
    await log.close()
  })

  it('matches the reference for every size 1..70 with the default width', async () => {
    const log = await MerkleLog.open(fresh())
    const leaves = Array.from({ length: 70 }, (_, i) => makeLeaf(i))
    let at = 0
    for (const k of [1, 2, 3, 5, 8, 13, 21, 17]) {
      await log.append(leaves.slice(at, at + k))
      at += k
    }
    await checkAll(log, leaves)
    await log.close()
  })

  it('keeps everything across close and reopen, at every size (tile width 2 and 8)', async () => {
    for (const tileWidth of [2, 8]) {
      const s = fresh()
      const leaves = Array.from({ length: 70 }, (_, i) => makeLeaf(i, i === 0 ? 0 : 4 + (i % 7))) // includes an empty leaf
      let at = 0
      let log = await MerkleLog.open(s, { tileWidth })
      for (const k of [3, 0, 1, 9, 16, 7, 2, 32]) {
        await log.append(leaves.slice(at, at + k))
        at += k
        await log.close()
        log = await MerkleLog.open(s)
        assert.equal(log.size, at)
        assert.equal(toHex(await log.root()), toHex(merkleRoot(leaves.slice(0, at))))
      }
      await checkAll(log, leaves)
      await log.close()
      await assert.rejects(MerkleLog.open(s, { tileWidth: 4 }), InvalidInput)
    }
  })

  it('stays equal to the reference over many appends of varying sizes', async () => {
    const s = fresh()
    let log = await MerkleLog.open(s)
    const leaves: Uint8Array[] = []
    let seed = 7
    const rand = (m: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % m
    }
    for (let round = 0; round < 40; round++) {
      const k = rand(5) === 0 ? rand(700) : rand(40)
      const batch = Array.from({ length: k }, (_, i) => makeLeaf(leaves.length + i, 4 + rand(300)))
      const before = leaves.length
      leaves.push(...batch)
      const r = await log.append(batch)
      assert.equal(r.firstIndex, before)
      assert.equal(toHex(r.root), toHex(merkleRoot(leaves)), `round ${round}`)
      if (round % 10 === 9) {
        await log.close()
        log = await MerkleLog.open(s)
      }
    }
    const hashes = leaves.map(leafHash)
    const size = leaves.length
    const root = merkleRootOfLeafHashes(hashes)
    for (let t = 0; t < 200; t++) {
      const second = 1 + rand(size)
      const first = rand(second + 1)
      const index = rand(second)
      const proof = await log.inclusionProof(index, second)
      assert.deepEqual(hexes(proof), hexes(inclusionPath(hashes.slice(0, second), index)))
      assert.ok(verifyInclusion(hashes[index] as Uint8Array, index, second, proof, await log.root(second)))
      const c = await log.consistencyProof(first, size)
      assert.ok(
        verifyConsistency(first, size, merkleRootOfLeafHashes(hashes.slice(0, first)), root, c),
        `consistency ${first}/${size}`,
      )
      assert.deepEqual(await log.leafAt(index), leaves[index])
      assert.equal(await log.indexOf(hashes[index] as Uint8Array), index)
    }
    await log.close()
  })

  it('appends 100k leaves in one call (several chunks), and reopens', async () => {
    const s = fresh()
    const log = await MerkleLog.open(s, { chunkBytes: 1 << 20 })
    await log.append([makeLeaf(-1, 224)])
    const leaves = Array.from({ length: 100_000 }, (_, i) => makeLeaf(i, 224))
    const all = [makeLeaf(-1, 224), ...leaves]
    const t0 = performance.now()
    const r = await log.append(leaves)
    const appendMs = performance.now() - t0
    const t1 = performance.now()
    const want = merkleRoot(all)
    const refMs = performance.now() - t1
    console.log(`# 100k × 224 B: append ${appendMs.toFixed(0)} ms, in-memory root ${refMs.toFixed(0)} ms`)
    assert.equal(r.firstIndex, 1)
    assert.equal(r.size, 100_001)
    assert.equal(toHex(r.root), toHex(want))
    await log.close()
    const again = await MerkleLog.open(s)
    assert.equal(again.size, 100_001)
    assert.equal(toHex(await again.root()), toHex(want))
    const hashes = all.map(leafHash)
    for (const i of [0, 1, 255, 256, 65_535, 65_536, 99_999, 100_000]) {
      assert.deepEqual(await again.leafAt(i), all[i])
      assert.equal(await again.indexOf(hashes[i] as Uint8Array), i)
      assert.ok(
        verifyInclusion(hashes[i] as Uint8Array, i, 100_001, await again.inclusionProof(i, 100_001), want),
      )
    }
    const root70k = merkleRootOfLeafHashes(hashes.slice(0, 70_000))
    assert.equal(toHex(await again.root(70_000)), toHex(root70k))
    assert.ok(
      verifyConsistency(70_000, 100_001, root70k, want, await again.consistencyProof(70_000, 100_001)),
    )
    await again.close()
  })

  it('rebuilds the leaf index on open when it lags behind the log', async () => {
    const s = fresh()
    const leaves = Array.from({ length: 600 }, (_, i) => makeLeaf(i))
    const log = await MerkleLog.open(s)
    await log.append(leaves.slice(0, 300))
    await log.append(leaves.slice(300))
    await log.close()
    // As after a crash between an append and its index write: drop the index entirely.
    await s.clear({ gte: 'x/', lt: 'x0' })
    await s.del('m/indexed')
    const reopened = await MerkleLog.open(s)
    for (const i of [0, 299, 300, 511, 512, 599])
      assert.equal(await reopened.indexOf(leafHash(leaves[i] as Uint8Array)), i)
    assert.equal(await reopened.indexOf(leafHash(makeLeaf(600))), undefined)
    await reopened.close()
  })

  it('leaves no trace of an aborted append, and keeps working', async () => {
    const s = fresh()
    const log = await MerkleLog.open(s, { chunkBytes: 4096, tileWidth: 4 })
    const leaves = Array.from({ length: 37 }, (_, i) => makeLeaf(i))
    await log.append(leaves.slice(0, 5))
    const ac = new AbortController()
    const doomed = log.append(
      Array.from({ length: 5000 }, (_, i) => makeLeaf(1000 + i)),
      { signal: ac.signal },
    )
    setImmediate(() => ac.abort())
    await assert.rejects(doomed, Aborted)
    assert.equal(log.size, 5)
    await assert.rejects(log.append(leaves.slice(5, 6), { signal: AbortSignal.abort() }), Aborted)
    await log.append(leaves.slice(5))
    await checkAll(log, leaves)
    await log.close()
    const again = await MerkleLog.open(s)
    await checkAll(again, leaves)
    await again.close()
  })

  it('answers reads from the committed state while a large append is in flight', async () => {
    const log = await MerkleLog.open(fresh(), { chunkBytes: 64 * 1024 })
    const leaves = Array.from({ length: 1000 }, (_, i) => makeLeaf(i))
    await log.append(leaves)
    const root = await log.root()
    const big = log.append(Array.from({ length: 20_000 }, (_, i) => makeLeaf(5000 + i, 200)))
    await new Promise((r) => setImmediate(r))
    assert.equal(log.size, 1000)
    assert.equal(toHex(await log.root()), toHex(root))
    assert.deepEqual(await log.leafAt(999), leaves[999])
    const hashes = leaves.map(leafHash)
    assert.deepEqual(hexes(await log.inclusionProof(777, 1000)), hexes(inclusionPath(hashes, 777)))
    await big
    assert.equal(log.size, 21_000)
    await log.close()
  })

  it('runs concurrent appends one at a time in call order', async () => {
    const log = await MerkleLog.open(fresh())
    const leaves = Array.from({ length: 50 }, (_, i) => makeLeaf(i))
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, k) => log.append(leaves.slice(5 * k, 5 * k + 5))),
    )
    assert.deepEqual(
      results.map((r) => r.firstIndex),
      [0, 5, 10, 15, 20, 25, 30, 35, 40, 45],
    )
    assert.equal(toHex(await log.root()), toHex(merkleRoot(leaves)))
    await log.close()
  })

  it('maps a leaf appended twice to its first index, before and after reopening', async () => {
    const s = fresh()
    const log = await MerkleLog.open(s)
    const leaf = makeLeaf(42)
    await log.append([makeLeaf(0), leaf])
    await log.append([makeLeaf(1), leaf, leaf])
    assert.equal(await log.indexOf(leafHash(leaf)), 1)
    await log.close()
    const again = await MerkleLog.open(s)
    assert.equal(await again.indexOf(leafHash(leaf)), 1)
    assert.equal(await again.indexOf(leafHash(makeLeaf(1))), 2)
    await again.close()
  })

  it('rejects bad input and out-of-range requests', async () => {
    const log = await MerkleLog.open(fresh())
    assert.equal(
      toHex(await log.root()),
      '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    await assert.rejects(log.leafAt(0), InvalidTreeRange)
    await log.append([makeLeaf(0), makeLeaf(1), makeLeaf(2)])
    await assert.rejects(log.append(['x' as never]), InvalidInput)
    await assert.rejects(log.append([new Uint8Array(65_536)]), InvalidInput)
    await assert.rejects(log.root(4), InvalidTreeRange)
    await assert.rejects(log.leafAt(3), InvalidTreeRange)
    await assert.rejects(log.leafAt(-1), InvalidTreeRange)
    await assert.rejects(log.leafHashAt(1.5), InvalidTreeRange)
    await assert.rejects(log.inclusionProof(3, 3), InvalidTreeRange)
    await assert.rejects(log.inclusionProof(0, 4), InvalidTreeRange)
    await assert.rejects(log.consistencyProof(3, 2), InvalidTreeRange)
    await assert.rejects(log.consistencyProof(1, 4), InvalidTreeRange)
    await assert.rejects(log.indexOf(new Uint8Array(31)), InvalidInput)
    assert.deepEqual(await log.consistencyProof(0, 3), [])
    assert.deepEqual(await log.consistencyProof(3, 3), [])
    assert.equal(log.size, 3)
    await log.close()
  })
})
