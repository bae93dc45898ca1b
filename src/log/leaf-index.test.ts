import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '../../test/helpers/child-process.ts'
import { defer } from '../../test/helpers/defer.ts'
import { openStore, type Section, type Store, section } from '../store/store.ts'
import { LeafIndex } from './leaf-index.ts'

const h = (i: number) => new Uint8Array(createHash('sha256').update(`leaf ${i}`).digest())
/** Leaf hashes for indexes [from, to), where index i has the hash of `leafOf(i)`. */
const hashesFor = (from: number, to: number, leafOf: (i: number) => number = (i) => i) => {
  const out = new Uint8Array(32 * (to - from))
  for (let i = from; i < to; i++) out.set(h(leafOf(i)), 32 * (i - from))
  return out
}

let dir: string
let store: Store
let n = 0
const fresh = (): Section => section(store, `idx${n++}`)
const small = { memEntries: 8, pageEntries: 4, fanIn: 2 }

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mero-leaf-index-'))
  store = await openStore(join(dir, 'db'))
})
after(async () => {
  await store.close()
  await rm(dir, { recursive: true, force: true })
})

async function runKeys(s: Section): Promise<string[]> {
  const keys: string[] = []
  for await (const k of s.keys({ gte: 'x/r/', lt: 'x/r0' })) keys.push(k)
  return keys
}

describe('LeafIndex', () => {
  it('finds every leaf from memory, from runs and after merges, and nothing else', async () => {
    const s = fresh()
    const index = await LeafIndex.open(s, small)
    const total = 300
    for (let at = 0; at < total; ) {
      const k = Math.min(total - at, 1 + (at % 17))
      index.add(at, hashesFor(at, at + k))
      at += k
      for (const i of [0, at - 1, Math.floor(at / 2)])
        assert.equal(index.lookup(h(i)), i, `after ${at}: ${i}`)
    }
    await index.close()
    const runs = await runKeys(s)
    assert.ok(runs.length > 0 && runs.length < 20, `runs were merged (${runs.length} left)`)
    const again = await LeafIndex.open(s, small)
    assert.equal(again.covered, total)
    for (let i = 0; i < total; i++) assert.equal(again.lookup(h(i)), i)
    for (let i = total; i < total + 50; i++) assert.equal(again.lookup(h(i)), undefined)
    await again.close()
  })

  it('maps a repeated hash to its smallest index, within a table and across runs', async () => {
    const s = fresh()
    const index = await LeafIndex.open(s, small)
    // Leaf i has the hash of leaf i % 10: every hash appears many times.
    index.add(
      0,
      hashesFor(0, 200, (i) => i % 10),
    )
    for (let k = 0; k < 10; k++) assert.equal(index.lookup(h(k)), k)
    await index.close()
    const again = await LeafIndex.open(s, small)
    for (let k = 0; k < 10; k++) assert.equal(again.lookup(h(k)), k)
    await again.close()
  })

  it('orders hashes sharing a 32-bit prefix by the full hash', async () => {
    const s = fresh()
    const index = await LeafIndex.open(s, { memEntries: 64, pageEntries: 4, fanIn: 2 })
    const same = (i: number) => {
      const x = h(i)
      x.set([1, 2, 3, 4])
      return x
    }
    const all = new Uint8Array(32 * 100)
    for (let i = 0; i < 100; i++) all.set(i % 3 === 0 ? same(i) : h(i), 32 * i)
    index.add(0, all)
    await index.close()
    const again = await LeafIndex.open(s)
    for (let i = 0; i < 100; i++) assert.equal(again.lookup(i % 3 === 0 ? same(i) : h(i)), i)
    await again.close()
  })

  it('refuses an add out of step, and drops pages a crash left without a run', async () => {
    const s = fresh()
    const index = await LeafIndex.open(s, small)
    index.add(0, hashesFor(0, 20))
    assert.throws(() => index.add(25, hashesFor(25, 26)))
    await index.close()
    await s.put('x/p/00000000000000009999/00000000000000000000', new Uint8Array(40))
    const again = await LeafIndex.open(s, small)
    assert.equal(await s.get('x/p/00000000000000009999/00000000000000000000'), undefined)
    for (let i = 0; i < 20; i++) assert.equal(again.lookup(h(i)), i)
    await again.close()
  })

  it('covers only what reached a run when it was not closed (the log re-adds the rest)', async (t) => {
    const s = fresh()
    const index = await LeafIndex.open(s, small)
    // Closed only when the test ends (the section is not used afterwards), so its background writes
    // have finished before the store closes.
    defer(t, () => index.close())
    index.add(0, hashesFor(0, 20))
    // Let the two full tables be written (after the quiet period) and merged into one run of 16.
    await waitFor(
      'the full tables to be written and merged',
      async () => {
        const indexed = await s.get('m/indexed')
        if (!indexed) return false
        const covered = Number(new DataView(indexed.buffer, indexed.byteOffset, 8).getBigUint64(0))
        return covered === 16 && (await runKeys(s)).length === 1
      },
      { timeoutMs: 20_000, intervalMs: 10 },
    )
    const reopened = await LeafIndex.open(s, small) // as after a crash: the last partial table was in memory only
    defer(t, () => reopened.close())
    assert.equal(reopened.covered, 16)
    reopened.add(16, hashesFor(16, 20))
    for (let i = 0; i < 20; i++) assert.equal(reopened.lookup(h(i)), i)
    await reopened.close()
  })
})
