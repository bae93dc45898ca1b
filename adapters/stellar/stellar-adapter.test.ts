import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { inspect } from 'node:util'
import { Account, Horizon, Keypair, Memo, Operation, TransactionBuilder } from '@stellar/stellar-sdk'
import { type StellarDevnet, startStellarDevnet } from '../../devnets/stellar/stellar-devnet.ts'
import { reencodesIdentically } from '../../devnets/stellar/stellar-xdr.ts'
import { chainAdapterCompliance, random32 } from '../../src/chain/chain-compliance.ts'
import { freePort } from '../../test/helpers/child-process.ts'
import { anchorDataName, anchorDataValue } from './anchor-format.ts'
import { createStellarAdapter, type StellarAdapter, stellarAdapterFactory } from './stellar-adapter.ts'

const CHAIN = 'stellar:standalone'

/** A devnet with a funded operator account that is both the anchoring and the registry account. */
async function devnet() {
  const dir = await mkdtemp(join(tmpdir(), 'stellar-adapter-'))
  const net = await startStellarDevnet({ dataDir: dir, blockMs: 100 })
  const operator = Keypair.random()
  await net.fund(operator.publicKey())
  const server = new Horizon.Server(net.url, { allowHttp: true })
  const adapter = (secret: string | undefined, contract = operator.publicKey()) =>
    createStellarAdapter({ rpcUrl: net.url, chainId: CHAIN, contract, ...(secret ? { secret } : {}) })
  /** Sends operations from `source` signed by `signers` with the raw SDK (what other software could do). */
  const raw = async (
    source: string,
    signers: Keypair[],
    ops: ReturnType<typeof Operation.setOptions>[],
    memo?: Memo,
  ) => {
    const acc = await server.loadAccount(source)
    const b = new TransactionBuilder(new Account(source, acc.sequenceNumber()), {
      fee: '100',
      networkPassphrase: net.passphrase,
    })
    for (const op of ops) b.addOperation(op)
    if (memo) b.addMemo(memo)
    const tx = b.setTimeout(30).build()
    tx.sign(...signers)
    return server.submitTransaction(tx)
  }
  const stop = async () => {
    await net.stop()
    await rm(dir, { recursive: true, force: true })
  }
  return { net, server, operator, adapter, raw, stop }
}

{
  let d: Awaited<ReturnType<typeof devnet>>
  chainAdapterCompliance('stellar (local devnet)', {
    setup: async () => {
      d = await devnet()
      const adapter = await d.adapter(d.operator.secret())
      const stranger = Keypair.random()
      await d.net.fund(stranger.publicKey())
      const base = BigInt((await d.server.loadAccount(d.operator.publicKey())).sequenceNumber())
      return {
        adapter,
        readOnly: await d.adapter(undefined),
        unregistered: await d.adapter(stranger.secret()),
        registerSelf: () => adapter.registerNode(random32(), 'compliance submitter'),
        sentTransactions: async () =>
          Number(BigInt((await d.server.loadAccount(d.operator.publicKey())).sequenceNumber()) - base),
      }
    },
    teardown: async () => d.stop(),
  })
}

