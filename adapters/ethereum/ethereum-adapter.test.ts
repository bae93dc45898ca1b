import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { inspect } from 'node:util'
import { Interface, JsonRpcProvider, Network, Wallet } from 'ethers'
import { anchorArtifact } from '../../contracts/ethereum/anchor-artifact.ts'
import { startAnvil } from '../../devnets/ethereum/anvil.ts'
import { deployAnchorContract } from '../../devnets/ethereum/deploy.ts'
import { chainAdapterCompliance, random32, waitForAnchorState } from '../../src/chain/chain-compliance.ts'
import { concatBytes, toHex } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import { freePort } from '../../test/helpers/child-process.ts'
import { ANCHOR_ABI } from './anchor-abi.ts'
import { createEthereumAdapter, type EthereumAdapter } from './ethereum-adapter.ts'

/** A devnet with the contract deployed by account 0 (the owner). */
async function devnet() {
  const anvil = await startAnvil()
  const contract = await deployAnchorContract(anvil.rpcUrl, anvil.accounts[0]!.privateKey)
  const provider = new JsonRpcProvider(anvil.rpcUrl, Network.from(anvil.chainId), {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  const adapter = (i: number | null, confirmations = 1) =>
    createEthereumAdapter({
      rpcUrl: anvil.rpcUrl,
      chainId: `eip155:${anvil.chainId}`,
      contract,
      ...(i === null ? {} : { privateKey: anvil.accounts[i]!.privateKey }),
      confirmations,
      pollMs: 20,
    })
  const stop = async () => {
    provider.destroy()
    await anvil.stop()
  }
  return { anvil, contract, provider, adapter, stop }
}

{
  let net: Awaited<ReturnType<typeof devnet>>
  chainAdapterCompliance('ethereum (anvil)', {
    setup: async () => {
      net = await devnet()
      const adapter = net.adapter(0, 2)
      return {
        adapter,
        readOnly: net.adapter(null),
        unregistered: net.adapter(5),
        registerSelf: () => adapter.registerNode(random32(), 'compliance submitter'),
        mine: async () => {
          await net.provider.send('evm_mine', [])
        },
        sentTransactions: () => net.provider.getTransactionCount(net.anvil.accounts[0]!.address, 'pending'),
      }
    },
    teardown: async () => net.stop(),
  })
}

describe('ethereum adapter (anvil)', { timeout: 30_000 }, () => {
  let net: Awaited<ReturnType<typeof devnet>>
  let owner: EthereumAdapter

  before(async () => {
    net = await devnet()
    owner = net.adapter(0)
    await owner.registerNode(random32(), 'owner as submitter')
  })
  after(async () => {
    await owner?.close()
    await net?.stop()
  })

  it('uses the same ABI as the compiled contract', () => {
    const norm = (abi: readonly unknown[]) =>
      new Interface(abi as never[]).fragments.map((f) => f.format('full')).sort()
    assert.deepEqual(norm(ANCHOR_ABI), norm(anchorArtifact().abi))
  })

  it('a reorg that removes the anchor makes it missing; resubmitting lands it again', async () => {
    const req = { logId: random32(), treeSize: 4, root: random32() }
    const snapshot = await net.provider.send('evm_snapshot', [])
    const r = await owner.submitAnchor(req)
    assert.equal(r.kind, 'submitted')
    const tx = r.kind === 'submitted' ? r.tx : undefined
    assert.equal((await waitForAnchorState(owner, req.root, tx, ['final'])).state, 'final')
    assert.equal(await net.provider.send('evm_revert', [snapshot]), true)
    assert.deepEqual(await owner.anchorStatus(req.root, tx), { state: 'missing' })
    // The reorg rolled the account's nonce back; the adapter must notice and still land the anchor.
    const again = await owner.submitAnchor(req)
    assert.equal(again.kind, 'submitted')
    const status = await waitForAnchorState(
      owner,
      req.root,
      again.kind === 'submitted' ? again.tx : undefined,
      ['final'],
    )
    assert.equal(status.state === 'final' && status.anchor.treeSize, 4)
  })

  it('reports pending while the transaction waits in the mempool', async () => {
    await net.provider.send('evm_setAutomine', [false])
    try {
      const req = { logId: random32(), treeSize: 2, root: random32() }
      const r = await owner.submitAnchor(req)
      const tx = r.kind === 'submitted' ? r.tx : undefined
      assert.deepEqual(await owner.anchorStatus(req.root, tx), { state: 'pending', tx })
      await net.provider.send('evm_mine', [])
      const s = await owner.anchorStatus(req.root, tx)
      assert.equal(s.state, 'final')
      assert.equal(s.state === 'final' && s.tx, tx)
    } finally {
      await net.provider.send('evm_setAutomine', [true])
    }
  })

  it('a mined, reverted transaction is reported as reverted with the decoded reason', async () => {
    // An unregistered account sends `anchor` with a fixed gas limit, so the node mines it and it fails.
    const stranger = new Wallet(net.anvil.accounts[6]!.privateKey, net.provider)
    const root = random32()
    const data = new Interface(ANCHOR_ABI as string[]).encodeFunctionData('anchor', [
      toHex(random32()),
      1,
      toHex(root),
    ])
    const sent = await stranger.sendTransaction({ to: net.contract, data, gasLimit: 200_000 })
    const receipt = await sent.wait().catch((e: { receipt?: { status: number } }) => e.receipt)
    assert.equal(receipt?.status, 0)
    assert.deepEqual(await owner.anchorStatus(root, sent.hash), {
      state: 'reverted',
      tx: sent.hash,
      reason: 'NotSubmitter',
    })
  })

  it('maps contract reverts to ChainRejected with the custom error in details.reason', async () => {
    await assert.rejects(
      owner.submitAnchor({ logId: random32(), treeSize: 0, root: random32() }),
      (e: unknown) => {
        const err = e as { name: string; details: { reason?: string } }
        return err.name === 'ChainRejected' && err.details.reason === 'InvalidTreeSize'
      },
    )
    const notOwner = net.adapter(7)
    await assert.rejects(notOwner.registerNode(random32(), 'x'), (e: unknown) => {
      const err = e as { name: string; details: { reason?: string } }
      return err.name === 'ChainRejected' && err.details.reason === 'NotOwner'
    })
    await notOwner.close()
  })

  it('registers a node for another submitter account, which can then anchor', async () => {
    const node = net.adapter(8)
    assert.equal(await node.isSubmitter(), false)
    const nodeKey = random32()
    await owner.registerNode(nodeKey, 'node 8', { submitter: node.account! })
    assert.equal(await node.isSubmitter(), true)
    const req = { logId: random32(), treeSize: 11, root: random32() }
    const r = await node.submitAnchor(req)
    assert.equal(r.kind, 'submitted')
    assert.equal((await owner.anchorOf(req.root))?.submitter, node.account)
    await owner.revokeNode(nodeKey)
    await assert.rejects(node.submitAnchor({ ...req, root: random32() }), { name: 'NotRegisteredSubmitter' })
    await node.close()
  })

  it('verifyInclusion runs the contract check', async () => {
    const leaf = (i: number) => sha256(Uint8Array.of(0, i))
    const node = (l: Uint8Array, r: Uint8Array) => sha256(concatBytes(Uint8Array.of(1), l, r))
    const [a, b, c] = [leaf(1), leaf(2), leaf(3)]
    const root = node(node(a, b), c)
    assert.equal(await owner.verifyInclusion(root, c, 2, 3, [node(a, b)]), true)
    assert.equal(await owner.verifyInclusion(root, b, 1, 3, [a, c]), true)
    assert.equal(await owner.verifyInclusion(root, b, 0, 3, [a, c]), false)
  })

  it('an unreachable RPC gives ChainUnavailable, and no error or inspection shows the private key', async () => {
    const key = net.anvil.accounts[0]!.privateKey
    const port = await freePort()
    const down = createEthereumAdapter({
      rpcUrl: `http://127.0.0.1:${port}`,
      chainId: 'eip155:31337',
      contract: net.contract,
      privateKey: key,
      requestTimeoutMs: 2000,
    })
    const errors: unknown[] = []
    for (const op of [
      () => down.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }),
      () => down.anchorOf(random32()),
      () => down.anchorStatus(random32(), `0x${'00'.repeat(32)}`),
      () => down.registerNode(random32(), 'x'),
    ]) {
      await assert.rejects(op(), (e: unknown) => {
        errors.push(e)
        return (e as Error).name === 'ChainUnavailable'
      })
    }
    const text = [
      inspect(down, { depth: 8 }),
      ...errors.map((e) => `${inspect(e, { depth: 8 })} ${JSON.stringify(e)}`),
    ].join('\n')
    assert.ok(!text.toLowerCase().includes(key.slice(2).toLowerCase()))
    await down.close()
    assert.throws(
      () =>
        createEthereumAdapter({
          rpcUrl: 'http://127.0.0.1:1',
          chainId: 'eip155:1',
          contract: net.contract,
          privateKey: '0x1234',
        }),
      (e: Error) => e.name === 'InvalidInput' && !e.message.includes('1234'),
    )
  })
})
