import assert from 'node:assert/strict'
import { test } from 'node:test'
import WebSocket from 'ws'
import { createContext, setValue } from './helpers/inject-requests.ts'
import { startMemoryNode } from './helpers/memory-node.ts'

test('/ws pushes a StateMutation for each write to a subscribed context, with the new root and heads', async (t) => {
  const h = await startMemoryNode({ intervalMs: 60_000 })
  t.after(() => h.stop())
  await h.node.api.listen({ host: '127.0.0.1', port: 0 })
  const api = h.node.api
  const ctx = await createContext(api, h.auth)
  const other = await createContext(api, h.auth)
  const { contextId } = ctx

  const ws = new WebSocket(`${h.node.url.replace('http', 'ws')}/ws`, { headers: h.auth })
  t.after(() => ws.close())
  const messages: {
    id?: number
    result?: {
      contextId: string
      type: string
      data: { newRoot: string; heads: string[]; events: unknown[] }
    }
  }[] = []
  ws.on('message', (m) => messages.push(JSON.parse(String(m))))
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  ws.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds: [contextId] } }))
  const until = async (f: () => boolean) => {
    const end = Date.now() + 5000
    while (!f()) {
      if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(messages)}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  await until(() => messages.some((m) => m.id === 1))

  await setValue(api, h.auth, other, 'not-subscribed', 'x')
  const deltaId = await setValue(api, h.auth, ctx, 'hello', 'x')
  await until(() => messages.some((m) => m.result?.type === 'StateMutation'))
  const pushed = messages.filter((m) => m.result?.type === 'StateMutation')
  assert.equal(pushed.length, 1, 'only the subscribed context is pushed')
  const info = (
    await api.inject({ method: 'GET', url: `/admin-api/contexts/${contextId}`, headers: h.auth })
  ).json().data
  assert.equal(pushed[0]!.result!.contextId, contextId)
  assert.equal(pushed[0]!.result!.data.newRoot, info.stateRoot)
  assert.deepEqual(pushed[0]!.result!.data.heads, [deltaId])
  assert.ok(pushed[0]!.result!.data.events.length > 0)
})
