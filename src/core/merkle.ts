/**
 * RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256: leaves are hashed as `sha256(0x00 ‖ leaf)`,
 * interior nodes as `sha256(0x01 ‖ left ‖ right)`, and a tree of `n` leaves splits at the largest power
 * of two smaller than `n`. Pure functions, no I/O; the verifiers never throw.
 *
 * A node is addressed by `(level, index)`: level 0 are the leaf hashes, and node `(level, index)` covers
 * the leaves `[index·2^level, (index+1)·2^level)`. Every node an RFC 6962 proof needs is either such a
 * complete node or the root of an "edge" range that decomposes into complete nodes ({@link rangeNodes}),
 * which is how a tiled log ({@link MerkleLog}) answers proofs for any past tree size.
 */

import crypto from 'node:crypto'
import { bytesEqual } from '../core/bytes.ts'
import { InvalidTreeRange } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'

/** The RFC 6962 hash of the empty tree: `sha256("")` = `e3b0c442…b855`. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(sha256(new Uint8Array(0)))

type LatinHash = (alg: string, data: Uint8Array, enc: 'latin1') => string
const latinHash: LatinHash | undefined = (crypto as unknown as { hash?: LatinHash }).hash

/**
 * Writes `sha256(input)` into `out` at byte `offset`, without allocating a Buffer per digest (Node 20's
 * `crypto.hash` returning a latin1 string is about twice as fast as returning a Buffer). The bulk
 * hashing of {@link merkleRoot} and of the log uses it.
 */
export function sha256Into(input: Uint8Array, out: Buffer, offset: number): void {
  if (latinHash) out.write(latinHash('sha256', input, 'latin1'), offset, 'latin1')
  else crypto.createHash('sha256').update(input).digest().copy(out, offset)
}

/** A complete node of the tree: covers leaves `[index·2^level, (index+1)·2^level)`. */
export interface TreeNode {
  level: number
  index: number
}

/** A leaf range `[start, end)` whose Merkle hash is a proof element. */
export type LeafRange = readonly [start: number, end: number]

/**
 * The RFC 6962 leaf hash `sha256(0x00 ‖ leaf)`.
 *
 * @example
 * leafHash(new Uint8Array([1, 2, 3])) // 32 bytes
 */
export function leafHash(leaf: Uint8Array): Uint8Array {
  const buf = new Uint8Array(leaf.length + 1)
  buf.set(leaf, 1)
  return sha256(buf)
}

/**
 * The RFC 6962 interior node hash `sha256(0x01 ‖ left ‖ right)`.
 *
 * @example
 * nodeHash(leafHash(a), leafHash(b)) // the root of the two-leaf tree [a, b]
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65)
  buf[0] = 1
  buf.set(left, 1)
  buf.set(right, 33)
  return sha256(buf)
}

/** The largest power of two strictly smaller than `n` (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/**
 * Reduces `count` hashes stored back to back in `buf` (32 bytes each) to their Merkle root, in place.
 * Pairing neighbours level by level and carrying an odd last node up unchanged builds exactly the
 * RFC 6962 tree (the split at the largest power of two).
 */
function reduceInPlace(buf: Buffer, count: number): Uint8Array {
  if (count === 0) return EMPTY_ROOT.slice()
  const scratch = new Uint8Array(65)
  scratch[0] = 1
  let n = count
  while (n > 1) {
    const pairs = Math.floor(n / 2)
    for (let i = 0; i < pairs; i++) {
      scratch.set(buf.subarray(64 * i, 64 * i + 64), 1)
      sha256Into(scratch, buf, 32 * i)
    }
    if (n % 2 === 1) {
      buf.copyWithin(32 * pairs, 32 * (n - 1), 32 * n)
      n = pairs + 1
    } else n = pairs
  }
  return new Uint8Array(buf.subarray(0, 32))
}

/**
 * The Merkle root (RFC 6962 `MTH`) of a list of leaf hashes; the empty list gives {@link EMPTY_ROOT}.
 *
 * @example
 * merkleRootOfLeafHashes([leafHash(a), leafHash(b), leafHash(c)])
 */
