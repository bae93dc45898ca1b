import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../core/config.ts'
import { generateKeyPair } from '../core/ed25519.ts'
import { decodeCanonical, encodeCanonical } from './canonical-cbor.ts'
import {
  type DeltaBody,
  decodeDelta,
  deltaId,
  encodeDeltaBody,
  signDelta,
  verifyDeltaSignature,
} from './delta.ts'

const limits = loadConfig({ dataDir: '.' }).limits
const author = generateKeyPair()
const id = (b: number) => new Uint8Array(32).fill(b)

function body(over: Partial<DeltaBody> = {}): DeltaBody {
  return {
    contextId: id(1),
    parents: [id(2), id(3)],
    author: author.publicKey,
    hlc: { wallMs: 1_763_900_000_000, counter: 3 },
    membershipHeads: [id(4)],
    ops: [{ t: 'lww.set', k: 'key', v: 'value' }],
    ...over,
  }
}

test('delta id is sha256 of the canonical body, independent of field order and of the signature', () => {
  const b = body()
  const reordered: DeltaBody = {
    ops: b.ops,
    membershipHeads: b.membershipHeads,
    hlc: b.hlc,
    author: b.author,
    parents: b.parents,
    contextId: b.contextId,
  }
  assert.deepEqual(deltaId(b), deltaId(reordered))
  assert.deepEqual(encodeDeltaBody(b), encodeDeltaBody(reordered))
  const d1 = signDelta(b, author.secretKey)
  const d2 = signDelta(reordered, generateKeyPair().secretKey)
  assert.deepEqual(d1.id, d2.id)
  // Golden bytes: RFC 8949 deterministic order (shorter keys first), hlc as [wallMs, counter].
  const golden = body({ author: id(9) })
  assert.equal(
    Buffer.from(encodeDeltaBody(golden)).toString('hex'),
    'a663686c63821b0000019ab0a2070003636f707381a3616b636b65796174676c77772e73657461766576616c7565' +
      '66617574686f72582009'.concat('09'.repeat(31)) +
      '67706172656e747382582002'.concat('02'.repeat(31), '5820', '03'.repeat(32)) +
      '69636f6e74657874496458200'.concat('1', '01'.repeat(31)) +
      '6f6d656d626572736869704865616473815820'.concat('04'.repeat(32)),
  )
  assert.equal(
    Buffer.from(deltaId(golden)).toString('hex'),
    '614038b5233ba58609ec47ec49d38e2f0a1823c7f6b56b7f4ee3c6800be3cdab',
  )
  assert.notDeepEqual(deltaId(body({ hlc: { wallMs: 1, counter: 0 } })), deltaId(b))
})

test('a signed delta round-trips through its wire bytes and verifies', () => {
  const d = signDelta(body(), author.secretKey, limits)
  const back = decodeDelta(d.bytes, limits)
  assert.deepEqual(back.id, d.id)
  assert.deepEqual(back.ops, d.ops)
  assert.ok(verifyDeltaSignature(back))
  const tampered = { ...back, signature: back.signature.slice() }
  tampered.signature[0]! ^= 1
  assert.equal(verifyDeltaSignature(tampered), false)
})

test('decodeDelta rejects non-canonical, malformed and oversize input', () => {
  const d = signDelta(body(), author.secretKey)
  const wire = decodeCanonical(d.bytes) as Record<string, unknown>
  // non-canonical: the same map with an integer in a longer form than needed
  const nonCanonical = Buffer.from(d.bytes)
  const hlcAt = nonCanonical.indexOf(Buffer.from([0x82, 0x1b])) // [wallMs (8 bytes), counter]
  assert.ok(hlcAt > 0)
  const patched = Buffer.concat([
    nonCanonical.subarray(0, hlcAt + 10),
    Buffer.from([0x18, 3]),
    nonCanonical.subarray(hlcAt + 11),
  ])
  assert.throws(() => decodeDelta(new Uint8Array(patched), limits), { name: 'InvalidDelta' })
  const enc = (o: Record<string, unknown>) => encodeCanonical(o)
  assert.throws(() => decodeDelta(enc({ ...wire, parents: [id(3), id(2)] }), limits), {
    name: 'InvalidDelta',
  })
  assert.throws(() => decodeDelta(enc({ ...wire, parents: [id(2), id(2)] }), limits), {
    name: 'InvalidDelta',
  })
  assert.throws(() => decodeDelta(enc({ ...wire, membershipHeads: [] }), limits), { name: 'InvalidDelta' })
  assert.throws(() => decodeDelta(enc({ ...wire, ops: [] }), limits), { name: 'InvalidDelta' })
  assert.throws(() => decodeDelta(enc({ ...wire, extra: 1 }), limits), { name: 'InvalidDelta' })
  assert.throws(() => decodeDelta(enc({ ...wire, hlc: [-1, 0] }), limits), { name: 'InvalidDelta' })
  assert.throws(() => decodeDelta(enc({ ...wire, hlc: [2 ** 47 + 1, 0] }), limits), { name: 'InvalidDelta' })
  assert.throws(() => decodeDelta(new Uint8Array([0xff, 0x00]), limits), { name: 'InvalidDelta' })
  const many = signDelta(
    body({ ops: Array.from({ length: 10 }, (_, i) => ({ t: 'ctr.add' as const, k: `c${i}`, n: 1 })) }),
    author.secretKey,
  )
  assert.throws(() => decodeDelta(many.bytes, { ...limits, opsPerDelta: 5 }), { name: 'PayloadTooLarge' })
  assert.throws(() => decodeDelta(d.bytes, { ...limits, deltaBytes: d.bytes.length - 1 }), {
    name: 'PayloadTooLarge',
  })
  assert.throws(
    () =>
      signDelta(body({ ops: [{ t: 'lww.set', k: 'k', v: 'x'.repeat(500) }] }), author.secretKey, {
        ...limits,
        deltaBytes: 300,
      }),
    {
      name: 'PayloadTooLarge',
    },
  )
})
