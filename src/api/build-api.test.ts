import assert from 'node:assert/strict'
import { type AddressInfo, connect } from 'node:net'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { pino } from 'pino'
import { Counter } from 'prom-client'
import { InvalidInput } from '../core/errors.ts'
import { buildApi } from './build-api.ts'
import { FAKE_ADMIN_TOKEN, type FakeApi, fakeApiDeps } from './fake-api-deps.ts'

const auth = { authorization: `Bearer ${FAKE_ADMIN_TOKEN}` }

async function setup(
  t: { after: (fn: () => Promise<void>) => void },
  config: Record<string, unknown> = {},
  tweak?: (f: FakeApi) => void,
) {
  const fake = fakeApiDeps(config)
  tweak?.(fake)
  const app = await buildApi(fake.deps)
  t.after(() => app.close())
  return { app, fake }
}

/** A logger whose lines (JSON, at `level` and above) are kept in `lines`. */
function capturedLogger(level: string) {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk))
      cb()
    },
  })
  return { logger: pino({ level }, sink), lines }
}

async function stillServes(app: Awaited<ReturnType<typeof buildApi>>) {
  const res = await app.inject({ method: 'GET', url: '/health' })
  assert.equal(res.statusCode, 200)
}

test('malformed JSON → 400 InvalidInput, and the app keeps serving', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({
    method: 'POST',
    url: '/admin-api/contexts',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: '{"application":',
  })
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().error.name, 'InvalidInput')
  assert.match(res.json().error.message, /not valid JSON/)
  await stillServes(app)
})

test('wrong types and unknown fields → 400 InvalidInput naming the field', async (t) => {
  const { app } = await setup(t)
  const wrongType = await app.inject({
    method: 'POST',
    url: '/admin-api/contexts',
    headers: auth,
    payload: { application: 5 },
  })
  assert.equal(wrongType.statusCode, 400)
  const body = wrongType.json()
  assert.equal(body.error.name, 'InvalidInput')
  assert.equal(body.error.details.errors[0].path, 'body/application')
  const extra = await app.inject({
    method: 'POST',
    url: '/admin-api/contexts',
    headers: auth,
    payload: { application: 'kv', admin: true },
  })
  assert.equal(extra.statusCode, 400)
  assert.equal(extra.json().error.name, 'InvalidInput')
  // No coercion of bodies: a string where an array is expected is rejected, not wrapped.
  const created = (await app.inject({ method: 'POST', url: '/admin-api/contexts', headers: auth })).json()
    .data
  const notArray = await app.inject({
    method: 'POST',
    url: `/admin-api/contexts/${created.contextId}/members`,
    headers: auth,
    payload: { signer: created.memberPublicKey, members: created.memberPublicKey },
  })
  assert.equal(notArray.statusCode, 400)
  assert.equal(notArray.json().error.name, 'InvalidInput')
  await stillServes(app)
})

test('a body over api.bodyLimit → 413 PayloadTooLarge', async (t) => {
  const { app } = await setup(t, { api: { bodyLimit: 1024 } })
  const res = await app.inject({
    method: 'POST',
    url: '/admin-api/contexts',
    headers: auth,
    payload: { application: 'x'.repeat(2000) },
  })
  assert.equal(res.statusCode, 413)
  assert.equal(res.json().error.name, 'PayloadTooLarge')
  assert.equal(res.json().error.details.limit, 1024)
  await stillServes(app)
})

test('a non-JSON content type → 415 UnsupportedMediaType', async (t) => {
  const { app } = await setup(t)
  for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
    const res = await app.inject({
      method: 'POST',
      url: '/admin-api/contexts',
      headers: { ...auth, 'content-type': type },
      payload: 'application=kv',
    })
    assert.equal(res.statusCode, 415, type)
    assert.equal(res.json().error.name, 'UnsupportedMediaType')
  }
  await stillServes(app)
})

test('prototype poisoning in a body is refused with 400, named as such', async (t) => {
  const { app } = await setup(t)
  for (const payload of ['{"__proto__":{"admin":true}}', '{"a":{"constructor":{"prototype":{"x":1}}}}']) {
    const res = await app.inject({
      method: 'POST',
      url: '/admin-api/contexts',
      headers: { ...auth, 'content-type': 'application/json' },
      payload,
    })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error.name, 'InvalidInput')
    assert.match(res.json().error.message, /forbidden key/, payload)
  }
})

test('unknown route → 404 NotFound', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({ method: 'GET', url: '/nope?x=1' })
  assert.equal(res.statusCode, 404)
  assert.deepEqual(Object.keys(res.json().error).sort(), ['details', 'message', 'name'])
  assert.equal(res.json().error.name, 'NotFound')
})

