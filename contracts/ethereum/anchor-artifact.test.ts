import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { toHex } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import { anchorArtifact } from './anchor-artifact.ts'
import { ANCHOR_SOURCE_PATH, compileAnchorContract } from './compile-anchor.ts'

describe('MeroAnchor artifact', () => {
  it('is up to date with MeroAnchor.sol (run `npm run build` when this fails)', () => {
    const checkedIn = anchorArtifact()
    assert.equal(
      checkedIn.sourceHash,
      toHex(sha256(readFileSync(ANCHOR_SOURCE_PATH))),
      'source changed since the last build',
    )
    assert.deepEqual(compileAnchorContract(), checkedIn)
  })

  it('exposes the DESIGN §7 reference ABI', () => {
    const fns = new Map<
      string,
      { inputs: { type: string }[]; outputs?: { type: string }[]; stateMutability: string }
    >()
    for (const f of anchorArtifact().abi as {
      type: string
      name: string
      inputs: { type: string }[]
      outputs?: { type: string }[]
      stateMutability: string
    }[])
      if (f.type === 'function' || f.type === 'event')
        fns.set(`${f.name}(${f.inputs.map((i) => i.type).join(',')})`, f)
    const sig = (name: string) => {
      const f = fns.get(name)
      assert.ok(f, `missing ${name}`)
      return `${f.stateMutability ?? ''} -> ${(f.outputs ?? []).map((o) => o.type).join(',')}`
    }
    assert.equal(sig('anchor(bytes32,uint64,bytes32)'), 'nonpayable -> ')
    assert.equal(sig('anchorOf(bytes32)'), 'view -> bytes32,uint64,uint64,uint64,address')
    assert.equal(sig('registerNode(bytes32,address,string)'), 'nonpayable -> ')
    assert.equal(sig('revokeNode(bytes32)'), 'nonpayable -> ')
    assert.equal(sig('isNode(bytes32)'), 'view -> bool')
    assert.equal(sig('verifyInclusion(bytes32,bytes32,uint64,uint64,bytes32[])'), 'pure -> bool')
    assert.ok(fns.has('Anchored(bytes32,bytes32,uint64,address)'))
  })
})
