import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import WebSocket from 'ws'
import { AuthService, CHALLENGES_PER_CLIENT } from '../auth/auth-service.ts'
import { AuthStore } from '../auth/auth-store.ts'
import { CLIENT_KEY_CHAIN, clientKeyAccount } from '../auth/client-key-scheme.ts'
import { testSign, testWallet, testWalletScheme } from '../auth/test-wallet-scheme.ts'
import { toBase58 } from '../core/bytes.ts'
import { generateKeyPair } from '../core/ed25519.ts'
import { openStore, section } from '../store/store.ts'
import { buildApi } from './build-api.ts'
import { FAKE_ADMIN_TOKEN, fakeApiDeps } from './fake-api-deps.ts'

const admin = { authorization: `Bearer ${FAKE_ADMIN_TOKEN}` }
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function setup(
  t: { after: (fn: () => Promise<void>) => void },
  config: { api?: object; auth?: object } = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'mero-auth-api-'))
  const store = await openStore(join(dir, 'db'))
  const fake = fakeApiDeps({ ...config, auth: { domain: 'node.test', ...config.auth } })
  const auth = new AuthService({
    config: fake.deps.config,
    store: await AuthStore.open(section(store, 'auth')),
    nodeKey: generateKeyPair(),
    schemes: new Map([['tst', async () => testWalletScheme]]),
    adapters: new Map(),
    origin: () => ({ domain: 'unused', uri: 'unused' }),
  })
  const app = await buildApi({ ...fake.deps, auth })
  t.after(async () => {
    await app.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    headers: object = {},
    payload?: object,
  ) =>
    app.inject({ method, url, headers: headers as Record<string, string>, ...(payload ? { payload } : {}) })
  /** Signs in a new `tst` wallet over HTTP. */
  const signIn = async (w = testWallet()) => {
    const ch = await call('POST', '/auth/challenge', {}, { chainId: 'tst:net', account: w.account })
    assert.equal(ch.statusCode, 200, ch.body)
    const { message } = ch.json().data
    const tok = await call(
      'POST',
      '/auth/token',
      {},
      { chainId: 'tst:net', message, signature: testSign(w.key, message) },
    )
    assert.equal(tok.statusCode, 200, tok.body)
    return { w, ...(tok.json().data as { accessToken: string; refreshToken: string; permissions: string[] }) }
  }
  return { app, fake, call, signIn }
}

test('a wallet signs in over HTTP; its routes follow its permissions, granted by the operator', async (t) => {
  const { call, signIn } = await setup(t)
  const s = await signIn()
  assert.deepEqual(s.permissions, [])
  const me = await call('GET', '/auth/me', bearer(s.accessToken))
  assert.equal(me.json().data.account, s.w.account)
  // No permission yet: listing shows nothing, creating is forbidden.
  assert.deepEqual((await call('GET', '/admin-api/contexts', bearer(s.accessToken))).json().data.contexts, [])
  const denied = await call('POST', '/admin-api/contexts', bearer(s.accessToken), {})
  assert.equal(denied.statusCode, 403)
  assert.equal(denied.json().error.name, 'Forbidden')
  // The operator grants context:create; the wallet's own context becomes fully its own.
  const account = encodeURIComponent(s.w.account)
  const put = await call('PUT', `/admin-api/root-keys/${account}/permissions`, admin, {
    permissions: ['context:create'],
  })
  assert.equal(put.statusCode, 200, put.body)
  const created = await call('POST', '/admin-api/contexts', bearer(s.accessToken), {})
  assert.equal(created.statusCode, 200, created.body)
  const { contextId, memberPublicKey } = created.json().data
  assert.equal((await call('GET', `/admin-api/contexts/${contextId}`, bearer(s.accessToken))).statusCode, 200)
  const rpc = await call('POST', '/jsonrpc', bearer(s.accessToken), {
    jsonrpc: '2.0',
    id: 1,
    method: 'execute',
    params: {
      contextId,
      executorPublicKey: memberPublicKey,
      method: 'set',
      argsJson: '{"key":"a","value":"1"}',
    },
  })
  assert.equal(rpc.json().error, undefined, rpc.body)
  // Another wallet sees none of it.
  const other = await signIn()
  assert.equal(
    (await call('GET', `/admin-api/contexts/${contextId}`, bearer(other.accessToken))).statusCode,
    403,
  )
  const rpc2 = await call('POST', '/jsonrpc', bearer(other.accessToken), {
    jsonrpc: '2.0',
    id: 2,
    method: 'execute',
    params: { contextId, executorPublicKey: memberPublicKey, method: 'get', argsJson: '{"key":"a"}' },
  })
  assert.equal(rpc2.json().error.data.name, 'Forbidden')
  // Only keys:list / keys:manage holders see or change root keys.
  assert.equal((await call('GET', '/admin-api/root-keys', bearer(s.accessToken))).statusCode, 403)
  const roots = await call('GET', '/admin-api/root-keys', admin)
  assert.equal(roots.json().data.keys.length, 2)
})

