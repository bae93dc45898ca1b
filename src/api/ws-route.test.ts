import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { WebSocket } from 'ws'
import { toBase58, toHex } from '../core/bytes.ts'
import { buildApi } from './build-api.ts'
import { FAKE_ADMIN_TOKEN, fakeApiDeps } from './fake-api-deps.ts'
import { WS_MAX_SUBSCRIPTIONS_PER_CONNECTION } from './ws-route.ts'

/** A ws client that queues incoming JSON messages so a test can await them in order. */
function client(url: string, token?: string) {
  const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  const inbox: unknown[] = []
  const waiting: ((m: unknown) => void)[] = []
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data))
    const w = waiting.shift()
    if (w) w(msg)
    else inbox.push(msg)
  })
  const next = () =>
    // biome-ignore lint/suspicious/noExplicitAny: test messages are checked field by field
    new Promise<any>((resolve, reject) => {
      if (inbox.length > 0) return resolve(inbox.shift())
      const timer = setTimeout(() => reject(new Error('no message within 5 s')), 5000)
      waiting.push((m) => {
        clearTimeout(timer)
        resolve(m)
      })
    })
  const send = (m: unknown) => ws.send(JSON.stringify(m))
  return { ws, next, send, inbox }
}

async function listening(t: { after: (fn: () => Promise<void>) => void }) {
  const fake = fakeApiDeps()
  const app = await buildApi(fake.deps)
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  return { app, fake, url: `ws://127.0.0.1:${port}/ws` }
}

test('ws: subscribe, receive a pushed StateMutation, unsubscribe, close', async (t) => {
  const { app, fake, url } = await listening(t)
  const { contextId, memberPublicKey } = await fake.contexts.createContext({})
  const other = await fake.contexts.createContext({})
  const c = client(url, FAKE_ADMIN_TOKEN)
  await once(c.ws, 'open')

  c.send({ id: 1, method: 'subscribe', params: { contextIds: [toBase58(contextId)] } })
  assert.deepEqual(await c.next(), { id: 1, result: { contextIds: [toBase58(contextId)] } })

  // A write in another context is not pushed; a write in the subscribed one is.
  await fake.contexts.execute(other.contextId, other.memberPublicKey, 'set', '{"key":"x","value":0}')
  const { deltaId } = await fake.contexts.execute(contextId, memberPublicKey, 'set', '{"key":"a","value":1}')
  const pushed = await c.next()
  assert.equal(pushed.result.contextId, toBase58(contextId))
  assert.equal(pushed.result.type, 'StateMutation')
  assert.deepEqual(pushed.result.data.heads, [toBase58(deltaId!)])
  assert.equal(pushed.result.data.newRoot, toHex((await fake.contexts.getContext(contextId)).stateRoot))
  assert.deepEqual(pushed.result.data.events, [{ kind: 'set', key: 'a' }])

  c.send({ id: 'u', method: 'unsubscribe', params: { contextIds: [toBase58(contextId)] } })
  assert.deepEqual(await c.next(), { id: 'u', result: { contextIds: [] } })
  await fake.contexts.execute(contextId, memberPublicKey, 'set', '{"key":"a","value":2}')
  // A round trip after the write proves nothing was pushed in between.
  c.send({ id: 3, method: 'unsubscribe', params: { contextIds: [toBase58(contextId)] } })
  assert.deepEqual(await c.next(), { id: 3, result: { contextIds: [] } })

  c.ws.close()
  await once(c.ws, 'close')
  await app.close()
  assert.equal(fake.contexts.listenerCount, 0, 'the API stops listening to state mutations on close')
})

test('ws: bad messages get error answers and the connection stays usable', async (t) => {
  const { fake, url } = await listening(t)
  const c = client(url, FAKE_ADMIN_TOKEN)
  await once(c.ws, 'open')
  c.ws.send('{not json')
  assert.equal((await c.next()).error.name, 'InvalidInput')
  c.send({ id: 1, method: 'subscribe', params: { contextIds: [toBase58(randomBytes(32))] } })
  assert.deepEqual((await c.next()).error.name, 'UnknownContext')
  c.send({ id: 2, method: 'subscribe', params: { contextIds: ['0OIl'] } })
  assert.equal((await c.next()).error.name, 'InvalidEncoding')
  c.send({ id: 3, method: 'publish', params: { contextIds: [toBase58(randomBytes(32))] } })
  const unknown = await c.next()
  assert.equal(unknown.id, 3)
  assert.equal(unknown.error.name, 'NotFound')
  c.send({ id: 6, method: 'subscribe', params: { contextIds: [] } })
  assert.equal((await c.next()).error.name, 'InvalidInput')

  // Subscription limit per connection.
  const ids: string[] = []
  for (let i = 0; i <= WS_MAX_SUBSCRIPTIONS_PER_CONNECTION; i++)
    ids.push(toBase58((await fake.contexts.createContext({})).contextId))
  c.send({
    id: 4,
    method: 'subscribe',
    params: { contextIds: ids.slice(0, WS_MAX_SUBSCRIPTIONS_PER_CONNECTION) },
  })
  assert.equal((await c.next()).result.contextIds.length, WS_MAX_SUBSCRIPTIONS_PER_CONNECTION)
  c.send({ id: 5, method: 'subscribe', params: { contextIds: [ids.at(-1)] } })
  assert.equal((await c.next()).error.name, 'TooManySubscriptions')
  c.ws.close()
  await once(c.ws, 'close')
})

test('ws: the upgrade needs the admin token', async (t) => {
  const { url } = await listening(t)
  for (const token of [undefined, 'wrong-token']) {
    const c = client(url, token)
    const [err] = await once(c.ws, 'error')
    assert.match(String((err as Error).message), /401/)
  }
})
