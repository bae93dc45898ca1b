import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createStarknetAdapter, type StarknetAdapter } from '../../adapters/starknet/starknet-adapter.ts'
import { bigintToBytes32, selectorOf, u256ToFelts } from '../../contracts/starknet/anchor-calldata.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { deployStarknetAnchor } from './deploy-anchor.ts'
import { type StarknetDevnet, startStarknetDevnet } from './starknet-devnet.ts'

const MANY = 100_000

describe('starknet devnet: cost of a call or an anchor does not grow with the anchors held', {
  timeout: 60_000,
}, () => {
  let dir: string
  let d: StarknetDevnet
  let contract: string
  let adapter: StarknetAdapter
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sn-scale-'))
    d = await startStarknetDevnet({ port: 0, dataDir: dir })
    contract = await deployStarknetAnchor(d.url, d.accounts[0]!, d.anchorClassHash)
    adapter = await createStarknetAdapter({
      rpcUrl: d.url,
      chainId: 'starknet:SN_DEVNET',
      contract,
      account: d.accounts[0]!,
      pollMs: 10,
    })
    await adapter.registerNode(random32(), 'scaling')
    // A contract that already holds many anchors (written straight into the model's state: signing
    // 10^5 transactions would take minutes).
    const anchors = d.chain.contract(contract)!.anchor!.anchors
    for (let i = 0; i < MANY; i++)
      anchors[`0x${(BigInt(i) + 1n).toString(16)}`] = {
        logId: '0x1',
        treeSize: '0x1',
        height: 1,
        timestamp: 1,
        submitter: d.accounts[0]!.address,
      }
  })
  after(async () => {
    await adapter?.close()
    await d?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it(`200 anchor_of calls over ${MANY} anchors take well under a second (no per-call state copy)`, () => {
    const sel = selectorOf('anchor_of')
    const t0 = performance.now()
    for (let i = 0; i < 200; i++) {
      const r = d.chain.call(contract, sel, u256ToFelts(BigInt(i + 1)))
      assert.equal(r[2], 1n) // tree size of the stored anchor
    }
    const ms = performance.now() - t0
    assert.ok(ms < 1000, `200 calls took ${ms.toFixed(0)} ms`)
  })

  it('an anchor transaction adds to the committed map in place (no copy, no layer left behind)', async () => {
    const before = d.chain.contract(contract)!.anchor!.anchors
    const root = random32()
    const t0 = performance.now()
    const r = await adapter.submitAnchor({ logId: random32(), treeSize: 3, root })
    assert.equal(r.kind, 'submitted')
    const ms = performance.now() - t0
    const after_ = d.chain.contract(contract)!.anchor!.anchors
    assert.equal(after_, before)
    assert.equal(Object.getPrototypeOf(after_), Object.prototype)
    assert.equal(Object.keys(after_).length, MANY + 1)
    assert.equal((await adapter.anchorOf(root))?.treeSize, 3)
    assert.equal((await adapter.anchorOf(bigintToBytes32(7n)))?.treeSize, 1)
    assert.ok(ms < 2000, `an anchor took ${ms.toFixed(0)} ms`)
  })
})
