import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { loadConfig } from '../src/core/config.ts'
import { createChainAdapter, DEV_CHAINS, kindOfChain } from './chain-adapters.ts'

/** A chain of each kind, in the notation its adapter expects. */
const CHAINS: Record<string, { chainId: string; contract: string }> = {
  ethereum: { chainId: 'eip155:31337', contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
  near: { chainId: 'near:localnet', contract: 'anchor.test.near' },
  icp: { chainId: 'icp:local', contract: 'rwlgt-iiaaa-aaaaa-aaaaa-cai' },
  stellar: {
    chainId: 'stellar:standalone',
    contract: 'GDB3M4BVKODUNBYV43QUSMT7V2OEMGP4EGKPOHEGAZHTQ2LA6YEF3T5Q',
  },
  starknet: {
    chainId: 'starknet:SN_DEVNET',
    contract: '0x4fb444597bca6e794037e025195994cdc3f163289b3ccae66c4c0b055b7279',
  },
}

describe('chain wiring (bin/chain-adapters.ts)', () => {
  // An RPC that accepts connections and never answers.
  const sockets = new Set<Socket>()
  const silent = createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  let url = ''
  before(async () => {
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
    const a = silent.address()
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`
  })
  after(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => silent.close(r))
  })

  it('every dev chain kind has an adapter and a CAIP-2 namespace', () => {
    assert.deepEqual(Object.keys(CHAINS).sort(), Object.keys(DEV_CHAINS).sort())
    for (const [kind, c] of Object.entries(CHAINS)) assert.equal(kindOfChain(c.chainId), kind)
    assert.throws(() => kindOfChain('cosmos:hub'), { name: 'InvalidConfig' })
  })

  for (const [kind, c] of Object.entries(CHAINS))
    it(`${kind}: chains[].requestTimeoutMs bounds every RPC request (a silent RPC → ChainUnavailable)`, async () => {
      const chain = loadConfig({
        dataDir: '.',
        chains: [{ ...c, kind, rpcUrl: kind === 'starknet' ? `${url}/rpc` : url, requestTimeoutMs: 300 }],
      }).chains[0]!
      const adapter = await createChainAdapter(chain, { readOnly: true })
      const t0 = performance.now()
      try {
        await assert.rejects(adapter.anchorOf(new Uint8Array(randomBytes(32))), { name: 'ChainUnavailable' })
      } finally {
        await adapter.close()
      }
      assert.ok(performance.now() - t0 < 10_000, `gave up after ${Math.round(performance.now() - t0)} ms`)
    })

  it('rejects a request timeout outside its bounds', () => {
    assert.throws(
      () =>
        loadConfig({
          dataDir: '.',
          chains: [{ ...CHAINS.near!, kind: 'near', rpcUrl: url, requestTimeoutMs: 5 }],
        }),
      { name: 'InvalidConfig' },
    )
  })
})
