import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Proof } from '../src/proof/proof-types.ts'
import { verifyProof } from '../src/proof/verify-proof.ts'
import { startMemoryNode } from './helpers/memory-node.ts'

const waitFor = async <T>(f: () => Promise<T | undefined>, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('write → attest → checkpoint → anchor final → proof that verifies against the chain', async () => {
  const h = await startMemoryNode()
  try {
    const api = h.node.api
    const created = await api.inject({
      method: 'POST',
      url: '/admin-api/contexts',
      headers: h.auth,
      payload: {},
    })
    assert.equal(created.statusCode, 200, created.body)
    const { contextId, memberPublicKey } = created.json().data
    for (let i = 0; i < 3; i++) {
      const r = await api.inject({
        method: 'POST',
        url: '/jsonrpc',
        headers: h.auth,
        payload: {
          jsonrpc: '2.0',
          id: i,
          method: 'execute',
          params: {
            contextId,
            method: 'set',
            argsJson: JSON.stringify({ key: `k${i}`, value: `v${i}` }),
            executorPublicKey: memberPublicKey,
          },
        },
      })
      assert.equal(r.statusCode, 200)
      assert.ok(r.json().result.deltaId, r.body)
    }
    const info = (
      await api.inject({ method: 'GET', url: `/admin-api/contexts/${contextId}`, headers: h.auth })
    ).json().data
    const proof = await waitFor(async () => {
      const r = await api.inject({ method: 'GET', url: `/v1/contexts/${contextId}/proof` })
      if (r.statusCode !== 200) return undefined
      const p = r.json() as Proof
      return p.leaf.stateRoot === info.stateRoot && p.anchors[0]?.status === 'final' ? p : undefined
    })
    assert.deepEqual(proof.leaf.heads, info.heads)
    assert.equal(proof.anchors[0]!.chainId, h.chain.chainId)
    const reader = h.chain.adapter({ account: null })
    const result = await verifyProof(proof, { readers: new Map([[reader.chainId, reader]]) })
    assert.ok(result.ok, JSON.stringify(result.checks, null, 1))
    for (const name of [
      'leaf.signature',
      'leaf.hash',
      'inclusion',
      'checkpoint.signature',
      `anchor.${h.chain.chainId}`,
    ])
      assert.ok(
        result.checks.some((c) => c.name === name && c.ok),
        name,
      )

    // a tampered proof fails on the check that names the tampering
    const tampered = structuredClone(proof)
    tampered.leafIndex = proof.leafIndex + 1
    const bad = await verifyProof(tampered, { readers: new Map([[reader.chainId, reader]]) })
    assert.equal(bad.ok, false)
    assert.equal(bad.checks.find((c) => c.name === 'inclusion')?.ok, false)

    // the server-side convenience agrees
    const v = await api.inject({ method: 'POST', url: '/v1/verify', payload: proof })
    assert.equal(v.statusCode, 200)
    assert.equal(v.json().ok, true)

    // the log's consistency and checkpoint routes work on real data
    const latest = (await api.inject({ method: 'GET', url: '/v1/checkpoints/latest' })).json()
    assert.ok(latest.treeSize >= proof.checkpoint.treeSize)
    const anchors = (
      await api.inject({ method: 'GET', url: `/v1/anchors/${proof.checkpoint.rootHash}` })
    ).json()
    assert.equal(anchors.anchors[0].status, 'final')
  } finally {
    await h.stop()
  }
})

test('state and log survive a restart; the node re-attests what changed', async () => {
  const h = await startMemoryNode()
  try {
    const api = () => h.node.api
    const { contextId, memberPublicKey } = (
      await api().inject({ method: 'POST', url: '/admin-api/contexts', headers: h.auth, payload: {} })
    ).json().data
    const set = (k: string) =>
      api().inject({
        method: 'POST',
        url: '/jsonrpc',
        headers: h.auth,
        payload: {
          jsonrpc: '2.0',
          id: 1,
          method: 'execute',
          params: {
            contextId,
            method: 'set',
            argsJson: JSON.stringify({ key: k, value: k }),
            executorPublicKey: memberPublicKey,
          },
        },
      })
    await set('a')
    await h.node.flush()
    const size1 = h.node.log.size
    await set('b')
    await h.restart()
    const entries = await api().inject({
      method: 'POST',
      url: '/jsonrpc',
      headers: h.auth,
      payload: {
        jsonrpc: '2.0',
        id: 2,
        method: 'execute',
        params: { contextId, method: 'entries', argsJson: '{}', executorPublicKey: memberPublicKey },
      },
    })
    assert.deepEqual(
      entries
        .json()
        .result.output.map((e: { key: string }) => e.key)
        .sort(),
      ['a', 'b'],
    )
    await h.node.flush()
    assert.ok(h.node.log.size > size1, 'the write made before the restart is attested after it')
    const proof = (await api().inject({ method: 'GET', url: `/v1/contexts/${contextId}/proof` })).json()
    const info = (
      await api().inject({ method: 'GET', url: `/admin-api/contexts/${contextId}`, headers: h.auth })
    ).json().data
    assert.equal(proof.leaf.stateRoot, info.stateRoot)
  } finally {
    await h.stop()
  }
})
