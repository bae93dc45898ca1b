import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { openStore, section } from '../store/store.ts'
import { WriteQueue } from './write-queue.ts'

test('writes land in order, empty enqueues act as barriers, drain settles; a failure fails the queue behind it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mero-wq-'))
  const store = await openStore(join(dir, 'db'))
  t.after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  const s = section(store, 'wq')
  const failures: unknown[] = []
  const q = new WriteQueue(store, (e) => failures.push(e))
  await q.enqueue([])
  await q.drain() // must not hang after a write with no operations
  const writes = Array.from({ length: 50 }, (_, i) =>
    q.enqueue([{ type: 'put', sublevel: s, key: 'k', value: new Uint8Array([i]) }]),
  )
  await Promise.all(writes)
  await q.drain()
  assert.deepEqual([...((await s.get('k')) ?? [])], [49])
  const bad = q.enqueue([
    { type: 'put', sublevel: s, key: undefined as unknown as string, value: new Uint8Array(1) },
  ])
  const behind = q.enqueue([{ type: 'put', sublevel: s, key: 'k', value: new Uint8Array([99]) }])
  await assert.rejects(bad)
  await assert.rejects(behind)
  assert.equal(failures.length, 1)
  assert.deepEqual([...((await s.get('k')) ?? [])], [49])
})
