/**
 * An append-only RFC 6962 Merkle log persisted in one LevelDB section, laid out like C2SP tlog-tiles
 * (W = the tile width, 256 unless the log was created with another):
 *
 * - `t/<level>/<n>`: a full tile — the W node hashes `[W·n, W·n+W)` of one tree level ≥ 1. Written
 *   once, when full; never changed after its append commits. Level 0 (the leaf hashes) is not stored:
 *   a leaf hash is rehashed from its entry bundle when a proof needs it (one hash), which saves a
 *   third of the bytes and LevelDB writes of an append.
 * - `e/<n>`: a full entry bundle — leaves `[W·n, W·n+W)`, each as u16 BE length ‖ bytes.
 * - `f/<first>`: a fragment of the last, partial bundle — the leaves one append added to it. Deleted
 *   (in the committing batch) when the bundle fills.
 * - `m/size`: the committed tree size (u64 BE); `m/width`: W. Tiles and bundles at or beyond the size
 *   are ignored (a failed large append may leave some; the next appends overwrite them).
 * - `x/…` and `m/indexed`: the derived leafHash → index lookup ({@link LeafIndex}), fed after each
 *   append returns and caught up from the tiles on open.
 *
 * In memory the log keeps only its right edge: per level the hashes of the tile being filled (< W),
 * and the leaves of the partial bundle; every complete node of any past tree size is in a full tile
 * or in that edge, so proofs for any tree size need no recomputation beyond folding ≤ log n hashes.
 *
 * An append is crash-atomic: `m/size` moves in the final batch of the append, together with the last
 * fragment and the fragment deletions. A small append is exactly one batch; a large one writes its full
 * tiles and bundles ahead in chunks (overlapping hashing and disk), still invisible until `m/size` moves.
 */
import { readU64be, u64be } from '../core/bytes.ts'
import { Aborted, Internal, InvalidInput, InvalidTreeRange } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import {
  consistencyRanges,
  EMPTY_ROOT,
  foldRange,
  inclusionRanges,
  type LeafRange,
  leafHash,
  rangeNodes,
  sha256Into,
  type TreeNode,
} from '../core/merkle.ts'
import type { Section } from '../store/store.ts'
import { seqKey } from '../store/store.ts'
import { LeafIndex, type LeafIndexOptions } from './leaf-index.ts'

const DEFAULT_WIDTH = 256
const MAX_LEAF = 0xffff
const WIDTH_KEY = 'm/width'
const SIZE_KEY = 'm/size'
const INDEX_SLICE = 65_536

/** Options of {@link MerkleLog.open}. */
export interface MerkleLogOptions {
  /** Bytes of tiles and bundles per intermediate batch of a large append (default 8 MiB). */
  chunkBytes?: number
  /**
   * Hashes per tile and leaves per bundle, a power of two in 2..256 (default 256). Fixed when the log is
   * created (stored in `m/width`); small widths exist for tests.
   */
  tileWidth?: number
  /** Tuning of the leafHash index (see {@link LeafIndex}). */
  index?: LeafIndexOptions
  signal?: AbortSignal
}

/** Options of a read or an append. */
export interface LogCallOptions {
  signal?: AbortSignal
}

/** What {@link MerkleLog.append} returns. */
export interface AppendResult {
  /** Index of the first appended leaf. */
  firstIndex: number
  /** Tree size after the append. */
  size: number
  /** Root hash at that size. */
  root: Uint8Array
}

interface Level {
  /** Index of the tile being filled. */
  tile: number
  /** Hashes in it. */
  n: number
  buf: Uint8Array
  /** A Buffer over the same memory, for writing digests in place. */
  out: Buffer
  /** The last node of the previous tile (the frontier while `n` is 0). */
  last: Uint8Array | undefined
}

/** The part of abstract-level's chained batch used here (`sublevel` routes an operation to a section). */
interface Batch {
  put(key: string, value: Uint8Array, options: { sublevel: Section }): unknown
  del(key: string, options: { sublevel: Section }): unknown
  write(): Promise<void>
  close(): Promise<void>
}

/**
 * A chained batch on the root database whose operations target `section`: classic-level's native
 * chained batch copies each operation as it is added (about half the CPU of a sublevel's batch).
 */
