/**
 * kill -9 safety: a child process writes deltas as fast as it can and prints each acknowledged delta
 * id; the parent kills it with SIGKILL mid-stream, reopens the database and checks that every
 * acknowledged delta survived and that the persisted state equals a replay of the persisted deltas
 * (no half-written delta). The same file is the child when MERO_CRASH_CHILD is set.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { defer } from '../../test/helpers/defer.ts'
import { loadConfig } from '../core/config.ts'
import { openStore } from '../store/store.ts'
import { type ContextLimits, ContextManager } from './context-manager.ts'

/** The node's default limits (the one defaults object in the config schema). */
const LIMITS: ContextLimits = loadConfig({ dataDir: '.' }).limits
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

async function child(dbPath: string): Promise<void> {
  const store = await openStore(dbPath)
  const cm = await ContextManager.open({ store, limits: LIMITS })
  const { contextId, memberPublicKey } = await cm.createContext()
  process.stdout.write(`ctx ${hex(contextId)}\n`)
  let i = 0
  const worker = async () => {
    for (;;) {
      const n = i++
      const r = await cm.commit(contextId, memberPublicKey, [
        { t: 'lww.set', k: `k${n % 50}`, v: n },
        { t: 'set.add', k: 'seen', e: n % 20 },
        { t: 'ctr.add', k: 'count', n: 1 },
      ])
      process.stdout.write(`ack ${hex(r!)}\n`)
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
}

if (process.env.MERO_CRASH_CHILD) {
  await child(process.env.MERO_CRASH_CHILD)
} else {
  test('acknowledged deltas survive kill -9 and the state matches the stored deltas', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mero-crash-'))
    defer(t, () => rm(dir, { recursive: true, force: true }))
    const dbPath = join(dir, 'db')
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, MERO_CRASH_CHILD: dbPath },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    // Killed whatever happens (a failure or a timeout before the parent's own SIGKILL), before the rm.
    defer(t, async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL')
        await gone
      }
    })
    let contextHex = ''
    const acked: string[] = []
    let buffered = ''
    await new Promise<void>((resolve, reject) => {
      proc.on('error', reject)
      proc.on('exit', () => resolve())
      proc.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        for (const line of lines) {
          const [kind, value] = line.split(' ')
          if (kind === 'ctx') contextHex = value!
          if (kind === 'ack') acked.push(value!)
        }
        if (acked.length >= 400 && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL')
      })
    })
    assert.ok(contextHex, 'the child created a context')
    assert.ok(acked.length >= 400, `the child acknowledged ${acked.length} deltas`)

    const store = await openStore(dbPath)
    defer(t, () => store.close())
    const fresh = await openStore(join(dir, 'replay'))
    defer(t, () => fresh.close())
    const cm = await ContextManager.open({ store, limits: LIMITS })
    defer(t, () => cm.close())
    const contextId = new Uint8Array(Buffer.from(contextHex, 'hex'))
    const view = await cm.getContext(contextId)
    for (const id of acked)
      assert.ok(await cm.getDelta(contextId, Buffer.from(id, 'hex')), `acknowledged delta ${id} is stored`)
    assert.ok(view.deltaCount >= acked.length)
    assert.equal(view.heads.length, 1)

    // Replaying the stored deltas on a fresh node gives exactly the stored state.
    const replay = await ContextManager.open({ store: fresh, limits: LIMITS })
    defer(t, () => replay.close())
    const exported = await cm.exportContext(contextId)
    assert.equal(exported.deltas.length, view.deltaCount)
    for (const op of exported.membershipOps) await replay.applyRemoteMembershipOp(op)
    for (const d of exported.deltas) assert.equal(await replay.applyRemoteDelta(d), 'applied')
    const replayed = await replay.getContext(contextId)
    assert.deepEqual(replayed.stateRoot, view.stateRoot)
    assert.deepEqual(replayed.heads, view.heads)
    assert.deepEqual(await replay.stateEntries(contextId), await cm.stateEntries(contextId))
    // And the reopened node keeps working.
    await cm.execute(contextId, view.members[0]!.publicKey, 'set', { key: 'after-crash', value: true })
    await cm.close()
    await replay.close()
  })
}
