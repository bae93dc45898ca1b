import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519'
import { generateKeyPair, sign, verify, verifyStrict } from './ed25519.ts'

const L = ed25519.CURVE.n
const le = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`)
const le32 = (n: bigint) => new Uint8Array(Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse())
const messages = Array.from({ length: 8 }, (_, i) => new TextEncoder().encode(`message ${i}`))

/** The identity point (y = 1) as 32 bytes, and under the non-canonical encoding y = p + 1. */
const IDENTITY = new Uint8Array([1, ...new Array(31).fill(0)])
const IDENTITY_NON_CANONICAL = new Uint8Array([0xee, ...new Array(30).fill(0xff), 0x7f])

describe('Ed25519 strict verification', () => {
  it('accepts what sign produces and refuses another message, key or signature', () => {
    const k = generateKeyPair()
    const sig = sign(k.secretKey, messages[0]!)
    assert.equal(verifyStrict(k.publicKey, messages[0]!, sig), true)
    assert.equal(verifyStrict(k.publicKey, messages[1]!, sig), false)
    assert.equal(verifyStrict(generateKeyPair().publicKey, messages[0]!, sig), false)
    const flipped = new Uint8Array(sig)
    flipped[40]! ^= 1
    assert.equal(verifyStrict(k.publicKey, messages[0]!, flipped), false)
    for (const [key, s] of [
      [k.publicKey.subarray(1), sig],
      [k.publicKey, sig.subarray(1)],
      [new Uint8Array(0), new Uint8Array(0)],
    ] as const)
      assert.equal(verifyStrict(key, messages[0]!, s), false)
  })

  it('a small-order key (any of the eight, or the identity non-canonically encoded) verifies nothing', () => {
    // R = r·B, s = r: s·B = R + k·A for every message k·A = identity (always, for A = identity).
    const r = le(randomBytes(31))
    const rB = Buffer.concat([ed25519.ExtendedPoint.BASE.multiply(r).toRawBytes(), le32(r)])
    const identitySig = new Uint8Array([1, ...new Array(63).fill(0)]) // R = identity, s = 0
    const forgeries = [new Uint8Array(rB), identitySig]
    // What the strict check is for: node:crypto alone accepts these for every message.
    for (const key of [IDENTITY, IDENTITY_NON_CANONICAL])
      for (const m of messages) for (const s of forgeries) assert.equal(verify(key, m, s), true)
    const keys = [
      ...ED25519_TORSION_SUBGROUP.map((h) => new Uint8Array(Buffer.from(h, 'hex'))),
      IDENTITY_NON_CANONICAL,
    ]
    for (const key of keys)
      for (const m of messages)
        for (const s of forgeries)
          assert.equal(verifyStrict(key, m, s), false, Buffer.from(key).toString('hex'))
  })

  it('a signature whose R is the identity point is refused, though it is valid without the strict rules', () => {
    // With R = identity, s = k·a makes s·B = k·A = R + k·A: a "signature" only the key owner can make,
    // but one strict verifiers (ed25519-dalek verify_strict, the IC) refuse.
    const seed = new Uint8Array(randomBytes(32))
    const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed)
    const m = messages[0]!
    const k = le(createHash('sha512').update(IDENTITY).update(pointBytes).update(m).digest()) % L
    const sig = new Uint8Array([...IDENTITY, ...le32((k * scalar) % L)])
    assert.equal(verify(pointBytes, m, sig), true)
    assert.equal(verifyStrict(pointBytes, m, sig), false)
    // An honest signature by the same key passes.
    assert.equal(verifyStrict(pointBytes, m, sign(seed, m)), true)
  })

  it('a non-canonical s (s + L) is refused', () => {
    const k = generateKeyPair()
    const sig = sign(k.secretKey, messages[0]!)
    const high = new Uint8Array([...sig.subarray(0, 32), ...le32(le(sig.subarray(32)) + L)])
    assert.equal(verifyStrict(k.publicKey, messages[0]!, high), false)
  })
})
