import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AlreadyAnchored, ChainRejected } from '../core/errors.ts'
import { checkBytes32, validateAnchorRequest } from './anchor-request.ts'
import type { OnChainAnchor } from './chain-adapter.ts'
import { recoverAlreadyAnchored } from './recover-already-anchored.ts'

const b32 = () => new Uint8Array(32).fill(7)

describe('checkBytes32', () => {
  it('accepts exactly 32 bytes and refuses anything else with InvalidInput naming the field', () => {
    checkBytes32(b32(), 'root')
    for (const bad of [new Uint8Array(31), new Uint8Array(33), [...b32()] as unknown as Uint8Array])
      assert.throws(() => checkBytes32(bad, 'nodeKey'), {
        name: 'InvalidInput',
        message: 'nodeKey must be 32 bytes',
        details: { what: 'nodeKey' },
      })
  })
})

describe('validateAnchorRequest', () => {
  it('checks logId, then root, then the tree size', () => {
    assert.throws(
      () =>
        validateAnchorRequest({ logId: new Uint8Array(1), treeSize: -1, root: b32() }, { minTreeSize: 1 }),
      {
        message: 'logId must be 32 bytes',
      },
    )
    assert.throws(
      () =>
        validateAnchorRequest({ logId: b32(), treeSize: -1, root: new Uint8Array(1) }, { minTreeSize: 1 }),
      {
        message: 'root must be 32 bytes',
      },
    )
  })

  it('minTreeSize 1 refuses 0; minTreeSize 0 lets it through to the chain', () => {
    const req = { logId: b32(), treeSize: 0, root: b32() }
    assert.throws(() => validateAnchorRequest(req, { minTreeSize: 1 }), {
      name: 'InvalidInput',
      message: 'treeSize must be a positive integer',
      details: { treeSize: 0 },
    })
    validateAnchorRequest(req, { minTreeSize: 0 })
  })

  it('refuses negative, fractional and unsafe tree sizes under both rules', () => {
    for (const minTreeSize of [0, 1] as const)
      for (const treeSize of [-1, 1.5, Number.NaN, 2 ** 53])
        assert.throws(() => validateAnchorRequest({ logId: b32(), treeSize, root: b32() }, { minTreeSize }), {
          name: 'InvalidInput',
          message: `treeSize must be a ${minTreeSize === 0 ? 'non-negative' : 'positive'} integer`,
        })
    validateAnchorRequest(
      { logId: b32(), treeSize: Number.MAX_SAFE_INTEGER, root: b32() },
      { minTreeSize: 1 },
    )
  })
})

describe('recoverAlreadyAnchored', () => {
  const anchor: OnChainAnchor = { logId: b32(), treeSize: 3, height: 9, timestamp: 1, submitter: 'other' }

  it('AlreadyAnchored with the anchor now readable: the request is done', async () => {
    assert.deepEqual(
      await recoverAlreadyAnchored(new AlreadyAnchored('anchor: root already anchored'), async () => anchor),
      {
        kind: 'already-anchored',
        anchor,
      },
    )
  })

  it('rethrows when the anchor is not readable, and any other error without reading', async () => {
    const already = new AlreadyAnchored('anchor: root already anchored')
    await assert.rejects(
      recoverAlreadyAnchored(already, async () => null),
      (e) => e === already,
    )
    let reads = 0
    const rejected = new ChainRejected('anchor reverted: NotOwner')
    await assert.rejects(
      recoverAlreadyAnchored(rejected, async () => {
        reads++
        return anchor
      }),
      (e) => e === rejected,
    )
    assert.equal(reads, 0)
  })
})
