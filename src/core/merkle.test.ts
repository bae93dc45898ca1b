import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { fromHex, toHex } from '../core/bytes.ts'
import { InvalidTreeRange } from '../core/errors.ts'
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionPath,
  leafHash,
  merkleRoot,
  merkleRootOfLeafHashes,
  nodeHash,
  rangeNodes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts'

// An independent model written straight from RFC 6962 §2.1 (recursive, node:crypto's createHash).
const H = (...parts: Uint8Array[]) =>
  new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest())
const k = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1)
const MTH = (d: Uint8Array[]): Uint8Array =>
  d.length === 0
    ? H()
    : d.length === 1
      ? H(Uint8Array.of(0), d[0] as Uint8Array)
      : H(Uint8Array.of(1), MTH(d.slice(0, k(d.length))), MTH(d.slice(k(d.length))))
const PATH = (m: number, d: Uint8Array[]): Uint8Array[] => {
  if (d.length === 1) return []
  const s = k(d.length)
  return m < s
    ? [...PATH(m, d.slice(0, s)), MTH(d.slice(s))]
    : [...PATH(m - s, d.slice(s)), MTH(d.slice(0, s))]
}
const SUBPROOF = (m: number, d: Uint8Array[], b: boolean): Uint8Array[] => {
  if (m === d.length) return b ? [] : [MTH(d)]
  const s = k(d.length)
  return m <= s
    ? [...SUBPROOF(m, d.slice(0, s), b), MTH(d.slice(s))]
    : [...SUBPROOF(m - s, d.slice(s), false), MTH(d.slice(0, s))]
}

const flip = (b: Uint8Array, i: number) => {
  b[i] = (b[i] as number) ^ 1
}

const leaves = Array.from({ length: 70 }, (_, i) => new Uint8Array(1 + (i % 5)).fill(i))
const hashes = leaves.map(leafHash)
const hexes = (a: Uint8Array[]) => a.map(toHex)

// Certificate Transparency / transparency-dev reference leaves and tree heads.
const CT = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => fromHex(h))
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]

