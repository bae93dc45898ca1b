/**
 * The leafHash → leaf index lookup of a {@link MerkleLog}, a small log-structured index inside the log's
 * section. One LevelDB key per leaf (random keys) costs LevelDB far more than the log itself (compactions
 * of every overlapping file), so entries go first to an in-memory table and are then written as sorted
 * runs of large values:
 *
 * - `x/r/<run>`: run meta — count (u64), entries per page (u32), Bloom bytes (u32), the first hash of each
 *   page (the fences), then the Bloom filter (8 bits per entry, 4 probes taken from the hash itself).
 * - `x/p/<run>/<page>`: a page of entries `leafHash(32) ‖ index(u64 BE)`, sorted by hash, then index.
 * - `m/indexed`: how many leaves the runs cover; written with each new run. The leaves after it are
 *   re-added from the log's entry bundles on open (after a crash), so the index is derived data.
 *
 * Runs of a similar size are merged `fanIn` at a time in the background (streaming, page by page), so a
 * lookup checks the in-memory tables and O(log n) runs, most of them skipped by their Bloom filter. A
 * hash present more than once maps to its smallest index. Writing and merging runs waits for a pause in
 * appends (up to {@link MAX_DEFERRED} full tables), so the upkeep does not slow a burst down. In memory:
 * the tables being filled or waiting (≤ 9 × ~5 MiB), and per run its fences and Bloom filter (about
 * 1.1 bytes per leaf).
 */
import { Internal } from '../core/errors.ts'
import type { Section } from '../store/store.ts'
import { seqKey } from '../store/store.ts'

const ENTRY = 40
const INDEXED_KEY = 'm/indexed'
const PROBES = 4
/** Index upkeep (writing and merging runs) waits for this long a pause in appends… */
const QUIET_MS = 50
/** …unless this many full in-memory tables wait to be written (about 5 MiB each). */
const MAX_DEFERRED = 8
/** Entries handled between yields to the event loop while a run is written. */
const STEP = 16_384

/** Tuning of a {@link LeafIndex} (small values exist for tests). */
export interface LeafIndexOptions {
  /** Entries per in-memory table before it is written as a run (default 131,072: 5 MiB). */
  memEntries?: number
  /** Entries per page (default 256). */
  pageEntries?: number
  /** Runs of one size class merged together (default 8). */
  fanIn?: number
}

interface Run {
  id: number
  count: number
  pageEntries: number
  pages: number
  fences: Uint8Array
  bloom: Uint8Array
  level: number
}

interface Batch {
  put(key: string, value: Uint8Array, options: { sublevel: Section }): unknown
  del(key: string, options: { sublevel: Section }): unknown
  write(): Promise<void>
}

const prefix32 = (b: Uint8Array, o: number) =>
  (((b[o] as number) << 24) |
    ((b[o + 1] as number) << 16) |
    ((b[o + 2] as number) << 8) |
    (b[o + 3] as number)) >>>
  0

/** Copies `n` bytes (a hash or an entry: short enough that a loop beats a subarray view). */
function copyBytes(src: Uint8Array, so: number, dst: Uint8Array, d: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[so + i] as number
}

/** Compares the 32-byte hashes at `a[ao]` and `b[bo]`. */
function cmpHash(a: Uint8Array, ao: number, b: Uint8Array, bo: number): number {
  for (let i = 0; i < 32; i++) {
    const d = (a[ao + i] as number) - (b[bo + i] as number)
    if (d !== 0) return d
  }
  return 0
}

function bloomHas(bloom: Uint8Array, h: Uint8Array, ho = 0): boolean {
  const bits = bloom.length * 8
  for (let p = 1; p <= PROBES; p++) {
    const bit = prefix32(h, ho + 4 * p) % bits
    if (((bloom[bit >>> 3] as number) & (1 << (bit & 7))) === 0) return false
  }
  return true
}

function bloomAdd(bloom: Uint8Array, h: Uint8Array, ho: number): void {
  const bits = bloom.length * 8
  for (let p = 1; p <= PROBES; p++) {
    const bit = prefix32(h, ho + 4 * p) % bits
    bloom[bit >>> 3] = (bloom[bit >>> 3] as number) | (1 << (bit & 7))
  }
}

