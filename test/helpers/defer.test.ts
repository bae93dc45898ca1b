import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defer } from './defer.ts'

/** A stand-in for the test context: records `after` hooks so the test can run them. */
function fakeContext() {
  const hooks: (() => Promise<void>)[] = []
  return { hooks, after: (fn: () => Promise<void>) => void hooks.push(fn) }
}

test('defer runs cleanups last-registered first, all of them, and rethrows the first failure', async () => {
  const t = fakeContext()
  const ran: string[] = []
  defer(t, () => ran.push('remove folder'))
  defer(t, () => {
    ran.push('stop chain')
    throw new Error('chain stop failed')
  })
  defer(t, async () => {
    await new Promise((r) => setTimeout(r, 5))
    ran.push('stop node')
  })
  assert.equal(t.hooks.length, 1, 'one after hook per test')
  await assert.rejects(t.hooks[0]!(), /chain stop failed/)
  assert.deepEqual(ran, ['stop node', 'stop chain', 'remove folder'])
})
