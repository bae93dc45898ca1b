import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Ed25519KeyIdentity } from '@dfinity/identity'
import { p256 } from '@noble/curves/p256'
import { secp256k1 } from '@noble/curves/secp256k1'
import { sha256 } from '@noble/hashes/sha256'
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

  // The reference: @noble/curves with the IC's rule (any s, sha256 of the message).
  for (const [name, curve, prefix] of [
    ['secp256k1', secp256k1, '3056301006072a8648ce3d020106052b8104000a034200'],
    ['P-256', p256, '3059301306072a8648ce3d020106082a8648ce3d030107034200'],
  ] as const) {
    it(`ECDSA ${name}: agrees with @noble/curves on valid, high-s, tampered and malformed signatures`, () => {
      const n = curve.CURVE.n
      for (let i = 0; i < 24; i++) {
        const secret = curve.utils.randomPrivateKey()
        const der = new Uint8Array([...Buffer.from(prefix, 'hex'), ...curve.getPublicKey(secret, false)])
        const msg = new TextEncoder().encode(`sign-in message ${i} ✓`)
        const sig = curve.sign(sha256(msg), secret)
        const low = sig.toCompactRawBytes()
        const high = new curve.Signature(sig.r, n - sig.s).toCompactRawBytes() // the same signature, s ↦ n − s
        const other = new TextEncoder().encode(`sign-in message ${i + 1} ✓`)
        const flipped = Uint8Array.from(low, (b, k) => (k === 40 ? b ^ 1 : b))
        const cases: [string, Uint8Array, Uint8Array][] = [
          ['valid', msg, low],
          ['high s', msg, high],
          ['other message', other, low],
          ['flipped bit', msg, flipped],
          ['r = 0', msg, new Uint8Array([...new Uint8Array(32), ...low.subarray(32)])],
          [
            's = n',
            msg,
            new Uint8Array([...low.subarray(0, 32), ...Buffer.from(n.toString(16).padStart(64, '0'), 'hex')]),
          ],
        ]
        for (const [what, m, s] of cases) {
          let expected: boolean
          try {
            expected = curve.verify(s, sha256(m), der.subarray(prefix.length / 2), { lowS: false })
          } catch {
            expected = false
          }
          assert.equal(verifyDerSignature(der, m, s), expected, `${name} ${what}`)
        }
        assert.equal(verifyDerSignature(der, msg, low), true)
        assert.equal(verifyDerSignature(der, msg, high), true, 'the IC accepts high s')
        assert.equal(verifyDerSignature(der, msg, low.subarray(0, 63)), false, 'a short signature')
      }
    })
  }

  it('ECDSA: a key that is not a point on the curve is refused, not thrown', () => {
    const der = new Uint8Array([
      ...Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
      4,
      ...new Uint8Array(64).fill(1),
    ])
    assert.equal(verifyDerSignature(der, new Uint8Array([1]), new Uint8Array(64).fill(1)), false)
  })
})
