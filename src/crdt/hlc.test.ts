import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compareHlc, compareHlcTime, HLC_MAX_COUNTER, HlcClock } from './hlc.ts'

const node = (b: number) => new Uint8Array(32).fill(b)

test('HLC order: wall time, then counter, then node bytes', () => {
  const a = { wallMs: 5, counter: 9, node: node(9) }
  const b = { wallMs: 6, counter: 0, node: node(0) }
  const c = { wallMs: 6, counter: 1, node: node(0) }
  const d = { wallMs: 6, counter: 1, node: node(1) }
  assert.deepEqual([d, c, b, a].sort(compareHlc), [a, b, c, d])
  assert.equal(compareHlcTime(c, d), 0)
})

test('clock never goes backwards and exceeds every observed time', () => {
  let wall = 1000
  const clock = new HlcClock(node(1), () => wall)
  const t1 = clock.now()
  assert.deepEqual([t1.wallMs, t1.counter], [1000, 0])
  const t2 = clock.now()
  assert.deepEqual([t2.wallMs, t2.counter], [1000, 1])
  wall = 900 // the wall clock stepped back
  const t3 = clock.now()
  assert.ok(compareHlcTime(t3, t2) > 0)
  const t4 = clock.now([{ wallMs: 5000, counter: 7 }]) // a parent from a clock that runs ahead
  assert.deepEqual([t4.wallMs, t4.counter], [5000, 8])
  wall = 6000
  assert.deepEqual(clock.now().wallMs, 6000)
  clock.observe({ wallMs: 6000, counter: HLC_MAX_COUNTER })
  const t5 = clock.now()
  assert.deepEqual([t5.wallMs, t5.counter], [6001, 0])
})
