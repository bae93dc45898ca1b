import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from './bytes.ts'
import { sha256 } from './hash.ts'

test('sha256 matches FIPS 180-2 vectors', () => {
  assert.equal(
    toHex(sha256(new Uint8Array())),
    '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  )
  assert.equal(
    toHex(sha256(new TextEncoder().encode('abc'))),
    '0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  )
  const a = sha256(new Uint8Array([1, 2, 3]))
  assert.equal(a.length, 32)
  assert.ok(a instanceof Uint8Array)
})
