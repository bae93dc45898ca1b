import assert from 'node:assert/strict'
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Account, RpcProvider } from 'starknet'
import { anchorCalldata, registerNodeCalldata } from '../../contracts/starknet/anchor-calldata.ts'
import { deployStarknetAnchor } from './deploy-anchor.ts'
import { deriveAccounts } from './devnet-accounts.ts'
import { DevnetChain } from './devnet-chain.ts'
import { startStarknetDevnet } from './starknet-devnet.ts'

const LOG = 'starknet-blocks.jsonl'

describe('starknet devnet persistence (append-only block log)', { timeout: 120_000 }, () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sn-persist-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('bytes written per block stay flat over thousands of blocks', () => {
    const chain = DevnetChain.open({
      dataDir: join(dir, 'flat'),
      chainId: 'SN_DEVNET',
      accounts: deriveAccounts('persist', 2),
    })
    const deltas: number[] = []
    for (let i = 0; i < 3000; i++) {
      const before = chain.logBytes
      chain.closeBlock(true)
      deltas.push(chain.logBytes - before)
    }
    chain.close()
    const early = Math.max(...deltas.slice(0, 10))
    const late = Math.max(...deltas.slice(-10))
    assert.ok(early > 0 && early < 400, `an empty block is a short line (${early} bytes)`)
    assert.ok(late - early <= 8, `block 3000 writes ${late} bytes, block 1 ${early}`)
    const reopened = DevnetChain.open({
      dataDir: join(dir, 'flat'),
      chainId: 'SN_DEVNET',
      accounts: deriveAccounts('persist', 2),
    })
    assert.equal(reopened.head.number, 3000)
    reopened.close()
  })

  it('a restart after many blocks restores blocks, nonces, contract state, receipts and events', async () => {
    const data = join(dir, 'restart')
    let d = await startStarknetDevnet({ port: 0, dataDir: data })
    const acc = new Account({
      provider: new RpcProvider({ nodeUrl: d.url, specVersion: '0.9.0' }),
      address: d.accounts[0]!.address,
      signer: d.accounts[0]!.privateKey,
      cairoVersion: '1',
    })
    const contract = await deployStarknetAnchor(d.url, d.accounts[0]!, d.anchorClassHash)
    const owner = BigInt(d.accounts[0]!.address)
    await acc.execute(
      {
        contractAddress: contract,
        entrypoint: 'register_node',
        calldata: registerNodeCalldata(7n, owner, 'n').map(String),
      },
      { tip: 0 },
    )
    const r = await acc.execute(
      {
        contractAddress: contract,
        entrypoint: 'anchor',
        calldata: anchorCalldata(1n, (1n << 64n) - 1n, 0xabcn).map(String),
      },
      { tip: 0 },
    )
    for (let i = 0; i < 1500; i++) d.mine()
    const provider = () => new RpcProvider({ nodeUrl: d.url, specVersion: '0.9.0' })
    const snapshot = async () => ({
      height: await provider().getBlockNumber(),
      nonce: await provider().getNonceForAddress(d.accounts[0]!.address),
      anchor: await provider().callContract({
        contractAddress: contract,
        entrypoint: 'anchor_of',
        calldata: ['0xabc', '0x0'],
      }),
      receipt: JSON.stringify(await provider().getTransactionReceipt(r.transaction_hash)),
      events: (await provider().getEvents({ address: contract, chunk_size: 100 })).events.length,
      block: JSON.stringify(await provider().getBlockWithTxHashes(3)),
    })
    const before = await snapshot()
    await d.stop()
    d = await startStarknetDevnet({ port: 0, dataDir: data })
    try {
      assert.deepEqual(await snapshot(), before)
      assert.equal(before.anchor[2], '0xffffffffffffffff')
      assert.ok(before.events >= 2)
    } finally {
      await d.stop()
    }
  })

  it('a torn last line (crash mid-write) is dropped; a corrupt earlier line is a clear error', () => {
    const data = join(dir, 'torn')
    const open = () =>
      DevnetChain.open({ dataDir: data, chainId: 'SN_DEVNET', accounts: deriveAccounts('persist', 2) })
    const a = open()
    for (let i = 0; i < 5; i++) a.closeBlock(true)
    a.close()
    appendFileSync(join(data, LOG), '{"kind":"block","block":{"numb')
    const b = open()
    assert.equal(b.head.number, 5)
    b.closeBlock(true) // appended where the torn line was cut off
    b.close()
    const c = open()
    assert.equal(c.head.number, 6)
    c.close()
    const lines = readFileSync(join(data, LOG), 'utf8').split('\n')
    lines[2] = 'not json'
    writeFileSync(join(data, LOG), lines.join('\n'))
    assert.throws(open, /line 3 is not a JSON record; the devnet state is corrupt/)
  })

  it('a folder of the earlier whole-state format is migrated into the log once', async () => {
    const d = await startStarknetDevnet({ port: 0 }) // in memory: its state is the old file's shape
    let old: unknown
    let contract: string
    try {
      contract = await deployStarknetAnchor(d.url, d.accounts[0]!, d.anchorClassHash)
      d.mine()
      old = { version: 1, ...(d.chain as unknown as { data: object }).data }
    } finally {
      await d.stop()
    }
    const data = join(dir, 'migrate')
    mkdirSync(data, { recursive: true })
    writeFileSync(join(data, 'starknet-devnet.json'), JSON.stringify(old))
    const open = () =>
      DevnetChain.open({ dataDir: data, chainId: 'SN_DEVNET', accounts: deriveAccounts('x', 1) })
    const a = open()
    assert.equal(a.head.number, 2)
    assert.equal(a.contract(contract)?.kind, 'anchor')
    a.close()
    assert.equal(existsSync(join(data, 'starknet-devnet.json.migrated')), true)
    const b = open()
    assert.equal(b.head.number, 2)
    b.close()
  })
})