export function merkleRootOfLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  const buf = Buffer.alloc(hashes.length * 32)
  for (let i = 0; i < hashes.length; i++) buf.set(hashes[i] as Uint8Array, 32 * i)
  return reduceInPlace(buf, hashes.length)
}

/**
 * The Merkle root of a list of leaves (each leaf is hashed with {@link leafHash} first).
 *
 * @example
 * merkleRoot([new TextEncoder().encode('a'), new TextEncoder().encode('b')])
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const buf = Buffer.alloc(leaves.length * 32)
  let scratch = new Uint8Array(257) // scratch[0] stays 0x00, the leaf prefix
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i] as Uint8Array
    if (scratch.length < leaf.length + 1) scratch = new Uint8Array(leaf.length + 1)
    scratch.set(leaf, 1)
    sha256Into(scratch.subarray(0, leaf.length + 1), buf, 32 * i)
  }
  return reduceInPlace(buf, leaves.length)
}

/**
 * The complete nodes whose hashes, folded right to left with {@link nodeHash}, give the Merkle hash of
 * the leaf range `[start, end)`. `start` must be aligned to a power of two ≥ `end − start` (true of
 * every range an RFC 6962 proof uses). Left to right.
 *
 * @example
 * rangeNodes(8, 14) // [{level: 2, index: 2}, {level: 1, index: 6}]
 */
export function rangeNodes(start: number, end: number): TreeNode[] {
  const out: TreeNode[] = []
  let at = start
  let size = end - start
  while (size > 0) {
    let p = 1
    while (p * 2 <= size) p *= 2
    let level = 0
    for (let q = p; q > 1; q /= 2) level++
    out.push({ level, index: at / p })
    at += p
    size -= p
  }
  return out
}

/** Folds the hashes of {@link rangeNodes} (left to right) into the range's Merkle hash. */
export function foldRange(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return EMPTY_ROOT.slice()
  let h = hashes[hashes.length - 1] as Uint8Array
  for (let i = hashes.length - 2; i >= 0; i--) h = nodeHash(hashes[i] as Uint8Array, h)
  return h
}

function checkSize(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new InvalidTreeRange(`${what} must be a non-negative integer`, { details: { [what]: v } })
}

/**
 * The leaf ranges of the RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in a tree of `treeSize`,
 * in proof order (nearest the leaf first). Throws InvalidTreeRange unless `0 ≤ index < treeSize`.
 */
export function inclusionRanges(index: number, treeSize: number): LeafRange[] {
  checkSize('index', index)
  checkSize('treeSize', treeSize)
  if (index >= treeSize)
    throw new InvalidTreeRange(`leaf index ${index} is not below tree size ${treeSize}`, {
      details: { index, treeSize },
    })
  const out: LeafRange[] = []
  let lo = 0
  let hi = treeSize
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo)
    if (index < lo + k) {
      out.push([lo + k, hi])
      hi = lo + k
    } else {
      out.push([lo, lo + k])
      lo += k
    }
  }
  return out.reverse()
}

/**
 * The leaf ranges of the RFC 9162 §2.1.4.1 consistency proof between tree sizes `first` and `second`,
 * in proof order. Empty when `first` is 0 or equal to `second`. Throws InvalidTreeRange unless
 * `0 ≤ first ≤ second`.
 */
export function consistencyRanges(first: number, second: number): LeafRange[] {
  checkSize('first', first)
  checkSize('second', second)
  if (first > second)
    throw new InvalidTreeRange(`first tree size ${first} is above second ${second}`, {
      details: { first, second },
    })
  if (first === 0 || first === second) return []
  const out: LeafRange[] = []
  let lo = 0
  let hi = second
  let whole = true // RFC's `b`: the range is a subtree of the old tree's root path only
  while (first !== hi) {
    const k = splitPoint(hi - lo)
    if (first <= lo + k) {
      out.push([lo + k, hi])
      hi = lo + k
    } else {
      out.push([lo, lo + k])
      lo += k
      whole = false
    }
  }
  if (!whole) out.push([lo, hi])
  return out.reverse()
}

