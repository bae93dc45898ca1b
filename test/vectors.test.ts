/**
 * Golden vectors (test/vectors/*.json) checked three ways: the generator reproduces the checked-in files
 * byte for byte (code → file); the code accepts and decodes what the files hold (file → code); and the
 * files agree with an independent model written here straight from RFC 6962 §2.1, the C2SP specs and
 * DESIGN §6 using only node:crypto (file → spec).
 */
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { decodeLeaf, encodeLeaf, verifyLeafSignature } from '../src/attest/leaf.ts'
import { fromHex, toHex } from '../src/core/bytes.ts'
import { InvalidCheckpoint } from '../src/core/errors.ts'
import { EMPTY_ROOT, merkleRoot, verifyConsistency, verifyInclusion } from '../src/core/merkle.ts'
import {
  parseCheckpoint,
  parseVerifierKey,
  signNote,
  verifierKey,
  verifyCheckpoint,
  verifyNote,
} from '../src/log/checkpoint.ts'
import { buildAll } from './vectors/generate.ts'

const dir = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'vectors')
const read = (name: string) => readFileSync(join(dir, name), 'utf8')
const log = JSON.parse(read('log.json'))
const leaf = JSON.parse(read('leaf.json'))
const cp = JSON.parse(read('checkpoint.json'))

// ── the independent model ────────────────────────────────────────────────────────────────────
const b = (hex: string) => Buffer.from(hex.replace(/^0x/, ''), 'hex')
const H = (...parts: Buffer[]) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest()
const hx = (x: Buffer) => `0x${x.toString('hex')}`
/** RFC 6962 §2.1: k is the largest power of two smaller than n. */
const split = (n: number) => {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}
const MTH = (d: Buffer[]): Buffer =>
  d.length === 0
    ? H()
    : d.length === 1
      ? H(Buffer.of(0), d[0] as Buffer)
      : H(Buffer.of(1), MTH(d.slice(0, split(d.length))), MTH(d.slice(split(d.length))))
const PATH = (m: number, d: Buffer[]): Buffer[] => {
  if (d.length <= 1) return []
  const k = split(d.length)
  return m < k
    ? [...PATH(m, d.slice(0, k)), MTH(d.slice(k))]
    : [...PATH(m - k, d.slice(k)), MTH(d.slice(0, k))]
}
const SUBPROOF = (m: number, d: Buffer[], whole: boolean): Buffer[] => {
  if (m === d.length) return whole ? [] : [MTH(d)]
  const k = split(d.length)
  return m <= k
    ? [...SUBPROOF(m, d.slice(0, k), whole), MTH(d.slice(k))]
    : [...SUBPROOF(m - k, d.slice(k), false), MTH(d.slice(0, k))]
}
const ed25519Verify = (pub: Buffer, msg: Buffer, sig: Buffer) =>
  crypto.verify(
    null,
    msg,
    crypto.createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') },
      format: 'jwk',
    }),
    sig,
  )

