/**
 * An RFC 6962 root (hashing from `src/log/merkle.ts`) over a keyed, sorted set of leaves, kept up to date incrementally: changing a
 * leaf in place rehashes one path (O(log n)); inserting or deleting rehashes the subtrees to the right
 * of the change (the RFC's tree shape shifts there). Hashing happens lazily, when `root()` is read.
 */
import { EMPTY_ROOT, nodeHash } from '../log/merkle.ts'

const NONE = Number.MAX_SAFE_INTEGER

/**
 * Sorted leaves keyed by a string whose JS order equals the byte order wanted (use
 * {@link byteOrderKey} for UTF-8 keys).
 *
 * @example
 * const tree = new SortedMerkleRoot()
 * tree.set(byteOrderKey('a'), leafHash(data))
 * const root = tree.root()
 */
export class SortedMerkleRoot {
  #keys: string[] = []
  /** levels[0] = leaf hashes; levels[j][i] = hash of the perfect subtree over leaves [i·2^j, (i+1)·2^j). */
  #levels: Uint8Array[][] = [[]]
  #dirtyFrom = 0
  #dirty = new Set<number>()
  #root: Uint8Array | undefined

  /** Number of leaves. */
  get size(): number {
    return this.#keys.length
  }

  /** Sorted keys (do not mutate). */
  keys(): readonly string[] {
    return this.#keys
  }

  /** Index of `key` or of where it would be inserted (`~index` when absent, as negative). */
  #find(key: string): number {
    const keys = this.#keys
    let lo = 0
    let hi = keys.length
    // Appends in key order are the common case: check the end first.
    if (hi > 0 && keys[hi - 1]! < key) return ~hi
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const k = keys[mid]!
      if (k === key) return mid
      if (k < key) lo = mid + 1
      else hi = mid
    }
    return ~lo
  }

  /** Leaf hash stored under `key`, if any. */
  get(key: string): Uint8Array | undefined {
    const i = this.#find(key)
    return i >= 0 ? this.#levels[0]![i] : undefined
  }

  /** Inserts or replaces the leaf hash under `key`. */
  set(key: string, leafHash: Uint8Array): void {
    const i = this.#find(key)
    this.#root = undefined
    if (i >= 0) {
      this.#levels[0]![i] = leafHash
      if (i < this.#dirtyFrom) this.#dirty.add(i)
      return
    }
    const at = ~i
    this.#keys.splice(at, 0, key)
    this.#levels[0]!.splice(at, 0, leafHash)
    if (at < this.#dirtyFrom) this.#dirtyFrom = at
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: string): boolean {
    const i = this.#find(key)
    if (i < 0) return false
    this.#root = undefined
    this.#keys.splice(i, 1)
    this.#levels[0]!.splice(i, 1)
    if (i < this.#dirtyFrom) this.#dirtyFrom = i
    return true
  }

  /** The RFC 6962 root over the leaves in key order. */
  root(): Uint8Array {
    if (this.#root) return this.#root
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
      for (let p = Math.min(nextFrom, len); p < len; p++) cur[p] = nodeHash(prev[2 * p]!, prev[2 * p + 1]!)
      for (const p of nextDirty) cur[p] = nodeHash(prev[2 * p]!, prev[2 * p + 1]!)
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
