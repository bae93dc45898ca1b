import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { CAPABILITY_BITS as CapabilityBits } from '../context/capabilities.ts'
import { headsPayloadRoot, membersRoot } from '../context/context-roots.ts'
import { concatBytes, toHex, u32be } from '../core/bytes.ts'
import { keyPairFromSecret, verify } from '../core/ed25519.ts'
import { InvalidInput, InvalidLeaf } from '../core/errors.ts'
import { EMPTY_ROOT, leafHash, merkleRoot } from '../core/merkle.ts'
import {
  attestationLeafHash,
  decodeLeaf,
  encodeLeaf,
  LEAF_SIZE,
  signLeaf,
  type UnsignedLeafFields,
  verifyLeafSignature,
  verifyLeafSignatureAsync,
} from './leaf.ts'

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest())
const kp = keyPairFromSecret(new Uint8Array(32).fill(1))
const fields: UnsignedLeafFields = {
  kind: 'heads',
  contextId: new Uint8Array(32).fill(0xc1),
  payloadRoot: new Uint8Array(32).fill(0xa1),
  stateRoot: new Uint8Array(32).fill(0x51),
  revision: 3n,
  attester: kp.publicKey,
  issuedAt: 1_763_900_000_000,
}
const reason = (r: string) => (e: unknown) => e instanceof InvalidLeaf && e.details.reason === r

