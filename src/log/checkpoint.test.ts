import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fromBase64, fromHex, toBase64, toHex } from '../core/bytes.ts'
import { keyPairFromSecret } from '../core/ed25519.ts'
import { InvalidCheckpoint, InvalidInput } from '../core/errors.ts'
import {
  formatCheckpointBody,
  noteKeyId,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  verifierKey,
  verifyCheckpoint,
  verifyNote,
} from './checkpoint.ts'

// Go's golang.org/x/mod/sumdb/note test key and note (Ed25519 is deterministic, so signing reproduces it).
const GO_SKEY_SEED = fromBase64('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz').slice(1)
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const GO_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`
// The example checkpoint of the C2SP tlog-checkpoint specification.
const C2SP_EXAMPLE =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n'

const kp = keyPairFromSecret(new Uint8Array(32).fill(7))
const origin = 'mero.test/log'
const rootHash = fromHex('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328')
const note = signCheckpoint({ origin, treeSize: 8, rootHash }, { name: origin, secretKey: kp.secretKey })
const rejects = (n: string, reason: string) =>
  assert.throws(
    () => parseCheckpoint(n),
    (e: unknown) => e instanceof InvalidCheckpoint && e.details.reason === reason,
    `expected ${reason} for ${JSON.stringify(n)}`,
  )

describe('signed notes (Go sumdb/note vectors)', () => {
  const go = keyPairFromSecret(GO_SKEY_SEED)

  it('derives the key id and verifier key of Go’s test key', () => {
    assert.equal(toHex(noteKeyId('PeterNeumann', go.publicKey)), '0xc74f20a3')
    assert.equal(verifierKey('PeterNeumann', go.publicKey), GO_VKEY)
    assert.deepEqual(parseVerifierKey(GO_VKEY), { name: 'PeterNeumann', publicKey: go.publicKey })
  })

  it('signs Go’s note byte for byte and verifies it', () => {
    assert.equal(signNote(GO_TEXT, { name: 'PeterNeumann', secretKey: go.secretKey }), GO_NOTE)
    const parsed = verifyNote(GO_NOTE, parseVerifierKey(GO_VKEY))
    assert.equal(parsed.body, GO_TEXT)
    assert.throws(
      () => verifyNote(GO_NOTE.replace('cryptography', 'cryptographY'), parseVerifierKey(GO_VKEY)),
      InvalidCheckpoint,
    )
  })

  it('rejects malformed verifier keys', () => {
    for (const v of [
      '',
      'a+b',
      GO_VKEY.replace('c74f20a3', 'c74f20a4'),
      GO_VKEY.replace('+AR', '+AS'),
      `${GO_VKEY}+x`,
      'Peter Neumann+c74f20a3+ARpc',
    ])
      assert.throws(() => parseVerifierKey(v), InvalidInput, v)
  })
})

describe('checkpoints (C2SP tlog-checkpoint)', () => {
  it('formats the body exactly', () => {
    assert.equal(
      formatCheckpointBody({ origin, treeSize: 8, rootHash }),
      `${origin}\n8\n${toBase64(rootHash)}\n`,
    )
    assert.equal(
      formatCheckpointBody({ origin, treeSize: 2n ** 64n - 1n, rootHash }).split('\n')[1],
      '18446744073709551615',
    )
    assert.throws(() => formatCheckpointBody({ origin: '', treeSize: 1, rootHash }), InvalidInput)
    assert.throws(() => formatCheckpointBody({ origin: 'a\nb', treeSize: 1, rootHash }), InvalidInput)
    assert.throws(() => formatCheckpointBody({ origin, treeSize: -1, rootHash }), InvalidInput)
    assert.throws(() => formatCheckpointBody({ origin, treeSize: 1.5, rootHash }), InvalidInput)
    assert.throws(
      () => formatCheckpointBody({ origin, treeSize: 1, rootHash: rootHash.slice(1) }),
      InvalidInput,
    )
  })

  it('signs with an em-dash line carrying keyId ‖ signature and verifies', () => {
    const lines = note.split('\n')
    assert.equal(lines.length, 6)
    assert.equal(lines[3], '')
    assert.ok(lines[4]?.startsWith(`\u2014 ${origin} `))
    const raw = fromBase64(lines[4]?.split(' ')[2] ?? '')
    assert.equal(raw.length, 68)
    assert.deepEqual(raw.slice(0, 4), noteKeyId(origin, kp.publicKey))
    const cp = verifyCheckpoint(note, { name: origin, publicKey: kp.publicKey })
    assert.equal(cp.origin, origin)
    assert.equal(cp.treeSize, 8)
    assert.deepEqual(cp.rootHash, rootHash)
    assert.equal(cp.body, formatCheckpointBody({ origin, treeSize: 8, rootHash }))
    assert.equal(cp.signatures.length, 1)
  })

  it('parses the C2SP example checkpoint', () => {
    const cp = parseCheckpoint(C2SP_EXAMPLE)
    assert.equal(cp.origin, 'example.com/behind-the-sofa')
    assert.equal(cp.treeSize, 20852163)
    assert.equal(toBase64(cp.rootHash), 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=')
    assert.equal(cp.signatures[0]?.name, 'example.com/behind-the-sofa')
    assert.equal(cp.signatures[0]?.signature.length, 64)
  })

  it('ignores other signers (witness cosignatures) but needs its own', () => {
    const other = keyPairFromSecret(new Uint8Array(32).fill(9))
    const cosig = signNote(formatCheckpointBody({ origin, treeSize: 8, rootHash }), {
      name: 'witness.example',
      secretKey: other.secretKey,
    })
    const both = note + cosig.split('\n\n')[1]
    assert.equal(verifyCheckpoint(both, { name: origin, publicKey: kp.publicKey }).signatures.length, 2)
    assert.equal(verifyCheckpoint(both, { name: 'witness.example', publicKey: other.publicKey }).treeSize, 8)
    const noMine = (e: unknown) => e instanceof InvalidCheckpoint && e.details.check === 'signer'
    assert.throws(() => verifyCheckpoint(note, { name: origin, publicKey: other.publicKey }), noMine)
    assert.throws(() => verifyCheckpoint(note, { name: 'other.name', publicKey: kp.publicKey }), noMine)
  })

  it('rejects a tampered body or signature', () => {
    const badSig = (e: unknown) => e instanceof InvalidCheckpoint && e.details.check === 'signature'
    assert.throws(
      () => verifyCheckpoint(note.replace('\n8\n', '\n9\n'), { name: origin, publicKey: kp.publicKey }),
      badSig,
    )
    const sigLine = note.split('\n')[4] as string
    const raw = fromBase64(sigLine.split(' ')[2] as string)
    raw[10] = (raw[10] as number) ^ 1
    const forged = note.replace(sigLine, `\u2014 ${origin} ${toBase64(raw)}`)
    assert.throws(() => verifyCheckpoint(forged, { name: origin, publicKey: kp.publicKey }), badSig)
  })

  it('parses strictly', () => {
    const [head, sigs] = note.split('\n\n') as [string, string]
    const body = `${head}\n`
    const sig = sigs.slice(0, -1)
    const root64 = toBase64(rootHash)
    rejects(`${origin}\n08\n${root64}\n\n${sig}\n`, 'tree-size')
    rejects(`${origin}\n+8\n${root64}\n\n${sig}\n`, 'tree-size')
    rejects(`${origin}\n8 \n${root64}\n\n${sig}\n`, 'tree-size')
    rejects(`${origin}\n18446744073709551615\n${root64}\n\n${sig}\n`, 'tree-size')
    rejects(`${origin}\n8\n${root64.replace('=', '')}\n\n${sig}\n`, 'root-hash')
    rejects(`${origin}\n8\n${toBase64(rootHash.slice(1))}\n\n${sig}\n`, 'root-hash')
    rejects(`${origin}\n8\n${root64.slice(0, 42)}B=\n\n${sig}\n`, 'root-hash') // non-canonical trailing bits
    rejects(`${origin}\n8\n${root64}\nextension\n\n${sig}\n`, 'body-lines')
    rejects(`\n8\n${root64}\n\n${sig}\n`, 'origin')
    rejects(`${body}\n${sig}`, 'newline')
    rejects(`${body}\n\n`, 'no-signatures')
    rejects(`${body}\n${sig}\n${sig}\n`, 'duplicate-signature')
    rejects(`${body}\n- ${sig.slice(2)}\n`, 'signature-line')
    rejects(`${body}\n${sig.replace(origin, 'bad+name')}\n`, 'signature-name')
    rejects(`${body}\n${sig}=\n`, 'signature-base64')
    rejects(`${body}\n\u2014 ${origin} AAAA\n`, 'signature-length')
    rejects(`${body}\n${sig}\n\n${sig}\n`, 'body-lines') // the last blank line splits; the body then has 5 lines
    rejects(`${body.replace(origin, 'a\tb')}\n${sig}\n`, 'control')
    rejects(body, 'blank-line')
    const many = Array.from({ length: 101 }, (_, i) => `\u2014 k${i} ${toBase64(new Uint8Array(68))}`).join(
      '\n',
    )
    rejects(`${body}\n${many}\n`, 'too-many-signatures')
    const hundred = Array.from(
      { length: 100 },
      (_, i) => `\u2014 k${i} ${toBase64(new Uint8Array(68))}`,
    ).join('\n')
    assert.equal(parseCheckpoint(`${body}\n${hundred}\n`).signatures.length, 100)
    assert.throws(() => parseNote(null as never), InvalidCheckpoint)
    assert.throws(() => parseNote('x'.repeat(70_000)), InvalidCheckpoint)
  })
})
