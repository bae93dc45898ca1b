import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CrdtState } from '../crdt/crdt-state.ts'
import type { AppCallContext } from './app.ts'
import { kvApp } from './kv-app.ts'

const ctx = (state = new CrdtState()): AppCallContext => ({
  contextId: new Uint8Array(32),
  executor: new Uint8Array(32),
  state,
  limits: { keyBytes: 8, valueBytes: 16 },
})

test('set produces one LWW write; get, entries and remove read and delete it', () => {
  const app = kvApp()
  const state = new CrdtState()
  const set = app.call(ctx(state), 'set', { key: 'a', value: 'b' })
  assert.deepEqual(set, { output: null, ops: [{ t: 'lww.set', k: 'a', v: 'b' }] })
  state.apply({ deltaId: new Uint8Array(32), author: new Uint8Array(32), wallMs: 1, counter: 0 }, [
    { t: 'lww.set', k: 'a', v: 'b' },
  ])
  assert.deepEqual(app.call(ctx(state), 'get', { key: 'a' }), { output: 'b' })
  assert.deepEqual(app.call(ctx(state), 'get', { key: 'zz' }), { output: null })
  assert.deepEqual(app.call(ctx(state), 'entries', {}), { output: [{ key: 'a', value: 'b' }] })
  assert.deepEqual(app.call(ctx(state), 'remove', { key: 'a' }), {
    output: 'b',
    ops: [{ t: 'lww.del', k: 'a' }],
  })
  assert.deepEqual(app.call(ctx(state), 'remove', { key: 'zz' }), { output: null }) // nothing to remove: no delta
})

test('bad arguments, unknown methods and oversize keys or values are refused', () => {
  const app = kvApp()
  assert.throws(() => app.call(ctx(), 'set', { key: 'a' }), { name: 'InvalidInput' })
  assert.throws(() => app.call(ctx(), 'set', { key: '', value: 1 }), { name: 'InvalidInput' })
  assert.throws(() => app.call(ctx(), 'set', { key: 'a', value: 1, other: 2 }), { name: 'InvalidInput' })
  assert.throws(() => app.call(ctx(), 'get', [1]), { name: 'InvalidInput' })
  assert.throws(() => app.call(ctx(), 'get', { key: 7 }), { name: 'InvalidInput' })
  assert.throws(() => app.call(ctx(), 'drop', {}), { name: 'UnknownMethod' })
  assert.throws(() => app.call(ctx(), 'set', { key: 'k'.repeat(9), value: 1 }), { name: 'PayloadTooLarge' })
  assert.throws(() => app.call(ctx(), 'set', { key: 'k', value: 'v'.repeat(20) }), {
    name: 'PayloadTooLarge',
  })
})
