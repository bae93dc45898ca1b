import assert from 'node:assert/strict'
import { test } from 'node:test'
import { verifyProof } from '../src/proof/verify-proof.ts'
import { waitFor } from './helpers/child-process.ts'
import { contextProof, createContext, setValue } from './helpers/inject-requests.ts'
import { startMemoryNode } from './helpers/memory-node.ts'

test('write → attest → checkpoint → anchor final → proof that verifies against the chain', async () => {
  const h = await startMemoryNode()
  try {
    const api = h.node.api
    const ctx = await createContext(api, h.auth)
    for (let i = 0; i < 3; i++) await setValue(api, h.auth, ctx, `k${i}`, `v${i}`)
    const info = (
      await api.inject({ method: 'GET', url: `/admin-api/contexts/${ctx.contextId}`, headers: h.auth })
    ).json().data
    const proof = await waitFor('a final proof of the latest state', async () => {
      const p = await contextProof(api, ctx)
      return p && p.leaf.stateRoot === info.stateRoot && p.anchors[0]?.status === 'final' ? p : undefined
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

    // the log's checkpoint and anchor routes work on real data
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
    const ctx = await createContext(h.node.api, h.auth)
    await setValue(h.node.api, h.auth, ctx, 'a', 'a')
    await h.node.flush()
    const size1 = h.node.log.size
    await setValue(h.node.api, h.auth, ctx, 'b', 'b')
    await h.restart()
    const api = h.node.api
    const entries = await api.inject({
      method: 'POST',
      url: '/jsonrpc',
      headers: h.auth,
      payload: {
        jsonrpc: '2.0',
        id: 2,
        method: 'execute',
        params: {
          contextId: ctx.contextId,
          method: 'entries',
          argsJson: '{}',
          executorPublicKey: ctx.memberPublicKey,
        },
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
    const proof = await contextProof(api, ctx)
    const info = (
      await api.inject({ method: 'GET', url: `/admin-api/contexts/${ctx.contextId}`, headers: h.auth })
    ).json().data
    assert.equal(proof?.leaf.stateRoot, info.stateRoot)
  } finally {
    await h.stop()
  }
})