/** Leaves `[first, first + count)` held in memory, with an open-addressing table on the hash prefix. */
class MemTable {
  readonly hashes: Uint8Array
  count = 0
  private readonly slots: Int32Array
  private readonly mask: number

  constructor(
    readonly first: number,
    readonly capacity: number,
  ) {
    this.hashes = new Uint8Array(capacity * 32)
    let size = 2
    while (size < capacity * 2) size *= 2
    this.slots = new Int32Array(size).fill(-1)
    this.mask = size - 1
  }

  /** Adds the hashes `h[from..to)` (32 bytes each; they must fit). */
  addMany(h: Uint8Array, from: number, to: number): void {
    const hashes = this.hashes
    hashes.set(h.subarray(from, to), 32 * this.count)
    for (let e = this.count, end = this.count + (to - from) / 32; e < end; e++) {
      let s = prefix32(hashes, 32 * e) & this.mask
      for (;;) {
        const at = this.slots[s] as number
        if (at < 0) {
          this.slots[s] = e
          break
        }
        if (cmpHash(hashes, 32 * at, hashes, 32 * e) === 0) break // the first occurrence wins
        s = (s + 1) & this.mask
      }
    }
    this.count += (to - from) / 32
  }

  get(h: Uint8Array): number | undefined {
    let s = prefix32(h, 0) & this.mask
    for (;;) {
      const at = this.slots[s] as number
      if (at < 0) return undefined
      if (cmpHash(this.hashes, 32 * at, h, 0) === 0) return this.first + at
      s = (s + 1) & this.mask
    }
  }

  /** Entries `hash ‖ index` sorted by hash, then index (LSD radix sort on the 32-bit hash prefix). */
  sorted(): Uint8Array {
    const n = this.count
    const pre = new Uint32Array(n)
    for (let e = 0; e < n; e++) pre[e] = prefix32(this.hashes, 32 * e)
    let order = new Int32Array(n)
    let tmp = new Int32Array(n)
    for (let e = 0; e < n; e++) order[e] = e
    const counts = new Int32Array(65_537)
    for (const shift of [0, 16]) {
      counts.fill(0)
      for (let i = 0; i < n; i++)
        (counts[(((pre[order[i] as number] as number) >>> shift) & 0xffff) + 1] as number)++
      for (let d = 1; d <= 65_536; d++) counts[d] = (counts[d] as number) + (counts[d - 1] as number)
      for (let i = 0; i < n; i++) {
        const e = order[i] as number
        tmp[(counts[((pre[e] as number) >>> shift) & 0xffff] as number)++] = e
      }
      ;[order, tmp] = [tmp, order]
    }
    // Equal 32-bit prefixes (rare): order those stretches by the full hash (entry order breaks ties).
    for (let s = 0; s < n; ) {
      let t = s + 1
      while (t < n && pre[order[t] as number] === pre[order[s] as number]) t++
      if (t - s > 1) {
        const stretch = Array.from(order.subarray(s, t)).sort(
          (a, b) => cmpHash(this.hashes, 32 * a, this.hashes, 32 * b) || a - b,
        )
        order.set(stretch, s)
      }
      s = t
    }
    const out = new Uint8Array(n * ENTRY)
    const view = new DataView(out.buffer)
    for (let i = 0; i < n; i++) {
      const e = order[i] as number
      const index = this.first + e
      copyBytes(this.hashes, 32 * e, out, ENTRY * i, 32)
      view.setUint32(ENTRY * i + 32, Math.floor(index / 2 ** 32))
      view.setUint32(ENTRY * i + 36, index >>> 0)
    }
    return out
  }
}

/** Streams the entries of a run, page by page; `buf[at]` is the current entry, `pre` its hash prefix. */
class Cursor {
  buf: Uint8Array = new Uint8Array(0)
  at = 0
  pre = 0
  done = false
  private page = -1
  private left: number

