import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { anchoredStatus } from './anchored-status.ts'

const anchor = { logId: new Uint8Array(32), treeSize: 7, height: 10, timestamp: 1, submitter: 'a' }

describe('anchoredStatus', () => {
  it('counts confirmations from the anchor height to the head, final at the finality', () => {
    assert.deepEqual(anchoredStatus({ anchor, head: 10, finality: 2 }), {
      state: 'included',
      height: 10,
      confirmations: 1,
      anchor,
    })
    const s = anchoredStatus({ anchor, head: 11, finality: 2, tx: '0xabc' })
    assert.equal(s.state, 'final')
    assert.equal(s.state === 'final' && s.confirmations, 2)
    assert.equal(s.state === 'final' && s.tx, '0xabc')
  })

  it('a head read before the anchor counts as one confirmation; below a final head it is zero', () => {
    assert.equal(anchoredStatus({ anchor, head: 9, finality: 1 }).state, 'final')
    const nearFinal = anchoredStatus({ anchor, head: 8, finality: 1, minConfirmations: 0 })
    assert.equal(nearFinal.state, 'included')
    assert.equal(nearFinal.state === 'included' && nearFinal.confirmations, 0)
  })
})
