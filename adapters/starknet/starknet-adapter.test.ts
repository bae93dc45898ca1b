import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ec, num, stark, type TypedData, typedData } from 'starknet'
import { deployStarknetAnchor } from '../../devnets/starknet/deploy-anchor.ts'
import { startStarknetDevnet } from '../../devnets/starknet/starknet-devnet.ts'
import { chainAdapterCompliance, random32 } from '../../src/chain/chain-compliance.ts'
import { isMeroError } from '../../src/core/errors.ts'
import { isValidSignature } from './sign-in.ts'
import { createStarknetAdapter, type StarknetAdapter, starknetAdapterFactory } from './starknet-adapter.ts'
import { formatStarknetSecret, parseStarknetSecret } from './starknet-secret.ts'

const CHAIN = 'starknet:SN_DEVNET'

async function devnet(blockMs = 0) {
  const dir = await mkdtemp(join(tmpdir(), 'sn-adapter-'))
  const d = await startStarknetDevnet({ port: 0, dataDir: dir, blockMs })
  const contract = await deployStarknetAnchor(d.url, d.accounts[0]!, d.anchorClassHash)
  const adapter = (i: number | null, confirmations = 1) =>
    createStarknetAdapter({
      rpcUrl: d.url,
      chainId: CHAIN,
      contract,
      ...(i === null ? {} : { account: d.accounts[i]! }),
      confirmations,
      pollMs: 20,
    })
  return {
    d,
    contract,
    adapter,
    stop: async () => {
      await d.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

{
  let net: Awaited<ReturnType<typeof devnet>>
  chainAdapterCompliance('starknet (local devnet, modelled contract)', {
    setup: async () => {
      net = await devnet()
      const adapter = await net.adapter(0, 2)
      return {
        adapter,
        readOnly: await net.adapter(null),
        unregistered: await net.adapter(3),
        registerSelf: () => adapter.registerNode(random32(), 'compliance submitter'),
        mine: async () => net.d.mine(),
        sentTransactions: async () => Number(net.d.chain.nonce(net.d.accounts[0]!.address, true)),
      }
    },
    teardown: async () => net.stop(),
  })
}

describe('starknet adapter (local devnet)', { timeout: 60_000 }, () => {
  let net: Awaited<ReturnType<typeof devnet>>
  let owner: StarknetAdapter
  before(async () => {
    net = await devnet()
    owner = await net.adapter(0)
    await owner.registerNode(random32(), 'owner as submitter')
  })
  after(async () => {
    await owner?.close()
    await net?.stop()
  })

  it('a devnet that is down gives ChainUnavailable; bad input gives InvalidInput', async () => {
    const down = await createStarknetAdapter({
      rpcUrl: 'http://127.0.0.1:1/rpc',
      chainId: CHAIN,
      contract: net.contract,
      account: net.d.accounts[0]!,
      requestTimeoutMs: 2000,
    })
    await assert.rejects(down.anchorOf(random32()), { name: 'ChainUnavailable' })
    await assert.rejects(down.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }), {
      name: 'ChainUnavailable',
    })
    await down.close()
    await assert.rejects(createStarknetAdapter({ rpcUrl: net.d.url, chainId: 'eip155:1', contract: '0x1' }), {
      name: 'InvalidInput',
    })
    await assert.rejects(owner.anchorOf(new Uint8Array(5)), { name: 'InvalidInput' })
  })

  it('a non-owner cannot register nodes: ChainRejected with the contract reason', async () => {
    const other = await net.adapter(2)
    await assert.rejects(other.registerNode(random32(), 'x'), (e: unknown) => {
      assert.ok(isMeroError(e) && e.name === 'ChainRejected')
      assert.equal(e.details.reason, 'NOT_OWNER')
      assert.equal(e.details.code, 41)
      return true
    })
    await other.close()
  })

  it('a chain id the RPC does not serve is refused before signing', async () => {
    const wrong = await createStarknetAdapter({
      rpcUrl: net.d.url,
      chainId: 'starknet:SN_SEPOLIA',
      contract: net.contract,
      account: net.d.accounts[0]!,
    })
    await assert.rejects(
      wrong.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }),
      (e: unknown) => {
        assert.ok(isMeroError(e) && e.name === 'ChainRejected' && e.details.reason === 'WrongChain')
        return true
      },
    )
    await wrong.close()
  })

  it('a wrong private key is rejected by the node (55 VALIDATION_FAILURE) as ChainRejected', async () => {
    const a = net.d.accounts[0]!
    const bad = await createStarknetAdapter({
      rpcUrl: net.d.url,
      chainId: CHAIN,
      contract: net.contract,
      account: { address: a.address, privateKey: net.d.accounts[1]!.privateKey },
    })
    await assert.rejects(
      bad.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }),
      (e: unknown) => {
        assert.ok(isMeroError(e) && e.name === 'ChainRejected', String(e))
        assert.equal(e.details.code, 55) // starknet.js estimates with SKIP_VALIDATE; the add is refused
        assert.match(String(e.details.reason), /validation failed|invalid signature/i)
        return true
      },
    )
    await bad.close()
  })

  it('factory: both secret formats; read-only without a secret; the key is never echoed', async () => {
    const a = net.d.accounts[0]!
    const entry = {
      chainId: CHAIN,
      kind: 'starknet',
      rpcUrl: net.d.url,
      contract: net.contract,
      anchorEveryMs: 0,
      confirmations: 1,
      pollMs: 20,
    }
    for (const secret of [formatStarknetSecret(a), `${a.address}:${a.privateKey}`]) {
      const x = await starknetAdapterFactory(entry, secret)
      assert.equal(x.capabilities.canSubmit, true)
      assert.equal(await x.isNode(random32()), false)
      await x.close()
    }
    const ro = await starknetAdapterFactory(entry, undefined)
    assert.equal(ro.capabilities.canSubmit, false)
    await assert.rejects(ro.registerNode(random32(), 'x'), { name: 'ChainRejected' })
    await ro.close()
    assert.throws(
      () => parseStarknetSecret(`${a.address}:nothex-${a.privateKey}`),
      (e: Error) => {
        assert.ok(!e.message.includes(a.privateKey.slice(2)))
        return e.name === 'InvalidInput'
      },
    )
  })

  it('sign-in: SNIP-12 through is_valid_signature, OpenZeppelin VALID and Argent-style 1 / panic', async () => {
    const td: TypedData = {
      types: {
        StarknetDomain: [
          { name: 'name', type: 'shortstring' },
          { name: 'version', type: 'shortstring' },
          { name: 'chainId', type: 'shortstring' },
          { name: 'revision', type: 'shortstring' },
        ],
        SignIn: [
          { name: 'node', type: 'shortstring' },
          { name: 'nonce', type: 'felt' },
        ],
      },
      primaryType: 'SignIn',
      domain: { name: 'mero', version: '1', chainId: 'SN_DEVNET', revision: '1' },
      message: { node: 'mero-dev', nonce: '0x2a' },
    }
    const oz = net.d.accounts[0]!
    const argent = net.d.accounts.at(-1)!
    assert.equal(argent.variant, 'argent')
    for (const acct of [oz, argent]) {
      const h = typedData.getMessageHash(td, acct.address)
      const sig = ec.starkCurve.sign(h, acct.privateKey)
      const felts = [num.toHex(sig.r), num.toHex(sig.s)]
      assert.equal(await isValidSignature(owner.provider, acct.address, h, felts), true, acct.variant)
      const forged = [num.toHex(sig.r), num.toHex(sig.s + 1n)]
      assert.equal(await isValidSignature(owner.provider, acct.address, h, forged), false, acct.variant)
      const bytes = new Uint8Array(
        Buffer.concat(felts.map((f) => Buffer.from(f.slice(2).padStart(64, '0'), 'hex'))),
      )
      const check = {
        account: `${CHAIN}:${acct.address}`,
        message: new TextEncoder().encode(JSON.stringify(td)),
        signature: bytes,
      }
      assert.equal(await owner.verifySignIn(check), true)
      // The same signature presented for another chain, or by another account, is refused.
      assert.equal(await owner.verifySignIn({ ...check, account: `starknet:SN_MAIN:${acct.address}` }), false)
      assert.equal(
        await owner.verifySignIn({ ...check, account: `${CHAIN}:${net.d.accounts[1]!.address}` }),
        false,
      )
      const otherDomain = { ...td, domain: { ...td.domain, chainId: 'SN_MAIN' } }
      const h2 = typedData.getMessageHash(otherDomain, acct.address)
      const s2 = ec.starkCurve.sign(h2, acct.privateKey)
      const b2 = new Uint8Array(
        Buffer.concat([s2.r, s2.s].map((f) => Buffer.from(f.toString(16).padStart(64, '0'), 'hex'))),
      )
      assert.equal(
        await owner.verifySignIn({
          ...check,
          message: new TextEncoder().encode(JSON.stringify(otherDomain)),
          signature: b2,
        }),
        false,
      )
    }
    // An account that does not exist signs nothing.
    assert.equal(await isValidSignature(owner.provider, stark.randomAddress(), '0x1', ['0x1', '0x2']), false)
  })

  it('concurrent submits stay ordered by the local nonce even with timer blocks', async () => {
    const slow = await devnet(100)
    try {
      const a = await slow.adapter(0)
      await a.registerNode(random32(), 'slow')
      const reqs = Array.from({ length: 6 }, (_, i) => ({
        logId: random32(),
        treeSize: i + 1,
        root: random32(),
      }))
      const rs = await Promise.all(reqs.map((r) => a.submitAnchor(r)))
      assert.ok(rs.every((r) => r.kind === 'submitted'))
      for (let i = 0; i < 100; i++) {
        const st = await Promise.all(reqs.map((r) => a.anchorStatus(r.root, undefined)))
        if (st.every((s) => s.state === 'final')) break
        await new Promise((r) => setTimeout(r, 50))
      }
      assert.deepEqual(
        (await Promise.all(reqs.map((r) => a.anchorOf(r.root)))).map((x) => x?.treeSize),
        reqs.map((r) => r.treeSize),
      )
      await a.close()
    } finally {
      await slow.stop()
    }
  })
})