test('client keys over HTTP: scoped execute, immediate revocation, refresh rotation and reuse', async (t) => {
  const { call, signIn } = await setup(t)
  const s = await signIn()
  await call('PUT', `/admin-api/root-keys/${encodeURIComponent(s.w.account)}/permissions`, admin, {
    permissions: ['context:create'],
  })
  const { contextId, memberPublicKey } = (
    await call('POST', '/admin-api/contexts', bearer(s.accessToken), {})
  ).json().data
  const device = generateKeyPair()
  const keyId = toBase58(device.publicKey)
  const tooMuch = await call('POST', '/auth/keys', bearer(s.accessToken), {
    publicKey: keyId,
    name: 'laptop',
    permissions: ['admin'],
  })
  assert.equal(tooMuch.statusCode, 403)
  const made = await call('POST', '/auth/keys', bearer(s.accessToken), {
    publicKey: keyId,
    name: 'laptop',
    permissions: [`context:execute[${contextId},*,get]`],
  })
  assert.equal(made.statusCode, 201, made.body)
  assert.deepEqual(
    (await call('GET', '/auth/keys', bearer(s.accessToken)))
      .json()
      .data.keys.map((k: { keyId: string }) => k.keyId),
    [keyId],
  )
  const ch = await call(
    'POST',
    '/auth/challenge',
    {},
    { chainId: CLIENT_KEY_CHAIN, account: clientKeyAccount(keyId) },
  )
  const { message } = ch.json().data
  const tok = await call(
    'POST',
    '/auth/token',
    {},
    { chainId: CLIENT_KEY_CHAIN, message, signature: testSign(device, message) },
  )
  assert.equal(tok.statusCode, 200, tok.body)
  const client = tok.json().data
  const exec = (method: string) =>
    call('POST', '/jsonrpc', bearer(client.accessToken), {
      jsonrpc: '2.0',
      id: 1,
      method: 'execute',
      params: { contextId, executorPublicKey: memberPublicKey, method, argsJson: '{"key":"a"}' },
    })
  assert.equal((await exec('get')).json().error, undefined)
  assert.equal((await exec('set')).json().error.data.name, 'Forbidden')
  // A client key cannot create client keys.
  const nested = await call('POST', '/auth/keys', bearer(client.accessToken), {
    publicKey: toBase58(generateKeyPair().publicKey),
    name: 'x',
    permissions: [],
  })
  assert.equal(nested.statusCode, 403)
  // Refresh rotates; presenting the old refresh token again revokes the family.
  const r1 = await call('POST', '/auth/refresh', {}, { refreshToken: client.refreshToken })
  assert.equal(r1.statusCode, 200)
  const reused = await call('POST', '/auth/refresh', {}, { refreshToken: client.refreshToken })
  assert.equal(reused.statusCode, 401)
  assert.equal(reused.json().error.name, 'RefreshTokenReused')
  assert.equal(
    (await call('GET', '/auth/me', bearer(r1.json().data.accessToken))).json().error.name,
    'TokenRevoked',
  )
  // A fresh client session, then the wallet revokes the key: the next request fails.
  const ch2 = (
    await call('POST', '/auth/challenge', {}, { chainId: CLIENT_KEY_CHAIN, account: clientKeyAccount(keyId) })
  ).json().data
  const again = (
    await call(
      'POST',
      '/auth/token',
      {},
      { chainId: CLIENT_KEY_CHAIN, message: ch2.message, signature: testSign(device, ch2.message) },
    )
  ).json().data
  assert.equal((await call('GET', '/auth/me', bearer(again.accessToken))).statusCode, 200)
  assert.equal((await call('DELETE', `/auth/keys/${keyId}`, bearer(s.accessToken))).statusCode, 200)
  const after = await call('GET', '/auth/me', bearer(again.accessToken))
  assert.equal(after.statusCode, 401)
  assert.equal(after.json().error.name, 'TokenRevoked')
  // Logout takes no body (anything in one is refused, the session kept), and ends the wallet's own session.
  const odd = await call('POST', '/auth/logout', bearer(s.accessToken), { everything: true })
  assert.equal(odd.statusCode, 400)
  assert.equal(odd.json().error.name, 'InvalidInput')
  assert.equal((await call('GET', '/auth/me', bearer(s.accessToken))).statusCode, 200)
  assert.equal((await call('POST', '/auth/logout', bearer(s.accessToken))).statusCode, 200)
  assert.equal((await call('GET', '/auth/me', bearer(s.accessToken))).statusCode, 401)
})