function sectionBatch(section: Section): { batch: Batch; opts: { sublevel: Section } } {
  return { batch: section.db.batch() as unknown as Batch, opts: { sublevel: section } }
}

const bundleKey = (bundle: number) => `e/${seqKey(bundle)}`
const fragKey = (first: number) => `f/${seqKey(first)}`
const pow2 = (level: number) => 2 ** level
const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve))

function encodeBundle(leaves: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const l of leaves) n += 2 + l.length
  const out = new Uint8Array(n)
  let o = 0
  for (const l of leaves) {
    out[o] = l.length >>> 8
    out[o + 1] = l.length & 0xff
    out.set(l, o + 2)
    o += 2 + l.length
  }
  return out
}

function decodeBundle(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let o = 0
  while (o < bytes.length) {
    if (o + 2 > bytes.length) throw new Internal('corrupt entry bundle in the Merkle log')
    const len = ((bytes[o] as number) << 8) | (bytes[o + 1] as number)
    if (o + 2 + len > bytes.length) throw new Internal('corrupt entry bundle in the Merkle log')
    out.push(bytes.subarray(o + 2, o + 2 + len))
    o += 2 + len
  }
  return out
}

/** Copies `n` bytes; for a hash or two, a loop beats allocating a subarray view. */
function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i] as number
}

/** A plain Uint8Array view of a value read from LevelDB (a Buffer's `slice` would not copy). */
function plain(v: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(v) === Uint8Array.prototype
    ? v
    : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Aborted('the Merkle log operation was aborted', { cause: signal.reason })
}

/** Batches of one append: intermediate chunks written ahead (≤ 2 in flight), then the committing batch. */
class AppendWriter {
  private batch: Batch
  private readonly opts: { sublevel: Section }
  private bytes = 0
  private keys: string[] = []
  private readonly inflight: Promise<void>[] = []
  private failure: unknown

  constructor(
    private readonly section: Section,
    private readonly chunkBytes: number,
    private readonly pending: Map<string, Uint8Array>,
  ) {
    const { batch, opts } = sectionBatch(section)
    this.batch = batch
    this.opts = opts
  }

  /** Puts a tile or bundle, visible to readers through `pending` until it is durable. */
  putData(key: string, value: Uint8Array): void {
    this.batch.put(key, value, this.opts)
    this.pending.set(key, value)
    this.keys.push(key)
    this.bytes += value.length
  }

  put(key: string, value: Uint8Array): void {
    this.batch.put(key, value, this.opts)
  }

  del(key: string): void {
    this.batch.del(key, this.opts)
  }

  get full(): boolean {
    return this.bytes >= this.chunkBytes
  }

  /** Starts writing the current chunk and opens a new batch; waits while two chunks are in flight. */
  async flush(): Promise<void> {
    const keys = this.keys
    const write = this.batch.write().then(
      () => {
        for (const k of keys) this.pending.delete(k)
      },
      (e: unknown) => {
        this.failure ??= e
      },
    )
    this.inflight.push(write)
    this.batch = sectionBatch(this.section).batch
    this.bytes = 0
    this.keys = []
    if (this.inflight.length > 2) await this.inflight.shift()
    else await yieldNow()
    if (this.failure !== undefined) throw this.failure
  }

  /** Waits for the chunks, then writes the committing batch. */
  async commit(): Promise<void> {
    await Promise.all(this.inflight)
    if (this.failure !== undefined) throw this.failure
    await this.batch.write()
  }

  async discard(): Promise<void> {
    await Promise.all(this.inflight)
    await this.batch.close()
  }
}

/** An append-only RFC 6962 Merkle log persisted in a LevelDB section (see the module notes). */
export class MerkleLog {
  private committed = 0
  private levels: Level[] = []
  private tailLeaves: Uint8Array[] = []
  private tailBundle = 0
  private tailFrags: number[] = []
  private readonly pending = new Map<string, Uint8Array>()
  private readonly tileCache = new Map<string, Uint8Array>()
  private readonly bundleCache = new Map<number, Uint8Array[]>()
  private readonly scratch = new Uint8Array(65)
  private lock: Promise<unknown> = Promise.resolve()
  private indexing: Promise<void> = Promise.resolve()
  private index!: LeafIndex
  private indexError: unknown
  private closed = false