test('an unexpected fault → 500 Internal with a generic message; the cause is logged, not returned', async (t) => {
  const { logger, lines } = capturedLogger('error')
  const { app } = await setup(t, {}, (f) => {
    f.deps.logger = logger
    f.deps.health = async () => {
      throw new Error('db password is hunter2')
    }
  })
  const res = await app.inject({ method: 'GET', url: '/health' })
  assert.equal(res.statusCode, 500)
  assert.equal(res.json().error.name, 'Internal')
  assert.equal(res.json().error.message, 'internal error')
  assert.doesNotMatch(res.body, /hunter2/)
  assert.match(lines.join(''), /hunter2/)
  const again = await app.inject({ method: 'GET', url: '/metrics' })
  assert.equal(again.statusCode, 200)
})

test('admin routes, /jsonrpc and /ws need the bearer token; /v1 is public by default', async (t) => {
  const { app } = await setup(t)
  for (const headers of [
    {},
    { authorization: 'Bearer wrong' },
    { authorization: FAKE_ADMIN_TOKEN },
    { authorization: `Basic ${FAKE_ADMIN_TOKEN}` },
  ]) {
    const res = await app.inject({ method: 'GET', url: '/admin-api/contexts', headers })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().error.name, 'Unauthorized')
    assert.match(String(res.headers['www-authenticate']), /^Bearer/)
  }
  assert.equal(
    (await app.inject({ method: 'GET', url: '/admin-api/contexts', headers: auth })).statusCode,
    200,
  )
  assert.equal((await app.inject({ method: 'POST', url: '/jsonrpc', payload: {} })).statusCode, 401)
  assert.equal((await app.inject({ method: 'GET', url: '/ws' })).statusCode, 401)
  const ws = await app.inject({ method: 'GET', url: '/ws', headers: auth })
  assert.equal(ws.statusCode, 400) // authorised, but a plain GET is not an upgrade
  assert.equal(
    (await app.inject({ method: 'GET', url: '/v1/checkpoints/latest' })).json().error.name,
    'UnknownCheckpoint',
  )
})

test('api.protectProofs puts /v1 behind the token', async (t) => {
  const { app } = await setup(t, { api: { protectProofs: true } })
  const res = await app.inject({ method: 'GET', url: '/v1/checkpoints/latest' })
  assert.equal(res.statusCode, 401)
  assert.equal(res.json().error.name, 'Unauthorized')
  const ok = await app.inject({ method: 'GET', url: '/v1/checkpoints/latest', headers: auth })
  assert.equal(ok.statusCode, 404)
  assert.equal(ok.json().error.name, 'UnknownCheckpoint')
})

test('an empty admin token is refused at build time', async () => {
  const fake = fakeApiDeps()
  fake.deps.adminToken = ''
  await assert.rejects(buildApi(fake.deps), (e) => e instanceof InvalidInput)
})

test('/health answers 200 when ok and 503 when not', async (t) => {
  const { app, fake } = await setup(t)
  const ok = await app.inject({ method: 'GET', url: '/health' })
  assert.equal(ok.statusCode, 200)
  assert.deepEqual(ok.json(), { ok: true, details: { store: 'ok' } })
  fake.health.ok = false
  const down = await app.inject({ method: 'GET', url: '/health' })
  assert.equal(down.statusCode, 503)
  assert.deepEqual(down.json(), { ok: false, details: { store: 'down' } })
})

test('/metrics serves the Prometheus text of deps.metrics', async (t) => {
  const { app, fake } = await setup(t)
  const c = new Counter({ name: 'mero_test_total', help: 'a test counter', registers: [fake.deps.metrics] })
  c.inc(3)
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^text\/plain/)
  assert.match(res.body, /^mero_test_total 3$/m)
})

test('the OpenAPI document at /docs/json lists every route with its schemas; /docs serves the UI', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  assert.equal(res.statusCode, 200)
  const doc = res.json()
  assert.equal(doc.openapi, '3.0.3')
  const expected: [string, string][] = [
    ['post', '/admin-api/contexts'],
    ['get', '/admin-api/contexts'],
    ['get', '/admin-api/contexts/{contextId}'],
    ['get', '/admin-api/contexts/{contextId}/bindings'],
    ['post', '/admin-api/contexts/{contextId}/members'],
    ['delete', '/admin-api/contexts/{contextId}/members/{member}'],
    ['post', '/admin-api/contexts/{contextId}/capabilities/grant'],
    ['post', '/admin-api/contexts/{contextId}/capabilities/revoke'],
    ['post', '/admin-api/contexts/{contextId}/identities/{identity}/wallet'],
    ['post', '/admin-api/identities'],
    ['post', '/jsonrpc'],
    ['get', '/ws'],
    ['get', '/v1/contexts/{contextId}/proof'],
    ['get', '/v1/proofs/{leafHash}'],
    ['get', '/v1/checkpoints/latest'],
    ['get', '/v1/checkpoints/{treeSize}'],
    ['get', '/v1/consistency'],
    ['get', '/v1/anchors/{rootHash}'],
    ['post', '/v1/verify'],
    ['post', '/v1/attestations'],
    ['get', '/health'],
    ['get', '/metrics'],
  ]
  const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m} ${path}`),
  )
  assert.deepEqual(listed.sort(), expected.map(([m, p]) => `${m} ${p}`).sort())
  for (const [method, path] of expected) {
    const op = doc.paths[path][method]
    assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${path} has responses`)
    if (path.includes('{'))
      assert.ok(
        op.parameters?.some((p: { in: string }) => p.in === 'path'),
        `${method} ${path} has path params`,
      )
  }
  assert.ok(doc.paths['/v1/consistency'].get.parameters.some((p: { name: string }) => p.name === 'first'))
  assert.ok(doc.paths['/admin-api/contexts/{contextId}/members'].post.requestBody)
  assert.deepEqual(doc.paths['/admin-api/contexts'].get.security, [{ bearer: [] }])
  const ui = await app.inject({ method: 'GET', url: '/docs' })
  assert.ok(ui.statusCode === 200 || ui.statusCode === 302, `docs UI answered ${ui.statusCode}`)
})

