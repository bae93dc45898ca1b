import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Ed25519KeyIdentity } from '@dfinity/identity'
import { verifyDerSignature } from './der-signature.ts'

const ED25519_DER_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
/** The identity point (y = 1) as an Ed25519 public key, DER-wrapped. */
const IDENTITY_POINT_KEY = new Uint8Array([...ED25519_DER_PREFIX, 1, ...new Array(31).fill(0)])
/** R = identity, s = 0: "verifies" for every message under the identity key with ZIP-215 rules. */
const IDENTITY_POINT_SIG = new Uint8Array([1, ...new Array(63).fill(0)])

describe('DER signatures', () => {
  it('Ed25519: a real signature verifies, a changed message does not', async () => {
    const id = Ed25519KeyIdentity.generate()
    const msg = new TextEncoder().encode('hello')
    const sig = new Uint8Array(await id.sign(msg))
    const der = new Uint8Array(id.getPublicKey().toDer())
    assert.equal(verifyDerSignature(der, msg, sig), true)
    assert.equal(verifyDerSignature(der, new TextEncoder().encode('hellO'), sig), false)
  })

  it('Ed25519 is strict: the small-order identity key with s = 0 verifies nothing', () => {
    for (const msg of [new TextEncoder().encode('anything at all'), new Uint8Array([9, 9])])
      assert.equal(verifyDerSignature(IDENTITY_POINT_KEY, msg, IDENTITY_POINT_SIG), false)
  })
})