  private constructor(
    private readonly section: Section,
    private readonly chunkBytes: number,
    private readonly width: number,
  ) {
    this.scratch[0] = 1
  }

  /**
   * Opens the log stored in `section` (creating an empty one), rebuilds its right edge and catches the
   * leafHash index up in the background.
   *
   * @example
   * const log = await MerkleLog.open(section(store, 'log'))
   */
  static async open(section: Section, options: MerkleLogOptions = {}): Promise<MerkleLog> {
    checkSignal(options.signal)
    await section.open()
    const stored = await section.get(WIDTH_KEY)
    const width = stored ? Number(readU64be(stored)) : (options.tileWidth ?? DEFAULT_WIDTH)
    if (!Number.isInteger(width) || width < 2 || width > 256 || (width & (width - 1)) !== 0)
      throw new InvalidInput('tileWidth must be a power of two in 2..256', { details: { tileWidth: width } })
    if (options.tileWidth !== undefined && options.tileWidth !== width)
      throw new InvalidInput(`this log was created with tileWidth ${width}`, {
        details: { tileWidth: width },
      })
    if (!stored) await section.put(WIDTH_KEY, u64be(width))
    const log = new MerkleLog(section, Math.max(1, options.chunkBytes ?? 8 * 1024 * 1024), width)
    await log.load()
    log.index = await LeafIndex.open(section, options.index)
    const covered = log.index.covered
    if (covered > log.committed)
      throw new Internal('the leaf index is ahead of the Merkle log', {
        details: { covered, size: log.committed },
      })
    if (covered < log.committed) log.scheduleIndex(covered, log.committed, undefined)
    return log
  }

  /** The committed number of leaves. */
  get size(): number {
    return this.committed
  }

  /**
   * Appends leaves (each at most 65,535 bytes); resolves once they are durable. Appends run one at a
   * time, in call order. Throws InvalidInput on a bad leaf, Aborted when `signal` fires first.
   *
   * @example
   * const { firstIndex, size, root } = await log.append([leafBytes])
   */
  append(leaves: readonly Uint8Array[], options: LogCallOptions = {}): Promise<AppendResult> {
    if (!Array.isArray(leaves)) return Promise.reject(new InvalidInput('leaves must be an array'))
    for (const l of leaves)
      if (!(l instanceof Uint8Array) || l.length > MAX_LEAF)
        return Promise.reject(
          new InvalidInput(`every leaf must be a Uint8Array of at most ${MAX_LEAF} bytes`),
        )
    const run = this.lock.then(async () => {
      this.assertOpen()
      checkSignal(options.signal)
      if (leaves.length === 0)
        return { firstIndex: this.committed, size: this.committed, root: this.rootOf(this.committed) }
      try {
        return await this.appendNow(leaves, options.signal)
      } catch (e) {
        await this.load() // back to the committed state
        throw e
      }
    })
    this.lock = run.catch(() => {})
    return run
  }

  private async appendNow(
    leaves: readonly Uint8Array[],
    signal: AbortSignal | undefined,
  ): Promise<AppendResult> {
    const first = this.committed
    const w = new AppendWriter(this.section, this.chunkBytes, this.pending)
    const hashes = new Uint8Array(leaves.length * 32)
    const fragDeletes: string[] = []
    let input = new Uint8Array(1) // input[0] stays 0x00, the RFC 6962 leaf prefix; resized per leaf length
    try {
      for (let i = 0; i < leaves.length; i++) {
        const leaf = leaves[i] as Uint8Array
        if (input.length !== leaf.length + 1) input = new Uint8Array(leaf.length + 1)
        if (leaf.length <= 64) copyBytes(leaf, 0, input, 1, leaf.length)
        else input.set(leaf, 1)
        this.pushLeaf(input, hashes, 32 * i, w)
        this.tailLeaves.push(leaf)
        if (this.tailLeaves.length === this.width) {
          w.putData(bundleKey(this.tailBundle), encodeBundle(this.tailLeaves))
          for (const f of this.tailFrags) fragDeletes.push(fragKey(f))
          this.tailFrags = []
          this.tailLeaves = []
          this.tailBundle++
        }
        if (w.full) {
          checkSignal(signal)
          await w.flush()
        }
      }
      const size = first + leaves.length
      const bundleStart = this.tailBundle * this.width
      const fragStart = Math.max(first, bundleStart)
      if (fragStart < size) {
        const at = fragStart - bundleStart
        const frag = encodeBundle(this.tailLeaves.slice(at))
        w.put(fragKey(fragStart), frag)
        this.tailLeaves.splice(at, this.tailLeaves.length - at, ...decodeBundle(frag)) // own copies
        this.tailFrags.push(fragStart)
      }
      for (const k of fragDeletes) w.del(k)
      w.put(SIZE_KEY, u64be(size))
      checkSignal(signal)
      await w.commit()
      this.committed = size
      this.pending.clear()
      this.scheduleIndex(first, size, hashes)
      return { firstIndex: first, size, root: this.frontierRoot(size) }
    } catch (e) {
      await w.discard().catch(() => {})
      throw e
    }
  }