describe('merkle (RFC 6962 / 9162)', () => {
  it('hashes the empty tree to sha256("") and uses the 0x00 / 0x01 prefixes', () => {
    assert.equal(toHex(EMPTY_ROOT), '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    assert.equal(toHex(merkleRoot([])), toHex(EMPTY_ROOT))
    assert.equal(toHex(leafHash(fromHex('abcd'))), toHex(H(Uint8Array.of(0, 0xab, 0xcd))))
    const [a, b] = [hashes[1] as Uint8Array, hashes[2] as Uint8Array]
    assert.equal(toHex(nodeHash(a, b)), toHex(H(Uint8Array.of(1), a, b)))
  })

  it('matches the Certificate Transparency reference roots for sizes 0..8', () => {
    for (let n = 0; n <= 8; n++)
      assert.equal(toHex(merkleRoot(CT.slice(0, n))), `0x${CT_ROOTS[n]}`, `size ${n}`)
  })

  it('matches the published CT inclusion and consistency proofs', () => {
    const h = CT.map(leafHash)
    assert.deepEqual(hexes(inclusionPath(h, 0)), [
      '0x96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '0x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '0x6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ])
    assert.deepEqual(hexes(inclusionPath(h, 5)), [
      '0xbc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      '0xca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      '0xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ])
    assert.deepEqual(hexes(consistencyProof(h, 2)), [
      '0x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '0x6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ])
    assert.deepEqual(hexes(consistencyProof(h, 6)), [
      '0x0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      '0xca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      '0xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ])
    assert.deepEqual(hexes(consistencyProof(h.slice(0, 5), 2)), [
      '0x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '0xbc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ])
  })

  it('agrees with the recursive RFC definitions for every size 0..70', () => {
    for (let n = 0; n <= 70; n++) {
      const d = leaves.slice(0, n)
      const root = merkleRoot(d)
      assert.equal(toHex(root), toHex(MTH(d)), `root ${n}`)
      assert.equal(toHex(merkleRootOfLeafHashes(hashes.slice(0, n))), toHex(root))
      for (let i = 0; i < n; i++) {
        const path = inclusionPath(hashes.slice(0, n), i)
        assert.deepEqual(hexes(path), hexes(PATH(i, d)), `path ${i}/${n}`)
        assert.ok(verifyInclusion(hashes[i] as Uint8Array, i, n, path, root), `verify ${i}/${n}`)
      }
      for (let m = 1; m < n; m++) {
        const proof = consistencyProof(hashes.slice(0, n), m)
        assert.deepEqual(hexes(proof), hexes(SUBPROOF(m, d, true)), `consistency ${m}/${n}`)
        assert.ok(verifyConsistency(m, n, MTH(leaves.slice(0, m)), root, proof), `verify ${m}/${n}`)
      }
    }
  })

  it('rejects every tampered inclusion proof', () => {
    for (let n = 1; n <= 40; n++) {
      const root = merkleRootOfLeafHashes(hashes.slice(0, n))
      for (let i = 0; i < n; i++) {
        const path = inclusionPath(hashes.slice(0, n), i)
        const leaf = hashes[i] as Uint8Array
        assert.equal(verifyInclusion(hashes[(i + 1) % 70] as Uint8Array, i, n, path, root), false)
        if (n > 1) assert.equal(verifyInclusion(leaf, (i + 1) % n, n, path, root), false, `index ${i}/${n}`)
        assert.equal(verifyInclusion(leaf, i, n, [...path, leaf], root), false)
        if (path.length > 0) {
          assert.equal(verifyInclusion(leaf, i, n, path.slice(1), root), false)
          const bad = path.map((p) => new Uint8Array(p))
          flip(bad[bad.length - 1] as Uint8Array, 0)
          assert.equal(verifyInclusion(leaf, i, n, bad, root), false)
        }
      }
    }
  })

  it('rejects every tampered consistency proof', () => {
    for (let n = 2; n <= 40; n++) {
      const root = merkleRootOfLeafHashes(hashes.slice(0, n))
      for (let m = 1; m < n; m++) {
        const rootM = merkleRootOfLeafHashes(hashes.slice(0, m))
        const proof = consistencyProof(hashes.slice(0, n), m)
        assert.equal(verifyConsistency(m, n, root, rootM, proof), false)
        assert.equal(verifyConsistency(m, n, rootM, root, proof.slice(1)), false, `short ${m}/${n}`)
        assert.equal(verifyConsistency(m, n, rootM, root, [...proof, rootM]), false, `long ${m}/${n}`)
        if (m + 1 < n) assert.equal(verifyConsistency(m + 1, n, rootM, root, proof), false)
        const bad = proof.map((p) => new Uint8Array(p))
        flip(bad[0] as Uint8Array, 5)
        assert.equal(verifyConsistency(m, n, rootM, root, bad), false, `flip ${m}/${n}`)
      }
    }
  })

  it('handles the degenerate consistency cases and never throws on junk', () => {
    const r4 = merkleRootOfLeafHashes(hashes.slice(0, 4))
    const r5 = merkleRootOfLeafHashes(hashes.slice(0, 5))
    assert.equal(verifyConsistency(4, 4, r4, r4, []), true)
    assert.equal(verifyConsistency(4, 4, r4, r5, []), false)
    assert.equal(verifyConsistency(4, 4, r4, r4, [r4]), false)
    assert.equal(verifyConsistency(0, 5, EMPTY_ROOT, r5, []), true)
    assert.equal(verifyConsistency(0, 5, r4, r5, []), false)
    assert.equal(verifyConsistency(5, 4, r5, r4, []), false)
    const junk: unknown[] = [
      null,
      undefined,
      'x',
      1.5,
      -1,
      Number.NaN,
      new Uint8Array(31),
      [new Uint8Array(31)],
      {},
      2 ** 60,
    ]
    for (const j of junk) {
      const a = j as never
      assert.equal(verifyInclusion(a, 0, 1, [], r4), false)
      assert.equal(verifyInclusion(hashes[0] as Uint8Array, a, 1, [], r4), false)
      assert.equal(verifyInclusion(hashes[0] as Uint8Array, 0, a, [], r4), false)
      assert.equal(verifyInclusion(hashes[0] as Uint8Array, 0, 1, a, r4), false)
      assert.equal(verifyConsistency(a, 5, r4, r5, []), false)
      assert.equal(verifyConsistency(4, a, r4, r5, []), false)
      assert.equal(verifyConsistency(4, 5, a, r5, []), false)
      assert.equal(verifyConsistency(4, 5, r4, r5, a), false)
    }
  })

  it('reference builders reject bad ranges with InvalidTreeRange', () => {
    assert.throws(() => inclusionPath(hashes.slice(0, 3), 3), InvalidTreeRange)
    assert.throws(() => inclusionPath(hashes.slice(0, 3), -1), InvalidTreeRange)
    assert.throws(() => consistencyProof(hashes.slice(0, 3), 4), InvalidTreeRange)
    assert.deepEqual(consistencyProof(hashes.slice(0, 3), 3), [])
    assert.deepEqual(consistencyProof(hashes.slice(0, 3), 0), [])
  })

  it('decomposes an edge range into aligned complete nodes', () => {
    assert.deepEqual(rangeNodes(8, 14), [
      { level: 2, index: 2 },
      { level: 1, index: 6 },
    ])
    assert.deepEqual(rangeNodes(0, 16), [{ level: 4, index: 0 }])
    assert.deepEqual(rangeNodes(64, 67), [
      { level: 1, index: 32 },
      { level: 0, index: 66 },
    ])
  })
})