describe('stellar adapter (local devnet)', { timeout: 60_000 }, () => {
  let d: Awaited<ReturnType<typeof devnet>>
  let owner: StellarAdapter
  let net: StellarDevnet

  before(async () => {
    d = await devnet()
    net = d.net
    owner = await d.adapter(d.operator.secret())
    await owner.registerNode(random32(), 'operator as submitter')
  })
  after(async () => {
    // Every envelope the adapters sent re-encodes byte-identically through the Rust XDR decoder.
    for (const e of net?.acceptedEnvelopes() ?? []) assert.ok(reencodesIdentically('TransactionEnvelope', e))
    await owner?.close()
    await d?.stop()
  })

  it('writes the documented anchor format: MEMO_HASH = root, manageData mero:<logId> = size ‖ logId', async () => {
    const req = { logId: random32(), treeSize: 300, root: random32() }
    const r = await owner.submitAnchor(req)
    assert.equal(r.kind, 'submitted')
    const tx = await d.server
      .transactions()
      .transaction(r.kind === 'submitted' ? r.tx : '')
      .call()
    assert.equal(tx.source_account, d.operator.publicKey())
    assert.equal(tx.memo_type, 'hash')
    assert.equal(tx.memo, Buffer.from(req.root).toString('base64'))
    const acc = await d.server.loadAccount(d.operator.publicKey())
    const name = anchorDataName(req.logId)
    assert.equal(name.length, 25)
    assert.equal(acc.data_attr[name], anchorDataValue(300, req.logId).toString('base64'))
    assert.equal(Buffer.from(acc.data_attr[name]!, 'base64').readBigUInt64BE(0), 300n)
  })

  it('concurrent anchors from one account all land, in call order, with consecutive sequence numbers', async () => {
    const reqs = Array.from({ length: 6 }, (_, i) => ({
      logId: random32(),
      treeSize: i + 1,
      root: random32(),
    }))
    const results = await Promise.all(reqs.map((r) => owner.submitAnchor(r)))
    const records = await Promise.all(
      results.map((r) =>
        d.server
          .transactions()
          .transaction(r.kind === 'submitted' ? r.tx : '')
          .call(),
      ),
    )
    const seqs = records.map((t) => BigInt(t.source_account_sequence))
    for (let i = 1; i < seqs.length; i++) {
      assert.equal(seqs[i], seqs[i - 1]! + 1n)
      assert.ok(records[i]!.ledger_attr > records[i - 1]!.ledger_attr)
    }
    // A second adapter (another process) on the same account: the devnet allows one pending transaction
    // per account (TRY_AGAIN_LATER, resent as is) and a stale sequence is re-read (tx_bad_seq retry).
    const twin = await d.adapter(d.operator.secret())
    const both = await Promise.all([
      twin.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }),
      owner.submitAnchor({ logId: random32(), treeSize: 2, root: random32() }),
      twin.submitAnchor({ logId: random32(), treeSize: 3, root: random32() }),
      owner.submitAnchor({ logId: random32(), treeSize: 4, root: random32() }),
    ])
    assert.ok(both.every((r) => r.kind === 'submitted'))
    await twin.close()
  })

  it('a registered submitter key that signs for the anchoring account can anchor; revoked, it is refused', async () => {
    const key = Keypair.random()
    // The operator makes the key a medium-weight signer of the anchoring account and registers it.
    await d.raw(
      d.operator.publicKey(),
      [d.operator],
      [Operation.setOptions({ signer: { ed25519PublicKey: key.publicKey(), weight: 1 } })],
    )
    const node = await d.adapter(key.secret())
    await assert.rejects(node.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }), {
      name: 'NotRegisteredSubmitter',
    })
    const nodeKey = random32()
    await owner.registerNode(nodeKey, 'node B', { submitter: key.publicKey() })
    assert.equal(await node.isSubmitter(), true)
    const req = { logId: random32(), treeSize: 11, root: random32() }
    assert.equal((await node.submitAnchor(req)).kind, 'submitted')
    const seen = await owner.anchorOf(req.root)
    assert.equal(seen?.submitter, key.publicKey())
    assert.equal(await owner.anchorOf(random32()), null)
    await owner.revokeNode(nodeKey)
    await assert.rejects(node.submitAnchor({ ...req, root: random32() }), { name: 'NotRegisteredSubmitter' })
    // Nothing on chain stops a signer of the anchoring account from anchoring with other software.
    const bypass = random32()
    const logId = random32()
    await d.raw(
      d.operator.publicKey(),
      [key],
      [Operation.manageData({ name: anchorDataName(logId), value: anchorDataValue(5, logId) })],
      Memo.hash(Buffer.from(bypass)),
    )
    assert.equal((await owner.anchorOf(bypass))?.submitter, key.publicKey())
    await node.close()
  })

  it('first anchor of a root wins; a failed transaction is reported reverted with its result codes', async () => {
    const root = random32()
    const first = { logId: random32(), treeSize: 3, root }
    await owner.submitAnchor(first)
    const other = random32()
    await d.raw(
      d.operator.publicKey(),
      [d.operator],
      [Operation.manageData({ name: anchorDataName(other), value: anchorDataValue(9, other) })],
      Memo.hash(Buffer.from(root)),
    )
    assert.equal((await owner.anchorOf(root))?.treeSize, 3)
    const failing = await d
      .raw(
        d.operator.publicKey(),
        [d.operator],
        [Operation.manageData({ name: 'never-set', value: null })],
        Memo.hash(Buffer.from(random32())),
      )
      .catch((e: { response?: { data?: { extras?: { result_xdr?: string } } } }) => e)
    assert.ok(!('hash' in failing))
    const failedTx = (
      await d.server
        .transactions()
        .forAccount(d.operator.publicKey())
        .includeFailed(true)
        .order('desc')
        .limit(1)
        .call()
    ).records[0]!
    assert.equal(failedTx.successful, false)
    const status = await owner.anchorStatus(random32(), failedTx.hash)
    assert.equal(status.state, 'reverted')
    assert.match(status.state === 'reverted' ? status.reason : '', /tx_failed.*name_not_found/)
  })

  it('wraps Horizon result codes: a submitter that is no signer of the anchoring account gets tx_bad_auth', async () => {
    const outsider = Keypair.random()
    await net.fund(outsider.publicKey())
    await owner.registerNode(random32(), 'registered but no signer', { submitter: outsider.publicKey() })
    const a = await d.adapter(outsider.secret())
    await assert.rejects(
      a.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }),
      (e: unknown) => {
        const err = e as { name: string; details: { reason?: string } }
        return err.name === 'ChainRejected' && err.details.reason === 'tx_bad_auth'
      },
    )
    // It cannot write the registry either.
    await assert.rejects(a.registerNode(random32(), 'x'), { name: 'ChainRejected' })
    await a.close()
  })

  it('the factory builds read-only and submitting adapters from a config entry', async () => {
    const config = {
      chainId: CHAIN,
      kind: 'stellar',
      rpcUrl: net.url,
      contract: d.operator.publicKey(),
      confirmations: 1,
      anchorEveryMs: 0,
      pollMs: 50,
    }
    const ro = await stellarAdapterFactory(config, undefined)
    assert.equal(ro.capabilities.canSubmit, false)
    await assert.rejects(ro.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }), {
      name: 'ChainRejected',
    })
    const rw = await stellarAdapterFactory(config, d.operator.secret())
    assert.equal(rw.capabilities.canSubmit, true)
    await Promise.all([ro.close(), rw.close()])
    await assert.rejects(stellarAdapterFactory({ ...config, contract: 'GNOPE' }, undefined), {
      name: 'InvalidInput',
    })
    await assert.rejects(stellarAdapterFactory({ ...config, chainId: 'stellar:elsewhere' }, undefined), {
      name: 'InvalidInput',
    })
  })

  it('an unreachable Horizon gives ChainUnavailable, and no error or inspection shows the secret', async () => {
    const secret = d.operator.secret()
    const down = await createStellarAdapter({
      rpcUrl: `http://127.0.0.1:${await freePort()}`,
      chainId: CHAIN,
      contract: d.operator.publicKey(),
      secret,
    })
    const errors: unknown[] = []
    for (const op of [
      () => down.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }),
      () => down.anchorOf(random32()),
      () => down.anchorStatus(random32(), 'ab'.repeat(32)),
      () => down.registerNode(random32(), 'x'),
      () => down.isNode(random32()),
    ])
      await assert.rejects(op(), (e: unknown) => {
        errors.push(e)
        return (e as Error).name === 'ChainUnavailable'
      })
    const text = [
      inspect(down, { depth: 8 }),
      ...errors.map((e) => `${inspect(e, { depth: 8 })} ${JSON.stringify(e)}`),
    ].join('\n')
    assert.ok(!text.includes(secret))
    await down.close()
    await assert.rejects(
      createStellarAdapter({
        rpcUrl: net.url,
        chainId: CHAIN,
        contract: d.operator.publicKey(),
        secret: 'SBADSECRET',
      }),
      (e: Error) => e.name === 'InvalidInput' && !e.message.includes('SBADSECRET'),
    )
  })
})