describe('golden vectors', () => {
  it('the generator reproduces the checked-in files byte for byte', () => {
    for (const [name, text] of Object.entries(buildAll()))
      assert.equal(read(name), text, `${name} is stale: run npm run vectors`)
  })

  describe('log.json', () => {
    const leaves = (log.leaves as string[]).map(b)

    it('has the RFC 6962 empty-tree root and the Certificate Transparency roots', () => {
      assert.equal(toHex(EMPTY_ROOT), '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
      assert.equal(log.roots[0].root, '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
      assert.equal(log.roots[1].root, '0x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d')
      assert.equal(log.roots[8].root, '0x5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328')
    })

    it('agrees with the RFC 6962 model', () => {
      assert.equal(leaves.length, 16)
      assert.deepEqual(
        log.leafHashes,
        leaves.map((l) => hx(H(Buffer.of(0), l))),
      )
      for (const { size, root } of log.roots)
        assert.equal(root, hx(MTH(leaves.slice(0, size))), `root ${size}`)
      assert.equal(log.roots.length, 17)
      assert.equal(log.inclusion.length, 136)
      for (const v of log.inclusion)
        assert.deepEqual(
          v.path,
          PATH(v.index, leaves.slice(0, v.treeSize)).map(hx),
          `inclusion ${v.index}/${v.treeSize}`,
        )
      assert.equal(log.consistency.length, 120)
      for (const v of log.consistency)
        assert.deepEqual(
          v.proof,
          SUBPROOF(v.first, leaves.slice(0, v.second), true).map(hx),
          `consistency ${v.first}/${v.second}`,
        )
    })

    it('is accepted by the code, and tampering is not', () => {
      const root = (n: number) => fromHex(log.roots[n].root)
      for (const { size, root: r } of log.roots)
        assert.equal(toHex(merkleRoot(leaves.slice(0, size).map((l) => new Uint8Array(l)))), r)
      for (const v of log.inclusion) {
        const path = (v.path as string[]).map((h) => fromHex(h))
        const lh = fromHex(log.leafHashes[v.index])
        assert.ok(
          verifyInclusion(lh, v.index, v.treeSize, path, root(v.treeSize)),
          `inclusion ${v.index}/${v.treeSize}`,
        )
        if (v.treeSize > 1)
          assert.equal(
            verifyInclusion(lh, (v.index + 1) % v.treeSize, v.treeSize, path, root(v.treeSize)),
            false,
          )
      }
      for (const v of log.consistency) {
        const proof = (v.proof as string[]).map((h) => fromHex(h))
        assert.ok(
          verifyConsistency(v.first, v.second, root(v.first), root(v.second), proof),
          `consistency ${v.first}/${v.second}`,
        )
        assert.equal(verifyConsistency(v.first, v.second, root(v.second), root(v.first), proof), false)
      }
    })
  })

  describe('leaf.json', () => {
    for (const kind of ['heads', 'members'] as const) {
      const v = leaf[kind]
      const bytes = b(v.bytes)

      it(`${kind}: the 224 bytes are the DESIGN §6 layout of the fields`, () => {
        const tag = Buffer.alloc(16)
        tag.write(kind === 'heads' ? 'mero.heads.v1' : 'mero.members.v1', 'ascii')
        const u64 = (n: number) => {
          const x = Buffer.alloc(8)
          x.writeBigUInt64BE(BigInt(n))
          return x
        }
        const signed = Buffer.concat([
          tag,
          b(v.contextId),
          b(v.payloadRoot),
          b(v.stateRoot),
          u64(v.revision),
          b(v.attester),
          u64(v.issuedAt),
        ])
        assert.equal(signed.length, 160)
        assert.deepEqual(bytes, Buffer.concat([signed, b(v.signature)]))
        assert.equal(v.signedDigest, hx(H(signed)))
        assert.ok(
          ed25519Verify(b(v.attester), H(signed), b(v.signature)),
          'attester signature over sha256(bytes 0..160)',
        )
        assert.equal(v.leafHash, hx(H(Buffer.of(0), bytes)))
        if (kind === 'heads') {
          const sorted = (v.heads as string[]).map(b).sort(Buffer.compare)
          assert.equal(v.payloadRoot, hx(MTH(sorted)))
        } else {
          const entries = (v.members as { key: string; capabilityBits: number }[]).map((m) => {
            const bits = Buffer.alloc(4)
            bits.writeUInt32BE(m.capabilityBits)
            return Buffer.concat([b(m.key), bits])
          })
          assert.equal(v.payloadRoot, hx(MTH(entries.sort(Buffer.compare))))
          assert.equal(v.stateRoot, hx(MTH((v.membershipHeads as string[]).map(b).sort(Buffer.compare))))
        }
      })

      it(`${kind}: decodes, re-encodes and verifies with the code`, () => {
        const u = new Uint8Array(bytes)
        const d = decodeLeaf(u)
        assert.equal(d.kind, kind)
        assert.equal(toHex(d.contextId), v.contextId)
        assert.equal(toHex(d.payloadRoot), v.payloadRoot)
        assert.equal(toHex(d.stateRoot), v.stateRoot)
        assert.equal(d.revision, BigInt(v.revision))
        assert.equal(toHex(d.attester), v.attester)
        assert.equal(d.issuedAt, v.issuedAt)
        assert.equal(toHex(d.signature), v.signature)
        assert.deepEqual(encodeLeaf(d), u)
        assert.ok(verifyLeafSignature(u))
        const bad = u.slice()
        bad[100] = (bad[100] as number) ^ 1
        assert.equal(verifyLeafSignature(bad), false)
      })
    }
  })

  describe('checkpoint.json', () => {
    it('is the C2SP note the specs describe', () => {
      const pub = b(cp.publicKey)
      assert.deepEqual(
        b(cp.publicKey),
        crypto
          .createPublicKey(
            crypto.createPrivateKey({
              key: Buffer.concat([b('302e020100300506032b657004220420'), b(cp.secretSeed)]),
              format: 'der',
              type: 'pkcs8',
            }),
          )
          .export({ format: 'der', type: 'spki' })
          .subarray(-32),
      )
      const keyId = H(Buffer.from(`${cp.name}\n`), Buffer.of(1), pub).subarray(0, 4)
      assert.equal(cp.keyId, hx(keyId))
      assert.equal(
        cp.verifierKey,
        `${cp.name}+${keyId.toString('hex')}+${Buffer.concat([Buffer.of(1), pub]).toString('base64')}`,
      )
      assert.equal(cp.body, `${cp.origin}\n${cp.treeSize}\n${b(cp.rootHash).toString('base64')}\n`)
      assert.equal(cp.rootHash, log.roots[cp.treeSize].root)
      const [body, sigBlock] = [cp.note.slice(0, cp.body.length), cp.note.slice(cp.body.length)]
      assert.equal(body, cp.body)
      const m = /^\n\u2014 (\S+) ([A-Za-z0-9+/=]+)\n$/.exec(sigBlock)
      assert.ok(m, 'one em-dash signature line after a blank line')
      assert.equal(m[1], cp.name)
      const raw = Buffer.from(m[2] as string, 'base64')
      assert.equal(raw.length, 68)
      assert.deepEqual(raw.subarray(0, 4), keyId)
      assert.ok(ed25519Verify(pub, Buffer.from(cp.body, 'utf8'), raw.subarray(4)))
    })

    it('verifies with the code and the signer reproduces it', () => {
      const publicKey = fromHex(cp.publicKey)
      const parsed = verifyCheckpoint(cp.note, { name: cp.name, publicKey })
      assert.equal(parsed.origin, cp.origin)
      assert.equal(parsed.treeSize, cp.treeSize)
      assert.equal(toHex(parsed.rootHash), cp.rootHash)
      assert.equal(verifierKey(cp.name, publicKey), cp.verifierKey)
      assert.deepEqual(parseVerifierKey(cp.verifierKey), { name: cp.name, publicKey })
      assert.equal(signNote(cp.body, { name: cp.name, secretKey: fromHex(cp.secretSeed) }), cp.note)
      assert.throws(
        () => verifyCheckpoint(cp.note.replace('\n16\n', '\n17\n'), { name: cp.name, publicKey }),
        InvalidCheckpoint,
      )
      assert.equal(parseCheckpoint(cp.note).body, cp.body)
    })

    it("reproduces Go's sumdb/note vector", () => {
      const go = cp.goSumdbNote
      assert.equal(signNote(go.text, { name: 'PeterNeumann', secretKey: fromHex(go.secretSeed) }), go.note)
      assert.equal(verifyNote(go.note, parseVerifierKey(go.verifierKey)).body, go.text)
    })
  })
})
