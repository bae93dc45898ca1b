import assert from 'node:assert/strict'
import { test } from 'node:test'
import { signLeaf } from '../src/attest/leaf.ts'
import { toHex } from '../src/core/bytes.ts'
import { generateKeyPair } from '../src/core/ed25519.ts'
import { startMemoryNode } from './helpers/memory-node.ts'

test('bad input against a real node: 4xx with a stable name, node keeps serving, stored data unchanged', async () => {
  const h = await startMemoryNode({ intervalMs: 60_000 })
  try {
    const api = h.node.api
    const { contextId, memberPublicKey } = (
      await api.inject({ method: 'POST', url: '/admin-api/contexts', headers: h.auth, payload: {} })
    ).json().data
    const rpc = (params: unknown) =>
      api.inject({
        method: 'POST',
        url: '/jsonrpc',
        headers: h.auth,
        payload: { jsonrpc: '2.0', id: 1, method: 'execute', params },
      })
    await rpc({
      contextId,
      method: 'set',
      argsJson: '{"key":"k","value":"v"}',
      executorPublicKey: memberPublicKey,
    })
    await h.node.flush()
    const snapshot = async () => ({
      context: (
        await api.inject({ method: 'GET', url: `/admin-api/contexts/${contextId}`, headers: h.auth })
      ).json().data,
      logSize: h.node.log.size,
      checkpoint: (await api.inject({ method: 'GET', url: '/v1/checkpoints/latest' })).json(),
    })
    const before = await snapshot()

    const cases: {
      what: string
      res: Promise<{ statusCode: number; json(): { error: { name: string } } }>
      status: number
      name: string
    }[] = [
      {
        what: 'malformed JSON',
        res: api.inject({
          method: 'POST',
          url: '/admin-api/contexts',
          headers: { ...h.auth, 'content-type': 'application/json' },
          payload: '{"application":',
        }),
        status: 400,
        name: 'InvalidInput',
      },
      {
        what: 'wrong types',
        res: api.inject({
          method: 'POST',
          url: '/admin-api/contexts',
          headers: h.auth,
          payload: { application: 42 },
        }),
        status: 400,
        name: 'InvalidInput',
      },
      {
        what: 'oversize body',
        res: api.inject({
          method: 'POST',
          url: '/v1/attestations',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ leaves: ['0x'.padEnd(2_000_000, '0')] }),
        }),
        status: 413,
        name: 'PayloadTooLarge',
      },
      {
        what: 'unknown context',
        res: api.inject({ method: 'GET', url: `/admin-api/contexts/${memberPublicKey}`, headers: h.auth }),
        status: 404,
        name: 'UnknownContext',
      },
      {
        what: 'bad base58',
        res: api.inject({ method: 'GET', url: '/v1/contexts/0OIl0OIl/proof' }),
        status: 400,
        name: 'InvalidEncoding',
      },
      {
        what: 'bad hex',
        res: api.inject({ method: 'GET', url: '/v1/proofs/0xzz' }),
        status: 400,
        name: 'InvalidEncoding',
      },
      {
        what: 'no token',
        res: api.inject({ method: 'GET', url: '/admin-api/contexts' }),
        status: 401,
        name: 'Unauthorized',
      },
    ]
    for (const c of cases) {
      const r = await c.res
      assert.equal(r.statusCode, c.status, `${c.what}: ${JSON.stringify(r.json())}`)
      assert.equal(r.json().error.name, c.name, c.what)
    }

    // JSON-RPC: an executor that is not a member, and an unknown method
    const notMember = await rpc({
      contextId,
      method: 'set',
      argsJson: '{"key":"x","value":1}',
      executorPublicKey: (
        await api.inject({ method: 'POST', url: '/admin-api/identities', headers: h.auth })
      ).json().data.publicKey,
    })
    assert.equal(notMember.json().error.data.name, 'NotAMember')
    assert.equal(
      (await rpc({ contextId, method: 'nope', argsJson: '{}', executorPublicKey: memberPublicKey })).json()
        .error.data.name,
      'UnknownMethod',
    )
    assert.equal(
      (
        await rpc({ contextId, method: 'set', argsJson: '{"key":', executorPublicKey: memberPublicKey })
      ).json().error.data.name,
      'InvalidInput',
    )

    // an attestation whose signature does not verify, and one from an attester without Attest
    const key = generateKeyPair()
    const leaf = signLeaf(
      {
        kind: 'heads',
        contextId: new Uint8Array(32),
        payloadRoot: new Uint8Array(32),
        stateRoot: new Uint8Array(32),
        revision: 0,
        attester: key.publicKey,
        issuedAt: 1,
      },
      key.secretKey,
    )
    const forged = leaf.slice()
    forged[100] = forged[100]! ^ 0xff
    for (const bytes of [forged, leaf]) {
      const r = await api.inject({
        method: 'POST',
        url: '/v1/attestations',
        payload: { leaves: [toHex(bytes)] },
      })
      assert.equal(r.statusCode, 400)
      assert.equal(r.json().error.name, 'InvalidLeaf')
    }

    assert.deepEqual(await snapshot(), before, 'nothing stored changed')
    const health = await api.inject({ method: 'GET', url: '/health' })
    assert.equal(health.statusCode, 200)
    const ok = await rpc({
      contextId,
      method: 'get',
      argsJson: '{"key":"k"}',
      executorPublicKey: memberPublicKey,
    })
    assert.equal(ok.json().result.output, 'v')
  } finally {
    await h.stop()
  }
})
