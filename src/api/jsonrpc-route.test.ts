import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { toBase58 } from '../core/bytes.ts'
import { buildApi } from './build-api.ts'
import { FAKE_ADMIN_TOKEN, fakeApiDeps } from './fake-api-deps.ts'
import { JsonRpcCode } from './jsonrpc-route.ts'

const auth = { authorization: `Bearer ${FAKE_ADMIN_TOKEN}` }

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const fake = fakeApiDeps()
  const app = await buildApi(fake.deps)
  t.after(() => app.close())
  const created = await fake.contexts.createContext({})
  const contextId = toBase58(created.contextId)
  const executor = toBase58(created.memberPublicKey)
  const rpc = (payload: unknown, headers: Record<string, string> = auth) =>
    app.inject({
      method: 'POST',
      url: '/jsonrpc',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    })
  const execute = (id: unknown, params: Record<string, unknown>) =>
    rpc({
      jsonrpc: '2.0',
      id,
      method: 'execute',
      params: { contextId, executorPublicKey: executor, argsJson: '{}', ...params },
    })
  return { app, fake, contextId, executor, rpc, execute }
}

test('execute: a write answers the delta id, a read answers the output', async (t) => {
  const { execute } = await setup(t)
  const set = await execute(1, { method: 'set', argsJson: JSON.stringify({ key: 'k', value: { n: 42 } }) })
  assert.equal(set.statusCode, 200)
  const body = set.json()
  assert.equal(body.jsonrpc, '2.0')
  assert.equal(body.id, 1)
  assert.equal(body.result.output, null)
  assert.match(body.result.deltaId, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/)
  assert.equal(body.error, undefined)

  const got = await execute('req-2', { method: 'get', argsJson: JSON.stringify({ key: 'k' }) })
  assert.deepEqual(got.json(), { jsonrpc: '2.0', id: 'req-2', result: { output: { n: 42 } } })
})

test('JSON-RPC errors: parse, invalid request, method not found, invalid params (HTTP 200)', async (t) => {
  const { rpc, execute, contextId, executor } = await setup(t)

  const parse = await rpc('{"jsonrpc":"2.0",')
  assert.equal(parse.statusCode, 200)
  assert.equal(parse.json().error.code, JsonRpcCode.ParseError)
  assert.equal(parse.json().id, null)

  const noVersion = await rpc({
    id: 7,
    method: 'execute',
    params: { contextId, executorPublicKey: executor, method: 'get', argsJson: '{}' },
  })
  assert.equal(noVersion.statusCode, 200)
  assert.equal(noVersion.json().error.code, JsonRpcCode.InvalidRequest)
  assert.equal(noVersion.json().id, 7)
  assert.equal(noVersion.json().error.data.name, 'InvalidInput')

  const batch = await rpc([{ jsonrpc: '2.0', id: 1, method: 'execute', params: {} }])
  assert.equal(batch.statusCode, 200)
  assert.equal(batch.json().error.code, JsonRpcCode.InvalidRequest)

  const unknownMethod = await rpc({ jsonrpc: '2.0', id: 3, method: 'query', params: {} })
  assert.equal(unknownMethod.statusCode, 200)
  assert.equal(unknownMethod.json().error.code, JsonRpcCode.MethodNotFound)
  assert.equal(unknownMethod.json().error.data.name, 'NotFound')
  assert.equal(unknownMethod.json().id, 3)

  const missingParam = await rpc({
    jsonrpc: '2.0',
    id: 4,
    method: 'execute',
    params: { contextId, executorPublicKey: executor, argsJson: '{}' },
  })
  assert.equal(missingParam.json().error.code, JsonRpcCode.InvalidParams)
  assert.equal(missingParam.json().error.data.name, 'InvalidInput')

  const badB58 = await execute(5, { method: 'get', contextId: 'I-am-not-base58' })
  assert.equal(badB58.statusCode, 200)
  assert.equal(badB58.json().error.code, JsonRpcCode.InvalidParams)
  assert.equal(badB58.json().error.data.name, 'InvalidEncoding')

  const wrongLength = await execute(6, { method: 'get', executorPublicKey: toBase58(randomBytes(31)) })
  assert.equal(wrongLength.json().error.code, JsonRpcCode.InvalidParams)
  assert.equal(wrongLength.json().error.data.name, 'InvalidEncoding')
})

test('application errors carry their stable name in error.data.name', async (t) => {
  const { execute } = await setup(t)
  const unknownContext = await execute(1, { method: 'get', contextId: toBase58(randomBytes(32)) })
  assert.equal(unknownContext.statusCode, 200)
  assert.equal(unknownContext.json().error.code, JsonRpcCode.NotFound)
  assert.equal(unknownContext.json().error.data.name, 'UnknownContext')

  const unknownAppMethod = await execute(2, { method: 'nope' })
  assert.equal(unknownAppMethod.json().error.data.name, 'UnknownMethod')

  const badArgs = await execute(3, { method: 'set', argsJson: '{nope' })
  assert.equal(badArgs.json().error.code, JsonRpcCode.ApplicationError)
  assert.equal(badArgs.json().error.data.name, 'InvalidInput')

  const internal = await execute(4, { method: 'fail' })
  assert.equal(internal.statusCode, 200)
  assert.equal(internal.json().error.code, JsonRpcCode.InternalError)
  assert.equal(internal.json().error.data.name, 'Internal')
  assert.doesNotMatch(internal.body, /secret-internal-detail/)
})

test('auth failures are HTTP 401 with a JSON-RPC error body; the route keeps serving', async (t) => {
  const { execute, rpc } = await setup(t)
  const res = await rpc(
    { jsonrpc: '2.0', id: 1, method: 'execute', params: {} },
    { authorization: 'Bearer nope' },
  )
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().jsonrpc, '2.0')
  assert.equal(res.json().error.code, JsonRpcCode.Unauthorized)
  assert.equal(res.json().error.data.name, 'Unauthorized')
  const ok = await execute(2, { method: 'get', argsJson: '{"key":"x"}' })
  assert.deepEqual(ok.json().result, { output: null })
})

test('a body over the limit is HTTP 413 with a JSON-RPC error naming PayloadTooLarge', async (t) => {
  const fake = fakeApiDeps({ api: { bodyLimit: 1024 } })
  const app = await buildApi(fake.deps)
  t.after(() => app.close())
  const res = await app.inject({
    method: 'POST',
    url: '/jsonrpc',
    headers: auth,
    payload: { jsonrpc: '2.0', id: 1, method: 'execute', params: { argsJson: 'x'.repeat(2000) } },
  })
  assert.equal(res.statusCode, 413)
  assert.equal(res.json().error.code, JsonRpcCode.TooLarge)
  assert.equal(res.json().error.data.name, 'PayloadTooLarge')
})
