import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Aborted, ChainUnavailable, isMeroError } from '../core/errors.ts'
import { guardChainCall } from './guard-chain-call.ts'
import { raceSignal } from './race-signal.ts'

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('raceSignal', () => {
  it('without a signal is the promise itself', async () => {
    const p = Promise.resolve(7)
    assert.equal(raceSignal(p, undefined), p)
  })

  it('resolves and rejects like the promise while the signal stays quiet', async () => {
    const ac = new AbortController()
    assert.equal(await raceSignal(Promise.resolve('v'), ac.signal), 'v')
    const boom = new Error('boom')
    await assert.rejects(raceSignal(Promise.reject(boom), ac.signal), (e) => e === boom)
  })

  it('rejects with Aborted (cause: the reason) when the signal aborts first', async () => {
    const ac = new AbortController()
    const work = deferred<number>()
    const raced = raceSignal(work.promise, ac.signal)
    const reason = new Error('caller gave up')
    ac.abort(reason)
    await assert.rejects(raced, (e) => e instanceof Aborted && e.cause === reason)
    work.resolve(1) // the work may still finish: nothing observes it any more
  })

  it('rejects at once on an aborted signal, and swallows the work’s later failure', async () => {
    const work = deferred<number>()
    await assert.rejects(raceSignal(work.promise, AbortSignal.abort()), { name: 'Aborted' })
    work.reject(new Error('late failure')) // must not surface as an unhandled rejection
    await new Promise((r) => setImmediate(r))
  })
})

describe('guardChainCall', () => {
  const toError = (e: unknown) =>
    isMeroError(e) ? e : new ChainUnavailable(`converted: ${(e as Error).message}`, { cause: e })

  it('passes the result through', async () => {
    assert.equal(await guardChainCall(undefined, async () => 42, toError), 42)
  })

  it('converts what the call throws, also synchronously', async () => {
    await assert.rejects(
      guardChainCall(
        undefined,
        async () => {
          throw new Error('ECONNREFUSED')
        },
        toError,
      ),
      { name: 'ChainUnavailable', message: 'converted: ECONNREFUSED' },
    )
    await assert.rejects(
      guardChainCall(
        undefined,
        () => {
          throw new Error('sync')
        },
        toError,
      ),
      { name: 'ChainUnavailable', message: 'converted: sync' },
    )
  })

  it('an abort reaches the classifier as Aborted', async () => {
    const seen: unknown[] = []
    await assert.rejects(
      guardChainCall(
        AbortSignal.abort(),
        () => new Promise(() => {}),
        (e) => {
          seen.push(e)
          return toError(e)
        },
      ),
      { name: 'Aborted' },
    )
    assert.ok(seen[0] instanceof Aborted)
  })
})