  private tileBuffer(): { buf: Uint8Array; out: Buffer } {
    const buf = new Uint8Array(this.width * 32)
    return { buf, out: Buffer.from(buf.buffer, 0, buf.length) }
  }

  private level(l: number): Level {
    let L = this.levels[l]
    if (!L) {
      L = { tile: 0, n: 0, ...this.tileBuffer(), last: undefined }
      this.levels[l] = L
    }
    return L
  }

  /**
   * Hashes `input` (`0x00 ‖ leaf`) into level 0, copies the leaf hash to `hashes[at]`, and carries every
   * completed parent up; full tiles go into the batch. Digests are written in place, no allocation.
   */
  private pushLeaf(input: Uint8Array, hashes: Uint8Array, at: number, w: AppendWriter): void {
    let l = 0
    let L = this.level(0)
    let off = L.n * 32
    sha256Into(input, L.out, off)
    copyBytes(L.buf, off, hashes, at, 32)
    for (;;) {
      L.n++
      const carry = L.n % 2 === 0
      if (carry) copyBytes(L.buf, off - 32, this.scratch, 1, 64)
      if (L.n === this.width) {
        if (l > 0) w.putData(this.tileKey(l, L.tile), L.buf) // level 0 is rebuilt from the entry bundles
        L.last = L.buf.subarray(off, off + 32)
        Object.assign(L, this.tileBuffer())
        L.tile++
        L.n = 0
      }
      if (!carry) return
      l++
      L = this.level(l)
      off = L.n * 32
      sha256Into(this.scratch, L.out, off)
    }
  }

  /** Root at `size` from the frontier (valid right after an append to `size`). */
  private frontierRoot(size: number): Uint8Array {
    let root: Uint8Array | undefined
    for (let l = 0; pow2(l) <= size; l++) {
      if (Math.floor(size / pow2(l)) % 2 === 0) continue
      const node = this.lastNode(this.levels[l] as Level)
      root = root ? this.hashPair(node, root) : new Uint8Array(node)
    }
    return root ?? new Uint8Array(EMPTY_ROOT)
  }

  private tileKey(level: number, tile: number): string {
    return `t/${String(level).padStart(2, '0')}/${seqKey(tile)}`
  }

  /** The frontier: the last node of a level. */
  private lastNode(L: Level): Uint8Array {
    return L.n > 0 ? L.buf.subarray(32 * (L.n - 1), 32 * L.n) : (L.last as Uint8Array)
  }