  constructor(
    private readonly index: LeafIndex,
    private readonly run: Run,
  ) {
    this.left = run.count + 1
    this.next()
  }

  next(): void {
    this.at += ENTRY
    if (--this.left === 0) {
      this.done = true
      return
    }
    if (this.at >= this.buf.length) {
      this.page++
      this.buf = this.index.readPage(this.run, this.page)
      this.at = 0
    }
    this.pre = prefix32(this.buf, this.at)
  }
}

/** The leafHash → index lookup of a Merkle log (see the module notes). */
export class LeafIndex {
  private runs: Run[] = []
  private nextId = 0
  private mem: MemTable
  private readonly flushing: MemTable[] = []
  private maintenance: Promise<void> = Promise.resolve()
  private failure: unknown
  private lastAdd = 0
  private closing = false
  private readonly memEntries: number
  private readonly pageEntries: number
  private readonly fanIn: number

  private constructor(
    private readonly section: Section,
    covered: number,
    options: LeafIndexOptions,
  ) {
    this.memEntries = Math.min(2 ** 20, Math.max(2, options.memEntries ?? 131_072))
    this.pageEntries = Math.max(2, options.pageEntries ?? 256)
    this.fanIn = Math.max(2, options.fanIn ?? 8)
    this.mem = new MemTable(covered, this.memEntries)
  }

  /** Loads the runs' fences and Bloom filters and drops pages a crash left without a run. */
  static async open(section: Section, options: LeafIndexOptions = {}): Promise<LeafIndex> {
    const indexed = await section.get(INDEXED_KEY)
    const covered = indexed ? Number(new DataView(indexed.buffer, indexed.byteOffset, 8).getBigUint64(0)) : 0
    const index = new LeafIndex(section, covered, options)
    for await (const [key, value] of section.iterator({ gte: 'x/r/', lt: 'x/r0' })) {
      const v = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
      const view = new DataView(v.buffer, v.byteOffset, v.byteLength)
      const count = Number(view.getBigUint64(0))
      const pageEntries = view.getUint32(8)
      const bloomBytes = view.getUint32(12)
      const pages = Math.ceil(count / pageEntries)
      const fences = v.slice(16, 16 + 32 * pages)
      const bloom = v.slice(16 + 32 * pages, 16 + 32 * pages + bloomBytes)
      const id = Number(key.slice(4))
      index.runs.push({ id, count, pageEntries, pages, fences, bloom, level: index.levelOf(count) })
      index.nextId = Math.max(index.nextId, id + 1)
    }
    await section.clear({ gte: `x/p/${seqKey(index.nextId)}`, lt: 'x/p0' })
    return index
  }

  /** Leaves covered (in runs or in memory): the next `add` must start here. */
  get covered(): number {
    return this.mem.first + this.mem.count
  }

  /** Adds the leaf hashes (32 bytes each) of leaves `[first, …)`; `first` must equal {@link covered}. */
  add(first: number, hashes: Uint8Array): void {
    this.lastAdd = performance.now()
    if (first !== this.covered)
      throw new Internal('leaf index out of step with the log', { details: { first, covered: this.covered } })
    for (let o = 0; o < hashes.length; ) {
      const end = Math.min(hashes.length, o + 32 * (this.memEntries - this.mem.count))
      this.mem.addMany(hashes, o, end)
      o = end
      if (this.mem.count === this.memEntries) this.rotate()
    }
  }

  private rotate(): void {
    const full = this.mem
    this.flushing.push(full)
    this.mem = new MemTable(full.first + full.count, this.memEntries)
    this.schedule(() => this.writeRun(full))
  }

  /**
   * Waits until no leaves were added for {@link QUIET_MS} (so index upkeep does not compete with a burst
   * of appends), unless closing or `urgent()` says the work cannot wait (memory bound).
   */
  private async whenQuiet(urgent: () => boolean): Promise<void> {
    for (;;) {
      const idle = performance.now() - this.lastAdd
      if (this.closing || urgent() || idle >= QUIET_MS) return
      await new Promise<void>((resolve) => setTimeout(resolve, QUIET_MS - idle + 1))
    }
  }

