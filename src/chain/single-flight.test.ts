import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createSingleFlight } from './single-flight.ts'

describe('createSingleFlight', () => {
  it('concurrent calls with one key share one run; other keys run on their own', async () => {
    const flight = createSingleFlight<string>()
    let starts = 0
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const start = (v: string) => async () => {
      starts++
      await gate
      return v
    }
    const a = flight.run('k', start('first'))
    const b = flight.run('k', start('second'))
    const c = flight.run('other', start('third'))
    assert.equal(a, b)
    release()
    assert.deepEqual(await Promise.all([a, b, c]), ['first', 'first', 'third'])
    assert.equal(starts, 2)
  })

  it('forgets a key once its run settles, after success and after failure', async () => {
    const flight = createSingleFlight<number>()
    let n = 0
    assert.equal(await flight.run('k', async () => ++n), 1)
    assert.equal(await flight.run('k', async () => ++n), 2)
    await assert.rejects(
      flight.run('k', async () => {
        throw new Error('send failed')
      }),
      /send failed/,
    )
    assert.equal(await flight.run('k', async () => ++n), 3)
  })

  it('a failed shared run rejects every caller that joined it', async () => {
    const flight = createSingleFlight<number>()
    let fail!: (e: Error) => void
    const start = () =>
      new Promise<number>((_, reject) => {
        fail = reject
      })
    const a = flight.run('k', start)
    const b = flight.run('k', start)
    fail(new Error('reverted'))
    await assert.rejects(a, /reverted/)
    await assert.rejects(b, /reverted/)
  })
})

describe('createSingleFlight and abort signals', () => {
  const gated = () => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    return { gate, release }
  }

  it('the first caller aborting ends only its own wait; the shared work goes on for the others', async () => {
    const flight = createSingleFlight<string>()
    const { gate, release } = gated()
    let workSignal: AbortSignal | undefined
    const first = new AbortController()
    const a = flight.run(
      'k',
      async (signal) => {
        workSignal = signal
        await gate
        return 'sent'
      },
      first.signal,
    )
    const b = flight.run('k', async () => 'never', new AbortController().signal)
    first.abort()
    await assert.rejects(a, { name: 'Aborted' })
    assert.equal(workSignal?.aborted, false, 'another caller still waits')
    release()
    assert.equal(await b, 'sent')
  })

  it('the work is aborted once every joined caller has aborted', async () => {
    const flight = createSingleFlight<string>()
    const { gate } = gated()
    let workSignal: AbortSignal | undefined
    const c1 = new AbortController()
    const c2 = new AbortController()
    const start = async (signal: AbortSignal) => {
      workSignal = signal
      await gate
      return 'x'
    }
    const a = flight.run('k', start, c1.signal)
    const b = flight.run('k', start, c2.signal)
    c1.abort()
    assert.equal(workSignal?.aborted, false)
    c2.abort()
    assert.equal(workSignal?.aborted, true)
    await assert.rejects(a, { name: 'Aborted' })
    await assert.rejects(b, { name: 'Aborted' })
  })

  it('a caller without a signal keeps the work alive', async () => {
    const flight = createSingleFlight<string>()
    const { gate, release } = gated()
    let workSignal: AbortSignal | undefined
    const c1 = new AbortController()
    const a = flight.run(
      'k',
      async (signal) => {
        workSignal = signal
        await gate
        return 'done'
      },
      c1.signal,
    )
    const b = flight.run('k', async () => 'never')
    c1.abort()
    await assert.rejects(a, { name: 'Aborted' })
    assert.equal(workSignal?.aborted, false)
    release()
    assert.equal(await b, 'done')
  })
})
