import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { deployNearAnchor } from '../../devnets/near/deploy.ts'
import { type NearDevnet, startNearDevnet } from '../../devnets/near/near-devnet.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { createNearAdapter, type NearAdapter } from './near-adapter.ts'

const CHAIN_ID = 'near:localnet'

/** A proxy to `target` that never answers the JSON-RPC methods in `silent` (the connection stays open). */
async function startSilentProxy(target: () => string, silent: Set<string>) {
  const held: IncomingMessage[] = []
  const seen: string[] = []
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const method = (JSON.parse(body) as { method?: string }).method ?? ''
    seen.push(method)
    if (silent.has(method)) {
      held.push(req)
      return
    }
    try {
      const r = await fetch(target(), {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      })
      res.writeHead(r.status, { 'content-type': 'application/json' })
      res.end(await r.text())
    } catch {
      res.writeHead(502)
      res.end()
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    seen,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

async function until<T>(f: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('NEAR adapter under node failures', { timeout: 60_000 }, () => {
  let dir: string
  let dataDir: string
  let devnet: NearDevnet
  let contract: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'near-fail-'))
    dataDir = join(dir, 'chain')
    devnet = await startNearDevnet({ port: 0, dataDir, blockMs: 50 })
    contract = await deployNearAnchor({
      rpcUrl: devnet.url,
      parentAccount: devnet.rootAccount,
      parentSecretKey: devnet.rootSecretKey,
    })
    const owner = await adapterAt(devnet.url)
    await owner.registerNode(random32(), 'failure tests')
    await owner.close()
  })
  after(async () => {
    await devnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const adapterAt = (rpcUrl: string, requestTimeoutMs?: number): Promise<NearAdapter> =>
    createNearAdapter({
      rpcUrl,
      chainId: CHAIN_ID,
      contract,
      accountId: devnet.rootAccount,
      secretKey: devnet.rootSecretKey,
      pollMs: 20,
      ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    })

  it('a node that never answers send_tx: the anchor fails with ChainUnavailable in bounded time, the next one lands', async () => {
    const silent = new Set(['send_tx'])
    const proxy = await startSilentProxy(() => devnet.url, silent)
    const adapter = await adapterAt(proxy.url, 400)
    try {
      const started = Date.now()
      await assert.rejects(adapter.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }), {
        name: 'ChainUnavailable',
      })
      // Bounded by the 400 ms request timeout (a silent node would otherwise hold it forever).
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`)
      assert.equal(proxy.held.length, 1)
      // the send path is not left blocked behind the silent request
      silent.clear()
      const root = random32()
      const r = await adapter.submitAnchor({ logId: random32(), treeSize: 2, root })
      assert.equal(r.kind, 'submitted')
      const s = await until(async () => {
        const st = await adapter.anchorStatus(root, r.kind === 'submitted' ? r.tx : undefined)
        return st.state === 'final' ? st : undefined
      }, 20_000)
      assert.equal(s.anchor?.treeSize, 2)
    } finally {
      await adapter.close()
      await proxy.close()
    }
  })

  it('close() ends calls waiting on a silent node at once and leaves no timer behind', async () => {
    const proxy = await startSilentProxy(() => devnet.url, new Set(['query']))
    const adapter = await adapterAt(proxy.url, 60_000)
    try {
      const before = timers()
      const pending = adapter.anchorOf(random32())
      await until(async () => (proxy.held.length === 1 ? true : undefined), 20_000)
      const started = Date.now()
      await adapter.close()
      await assert.rejects(pending, { name: 'ChainUnavailable' })
      // Ended by close(), not by the 60 s request timeout.
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`)
      assert.ok(timers() <= before, `timers: ${before} before, ${timers()} after close`)
      await assert.rejects(adapter.anchorOf(random32()), { name: 'ChainUnavailable' })
    } finally {
      await proxy.close()
    }
  })

  it('devnet stopped with an anchor still pooled (never persisted): after a restart the adapter resends it once and it becomes final', async () => {
    await devnet.stop()
    const port = devnet.port
    // no block production: the anchor stays in the pool when the devnet goes down
    devnet = await startNearDevnet({ port, dataDir, blockMs: 60_000 })
    const proxy = await startSilentProxy(() => devnet.url, new Set())
    const adapter = await adapterAt(proxy.url)
    try {
      const root = random32()
      const r = await adapter.submitAnchor({ logId: random32(), treeSize: 4, root })
      assert.equal(r.kind, 'submitted')
      const tx = r.kind === 'submitted' ? r.tx : ''
      assert.equal((await adapter.anchorStatus(root, tx)).state, 'pending')
      await devnet.stop()
      devnet = await startNearDevnet({ port, dataDir, blockMs: 50 })
      const s = await until(async () => {
        try {
          const st = await adapter.anchorStatus(root, tx)
          return st.state === 'final' ? st : undefined
        } catch {
          return undefined // the node was briefly unreachable
        }
      }, 20_000)
      assert.equal(s.anchor?.treeSize, 4)
      assert.ok(s.tx && s.tx !== tx, 'the final anchor names the resent transaction')
      assert.equal((await adapter.anchorStatus(root, tx)).state, 'final')
      // the lost transaction and exactly one resend, no duplicate anchor call
      assert.equal(proxy.seen.filter((m) => m === 'send_tx').length, 2)
    } finally {
      await adapter.close()
      await proxy.close()
    }
  })
})