  private schedule(work: () => Promise<void>): void {
    this.maintenance = this.maintenance.then(async () => {
      if (this.failure !== undefined) return
      try {
        await work()
      } catch (e) {
        this.failure = e
      }
    })
  }

  /** The smallest index of a leaf with this hash, or undefined. */
  lookup(h: Uint8Array): number | undefined {
    if (this.failure !== undefined)
      throw new Internal('the leaf index failed to write', { cause: this.failure })
    let best: number | undefined
    for (const run of this.runs) {
      if (!bloomHas(run.bloom, h)) continue
      const i = this.searchRun(run, h)
      if (i !== undefined && (best === undefined || i < best)) best = i
    }
    if (best !== undefined) return best
    for (const t of this.flushing) {
      const i = t.get(h)
      if (i !== undefined) return i
    }
    return this.mem.get(h)
  }

  private searchRun(run: Run, h: Uint8Array): number | undefined {
    // The last page whose first hash is below h holds the first entry ≥ h, or the next page starts with it.
    let lo = 0
    let hi = run.pages
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cmpHash(run.fences, 32 * mid, h, 0) < 0) lo = mid + 1
      else hi = mid
    }
    const find = (p: number): number | undefined => {
      const page = this.readPage(run, p)
      let a = 0
      let b = page.length / ENTRY
      while (a < b) {
        const mid = (a + b) >>> 1
        if (cmpHash(page, ENTRY * mid, h, 0) < 0) a = mid + 1
        else b = mid
      }
      if (a < page.length / ENTRY && cmpHash(page, ENTRY * a, h, 0) === 0)
        return Number(new DataView(page.buffer, page.byteOffset + ENTRY * a + 32, 8).getBigUint64(0))
      return undefined
    }
    const inPrevious = lo > 0 ? find(lo - 1) : undefined
    if (inPrevious !== undefined) return inPrevious
    return lo < run.pages && cmpHash(run.fences, 32 * lo, h, 0) === 0 ? find(lo) : undefined
  }

  /** One page of a run. */
  readPage(run: Run, page: number): Uint8Array {
    const v = this.section.getSync(`x/p/${seqKey(run.id)}/${seqKey(page)}`)
    if (!v) throw new Internal('a page of the leaf index is missing', { details: { run: run.id, page } })
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  }

  private levelOf(count: number): number {
    let level = 0
    for (let c = this.memEntries * this.fanIn; c <= count; c *= this.fanIn) level++
    return level
  }

  private batch(): Batch {
    return this.section.db.batch() as unknown as Batch
  }

  /** Writes a full in-memory table as a run, then merges runs as needed. */
  private async writeRun(table: MemTable): Promise<void> {
    await this.whenQuiet(() => this.flushing.length > MAX_DEFERRED)
    const entries = table.sorted()
    const size = this.pageEntries * ENTRY
    let o = 0
    await this.persistRun(
      table.count,
      [],
      (page) => {
        for (let k = 0; k < STEP && o < entries.length; k += this.pageEntries, o += size)
          page(entries.subarray(o, o + size))
        return o >= entries.length
      },
      table.first + table.count,
    )
    this.flushing.splice(this.flushing.indexOf(table), 1)
    await this.mergeIfNeeded()
  }

  private async mergeIfNeeded(): Promise<void> {
    for (;;) {
      const byLevel = new Map<number, Run[]>()
      for (const r of this.runs) byLevel.set(r.level, [...(byLevel.get(r.level) ?? []), r])
      const group = [...byLevel.values()].find((g) => g.length >= this.fanIn)
      if (!group) return
      await this.whenQuiet(() => group.length >= 2 * this.fanIn)
      const inputs = group.slice(0, this.fanIn)
      const count = inputs.reduce((n, r) => n + r.count, 0)
      const cursors = inputs.map((r) => new Cursor(this, r))
      let left = count
      await this.persistRun(count, inputs, (page) => {
        for (let k = 0; k < STEP && left > 0; k += this.pageEntries) {
          const buf = new Uint8Array(ENTRY * Math.min(this.pageEntries, left))
          for (let at = 0; at < buf.length; at += ENTRY) {
            let min = cursors[0] as Cursor
            for (const c of cursors)
              if (
                c !== min &&
                (min.done ||
                  (!c.done &&
                    (c.pre < min.pre || (c.pre === min.pre && cmpEntry(c.buf, c.at, min.buf, min.at) < 0))))
              )
                min = c
            copyBytes(min.buf, min.at, buf, at, ENTRY)
            min.next()
          }
          left -= buf.length / ENTRY
          page(buf)
        }
        return left === 0
      })
    }
  }

  /**
   * Writes a run of `count` entries, handed over page by page by `produce` (some pages per call; it
   * returns true when done), pages ahead in chunks; then commits the meta (and `m/indexed` when given)
   * and deletes `inputs` in one batch, and swaps the runs in memory.
   */
  private async persistRun(
    count: number,
    inputs: Run[],
    produce: (page: (entries: Uint8Array) => void) => boolean,
    indexed?: number,
  ): Promise<void> {
    const id = this.nextId++
    const opts = { sublevel: this.section }
    const pages = Math.ceil(count / this.pageEntries)
    const fences = new Uint8Array(32 * pages)
    const bloom = new Uint8Array(Math.max(8, count))
    const writes: Promise<void>[] = []
    let batch = this.batch()
    let p = 0
    const page = (entries: Uint8Array) => {
      copyBytes(entries, 0, fences, 32 * p, 32)
      for (let at = 0; at < entries.length; at += ENTRY) bloomAdd(bloom, entries, at)
      batch.put(`x/p/${seqKey(id)}/${seqKey(p)}`, entries, opts)
      if (++p % 64 === 0) {
        const w = batch.write()
        w.catch(() => {}) // awaited below; a failure must not go unhandled meanwhile
        writes.push(w)
        batch = this.batch()
      }
    }
    while (!produce(page)) await new Promise<void>((resolve) => setImmediate(resolve))
    await Promise.all(writes)
    if (p !== pages)
      throw new Internal('leaf index run has the wrong number of pages', { details: { pages, written: p } })
    const meta = new Uint8Array(16 + fences.length + bloom.length)
    const view = new DataView(meta.buffer)
    view.setBigUint64(0, BigInt(count))
    view.setUint32(8, this.pageEntries)
    view.setUint32(12, bloom.length)
    meta.set(fences, 16)
    meta.set(bloom, 16 + fences.length)
    batch.put(`x/r/${seqKey(id)}`, meta, opts)
    if (indexed !== undefined) {
      const v = new Uint8Array(8)
      new DataView(v.buffer).setBigUint64(0, BigInt(indexed))
      batch.put(INDEXED_KEY, v, opts)
    }
    for (const r of inputs) {
      batch.del(`x/r/${seqKey(r.id)}`, opts)
      for (let q = 0; q < r.pages; q++) batch.del(`x/p/${seqKey(r.id)}/${seqKey(q)}`, opts)
    }
    await batch.write()
    const run: Run = {
      id,
      count,
      pageEntries: this.pageEntries,
      pages,
      fences,
      bloom,
      level: this.levelOf(count),
    }
    this.runs = [...this.runs.filter((r) => !inputs.includes(r)), run]
    await new Promise<void>((resolve) => setImmediate(resolve))
  }

  /** Writes what is in memory as a run and waits for all background work. */
  async close(): Promise<void> {
    this.closing = true
    if (this.mem.count > 0) this.rotate()
    await this.maintenance
    if (this.failure !== undefined)
      throw new Internal('the leaf index failed to write', { cause: this.failure })
  }
}

function cmpEntry(a: Uint8Array, ao: number, b: Uint8Array, bo: number): number {
  const d = cmpHash(a, ao, b, bo)
  if (d !== 0) return d
  const ia = new DataView(a.buffer, a.byteOffset + ao + 32, 8).getBigUint64(0)
  const ib = new DataView(b.buffer, b.byteOffset + bo + 32, 8).getBigUint64(0)
  return ia < ib ? -1 : ia > ib ? 1 : 0
}
