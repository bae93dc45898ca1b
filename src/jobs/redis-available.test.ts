import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { describe, it } from 'node:test'
import { redisAvailable } from './redis-available.ts'

/** A fake Redis on 127.0.0.1 that records what it receives and answers with `reply(received)`. */
async function fakeRedis(
  reply: (received: string) => string | undefined,
): Promise<{ url: (auth?: string) => string; received: () => string; server: Server }> {
  let received = ''
  const server = createServer((socket) => {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      received += chunk
      const answer = reply(received)
      if (answer !== undefined) socket.write(answer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return { url: (auth = '') => `redis://${auth}127.0.0.1:${port}`, received: () => received, server }
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()))

describe('redisAvailable', () => {
  it('is ok when the server answers PING with PONG', async () => {
    const f = await fakeRedis((r) => (r.includes('PING') ? '+PONG\r\n' : undefined))
    try {
      assert.deepEqual(await redisAvailable(f.url()), { ok: true })
      assert.equal(f.received(), '*1\r\n$4\r\nPING\r\n')
    } finally {
      await close(f.server)
    }
  })

  it('sends AUTH with the credentials of the URL and reports a refusal', async () => {
    const f = await fakeRedis((r) =>
      r.includes('PING') ? '-WRONGPASS invalid username-password pair\r\n' : undefined,
    )
    try {
      const r = await redisAvailable(f.url('me:p%40ss@'))
      assert.equal(r.ok, false)
      assert.match(r.ok ? '' : r.reason, /WRONGPASS/)
      assert.equal(f.received(), '*3\r\n$4\r\nAUTH\r\n$2\r\nme\r\n$4\r\np@ss\r\n*1\r\n$4\r\nPING\r\n')
    } finally {
      await close(f.server)
    }
  })

  it('gives up after the timeout when nothing answers', async () => {
    const f = await fakeRedis(() => undefined)
    try {
      const started = Date.now()
      const r = await redisAvailable(f.url(), { timeoutMs: 100 })
      assert.equal(r.ok, false)
      assert.match(r.ok ? '' : r.reason, /within 100 ms/)
      assert.ok(Date.now() - started < 1000)
    } finally {
      await close(f.server)
    }
  })

  it('reports a refused connection and a bad URL', async () => {
    const f = await fakeRedis(() => undefined)
    const url = f.url()
    await close(f.server)
    const refused = await redisAvailable(url)
    assert.equal(refused.ok, false)
    assert.match(refused.ok ? '' : refused.reason, /cannot reach Redis/)
    assert.deepEqual(await redisAvailable('http://127.0.0.1:6379'), {
      ok: false,
      reason: 'not a redis:// URL: http:',
    })
  })
})
