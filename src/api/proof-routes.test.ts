import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { toBase58, toHex } from '../core/bytes.ts'
import { buildApi } from './build-api.ts'
import { fakeApiDeps, fakeLeaf } from './fake-api-deps.ts'

async function setup(t: { after: (fn: () => Promise<void>) => void }, config: Record<string, unknown> = {}) {
  const fake = fakeApiDeps(config)
  const app = await buildApi(fake.deps)
  t.after(() => app.close())
  const get = (url: string) => app.inject({ method: 'GET', url })
  const post = (url: string, payload: unknown) =>
    app.inject({ method: 'POST', url, payload: payload as object })
  return { app, fake, get, post }
}

test('attestations in, then proofs, checkpoints, consistency and anchors out', async (t) => {
  const { fake, get, post } = await setup(t)
  const contextId = randomBytes(32)
  const leaves = [fakeLeaf(contextId), fakeLeaf(), fakeLeaf(contextId)]
  const ingest = await post('/v1/attestations', { leaves: leaves.map(toHex) })
  assert.equal(ingest.statusCode, 200)
  const accepted = ingest.json().accepted
  assert.deepEqual(
    accepted.map((a: { index: number }) => a.index),
    [0, 1, 2],
  )
  assert.match(accepted[0].leafHash, /^0x[0-9a-f]{64}$/)

  // The proof of a leaf, as the exact proof JSON (no wrapper).
  const proof = await get(`/v1/proofs/${accepted[1].leafHash}`)
  assert.equal(proof.statusCode, 200)
  assert.match(String(proof.headers['content-type']), /^application\/json/)
  const expected = await fake.proofs.proofForLeaf(Buffer.from(accepted[1].leafHash.slice(2), 'hex'))
  assert.deepEqual(proof.json(), JSON.parse(JSON.stringify(expected)))
  // Upper-case hex is accepted too.
  assert.equal((await get(`/v1/proofs/0x${accepted[1].leafHash.slice(2).toUpperCase()}`)).statusCode, 200)

  const latestForContext = await get(`/v1/contexts/${toBase58(contextId)}/proof`)
  assert.equal(latestForContext.statusCode, 200)
  assert.equal(latestForContext.json().leafIndex, 2)
  assert.equal(latestForContext.json().version, 1)

  const latest = await get('/v1/checkpoints/latest')
  assert.equal(latest.statusCode, 200)
  assert.equal(latest.json().treeSize, 3)
  const bySize = await get('/v1/checkpoints/3')
  assert.deepEqual(bySize.json(), latest.json())

  const consistency = await get('/v1/consistency?first=1&second=3')
  assert.equal(consistency.statusCode, 200)
  assert.equal(consistency.json().first, 1)
  assert.equal(consistency.json().second, 3)
  assert.equal(consistency.json().proof.length, 1)
  assert.match(consistency.json().proof[0], /^0x[0-9a-f]{64}$/)

  const anchors = await get(`/v1/anchors/${latest.json().rootHash}`)
  assert.equal(anchors.statusCode, 200)
  assert.deepEqual(anchors.json(), {
    rootHash: latest.json().rootHash,
    anchors: [{ chainId: 'eip155:31337', contract: `0x${'11'.repeat(20)}`, status: 'queued' }],
  })
})

test('POST /v1/verify answers the report; a malformed proof is 400 InvalidProof', async (t) => {
  const { get, post } = await setup(t)
  const [a] = (await post('/v1/attestations', { leaves: [toHex(fakeLeaf())] })).json().accepted
  const proof = (await get(`/v1/proofs/${a.leafHash}`)).json()
  const report = await post('/v1/verify', proof)
  assert.equal(report.statusCode, 200)
  assert.equal(report.json().ok, true)
  assert.equal(report.json().checks[0].name, 'leaf-hash')

  const tampered = await post('/v1/verify', { ...proof, leafHash: `0x${'00'.repeat(32)}` })
  assert.equal(tampered.statusCode, 200)
  assert.equal(tampered.json().ok, false)

  const malformed = await post('/v1/verify', { ...proof, version: 2 })
  assert.equal(malformed.statusCode, 400)
  assert.equal(malformed.json().error.name, 'InvalidProof')
  const notAProof = await post('/v1/verify', { hello: 'world' })
  assert.equal(notAProof.json().error.name, 'InvalidProof')
})

test('bad input to /v1: encodings, ranges, unknown things, limits', async (t) => {
  const { get, post } = await setup(t, { limits: { attestationsPerRequest: 2 } })
  const expect = async (
    res: Promise<{ statusCode: number; json(): { error: { name: string } } }>,
    status: number,
    name: string,
  ) => {
    const r = await res
    assert.equal(r.statusCode, status, name)
    assert.equal(r.json().error.name, name)
  }
  await expect(get('/v1/proofs/0x1234'), 400, 'InvalidEncoding')
  await expect(get(`/v1/proofs/${'ab'.repeat(32)}`), 400, 'InvalidEncoding') // no 0x
  await expect(get(`/v1/proofs/0x${'zz'.repeat(32)}`), 400, 'InvalidEncoding')
  await expect(get(`/v1/proofs/0x${'ab'.repeat(32)}`), 404, 'UnknownLeaf')
  await expect(get(`/v1/anchors/0x${'ab'.repeat(31)}`), 400, 'InvalidEncoding')
  await expect(get('/v1/contexts/l0l/proof'), 400, 'InvalidEncoding')
  await expect(get(`/v1/contexts/${toBase58(randomBytes(31))}/proof`), 400, 'InvalidEncoding') // decodes to 31 bytes
  await expect(get(`/v1/contexts/${toBase58(randomBytes(32))}/proof`), 404, 'UnknownContext')
  await expect(get('/v1/checkpoints/latest'), 404, 'UnknownCheckpoint')
  await expect(get('/v1/checkpoints/1.5'), 400, 'InvalidInput')
  await expect(get('/v1/checkpoints/-1'), 400, 'InvalidInput')
  for (const lax of ['0x10', '1e3', '007', '%207'])
    await expect(get(`/v1/checkpoints/${lax}`), 400, 'InvalidInput')
  await expect(get('/v1/checkpoints/7'), 404, 'UnknownCheckpoint')
  await expect(get('/v1/consistency?first=1'), 400, 'InvalidInput')
  await expect(get('/v1/consistency?first=a&second=2'), 400, 'InvalidInput')
  await expect(get('/v1/consistency?first=3&second=2'), 400, 'InvalidTreeRange')

  await expect(post('/v1/attestations', { leaves: [] }), 400, 'InvalidInput')
  await expect(post('/v1/attestations', { leaves: [toHex(fakeLeaf()).slice(0, -2)] }), 400, 'InvalidEncoding')
  await expect(
    post('/v1/attestations', { leaves: [toHex(fakeLeaf()), toHex(fakeLeaf()), toHex(fakeLeaf())] }),
    413,
    'PayloadTooLarge',
  )
  const badTag = fakeLeaf()
  badTag[0] = 9
  await expect(post('/v1/attestations', { leaves: [toHex(badTag)] }), 400, 'InvalidLeaf')
  // Still serving, and nothing half-ingested.
  const ok = await post('/v1/attestations', { leaves: [toHex(fakeLeaf())] })
  assert.equal(ok.json().accepted[0].index, 0)
})
