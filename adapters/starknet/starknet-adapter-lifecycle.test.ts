import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import { deployStarknetAnchor } from '../../devnets/starknet/deploy-anchor.ts'
import { startStarknetDevnet } from '../../devnets/starknet/starknet-devnet.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { isMeroError } from '../../src/core/errors.ts'
import { waitFor } from '../../test/helpers/child-process.ts'
import { defer } from '../../test/helpers/defer.ts'
import { createStarknetAdapter } from './starknet-adapter.ts'

const CHAIN = 'starknet:SN_DEVNET'
const CHAIN_FELT = '0x534e5f4445564e4554'
const CONTRACT = '0x1234'

/** A JSON-RPC stand-in that keeps idle connections for a minute (as many public endpoints do). */
async function fakeNode(
  opts: { hang?: boolean; callResult?: string[] } = {},
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (opts.hang) return // never answers
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; method: string }
    const result =
      body.method === 'starknet_chainId'
        ? CHAIN_FELT
        : body.method === 'starknet_call'
          ? (opts.callResult ?? Array(6).fill('0x0')) // anchor_of of an unknown root: zeros
          : null
    res.setHeader('content-type', 'application/json')
    res.setHeader('keep-alive', 'timeout=60')
    res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result }))
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/rpc`, server }
}

const count = (kind: string) => process.getActiveResourcesInfo().filter((k) => k === kind).length

describe('starknet adapter: lifecycle (sockets and timers released, bounded calls)', {
  timeout: 30_000,
}, () => {
  const servers: Server[] = []
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections()
      await new Promise((r) => s.close(r))
    }
  })

  it('close() releases every socket and timer it opened (no keep-alive socket holds the process)', async () => {
    const { url, server } = await fakeNode()
    servers.push(server)
    const timersBefore = count('Timeout')
    const a = await createStarknetAdapter({ rpcUrl: url, chainId: CHAIN, contract: CONTRACT })
    assert.equal(await a.anchorOf(random32()), null)
    await Promise.all([a.anchorOf(random32()), a.anchorOf(random32())]) // more than one socket
    assert.ok(count('TCPSocketWrap') > 0)
    await a.close()
    // the server side of each connection closes once the adapter's side is gone (a leaked keep-alive
    // socket stays open for the server's 60 s: it still fails below)
    for (const end = Date.now() + 10_000; count('TCPSocketWrap') > 0 && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 10))
    assert.equal(count('TCPSocketWrap'), 0, String(process.getActiveResourcesInfo()))
    assert.ok(count('Timeout') <= timersBefore, String(process.getActiveResourcesInfo()))
    await assert.rejects(a.anchorOf(random32()), (e) => isMeroError(e)) // no new socket after close
  })

  it('a node that accepts but never answers gives ChainUnavailable after requestTimeoutMs; abort is prompt', async () => {
    const { url, server } = await fakeNode({ hang: true })
    servers.push(server)
    const a = await createStarknetAdapter({
      rpcUrl: url,
      chainId: CHAIN,
      contract: CONTRACT,
      requestTimeoutMs: 300,
    })
    try {
      const t0 = Date.now()
      await assert.rejects(a.anchorOf(random32()), (e) => isMeroError(e) && e.name === 'ChainUnavailable')
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`)
      const ac = new AbortController()
      let abortedAt = 0
      setTimeout(() => {
        abortedAt = Date.now()
        ac.abort()
      }, 50)
      await assert.rejects(
        a.anchorStatus(random32(), undefined, { signal: ac.signal }),
        (e) => isMeroError(e) && e.name === 'Aborted',
      )
      // measured from the abort itself: a loaded machine may fire the 50 ms timer late
      assert.ok(abortedAt > 0 && Date.now() - abortedAt < 1000, `abort took ${Date.now() - abortedAt} ms`)
    } finally {
      await a.close()
    }
  })

  it('an anchor_of answer of the wrong shape is ChainRejected (UnexpectedAnswer), not a raw RangeError', async () => {
    const { url, server } = await fakeNode({ callResult: Array(8).fill('0x1') })
    servers.push(server)
    const a = await createStarknetAdapter({ rpcUrl: url, chainId: CHAIN, contract: CONTRACT })
    try {
      await assert.rejects(
        a.anchorOf(random32()),
        (e) => isMeroError(e) && e.name === 'ChainRejected' && e.details.reason === 'UnexpectedAnswer',
      )
    } finally {
      await a.close()
    }
  })

  it('an abort ends the wait for a receipt at once, not after the poll interval', async (t) => {
    const slow = await startStarknetDevnet({ port: 0, blockMs: 600_000 }) // blocks only when mined
    defer(t, () => slow.stop())
    const mining = setInterval(() => slow.chain.closeBlock(), 10)
    const contract = await deployStarknetAnchor(slow.url, slow.accounts[0]!, slow.anchorClassHash).finally(
      () => clearInterval(mining),
    )
    const a = await createStarknetAdapter({
      rpcUrl: slow.url,
      chainId: CHAIN,
      contract,
      account: slow.accounts[0]!,
      pollMs: 10_000,
    })
    defer(t, () => a.close())
    const ac = new AbortController()
    const p = a.registerNode(random32(), 'never accepted', { signal: ac.signal })
    p.catch(() => {}) // checked below; not an unhandled rejection while waiting
    // abort once the transaction is in the pool and the adapter is sleeping between polls
    await waitFor('the transaction in the pool', () => slow.chain.pendingTxs.length > 0, {
      timeoutMs: 20_000,
    })
    await new Promise((r) => setTimeout(r, 100))
    const abortedAt = Date.now()
    ac.abort()
    await assert.rejects(p, (e) => isMeroError(e) && e.name === 'Aborted')
    // measured from the abort: without it the wait would last the 10 s poll interval
    assert.ok(Date.now() - abortedAt < 5000, `took ${Date.now() - abortedAt} ms`)
  })
})