/** All levels of the tree over `hashes`, level 0 first; an odd last node is not carried (kept exact). */
function levelsOf(hashes: readonly Uint8Array[]): Uint8Array[][] {
  const levels: Uint8Array[][] = [hashes.slice()]
  let cur = levels[0] as Uint8Array[]
  while (cur.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i + 1 < cur.length; i += 2)
      next.push(nodeHash(cur[i] as Uint8Array, cur[i + 1] as Uint8Array))
    levels.push(next)
    cur = next
  }
  return levels
}

function rangeHashFrom(levels: Uint8Array[][], r: LeafRange): Uint8Array {
  const nodes = rangeNodes(r[0], r[1]).map((n) => (levels[n.level] as Uint8Array[])[n.index] as Uint8Array)
  return new Uint8Array(foldRange(nodes)) // a copy: never hand out the caller's own hashes
}

/**
 * The inclusion proof (audit path) of leaf `index` in the tree over all of `hashes` (leaf hashes).
 * A reference builder for tests and small trees; a log answers from its tiles instead.
 */
export function inclusionPath(hashes: readonly Uint8Array[], index: number): Uint8Array[] {
  const ranges = inclusionRanges(index, hashes.length)
  const levels = levelsOf(hashes)
  return ranges.map((r) => rangeHashFrom(levels, r))
}

/**
 * The consistency proof from the tree over the first `m` of `hashes` (leaf hashes) to the tree over
 * all of them. A reference builder for tests and small trees.
 */
export function consistencyProof(hashes: readonly Uint8Array[], m: number): Uint8Array[] {
  const ranges = consistencyRanges(m, hashes.length)
  const levels = levelsOf(hashes)
  return ranges.map((r) => rangeHashFrom(levels, r))
}

function isPowerOfTwo(n: number): boolean {
  let p = 1
  while (p < n) p *= 2
  return p === n
}

function isHash(h: unknown): h is Uint8Array {
  return h instanceof Uint8Array && h.length === 32
}

function isPath(p: unknown): p is Uint8Array[] {
  return Array.isArray(p) && p.length <= 64 && p.every(isHash)
}

/**
 * Verifies an inclusion proof per RFC 9162 §2.1.3.2. Returns false (never throws) on any bad input.
 *
 * @example
 * verifyInclusion(leafHash(leaf), 5, 8, path, root) // true
 */
export function verifyInclusion(
  leafHashValue: Uint8Array,
  index: number,
  treeSize: number,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(leafHashValue) || !isHash(root) || !isPath(path)) return false
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize)
    return false
  let fn = index
  let sn = treeSize - 1
  let r = leafHashValue
  for (const p of path) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && bytesEqual(r, root)
}

/**
 * Verifies a consistency proof between tree sizes `m ≤ n` per RFC 9162 §2.1.4.2. `m = n` needs an empty
 * proof and equal roots; `m = 0` needs an empty proof and `rootM` the empty-tree root. Returns false
 * (never throws) on any bad input.
 *
 * @example
 * verifyConsistency(3, 7, root3, root7, proof) // true
 */
export function verifyConsistency(
  m: number,
  n: number,
  rootM: Uint8Array,
  rootN: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isHash(rootM) || !isHash(rootN) || !isPath(proof)) return false
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) return false
  if (m === 0) return proof.length === 0 && bytesEqual(rootM, EMPTY_ROOT)
  if (m === n) return proof.length === 0 && bytesEqual(rootM, rootN)
  if (proof.length === 0) return false
  let path = proof
  // m an exact power of two: the old root is itself a node of the new tree and starts the path.
  if (isPowerOfTwo(m)) path = [rootM, ...proof]
  let fn = m - 1
  let sn = n - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr = path[0] as Uint8Array
  let sr = path[0] as Uint8Array
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && bytesEqual(fr, rootM) && bytesEqual(sr, rootN)
}