test('bad sign-in input gets named 4xx errors, never a crash', async (t) => {
  const { call } = await setup(t)
  const cases: [string, object, number, string][] = [
    ['/auth/challenge', { chainId: 'nope', account: 'x' }, 400, 'InvalidInput'],
    ['/auth/challenge', { chainId: 'zzz:net', account: 'zzz:net:abc' }, 400, 'UnsupportedChain'],
    ['/auth/challenge', { chainId: 'tst:net', account: 'tst:net:notbase58!' }, 400, 'InvalidEncoding'],
    ['/auth/token', { chainId: 'tst:net', message: 'garbage' }, 400, 'InvalidSignInMessage'],
    ['/auth/token', { chainId: 'tst:net', message: 'x', extra: 'not a map' }, 400, 'InvalidInput'],
    ['/auth/refresh', { refreshToken: 'a.b.c' }, 401, 'TokenInvalid'],
  ]
  for (const [url, payload, status, name] of cases) {
    const r = await call('POST', url, {}, payload)
    assert.equal(r.statusCode, status, `${url} ${JSON.stringify(payload)}: ${r.body}`)
    assert.equal(r.json().error.name, name, r.body)
  }
  assert.equal((await call('GET', '/auth/me', bearer('not-a-token'))).statusCode, 401)
})

test('websocket subscriptions need context:subscribe on each context', async (t) => {
  const { app, call, signIn } = await setup(t)
  const created = (await call('POST', '/admin-api/contexts', admin, {})).json().data
  const s = await signIn()
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  const ws = new WebSocket(`ws://127.0.0.1:${address.port}/ws`, { headers: bearer(s.accessToken) })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const answer = new Promise<{ error?: { name: string } }>((resolve) =>
    ws.once('message', (d) => resolve(JSON.parse(String(d)))),
  )
  ws.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds: [created.contextId] } }))
  assert.equal((await answer).error?.name, 'Forbidden')
  ws.close()
})

test('keys:manage hands out only what it holds; request values cannot widen a permission', async (t) => {
  const { call, signIn } = await setup(t)
  const manager = await signIn()
  const put = (who: string, permissions: string[], headers: object) =>
    call('PUT', `/admin-api/root-keys/${encodeURIComponent(who)}/permissions`, headers, { permissions })
  assert.equal((await put(manager.w.account, ['keys:manage', 'context:create'], admin)).statusCode, 200)
  const escalate = await put(manager.w.account, ['admin'], bearer(manager.accessToken))
  assert.equal(escalate.statusCode, 403, escalate.body)
  const user = await signIn()
  assert.equal((await put(user.w.account, ['context:create'], bearer(manager.accessToken))).statusCode, 200)
  // context:execute[ctx,*,get] must not cover crafted method names.
  const { contextId, memberPublicKey } = (
    await call('POST', '/admin-api/contexts', bearer(user.accessToken), {})
  ).json().data
  await put(user.w.account, [`context:execute[${contextId},*,get]`], admin)
  for (const method of ['get,x', 'get],admin[', ' get', '*']) {
    const r = await call('POST', '/jsonrpc', bearer(user.accessToken), {
      jsonrpc: '2.0',
      id: 1,
      method: 'execute',
      params: { contextId, executorPublicKey: memberPublicKey, method, argsJson: '{"key":"a"}' },
    })
    assert.equal(r.json().error?.data.name, 'Forbidden', `${method}: ${r.body}`)
  }
})

