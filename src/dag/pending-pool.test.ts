import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PendingPool } from './pending-pool.ts'

test('items are released once every wait arrived, and the pool is bounded', () => {
  const pool = new PendingPool<string>(2)
  assert.ok(pool.hold('x', 'X', ['a', 'b']))
  assert.ok(pool.hold('y', 'Y', ['a']))
  assert.equal(pool.hold('z', 'Z', ['c']), false) // full
  assert.ok(pool.full)
  assert.deepEqual(pool.arrived('a'), [{ id: 'y', item: 'Y' }])
  assert.deepEqual(pool.waits(), ['b'])
  assert.deepEqual(pool.arrived('b'), [{ id: 'x', item: 'X' }])
  assert.equal(pool.size, 0)
})

test('discard drops the items waiting on something that will never arrive', () => {
  const pool = new PendingPool<string>(10)
  pool.hold('x', 'X', ['a', 'b'])
  pool.hold('y', 'Y', ['b'])
  assert.deepEqual(pool.discard('b').sort(), ['x', 'y'])
  assert.equal(pool.size, 0)
  assert.deepEqual(pool.arrived('a'), [])
})
