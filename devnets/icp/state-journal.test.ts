// Canister state on disk over many updates: changed pages journaled (no whole-heap rewrite per
// anchor), restored exactly after a restart, a torn journal tail or a stale journal never applied.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { IDL } from '@dfinity/candid'
import { Principal } from '@dfinity/principal'
import { anchorCanisterWasm, anchorInitArg } from '../../contracts/icp/anchor-canister.ts'
import { createCanister } from './canister-executor.ts'
import { openDevnetStore } from './devnet-store.ts'
import { decodeBase, PAGE_BYTES, replayJournal, type StateImage, saveImage } from './state-journal.ts'

const OWNER = new Uint8Array(29).fill(1)
const ID = Principal.fromText('rwlgt-iiaaa-aaaaa-aaaaa-cai').toUint8Array()
const blob = IDL.Vec(IDL.Nat8)
let clock = BigInt(Date.now()) * 1_000_000n
const opts = () => ({ caller: OWNER, time: clock++ })

describe('ICP canister state journal', () => {
  const dirs: string[] = []
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'mero-icp-journal-'))
    dirs.push(d)
    return d
  }
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('an anchor writes the pages it changed, not the whole heap; a restart restores every anchor', async () => {
    const d = dir()
    const store = openDevnetStore(d)
    const c = createCanister(ID, [OWNER])
    assert.equal(c.install('install', anchorCanisterWasm(), await anchorInitArg(), opts()).kind, 'reply')
    store.saveModule(anchorCanisterWasm())
    const reg = [randomBytes(32), Principal.fromUint8Array(OWNER), 'journal']
    c.update('register_node', new Uint8Array(IDL.encode([blob, IDL.Principal, IDL.Text], reg)), opts())
    store.saveCanister(c)
    const base = join(d, 'canisters', `${Buffer.from(ID).toString('hex')}.state`)
    const heapBytes = c.serialize().heap.length
    let inode = statSync(base).ino
    let rewrites = 0 // whole-heap writes of the base file (a new inode each: temp file + rename)
    const roots: Buffer[] = []
    const N = 40
    for (let i = 1; i <= N; i++) {
      const root = randomBytes(32)
      roots.push(root)
      const arg = IDL.encode([blob, IDL.Nat64, blob], [randomBytes(32), BigInt(i), root])
      assert.equal(c.update('anchor', new Uint8Array(arg), opts()).kind, 'reply')
      store.saveCanister(c)
      if (statSync(base).ino !== inode) rewrites++
      inode = statSync(base).ino
    }
    const journal = statSync(base.replace(/\.state$/, '.journal'), { throwIfNoEntry: false })?.size ?? 0
    const written = rewrites * heapBytes + journal
    // Before: the whole heap (~4 MiB) rewritten per anchor. Now: a few 64 KiB pages per anchor.
    assert.ok(rewrites <= N / 8, `${rewrites} whole-heap rewrites for ${N} anchors`)
    assert.ok(written / N < 8 * PAGE_BYTES, `written ≈ ${(written / N / 1024).toFixed(0)} KiB per anchor`)

    const [back] = openDevnetStore(d).loadCanisters(() => {})
    assert.ok(back)
    assert.deepEqual(back.serialize().heap, c.serialize().heap)
    const count = back.query('anchor_count', new Uint8Array(IDL.encode([], [])), opts())
    assert.equal(count.kind === 'reply' && IDL.decode([IDL.Nat64], count.data)[0], BigInt(N))
    for (const root of roots) {
      const r = back.query('anchor_of', new Uint8Array(IDL.encode([blob], [root])), opts())
      assert.equal(r.kind === 'reply' && r.data.length > 20, true)
    }
  })

  const image = (seq: number, fill: number, pages = 3): StateImage => ({
    header: { seq, tag: `s${seq}` },
    heap: new Uint8Array(pages * PAGE_BYTES).fill(fill),
    stable: new Uint8Array(0),
  })

  it('a torn last record is ignored and cut off: the update before it, and later appends stay readable', () => {
    const d = dir()
    const baseFile = join(d, 'x.state')
    const journal = join(d, 'x.journal')
    let p = saveImage(image(0, 1), undefined, journal, (b) => writeFileSync(baseFile, b))
    const second = image(0, 1)
    second.heap[PAGE_BYTES + 5] = 9
    p = saveImage(second, p, journal, (b) => writeFileSync(baseFile, b))
    const third = { ...second, heap: second.heap.slice() }
    third.heap[5] = 7
    saveImage(third, p, journal, (b) => writeFileSync(baseFile, b))
    const full = replayJournal(decodeBase(readFileSync(baseFile)), journal).image
    assert.equal(full.heap[5], 7)
    truncateSync(journal, statSync(journal).size - 10)
    const torn = replayJournal(decodeBase(readFileSync(baseFile)), journal).image
    assert.equal(torn.heap[5], 1)
    assert.equal(torn.heap[PAGE_BYTES + 5], 9)
    assert.equal(torn.header.seq, 2)
    // The torn tail was cut: an update saved after the restart is read back after the next one.
    const { image: loaded, journalBytes } = replayJournal(decodeBase(readFileSync(baseFile)), journal)
    const after = { ...loaded, heap: loaded.heap.slice() }
    after.heap[7] = 8
    const prev = { seq: 2, heap: loaded.heap, stable: loaded.stable, journalBytes }
    saveImage(after, prev, journal, (b) => writeFileSync(baseFile, b))
    const again = replayJournal(decodeBase(readFileSync(baseFile)), journal).image
    assert.equal(again.header.seq, 3)
    assert.equal(again.heap[7], 8)
  })

  it('a journal left from before a base rewrite (crash before its removal) is not applied', () => {
    const d = dir()
    const baseFile = join(d, 'x.state')
    const journal = join(d, 'x.journal')
    let p = saveImage(image(0, 1), undefined, journal, (b) => writeFileSync(baseFile, b))
    const changed = image(0, 1)
    changed.heap[0] = 2
    p = saveImage(changed, p, journal, (b) => writeFileSync(baseFile, b)) // journaled, seq 2
    copyFileSync(journal, `${journal}.old`)
    // The heap grows: a new base (seq 3) and the journal removed — then "restored" by the crash.
    const grown = image(0, 5, 4)
    p = saveImage(grown, p, journal, (b) => writeFileSync(baseFile, b))
    copyFileSync(`${journal}.old`, journal)
    const back = replayJournal(decodeBase(readFileSync(baseFile)), journal).image
    assert.equal(back.header.seq, 3)
    assert.equal(back.heap.length, 4 * PAGE_BYTES)
    assert.equal(back.heap[0], 5)
    // Later updates append after the stale records and are applied.
    const later = { ...grown, heap: grown.heap.slice() }
    later.heap[0] = 6
    saveImage(later, { ...p, journalBytes: statSync(journal).size }, journal, (b) =>
      writeFileSync(baseFile, b),
    )
    assert.equal(replayJournal(decodeBase(readFileSync(baseFile)), journal).image.heap[0], 6)
  })
})
