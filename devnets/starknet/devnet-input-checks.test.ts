import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Account, num, RpcProvider } from 'starknet'
import { FELT_PRIME, registerNodeCalldata, selectorOf } from '../../contracts/starknet/anchor-calldata.ts'
import { deployStarknetAnchor } from './deploy-anchor.ts'
import { type StarknetDevnet, startStarknetDevnet } from './starknet-devnet.ts'

const bounds = {
  l1_gas: { max_amount: 0n, max_price_per_unit: 0x174876e800n },
  l2_gas: { max_amount: 10_000_000n, max_price_per_unit: 0x2540be400n },
  l1_data_gas: { max_amount: 1000n, max_price_per_unit: 1n },
}

describe('starknet devnet: input range checks answer -32602 like a node', { timeout: 60_000 }, () => {
  let d: StarknetDevnet
  let acc: Account
  let contract: string
  const rpc = async (method: string, params: unknown) =>
    (await (
      await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      })
    ).json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } }
  const signedIsNode = () =>
    acc.getSignedTransaction(
      { contractAddress: contract, entrypoint: 'is_node', calldata: ['0x1', '0x0'] },
      { tip: 0, resourceBounds: bounds },
    )
  before(async () => {
    d = await startStarknetDevnet({ port: 0 })
    const provider = new RpcProvider({ nodeUrl: d.url, specVersion: '0.9.0' })
    acc = new Account({
      provider,
      address: d.accounts[0]!.address,
      signer: d.accounts[0]!.privateKey,
      cairoVersion: '1',
    })
    contract = await deployStarknetAnchor(d.url, d.accounts[0]!, d.anchorClassHash)
  })
  after(async () => {
    await d?.stop()
  })

  it('a calldata felt x + P with the original signature is refused, not executed as x', async () => {
    const signed = await signedIsNode()
    const calldata = [...signed.calldata] as string[]
    calldata[calldata.length - 1] = num.toHex(BigInt(calldata.at(-1)!) + FELT_PRIME)
    const r = await rpc('starknet_addInvokeTransaction', { invoke_transaction: { ...signed, calldata } })
    assert.equal(r.error?.code, -32602)
    assert.equal(d.chain.pendingTxs.length, 0)
  })

  it('resource bounds that overflow their integer types are refused (u128 price, u64 amount and tip)', async () => {
    const signed = await signedIsNode()
    const rb = structuredClone(signed.resource_bounds) as unknown as Record<string, Record<string, string>>
    const variants: unknown[] = [
      {
        ...signed,
        resource_bounds: {
          ...rb,
          l2_gas: { ...rb.l2_gas, max_price_per_unit: num.toHex((1n << 128n) + 1n) },
        },
      },
      { ...signed, resource_bounds: { ...rb, l2_gas: { ...rb.l2_gas, max_amount: num.toHex(1n << 64n) } } },
      { ...signed, tip: num.toHex(1n << 64n) },
      { ...signed, signature: [num.toHex(FELT_PRIME + 1n), '0x5'] },
      { ...signed, signature: ['zz'] },
      { ...signed, nonce: 5 },
    ]
    for (const v of variants)
      assert.equal(
        (await rpc('starknet_addInvokeTransaction', { invoke_transaction: v })).error?.code,
        -32602,
      )
  })

  it('a malformed block id is -32602; an unknown one is 24 BLOCK_NOT_FOUND', async () => {
    for (const block_id of [{ block_hash: 'zz' }, { block_number: 1.5 }, { block_number: -1 }, 'nope', {}])
      assert.equal(
        (await rpc('starknet_getBlockWithTxHashes', { block_id })).error?.code,
        -32602,
        JSON.stringify(block_id),
      )
    assert.equal(
      (await rpc('starknet_getBlockWithTxHashes', { block_id: { block_hash: '0x1234' } })).error?.code,
      24,
    )
    assert.equal(
      (await rpc('starknet_getBlockWithTxHashes', { block_id: { block_number: 10_000 } })).error?.code,
      24,
    )
  })

  it('estimateFee with garbage under SKIP_VALIDATE is -32602 without JS internals', async () => {
    for (const request of [[{ type: 'INVOKE', version: '0x3', calldata: 5 }], [null]]) {
      const r = await rpc('starknet_estimateFee', {
        request,
        simulation_flags: ['SKIP_VALIDATE'],
        block_id: 'latest',
      })
      assert.equal(r.error?.code, -32602, JSON.stringify(r))
      assert.doesNotMatch(JSON.stringify(r.error), /TypeError|Cannot read|undefined|SyntaxError/)
    }
  })

  it('starknet_call with a felt ≥ P is -32602', async () => {
    const r = await rpc('starknet_call', {
      request: {
        contract_address: contract,
        entry_point_selector: num.toHex(selectorOf('is_node')),
        calldata: [num.toHex(FELT_PRIME), '0x0'],
      },
      block_id: 'latest',
    })
    assert.equal(r.error?.code, -32602)
  })
})

describe('starknet devnet: getEvents paging', { timeout: 60_000 }, () => {
  it('pages resume at the block of the token, in order, without gaps or repeats', async () => {
    const d = await startStarknetDevnet({ port: 0 })
    try {
      const provider = new RpcProvider({ nodeUrl: d.url, specVersion: '0.9.0' })
      const acc = new Account({
        provider,
        address: d.accounts[0]!.address,
        signer: d.accounts[0]!.privateKey,
        cairoVersion: '1',
      })
      const contract = await deployStarknetAnchor(d.url, d.accounts[0]!, d.anchorClassHash)
      const owner = BigInt(d.accounts[0]!.address)
      // 3 blocks of 2 NodeRegistered events each (one multicall per block).
      for (let b = 0; b < 3; b++)
        await acc.execute(
          [1, 2].map((k) => ({
            contractAddress: contract,
            entrypoint: 'register_node',
            calldata: registerNodeCalldata(BigInt(b * 10 + k), owner, `n${b}${k}`).map(String),
          })),
          { tip: 0, resourceBounds: bounds },
        )
      const all = (await provider.getEvents({ address: contract, chunk_size: 100 })).events
      assert.equal(all.length, 6)
      const paged: unknown[] = []
      let token: string | undefined
      do {
        const page = await provider.getEvents({
          address: contract,
          chunk_size: 4,
          ...(token ? { continuation_token: token } : {}),
        })
        paged.push(...page.events)
        token = page.continuation_token
        if (token) assert.match(token, /^\d+-\d+$/)
      } while (token)
      assert.deepEqual(paged, all)
      const bad = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'starknet_getEvents',
          params: { filter: { chunk_size: 1, continuation_token: 'zz' } },
        }),
      })
      assert.equal(((await bad.json()) as { error: { code: number } }).error.code, 33)
    } finally {
      await d.stop()
    }
  })
})