describe('attestation leaf (DESIGN §6)', () => {
  it('lays out the 224 bytes exactly', () => {
    const bytes = signLeaf(fields, kp.secretKey)
    assert.equal(bytes.length, LEAF_SIZE)
    assert.equal(Buffer.from(bytes.subarray(0, 16)).toString('latin1'), 'mero.heads.v1\0\0\0')
    assert.deepEqual(bytes.subarray(16, 48), fields.contextId)
    assert.deepEqual(bytes.subarray(48, 80), fields.payloadRoot)
    assert.deepEqual(bytes.subarray(80, 112), fields.stateRoot)
    assert.equal(toHex(bytes.subarray(112, 120)), '0x0000000000000003')
    assert.deepEqual(bytes.subarray(120, 152), kp.publicKey)
    assert.equal(Buffer.from(bytes.subarray(152, 160)).readBigUInt64BE(), 1_763_900_000_000n)
    // The signature is the attester's Ed25519 over sha256(bytes 0..160).
    assert.ok(verify(kp.publicKey, sha(bytes.subarray(0, 160)), bytes.subarray(160)))
    const members = signLeaf({ ...fields, kind: 'members' }, kp.secretKey)
    assert.equal(Buffer.from(members.subarray(0, 16)).toString('latin1'), 'mero.members.v1\0')
  })

  it('round-trips through encode and decode', () => {
    const bytes = signLeaf(fields, kp.secretKey)
    const leaf = decodeLeaf(bytes)
    assert.deepEqual(leaf, { ...fields, signature: bytes.slice(160) })
    assert.deepEqual(encodeLeaf(leaf), bytes)
    assert.deepEqual(encodeLeaf({ ...leaf, revision: 3, issuedAt: 1_763_900_000_000n }), bytes)
  })

  it('verifies the signature sync and async, and rejects any changed byte', async () => {
    const bytes = signLeaf(fields, kp.secretKey)
    assert.equal(verifyLeafSignature(bytes), true)
    assert.equal(await verifyLeafSignatureAsync(bytes), true)
    for (const i of [0, 20, 60, 100, 115, 130, 155, 170, 223]) {
      const bad = bytes.slice()
      bad[i] = (bad[i] as number) ^ 1
      assert.equal(verifyLeafSignature(bad), false, `byte ${i}`)
      assert.equal(await verifyLeafSignatureAsync(bad), false, `byte ${i}`)
    }
    const other = keyPairFromSecret(new Uint8Array(32).fill(2))
    assert.equal(verifyLeafSignature(signLeaf(fields, other.secretKey)), false)
    assert.equal(verifyLeafSignature(bytes.subarray(0, 223)), false)
    assert.equal(await verifyLeafSignatureAsync(new Uint8Array(5)), false)
  })

  it('hashes as sha256(0x00 ‖ leaf)', () => {
    const bytes = signLeaf(fields, kp.secretKey)
    assert.equal(toHex(attestationLeafHash(bytes)), toHex(sha(concatBytes(Uint8Array.of(0), bytes))))
    assert.throws(() => attestationLeafHash(bytes.subarray(1)), InvalidLeaf)
  })

  it('rejects malformed bytes with a clear reason', () => {
    const bytes = signLeaf(fields, kp.secretKey)
    assert.throws(() => decodeLeaf(bytes.subarray(0, 200)), reason('length'))
    assert.throws(() => decodeLeaf(concatBytes(bytes, Uint8Array.of(0))), reason('length'))
    assert.throws(() => decodeLeaf('x' as never), reason('length'))
    const unknown = bytes.slice()
    unknown.set(new TextEncoder().encode('mero.other.v1'))
    assert.throws(() => decodeLeaf(unknown), reason('tag'))
    const padded = bytes.slice()
    padded[15] = 1
    assert.throws(() => decodeLeaf(padded), reason('padding'))
    const late = bytes.slice()
    late.fill(0xff, 152, 160)
    assert.throws(() => decodeLeaf(late), reason('issuedAt'))
  })

  it('rejects bad fields when encoding', () => {
    const sig = new Uint8Array(64)
    assert.throws(() => encodeLeaf({ ...fields, signature: sig, kind: 'other' as never }), InvalidLeaf)
    assert.throws(() => encodeLeaf({ ...fields, signature: sig, kind: '__proto__' as never }), InvalidLeaf)
    assert.throws(() => encodeLeaf({ ...fields, signature: sig, contextId: new Uint8Array(31) }), InvalidLeaf)
    assert.throws(() => encodeLeaf({ ...fields, signature: new Uint8Array(63) }), InvalidLeaf)
    assert.throws(() => encodeLeaf({ ...fields, signature: sig, revision: -1 }), InvalidLeaf)
    assert.throws(() => encodeLeaf({ ...fields, signature: sig, revision: 2n ** 64n }), InvalidLeaf)
    assert.throws(() => encodeLeaf({ ...fields, signature: sig, issuedAt: 1.5 }), InvalidLeaf)
    assert.equal(
      decodeLeaf(encodeLeaf({ ...fields, signature: sig, revision: 2n ** 64n - 1n })).revision,
      2n ** 64n - 1n,
    )
  })

  it('computes headsPayloadRoot over the sorted head ids', () => {
    const ids = [0x30, 0x10, 0x20].map((b) => new Uint8Array(32).fill(b))
    const sorted = [ids[1], ids[2], ids[0]] as Uint8Array[]
    assert.deepEqual(headsPayloadRoot(ids), merkleRoot(sorted))
    assert.equal(toHex(headsPayloadRoot([ids[0] as Uint8Array])), toHex(leafHash(ids[0] as Uint8Array)))
    assert.deepEqual(headsPayloadRoot([]), EMPTY_ROOT)
    assert.throws(() => headsPayloadRoot([ids[0] as Uint8Array, ids[0] as Uint8Array]), InvalidInput)
    assert.throws(() => headsPayloadRoot([new Uint8Array(31)]), InvalidInput)
  })

  it('computes membersRoot over sorted key ‖ capabilityBits leaves', () => {
    const a = new Uint8Array(32).fill(0xaa)
    const b = new Uint8Array(32).fill(0x0b)
    const root = membersRoot([
      { key: a, capabilityBits: CapabilityBits.Attest },
      { key: b, capabilityBits: CapabilityBits.ManageMembers | CapabilityBits.ManageApplication },
    ])
    assert.deepEqual(root, merkleRoot([concatBytes(b, u32be(3)), concatBytes(a, u32be(4))]))
    assert.deepEqual(CapabilityBits, { ManageMembers: 1, ManageApplication: 2, Attest: 4 })
    assert.throws(
      () =>
        membersRoot([
          { key: a, capabilityBits: 1 },
          { key: a, capabilityBits: 2 },
        ]),
      InvalidInput,
    )
    assert.throws(() => membersRoot([{ key: a, capabilityBits: 2 ** 32 }]), InvalidInput)
    assert.throws(() => membersRoot([{ key: a.subarray(1), capabilityBits: 1 }]), InvalidInput)
  })
})