  private hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
    this.scratch.set(left, 1)
    this.scratch.set(right, 33)
    return new Uint8Array(sha256(this.scratch))
  }

  /** Rebuilds the in-memory right edge from the committed state. */
  private async load(): Promise<void> {
    this.pending.clear()
    this.tileCache.clear()
    this.bundleCache.clear()
    const sizeBytes = await this.section.get(SIZE_KEY)
    const size = sizeBytes ? Number(readU64be(sizeBytes)) : 0
    this.committed = size
    this.tailBundle = Math.floor(size / this.width)
    this.tailLeaves = []
    this.tailFrags = []
    const start = this.tailBundle * this.width
    for await (const [key, value] of this.section.iterator({ gte: 'f/', lt: 'f0' })) {
      const first = Number(key.slice(2))
      if (first < start || first >= size) continue
      if (first !== start + this.tailLeaves.length)
        throw new Internal('the Merkle log has a gap in its last entry bundle', { details: { first } })
      this.tailLeaves.push(...decodeBundle(plain(value)))
      this.tailFrags.push(first)
    }
    if (start + this.tailLeaves.length !== size)
      throw new Internal('the Merkle log lacks leaves of its last entry bundle', {
        details: { size, found: start + this.tailLeaves.length },
      })
    this.levels = []
    for (let l = 0; pow2(l) <= size; l++) {
      const count = Math.floor(size / pow2(l))
      const L: Level = {
        tile: Math.floor(count / this.width),
        n: count % this.width,
        ...this.tileBuffer(),
        last: undefined,
      }
      for (let k = 0; k < L.n; k++) {
        const j = L.tile * this.width + k
        let h: Uint8Array
        if (l === 0) {
          const leaf = this.tailLeaves[k] as Uint8Array
          const input = new Uint8Array(leaf.length + 1)
          input.set(leaf, 1)
          h = sha256(input)
        } else h = this.hashPair(this.node(l - 1, 2 * j), this.node(l - 1, 2 * j + 1))
        L.buf.set(h, 32 * k)
      }
      this.levels[l] = L
      if (L.n === 0) L.last = new Uint8Array(this.node(l, count - 1))
    }
  }

  /** Hash of a complete node (a view; copy before handing it out). */
  private node(level: number, index: number): Uint8Array {
    const L = this.levels[level]
    if (L && index >= L.tile * this.width && index < L.tile * this.width + L.n)
      return L.buf.subarray(32 * (index - L.tile * this.width), 32 * (index - L.tile * this.width) + 32)
    const tile = Math.floor(index / this.width)
    if (level === 0) return leafHash(this.bundleLeaves(tile)[index - tile * this.width] as Uint8Array)
    const key = this.tileKey(level, tile)
    let value = this.pending.get(key) ?? this.tileCache.get(key)
    if (!value) {
      const got = this.section.getSync(key)
      value = got && plain(got)
      if (!value || value.length !== this.width * 32)
        throw new Internal('a tile of the Merkle log is missing', { details: { level, tile } })
      if (this.tileCache.size >= 256) this.tileCache.delete(this.tileCache.keys().next().value as string)
      this.tileCache.set(key, value)
    }
    const off = 32 * (index - tile * this.width)
    return value.subarray(off, off + 32)
  }

  private rangeHash(r: LeafRange): Uint8Array {
    return new Uint8Array(foldRange(rangeNodes(r[0], r[1]).map((n: TreeNode) => this.node(n.level, n.index))))
  }

  private rootOf(size: number): Uint8Array {
    return size === 0 ? new Uint8Array(EMPTY_ROOT) : this.rangeHash([0, size])
  }

  private checkSize(what: string, v: number, max: number): void {
    if (!Number.isSafeInteger(v) || v < 0 || v > max)
      throw new InvalidTreeRange(`${what} ${v} is out of range (the log has ${this.committed} leaves)`, {
        details: { [what]: v, size: this.committed },
      })
  }

  private assertOpen(): void {
    if (this.closed) throw new Internal('the Merkle log is closed')
  }

  /**
   * The root hash at `treeSize` (default: the current size). Throws InvalidTreeRange beyond the size.
   *
   * @example
   * const root = await log.root(57)
   */
  async root(treeSize: number = this.committed, options: LogCallOptions = {}): Promise<Uint8Array> {
    this.assertOpen()
    checkSignal(options.signal)
    this.checkSize('treeSize', treeSize, this.committed)
    return this.rootOf(treeSize)
  }

  /** The leaf bytes at `index`. Throws InvalidTreeRange unless `index < size`. */
  async leafAt(index: number, options: LogCallOptions = {}): Promise<Uint8Array> {
    this.assertOpen()
    checkSignal(options.signal)
    this.checkSize('index', index, this.committed - 1)
    const bundle = Math.floor(index / this.width)
    const at = index - bundle * this.width
    if (bundle === this.tailBundle) return new Uint8Array(this.tailLeaves[at] as Uint8Array)
    return new Uint8Array(this.bundleLeaves(bundle)[at] as Uint8Array)
  }

  /** The leaves of a full entry bundle (views; copy before handing one out). */
  private bundleLeaves(bundle: number): Uint8Array[] {
    let leaves = this.bundleCache.get(bundle)
    if (!leaves) {
      const key = bundleKey(bundle)
      const got = this.pending.get(key) ?? this.section.getSync(key)
      const value = got && plain(got)
      if (!value) throw new Internal('an entry bundle of the Merkle log is missing', { details: { bundle } })
      leaves = decodeBundle(value)
      if (leaves.length !== this.width)
        throw new Internal('corrupt entry bundle in the Merkle log', { details: { bundle } })
      if (this.bundleCache.size >= 16) this.bundleCache.delete(this.bundleCache.keys().next().value as number)
      this.bundleCache.set(bundle, leaves)
    }
    return leaves
  }

  /** The RFC 6962 leaf hash at `index`. Throws InvalidTreeRange unless `index < size`. */
  async leafHashAt(index: number, options: LogCallOptions = {}): Promise<Uint8Array> {
    this.assertOpen()
    checkSignal(options.signal)
    this.checkSize('index', index, this.committed - 1)
    return new Uint8Array(this.node(0, index))
  }

  /**
   * The inclusion proof of leaf `index` in the tree of `treeSize` (any size up to the current one).
   * Throws InvalidTreeRange unless `index < treeSize ≤ size`.
   *
   * @example
   * verifyInclusion(await log.leafHashAt(5), 5, 8, await log.inclusionProof(5, 8), await log.root(8)) // true
   */
  async inclusionProof(index: number, treeSize: number, options: LogCallOptions = {}): Promise<Uint8Array[]> {
    this.assertOpen()
    checkSignal(options.signal)
    this.checkSize('treeSize', treeSize, this.committed)
    return inclusionRanges(index, treeSize).map((r) => this.rangeHash(r))
  }

  /**
   * The consistency proof between tree sizes `first ≤ second ≤ size` (empty when `first` is 0 or equal
   * to `second`). Throws InvalidTreeRange otherwise.
   */
  async consistencyProof(first: number, second: number, options: LogCallOptions = {}): Promise<Uint8Array[]> {
    this.assertOpen()
    checkSignal(options.signal)
    this.checkSize('second', second, this.committed)
    return consistencyRanges(first, second).map((r) => this.rangeHash(r))
  }

  /**
   * The index of the leaf with this RFC 6962 leaf hash, or undefined. Waits for the background index
   * to cover every committed append (adding to it is in memory; writing it to disk is not waited for).
   * A leaf appended more than once maps to its first index.
   *
   * @example
   * const index = await log.indexOf(attestationLeafHash(leafBytes)) // 41, or undefined
   */
  async indexOf(leafHash: Uint8Array, options: LogCallOptions = {}): Promise<number | undefined> {
    this.assertOpen()
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== 32)
      throw new InvalidInput('a leaf hash must be 32 bytes')
    await this.indexing
    checkSignal(options.signal)
    if (this.indexError !== undefined)
      throw new Internal('the leaf index of the Merkle log failed to update', { cause: this.indexError })
    return this.index.lookup(leafHash)
  }

  /**
   * Queues adding leaves `[from, to)` to the leaf index, after the append has returned; `hashes` holds
   * their leaf hashes when known (else they are rehashed from the bundles, as when catching up on open).
   */
  private scheduleIndex(from: number, to: number, hashes: Uint8Array | undefined): void {
    this.indexing = this.indexing.then(async () => {
      try {
        for (let a = from; a < to; a += INDEX_SLICE) {
          await yieldNow()
          if (this.indexError !== undefined) return
          const b = Math.min(to, a + INDEX_SLICE)
          let slice: Uint8Array
          if (hashes) slice = hashes.subarray(32 * (a - from), 32 * (b - from))
          else {
            slice = new Uint8Array(32 * (b - a))
            for (let i = a; i < b; i++) slice.set(this.node(0, i), 32 * (i - a))
          }
          this.index.add(a, slice)
        }
      } catch (e) {
        this.indexError ??= e
      }
    })
  }

  /** Waits for a running append and the background index, then closes the log (not the database). */
  async close(): Promise<void> {
    if (this.closed) return
    await this.lock
    await this.indexing
    this.closed = true
    await this.index.close()
  }
}