test('a websocket stops receiving and is closed once its session is revoked', async (t) => {
  const { app, call, signIn } = await setup(t)
  const s = await signIn()
  await call('PUT', `/admin-api/root-keys/${encodeURIComponent(s.w.account)}/permissions`, admin, {
    permissions: ['context:create'],
  })
  const { contextId, memberPublicKey } = (
    await call('POST', '/admin-api/contexts', bearer(s.accessToken), {})
  ).json().data
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: bearer(s.accessToken) })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  const next = () =>
    new Promise<{ result?: { type?: string } }>((resolve) =>
      ws.once('message', (d) => resolve(JSON.parse(String(d)))),
    )
  let answer = next()
  ws.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds: [contextId] } }))
  assert.deepEqual((await answer).result, { contextIds: [contextId] })
  const write = () =>
    call('POST', '/jsonrpc', admin, {
      jsonrpc: '2.0',
      id: 2,
      method: 'execute',
      params: {
        contextId,
        executorPublicKey: memberPublicKey,
        method: 'set',
        argsJson: '{"key":"k","value":"v"}',
      },
    })
  answer = next()
  await write()
  assert.equal((await answer).result?.type, 'StateMutation')
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  assert.equal((await call('POST', '/auth/logout', bearer(s.accessToken))).statusCode, 200)
  await write()
  assert.equal(await closed, 1008)
})

test('the public sign-in routes are limited per client address; beyond it RateLimited (429) with Retry-After', async (t) => {
  const { app, call } = await setup(t, { auth: { rateLimit: { max: 3, windowMs: 60_000 } } })
  const w = testWallet()
  const challenge = (remoteAddress = '127.0.0.1') =>
    app.inject({
      method: 'POST',
      url: '/auth/challenge',
      remoteAddress,
      payload: { chainId: 'tst:net', account: w.account },
    })
  for (let i = 0; i < 3; i++) assert.equal((await challenge()).statusCode, 200)
  const over = await challenge()
  assert.equal(over.statusCode, 429, over.body)
  assert.equal(over.json().error.name, 'RateLimited')
  assert.equal(over.json().error.details.max, 3)
  assert.ok(Number(over.headers['retry-after']) > 0, 'Retry-After names the seconds to wait')
  // another address has its own budget, and each route its own: a session still starts from elsewhere
  assert.equal((await challenge('10.0.0.7')).statusCode, 200)
  const ch = await call('POST', '/auth/token', {}, { chainId: 'tst:net', message: 'not a challenge' })
  assert.notEqual(ch.statusCode, 429, 'the token route counts separately')
  // bad token requests count too: a client cannot guess signatures faster than the limit
  for (let i = 0; i < 2; i++) await call('POST', '/auth/token', {}, { chainId: 'tst:net', message: 'x' })
  const guessed = await call('POST', '/auth/token', {}, { chainId: 'tst:net', message: 'x' })
  assert.equal(guessed.statusCode, 429)
  assert.equal(guessed.json().error.name, 'RateLimited')
  // routes behind a token are not limited by the sign-in budget
  for (let i = 0; i < 5; i++)
    assert.equal(
      (await call('GET', '/admin-api/root-keys', admin)).statusCode,
      200,
      'admin routes unaffected',
    )
})

test('outstanding challenges are capped per client address over HTTP: one address cannot starve the others', async (t) => {
  const { app } = await setup(t, { auth: { rateLimit: { max: 0 } } })
  const w = testWallet()
  const challenge = (remoteAddress: string) =>
    app.inject({
      method: 'POST',
      url: '/auth/challenge',
      remoteAddress,
      payload: { chainId: 'tst:net', account: w.account },
    })
  for (let i = 0; i < CHALLENGES_PER_CLIENT; i++) assert.equal((await challenge('127.0.0.2')).statusCode, 200)
  const over = await challenge('127.0.0.2')
  assert.equal(over.statusCode, 429, over.body)
  assert.equal(over.json().error.name, 'RateLimited')
  assert.ok(Number(over.headers['retry-after']) > 0, 'Retry-After: when its oldest challenge expires')
  assert.equal((await challenge('127.0.0.3')).statusCode, 200, 'another address is not affected')
})

test('rateLimit.max 0 turns the sign-in limit off', async (t) => {
  const { signIn } = await setup(t, { auth: { rateLimit: { max: 0 } } })
  for (let i = 0; i < 70; i++) await signIn()
})

test('behind a trusted proxy each forwarded client has its own sign-in budget', async (t) => {
  const { app } = await setup(t, { api: { trustProxy: '127.0.0.1' }, auth: { rateLimit: { max: 1 } } })
  const from = (client: string) =>
    app.inject({
      method: 'POST',
      url: '/auth/challenge',
      headers: { 'x-forwarded-for': client },
      payload: { chainId: 'tst:net', account: testWallet().account },
    })
  assert.equal((await from('192.0.2.1')).statusCode, 200)
  assert.equal((await from('192.0.2.1')).statusCode, 429)
  assert.equal((await from('192.0.2.2')).statusCode, 200, 'another client behind the proxy')
})
