import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Account, RpcProvider } from 'starknet'
import { type StarknetDevnet, startStarknetDevnet } from './starknet-devnet.ts'

const bounds = {
  l1_gas: { max_amount: 0n, max_price_per_unit: 1n },
  l2_gas: { max_amount: 10_000_000n, max_price_per_unit: 1n },
  l1_data_gas: { max_amount: 1000n, max_price_per_unit: 1n },
}
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`

describe('starknet devnet: hostile requests never crash it nor corrupt its log', { timeout: 60_000 }, () => {
  let dir: string
  let d: StarknetDevnet
  const post = async (body: string) => {
    const r = await fetch(d.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(5000),
    })
    return (await r.json()) as {
      id?: unknown
      result?: unknown
      error?: { code: number; data?: unknown }
    }
  }
  const chainId = '{"jsonrpc":"2.0","id":7,"method":"starknet_chainId"}'
  const signedCall = async (nonce: number) => {
    const provider = new RpcProvider({ nodeUrl: d.url, specVersion: '0.9.0' })
    const acc = new Account({
      provider,
      address: d.accounts[0]!.address,
      signer: d.accounts[0]!.privateKey,
      cairoVersion: '1',
    })
    const signed = await acc.getSignedTransaction(
      { contractAddress: d.accounts[1]!.address, entrypoint: 'get_public_key', calldata: [] },
      { tip: 0, resourceBounds: bounds, nonce },
    )
    return { ...signed, type: 'INVOKE', version: '0x3' } as Record<string, unknown>
  }
  const addInvoke = (tx: unknown) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'starknet_addInvokeTransaction',
      params: { invoke_transaction: tx },
    })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sn-hostile-'))
    d = await startStarknetDevnet({ port: 0, dataDir: dir })
  })
  after(async () => {
    await d?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('an id that is not a string, number or null is -32600 (a deeply nested one used to kill the server)', async () => {
    for (const id of [deep(100_000), '{"a":1}', '[1]', 'true']) {
      const r = await post(`{"jsonrpc":"2.0","id":${id},"method":"starknet_chainId"}`)
      assert.equal(r.error?.code, -32600)
      assert.equal(r.id, null)
    }
    assert.equal((await post(chainId)).result, '0x534e5f4445564e4554')
  })

  it('getEvents with keys or chunk_size of the wrong type is -32602, not silently unfiltered', async () => {
    for (const filter of [{ keys: 'abc' }, { keys: { a: 1 } }, { chunk_size: 'x' }, { chunk_size: -1 }]) {
      const r = await post(
        JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'starknet_getEvents', params: { filter } }),
      )
      assert.equal(r.error?.code, -32602, JSON.stringify(filter))
    }
  })

  it('a transaction version that is not a hex string is -32602 (an array used to pass BigInt())', async () => {
    const tx = await signedCall(0)
    for (const version of [['0x3'], 3, '3'])
      assert.equal((await post(addInvoke({ ...tx, version }))).error?.code, -32602)
    assert.equal(d.chain.pendingTxs.length, 0)
  })

  it('unsigned extra members are not stored; deep ones cannot tear the block log apart', async () => {
    const tx = await signedCall(0)
    const rb = tx.resource_bounds as Record<string, Record<string, unknown>>
    const junk = {
      ...tx,
      junk: 'x'.repeat(100_000),
      resource_bounds: { ...rb, l2_gas: { ...rb.l2_gas, more: 'junk' } },
      nested: 'NESTED',
    }
    // deep enough to survive a structured clone, too deep for JSON.stringify when the block is logged
    const r = await post(addInvoke(junk).replace('"NESTED"', deep(3000)))
    assert.ok(typeof (r.result as { transaction_hash?: string })?.transaction_hash === 'string')
    const h = (r.result as { transaction_hash: string }).transaction_hash
    const stored = await post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'starknet_getTransactionByHash',
        params: { transaction_hash: h },
      }),
    )
    const t = stored.result as Record<string, unknown>
    assert.equal(t.junk, undefined)
    assert.equal(t.nested, undefined)
    assert.deepEqual(Object.keys((t.resource_bounds as Record<string, object>).l2_gas ?? {}).sort(), [
      'max_amount',
      'max_price_per_unit',
    ])
    assert.ok(d.chain.logBytes < 20_000, `log holds the junk: ${d.chain.logBytes} bytes`)
    const head = d.chain.head.number
    // a later block, then a restart: the log replays to the same chain
    const next = await post(addInvoke(await signedCall(1)))
    assert.ok(next.result, JSON.stringify(next.error))
    await d.stop()
    d = await startStarknetDevnet({ port: 0, dataDir: dir })
    assert.equal(d.chain.head.number, head + 1)
    assert.equal(d.chain.nonce(d.accounts[0]!.address, false), 2n)
  })
})
