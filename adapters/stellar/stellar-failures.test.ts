import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Horizon, Keypair } from '@stellar/stellar-sdk'
import { startStellarDevnet } from '../../devnets/stellar/stellar-devnet.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { defer } from '../../test/helpers/defer.ts'
import { createStellarAdapter } from './stellar-adapter.ts'

const CHAIN = 'stellar:standalone'

/** Counts of the process's active handles by kind. */
const handles = () => {
  const n = new Map<string, number>()
  for (const r of process.getActiveResourcesInfo()) n.set(r, (n.get(r) ?? 0) + 1)
  return n
}

describe('stellar adapter under failure', { timeout: 60_000 }, () => {
  it('devnet restarted while an anchor is in flight: the identical envelope is resent and lands once', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'stellar-restart-'))
    defer(t, () => rm(dir, { recursive: true, force: true })) // runs last, after every devnet stopped
    const first = await startStellarDevnet({ dataDir: dir, blockMs: 100 })
    defer(t, () => first.stop()) // idempotent: stopped again here only if the test failed before
    const port = Number(new URL(first.url).port)
    const operator = Keypair.random()
    await first.fund(operator.publicKey())
    const mk = () =>
      createStellarAdapter({
        rpcUrl: first.url,
        chainId: CHAIN,
        contract: operator.publicKey(),
        secret: operator.secret(),
      })
    const setup = await mk()
    defer(t, () => setup.close())
    await setup.registerNode(random32(), 'operator')
    await setup.close()
    await first.stop()
    // Slow ledgers: the anchor is still queued (never persisted) when the devnet goes down.
    const slow = await startStellarDevnet({ dataDir: dir, blockMs: 3000, port })
    defer(t, () => slow.stop())
    const a = await mk()
    defer(t, () => a.close())
    const req = { logId: random32(), treeSize: 5, root: random32() }
    const sent = a.submitAnchor(req)
    sent.catch(() => {}) // awaited below; not an unhandled rejection meanwhile
    await new Promise((r) => setTimeout(r, 700))
    await slow.stop()
    await new Promise((r) => setTimeout(r, 300))
    const net = await startStellarDevnet({ dataDir: dir, blockMs: 100, port })
    defer(t, () => net.stop())
    const r = await sent
    assert.equal(r.kind, 'submitted')
    const server = new Horizon.Server(net.url, { allowHttp: true })
    const page = await server.transactions().forAccount(operator.publicKey()).limit(200).call()
    const memo = Buffer.from(req.root).toString('base64')
    assert.equal(page.records.filter((t) => t.memo === memo).length, 1, 'exactly one anchor transaction')
    assert.equal((await a.anchorOf(req.root))?.treeSize, 5)
  })

  it('a hung Horizon: requests give up after requestTimeoutMs; close() returns at once and leaves no handle', async () => {
    const held: IncomingMessage[] = []
    const hung = createServer((req) => {
      held.push(req) // never answered
    })
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`
    const operator = Keypair.random()
    const before = handles()
    try {
      const quick = await createStellarAdapter({
        rpcUrl: url,
        chainId: CHAIN,
        contract: operator.publicKey(),
        requestTimeoutMs: 300,
      })
      const t0 = Date.now()
      await assert.rejects(quick.anchorOf(random32()), { name: 'ChainUnavailable' })
      // bounded by requestTimeoutMs (300 ms), far below the 20 s default it would otherwise wait
      assert.ok(Date.now() - t0 < 10_000, `anchorOf took ${Date.now() - t0} ms`)
      await quick.close()

      const slow = await createStellarAdapter({
        rpcUrl: url,
        chainId: CHAIN,
        contract: operator.publicKey(),
        secret: operator.secret(),
      })
      const pending = slow.submitAnchor({ logId: random32(), treeSize: 1, root: random32() })
      pending.catch(() => undefined)
      await new Promise((r) => setTimeout(r, 200))
      const t1 = Date.now()
      await slow.close()
      // at once: not after the 20 s default request timeout of the hung submission
      assert.ok(Date.now() - t1 < 5000, `close took ${Date.now() - t1} ms`)
      await assert.rejects(pending)
    } finally {
      hung.closeAllConnections()
      await new Promise((r) => hung.close(r))
    }
    // handles are released asynchronously (a few ms): wait up to 2 s, far below the 20 s request
    // timer a hung request would leave behind, until none is left over, then check
    const kinds = ['Timeout', 'TCPSocketWrap', 'TCPServerWrap']
    const released = () => {
      const now = handles()
      return kinds.every((kind) => (now.get(kind) ?? 0) <= (before.get(kind) ?? 0))
    }
    for (const end = Date.now() + 2000; !released() && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 20))
    const now = handles()
    for (const kind of kinds)
      assert.ok((now.get(kind) ?? 0) <= (before.get(kind) ?? 0), `${kind} left active: ${[...now]}`)
  })
})
