/**
 * An RFC 6962 root (hashing from `src/log/merkle.ts`) over a keyed, sorted set of leaves, kept up to
 * date incrementally: changing a leaf in place rehashes one path (O(log n)); inserting or deleting
 * rehashes the subtrees to the right of the change (the RFC's tree shape shifts there). Hashing
 * happens lazily, when `root()` is read, so a burst of changes pays once.
 */
import { sha256 } from '../core/hash.ts'
import { EMPTY_ROOT, nodeHash } from '../core/merkle.ts'

const NONE = Number.MAX_SAFE_INTEGER
/** Up to this many inserts/deletes per sync are spliced in place; more are merged in one pass. */
const SPLICE_MAX = 16

/**
 * Sorted leaves keyed by a string whose JS order equals the byte order wanted (use
 * {@link byteOrderKey} for UTF-8 keys). Changes are recorded in O(1); the sorted order is brought up
 * to date lazily (one O(n + m log m) merge for m new keys) when keys or the root are read.
 *
 * @example
 * const tree = new SortedMerkleRoot()
 * tree.set(byteOrderKey('a'), leafHash(data))
 * const root = tree.root()
 */
export class SortedMerkleRoot {
  /** The current leaf hash of every key (the truth; the fields below catch up lazily). */
  readonly #leaves = new Map<string, Uint8Array>()
  /** Keys in order, as of the last sync. */
  #keys: string[] = []
  /** levels[0] = leaf hashes aligned with #keys; levels[j][i] = hash of the perfect subtree over leaves [i·2^j, (i+1)·2^j). */
  #levels: Uint8Array[][] = [[]]
  /** Keys not in #keys yet / in #keys but deleted / in #keys with a new hash. */
  #added = new Set<string>()
  #removed = new Set<string>()
  #updated = new Set<string>()
  /** Every level-0 position from here on needs rehashing; below it, only the positions in #dirty. */
  #dirtyFrom = 0
  #dirty = new Set<number>()
  #root: Uint8Array | undefined
  readonly #scratch = Uint8Array.of(1, ...new Uint8Array(64))

  /** Number of leaves. */
  get size(): number {
    return this.#leaves.size
  }

  /** Sorted keys (do not mutate). */
  keys(): readonly string[] {
    this.#sync()
    return this.#keys
  }

  /** Leaf hash stored under `key`, if any. */
  get(key: string): Uint8Array | undefined {
    return this.#leaves.get(key)
  }

