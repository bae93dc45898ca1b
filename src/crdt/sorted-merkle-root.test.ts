import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sha256 } from '../core/hash.ts'
import { leafHash, nodeHash } from '../core/merkle.ts'
import { byteOrderKey, SortedMerkleRoot } from './sorted-merkle-root.ts'

/** RFC 6962 MTH written straight from the RFC's recursive definition. */
function referenceRoot(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return sha256(new Uint8Array(0))
  if (hashes.length === 1) return hashes[0]!
  let k = 1
  while (k * 2 < hashes.length) k *= 2
  return nodeHash(referenceRoot(hashes.slice(0, k)), referenceRoot(hashes.slice(k)))
}

function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

for (const every of [3, 7, 60])
  test(`incremental root equals the RFC 6962 definition under random changes (root read every ~${every} changes)`, () => {
    const rand = rng(42 + every)
    const tree = new SortedMerkleRoot()
    const model = new Map<string, Uint8Array>()
    for (let step = 0; step < 4000; step++) {
      const key = `k${Math.floor(rand() * 300)}`
      const r = rand()
      if (r < 0.6) {
        const h = leafHash(new Uint8Array([step & 255, step >> 8]))
        tree.set(key, h)
        model.set(key, h)
      } else {
        assert.equal(tree.delete(key), model.delete(key))
      }
      if (step % 11 === 0) assert.deepEqual(tree.keys(), [...model.keys()].sort())
      if (step % every === 0 || step < 40 || rand() < 0.02) {
        const sorted = [...model.keys()].sort().map((k) => model.get(k)!)
        assert.deepEqual(tree.root(), referenceRoot(sorted), `step ${step}, ${model.size} leaves`)
        assert.equal(tree.size, model.size)
      }
    }
  })

test('empty tree root is sha256("") and byteOrderKey sorts by UTF-8 bytes', () => {
  assert.deepEqual(new SortedMerkleRoot().root(), sha256(new Uint8Array(0)))
  const keys = ['\u{10000}', '\uffff', 'a', 'é']
  const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  assert.deepEqual(
    [...keys].sort((a, b) => (byteOrderKey(a) < byteOrderKey(b) ? -1 : 1)),
    byBytes,
  )
  assert.notDeepEqual([...keys].sort(), byBytes) // plain JS order would differ
})
