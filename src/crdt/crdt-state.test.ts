import assert from 'node:assert/strict'
import { test } from 'node:test'
import { concatBytes, u32be } from '../core/bytes.ts'
import { decodeCanonical } from '../dag/canonical-cbor.ts'
import type { CrdtOp } from './crdt-op.ts'
import { parseCrdtOp } from './crdt-op.ts'
import { CrdtState, type OpOrigin } from './crdt-state.ts'

const id = (b: number) => new Uint8Array(32).fill(b)
const origin = (d: number, author: number, wallMs: number, counter = 0): OpOrigin => ({
  deltaId: id(d),
  author: id(author),
  wallMs,
  counter,
})
const tag = (d: number, i: number) => concatBytes(id(d), u32be(i))

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs]
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]))
}

function replay(deltas: [OpOrigin, CrdtOp[]][]): CrdtState {
  const s = new CrdtState()
  for (const [o, ops] of deltas) s.apply(o, ops)
  return s
}

test('every delivery order of the same deltas gives the same entries and root', () => {
  const deltas: [OpOrigin, CrdtOp[]][] = [
    [
      origin(1, 1, 100),
      [
        { t: 'lww.set', k: 'x', v: 'a' },
        { t: 'set.add', k: 'tags', e: 'red' },
        { t: 'ctr.add', k: 'n', n: 5 },
      ],
    ],
    [
      origin(2, 2, 100),
      [
        { t: 'lww.set', k: 'x', v: 'b' },
        { t: 'set.add', k: 'tags', e: 'red' },
        { t: 'ctr.add', k: 'n', n: -2 },
      ],
    ],
    [
      origin(3, 1, 101),
      [
        { t: 'lww.del', k: 'x' },
        { t: 'set.rm', k: 'tags', e: 'red', tags: [tag(1, 1)] },
        { t: 'lww.set', k: 'y', v: { deep: [1, 2] } },
      ],
    ],
    [
      origin(4, 3, 99),
      [
        { t: 'lww.set', k: 'x', v: 'late-but-older' },
        { t: 'set.add', k: 'tags', e: 'blue' },
      ],
    ],
    [
      origin(5, 3, 102),
      [
        { t: 'set.rm', k: 'tags', e: 'blue', tags: [tag(4, 1)] },
        { t: 'ctr.add', k: 'n', n: 10 },
      ],
    ],
  ]
  const roots = new Set<string>()
  let first: CrdtState | undefined
  for (const order of permutations(deltas)) {
    const s = replay(order)
    roots.add(Buffer.from(s.root()).toString('hex'))
    first ??= s
  }
  assert.equal(roots.size, 1)
  const s = first!
  assert.equal(s.readRegister('x'), undefined) // the delete at 101 beats both sets at 100 and the set at 99
  assert.deepEqual(s.readRegister('y'), { deep: [1, 2] })
  assert.deepEqual(s.readSet('tags'), ['red']) // delta 2 added red concurrently with the remove of delta 1's tag: add wins
  assert.equal(s.readCounter('n'), 13n)
  assert.deepEqual(
    s.entries().map((e) => [Buffer.from(e.key).toString(), decodeCanonical(e.value)]),
    [
      ['c:n', 13],
      ['r:y', { deep: [1, 2] }],
      ['s:tags', ['red']],
    ],
  )
})

test('LWW ties on time break by author, then delta id, then op index', () => {
  const s = new CrdtState()
  s.apply(origin(9, 1, 50), [{ t: 'lww.set', k: 'k', v: 'author1' }])
  s.apply(origin(1, 2, 50), [{ t: 'lww.set', k: 'k', v: 'author2' }])
  assert.equal(s.readRegister('k'), 'author2')
  s.apply(origin(2, 2, 50), [
    { t: 'lww.set', k: 'k', v: 'first' },
    { t: 'lww.set', k: 'k', v: 'second' },
  ])
  assert.equal(s.readRegister('k'), 'second')
})