  /** Inserts or replaces the leaf hash under `key`. */
  set(key: string, leafHash: Uint8Array): void {
    this.#root = undefined
    const had = this.#leaves.has(key)
    this.#leaves.set(key, leafHash)
    if (this.#removed.delete(key)) this.#updated.add(key)
    else if (!had) this.#added.add(key)
    else if (!this.#added.has(key)) this.#updated.add(key)
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: string): boolean {
    if (!this.#leaves.delete(key)) return false
    this.#root = undefined
    if (this.#added.delete(key)) return true
    this.#updated.delete(key)
    this.#removed.add(key)
    return true
  }

  /** Brings #keys and levels[0] up to date with #leaves, recording what needs rehashing. */
  #sync(): void {
    if (this.#added.size === 0 && this.#removed.size === 0) {
      for (const key of this.#updated) {
        const i = this.#indexOf(key)
        this.#levels[0]![i] = this.#leaves.get(key)!
        if (i < this.#dirtyFrom) this.#dirty.add(i)
      }
      this.#updated.clear()
      return
    }
    if (this.#added.size + this.#removed.size <= SPLICE_MAX) {
      this.#spliceChanges()
      return
    }
    const added = [...this.#added].sort()
    const oldKeys = this.#keys
    const oldHashes = this.#levels[0]!
    const keys: string[] = []
    const hashes: Uint8Array[] = []
    let first = -1 // first position whose key differs from before
    let i = 0
    let j = 0
    while (i < oldKeys.length || j < added.length) {
      const old = oldKeys[i]
      if (old !== undefined && this.#removed.has(old)) {
        if (first < 0) first = keys.length
        i++
      } else if (j < added.length && (old === undefined || added[j]! < old)) {
        if (first < 0) first = keys.length
        keys.push(added[j]!)
        hashes.push(this.#leaves.get(added[j]!)!)
        j++
      } else {
        const k = old as string
        if (this.#updated.has(k)) {
          if (first < 0) this.#dirty.add(keys.length)
          hashes.push(this.#leaves.get(k)!)
        } else hashes.push(oldHashes[i]!)
        keys.push(k)
        i++
      }
    }
    if (first >= 0 && first < this.#dirtyFrom) this.#dirtyFrom = first
    for (const d of this.#dirty) if (d >= this.#dirtyFrom) this.#dirty.delete(d)
    this.#keys = keys
    this.#levels[0] = hashes
    this.#added.clear()
    this.#removed.clear()
    this.#updated.clear()
  }

  /** Few structural changes: splice them in one by one (native memmove beats a full merge). */
  #spliceChanges(): void {
    const keys = this.#keys
    const hashes = this.#levels[0]!
    let first = NONE
    for (const key of this.#removed) {
      const i = this.#indexOf(key)
      keys.splice(i, 1)
      hashes.splice(i, 1)
      // Positions at or after i shifted: drop dirty marks there (covered by dirtyFrom).
      if (i < first) first = i
    }
    for (const key of [...this.#added].sort()) {
      const i = this.#indexOf(key)
      keys.splice(i, 0, key)
      hashes.splice(i, 0, this.#leaves.get(key)!)
      if (i < first) first = i
    }
    if (first < this.#dirtyFrom) this.#dirtyFrom = first
    for (const d of this.#dirty) if (d >= this.#dirtyFrom) this.#dirty.delete(d)
    for (const key of this.#updated) {
      const i = this.#indexOf(key)
      hashes[i] = this.#leaves.get(key)!
      if (i < this.#dirtyFrom) this.#dirty.add(i)
    }
    this.#added.clear()
    this.#removed.clear()
    this.#updated.clear()
  }

  #indexOf(key: string): number {
    const keys = this.#keys
    let lo = 0
    let hi = keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (keys[mid]! < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** The RFC 6962 root over the leaves in key order. */
  root(): Uint8Array {
    if (this.#root) return this.#root
    this.#sync()
    this.#flush()
    const n = this.#keys.length
    if (n === 0) {
      this.#root = EMPTY_ROOT.slice()
      return this.#root
    }
    // Perfect subtrees by the binary decomposition of n, left to right, folded from the right.
    const parts: Uint8Array[] = []
    let offset = 0
    for (let j = this.#levels.length - 1; j >= 0; j--) {
      const width = 2 ** j
      if (offset + width <= n) {
        parts.push(this.#levels[j]![offset / width]!)
        offset += width
      }
    }
    let r = parts[parts.length - 1]!
    for (let k = parts.length - 2; k >= 0; k--) r = nodeHash(parts[k]!, r)
    this.#root = r
    return r
  }

  /** `nodeHash` through one reused buffer (about twice as fast as allocating per node). */
  #pair(left: Uint8Array, right: Uint8Array): Uint8Array {
    const buf = this.#scratch
    buf.set(left, 1)
    buf.set(right, 33)
    return sha256(buf)
  }

  #flush(): void {
    let from = this.#dirtyFrom
    let dirty = this.#dirty
    if (from === NONE && dirty.size === 0) return
    const n = this.#keys.length
    let j = 1
    for (; 2 ** j <= n; j++) {
      const prev = this.#levels[j - 1]!
      let cur = this.#levels[j]
      if (!cur) {
        cur = []
        this.#levels[j] = cur
      }
      const len = Math.floor(prev.length / 2)
      if (cur.length > len) cur.length = len
      const nextFrom = from === NONE ? NONE : Math.floor(from / 2)
      const nextDirty = new Set<number>()
      for (const i of dirty) {
        const p = i >> 1
        if (p < nextFrom && p < len) nextDirty.add(p)
      }
      for (let p = Math.min(nextFrom, len); p < len; p++) cur[p] = this.#pair(prev[2 * p]!, prev[2 * p + 1]!)
      for (const p of nextDirty) cur[p] = this.#pair(prev[2 * p]!, prev[2 * p + 1]!)
      from = nextFrom
      dirty = nextDirty
    }
    this.#levels.length = j
    this.#dirtyFrom = NONE
    this.#dirty = new Set()
  }
}

/**
 * A string whose JS (UTF-16 code unit) order equals the UTF-8 byte order of `key`: each UTF-8 byte
 * becomes one latin1 character.
 *
 * @example
 * [byteOrderKey('\u{10000}'), byteOrderKey('\uffff')].sort() // byte order, not UTF-16 order
 */
export function byteOrderKey(key: string): string {
  return Buffer.from(key, 'utf8').toString('latin1')
}
