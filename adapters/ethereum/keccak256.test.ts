import assert from 'node:assert/strict'
import { test } from 'node:test'
import { keccak_256 } from '@noble/hashes/sha3'
import createKeccakHash from 'keccak'
import { KECCAK_NATIVE, keccak256 } from './keccak256.ts'

test('keccak256 runs on the native addon here and equals keccak-256 for every length around the rate', () => {
  assert.ok(KECCAK_NATIVE, 'the native sponge loads (else sign-in falls back to the slower wrapper)')
  assert.equal(
    keccak256(new Uint8Array()).toString('hex'),
    'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
  )
  for (let n = 0; n <= 300; n++) {
    const data = Buffer.alloc(n, n & 0xff)
    const expected = Buffer.from(keccak_256(data)).toString('hex')
    assert.equal(keccak256(data).toString('hex'), expected, `length ${n}`)
    assert.equal(createKeccakHash('keccak256').update(data).digest('hex'), expected)
    // parts are hashed as their concatenation, whatever the split
    const cut = n >> 1
    assert.equal(
      keccak256(data.subarray(0, cut), new Uint8Array(data.subarray(cut))).toString('hex'),
      expected,
    )
  }
})