test('a remove naming a tag before its add lands keeps that add removed, in either order', () => {
  const add: [OpOrigin, CrdtOp[]] = [origin(7, 1, 10), [{ t: 'set.add', k: 's', e: 1 }]]
  const rm: [OpOrigin, CrdtOp[]] = [origin(8, 2, 5), [{ t: 'set.rm', k: 's', e: 2, tags: [tag(7, 0)] }]]
  assert.deepEqual(replay([add, rm]).readSet('s'), [])
  assert.deepEqual(replay([rm, add]).readSet('s'), [])
  assert.deepEqual(replay([add, rm]).root(), replay([rm, add]).root())
})

test('records round-trip: a state rebuilt from its persisted records has the same root and values', () => {
  const s = new CrdtState()
  const changed = new Set<string>()
  const batches: [OpOrigin, CrdtOp[]][] = [
    [
      origin(1, 1, 1),
      [
        { t: 'lww.set', k: 'a', v: new Uint8Array([1, 2]) },
        { t: 'set.add', k: 'b', e: 'x' },
        { t: 'ctr.add', k: 'c', n: Number.MAX_SAFE_INTEGER },
      ],
    ],
    [
      origin(2, 1, 2),
      [
        { t: 'lww.del', k: 'a' },
        { t: 'set.rm', k: 'b', e: 'zz', tags: [tag(99, 0)] },
        { t: 'ctr.add', k: 'c', n: Number.MAX_SAFE_INTEGER },
      ],
    ],
  ]
  for (const [o, ops] of batches) for (const k of s.apply(o, ops)) changed.add(k)
  const records: [string, Uint8Array][] = [...changed].map((k) => [k, s.encodeRecord(k)!])
  const again = CrdtState.fromRecords(records)
  assert.deepEqual(again.root(), s.root())
  assert.equal(again.readCounter('c'), 2n * BigInt(Number.MAX_SAFE_INTEGER))
  // The tombstones came back too: the deleted register stays deleted against an older write.
  again.apply(origin(3, 1, 1), [
    { t: 'lww.set', k: 'a', v: 'older' },
    { t: 'set.add', k: 'b', e: 'y' },
  ])
  s.apply(origin(3, 1, 1), [
    { t: 'lww.set', k: 'a', v: 'older' },
    { t: 'set.add', k: 'b', e: 'y' },
  ])
  assert.equal(again.readRegister('a'), undefined)
  assert.deepEqual(again.root(), s.root())
})

test('prepare fills set removes with observed tags and drops removes of absent elements', () => {
  const s = new CrdtState()
  s.apply(origin(1, 1, 1), [
    { t: 'set.add', k: 's', e: 'a' },
    { t: 'set.add', k: 's', e: 'a' },
  ])
  const ops = s.prepare([
    { t: 'set.rm', k: 's', e: 'a' },
    { t: 'set.rm', k: 's', e: 'missing' },
  ])
  assert.deepEqual(ops, [{ t: 'set.rm', k: 's', e: 'a', tags: [tag(1, 0), tag(1, 1)] }])
})

test('parseCrdtOp rejects bad shapes and oversize keys and values', () => {
  const limits = { keyBytes: 4, valueBytes: 8 }
  assert.throws(() => parseCrdtOp({ t: 'lww.set', k: 'a' }, limits), { name: 'InvalidDelta' })
  assert.throws(() => parseCrdtOp({ t: 'lww.set', k: 'a', v: 1, extra: 1 }, limits), { name: 'InvalidDelta' })
  assert.throws(() => parseCrdtOp({ t: 'nope', k: 'a' }, limits), { name: 'InvalidDelta' })
  assert.throws(() => parseCrdtOp({ t: 'ctr.add', k: 'a', n: 1.5 }, limits), { name: 'InvalidDelta' })
  assert.throws(() => parseCrdtOp({ t: 'set.rm', k: 'a', e: 1, tags: [tag(2, 0), tag(1, 0)] }, limits), {
    name: 'InvalidDelta',
  })
  assert.throws(() => parseCrdtOp({ t: 'lww.set', k: 'abcde', v: 1 }, limits), { name: 'PayloadTooLarge' })
  assert.throws(() => parseCrdtOp({ t: 'lww.set', k: 'a', v: 'x'.repeat(20) }, limits), {
    name: 'PayloadTooLarge',
  })
  assert.deepEqual(parseCrdtOp({ t: 'lww.del', k: 'a' }, limits), { t: 'lww.del', k: 'a' })
})