/**
 * Sends raw bytes to the listening app, then reads until the server closes the connection; with
 * `keepOpen`, the client's side stays open (a slow client) and the read stops after `waitMs` at most.
 */
async function raw(port: number, chunks: string[], keepOpen?: { waitMs: number }): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  const received: Buffer[] = []
  socket.on('data', (b) => received.push(b))
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  socket.on('error', () => {}) // the server may reset after answering
  for (const c of chunks) socket.write(c)
  if (keepOpen) await Promise.race([closed, new Promise((r) => setTimeout(r, keepOpen.waitMs))])
  else {
    socket.end()
    await closed
  }
  socket.destroy() // when no answer came: lets the app close
  return Buffer.concat(received).toString()
}

const connections = (app: Awaited<ReturnType<typeof buildApi>>) =>
  new Promise<number>((resolve, reject) => app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))))

async function waitUntil(f: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const parse = (answer: string) => {
  const status = Number(answer.split(' ')[1])
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4)
  return { status, error: (JSON.parse(body) as { error: { name: string } }).error }
}

test('what the HTTP layer refuses before a route gets the same {error: {name}} shape, and is not logged as a fault', async (t) => {
  const { logger, lines } = capturedLogger('warn')
  const { app } = await setup(t, {}, (f) => {
    f.deps.logger = logger
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  // a bad %-escape in a path (fastify answers it before routing); the path is not echoed back
  const longBadPath = `/admin-api/root-keys/%zz${'<script>'.repeat(500)}`
  const badUrl = await raw(port, [`GET ${longBadPath} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`])
  assert.deepEqual([parse(badUrl).status, parse(badUrl).error.name], [400, 'InvalidInput'])
  assert.doesNotMatch(badUrl, /script/)
  // a request line node's parser refuses
  const garbage = parse(await raw(port, ['NOT HTTP AT ALL\r\n\r\n']))
  assert.deepEqual([garbage.status, garbage.error.name], [400, 'InvalidInput'])
  // headers over node's limit
  const big = parse(
    await raw(port, [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`]),
  )
  assert.deepEqual([big.status, big.error.name], [431, 'HeadersTooLarge'])
  // a client that leaves in the middle of its body: nobody to answer, nothing to log
  const gone = connect(port, '127.0.0.1')
  gone.write(
    'POST /auth/challenge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"cha',
  )
  await waitUntil(async () => (await connections(app)) === 1) // the server holds it, reading the body
  gone.destroy()
  await waitUntil(async () => (await connections(app)) === 0) // … and has seen it go
  await new Promise((r) => setImmediate(r))
  await stillServes(app)
  assert.doesNotMatch(lines.join(''), /API fault/, 'client mistakes are not faults of the node')
})

test('a body slower than api.requestTimeoutMs is answered 408 RequestTimeout in the same shape', async (t) => {
  const { app } = await setup(t, { api: { requestTimeoutMs: 1000 } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  // headers complete, then 6 of the 100 body bytes promised, then nothing
  const text = await raw(
    port,
    [
      'POST /auth/refresh HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"refr',
    ],
    { waitMs: 10_000 },
  )
  assert.ok(text.length > 0, 'no answer within 10 s')
  const answer = parse(text)
  assert.deepEqual([answer.status, answer.error.name], [408, 'RequestTimeout'])
  await stillServes(app)
})

test('an answer sent before the body arrived closes the connection: no late 408 follows on it', async (t) => {
  const { app } = await setup(t, { api: { requestTimeoutMs: 1000 } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  // no token: refused before the body is read; the 97 missing body bytes never come
  const text = await raw(
    port,
    [
      'POST /admin-api/contexts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a',
    ],
    { waitMs: 3000 }, // past the 1 s request timeout
  )
  assert.equal(text.match(/HTTP\/1\.1 \d{3}/g)?.join(), 'HTTP/1.1 401', text)
  assert.match(text, /\r\nconnection: close\r\n/i)
})
