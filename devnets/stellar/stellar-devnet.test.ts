import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  Account,
  Asset,
  Horizon,
  Keypair,
  Memo,
  NotFoundError,
  Operation,
  type Transaction,
  TransactionBuilder,
  type xdr,
} from '@stellar/stellar-sdk'
import { STANDALONE_PASSPHRASE, type StellarDevnet, startStellarDevnet } from './stellar-devnet.ts'
import { reencodesIdentically, xdrToJson } from './stellar-xdr.ts'
import { decodeBoth } from './xdr-cross-check.ts'

/** Horizon's result codes of a failed submission (the SDK's BadResponseError). */
async function codesOf(p: Promise<unknown>): Promise<{ transaction: string; operations?: string[] }> {
  try {
    await p
  } catch (e) {
    const data = (
      e as {
        response?: { data?: { status?: number; extras?: { result_codes?: never; result_xdr?: string } } }
      }
    ).response?.data
    assert.equal(data?.status, 400)
    assert.ok(data?.extras?.result_xdr, 'a failed submission carries result_xdr')
    return data!.extras!.result_codes!
  }
  return assert.fail('expected the submission to fail')
}

/** Envelopes the tests below submit, recorded where they leave the client. */
const submitted: string[] = []

function recordSubmissions(server: Horizon.Server): void {
  const submit = server.submitTransaction.bind(server)
  server.submitTransaction = (tx, opts) => {
    if ('operations' in tx) submitted.push(tx.toEnvelope().toXDR('base64'))
    return submit(tx, opts)
  }
}

describe('stellar devnet (Horizon emulator)', { timeout: 60_000 }, () => {
  let dir: string
  let net: StellarDevnet
  let server: Horizon.Server
  const alice = Keypair.random()
  const bob = Keypair.random()

  const build = async (
    source: Keypair,
    ops: xdr.Operation[],
    opts: { passphrase?: string; seqDelta?: bigint; timeout?: number; fee?: string; memo?: Memo } = {},
  ): Promise<Transaction> => {
    const acc = await server.loadAccount(source.publicKey())
    const seq = BigInt(acc.sequenceNumber()) + (opts.seqDelta ?? 0n)
    const b = new TransactionBuilder(new Account(source.publicKey(), seq.toString()), {
      fee: opts.fee ?? '100',
      networkPassphrase: opts.passphrase ?? STANDALONE_PASSPHRASE,
    })
    for (const op of ops) b.addOperation(op)
    if (opts.memo) b.addMemo(opts.memo)
    return b.setTimeout(opts.timeout ?? 30).build()
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stellar-devnet-'))
    net = await startStellarDevnet({ dataDir: dir, blockMs: 100 })
    server = new Horizon.Server(net.url, { allowHttp: true })
    recordSubmissions(server)
    const res = await fetch(`${net.url}/friendbot?addr=${alice.publicKey()}`)
    assert.equal(res.status, 200)
    await net.fund(bob.publicKey())
  })
  after(async () => {
    await net?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves root, fee stats and funded accounts through the unmodified SDK', async () => {
    const rootInfo = (await (await fetch(net.url)).json()) as { network_passphrase: string }
    assert.equal(rootInfo.network_passphrase, STANDALONE_PASSPHRASE)
    assert.equal(await server.fetchBaseFee(), 100)
    const acc = await server.loadAccount(alice.publicKey())
    assert.equal(acc.balances[0]?.balance, '10000.0000000')
    assert.deepEqual(
      acc.signers.map((s) => [s.key, s.weight]),
      [[alice.publicKey(), 1]],
    )
    await assert.rejects(server.loadAccount(Keypair.random().publicKey()), NotFoundError)
  })

  it('applies MEMO_HASH + manageData in the next ledger and serves it back', async () => {
    const root = Buffer.alloc(32, 7)
    const tx = await build(
      alice,
      [Operation.manageData({ name: 'mero:test', value: Buffer.from('0000000000000005', 'hex') })],
      {
        memo: Memo.hash(root),
      },
    )
    tx.sign(alice)
    const before = net.ledger()
    const r = await server.submitTransaction(tx)
    assert.equal(r.successful, true)
    assert.ok(r.ledger > before, `${r.ledger}`)
    const stored = await server.transactions().transaction(r.hash).call()
    assert.equal(stored.memo_type, 'hash')
    assert.equal(stored.memo, root.toString('base64'))
    const data = await server.accounts().accountId(alice.publicKey()).call()
    assert.equal(data.data_attr['mero:test'], Buffer.from('0000000000000005', 'hex').toString('base64'))
    const one = (await (await fetch(`${net.url}/accounts/${alice.publicKey()}/data/mero:test`)).json()) as {
      value: string
    }
    assert.equal(one.value, 'AAAAAAAAAAU=')
    const page = await server.transactions().forAccount(alice.publicKey()).order('desc').limit(1).call()
    assert.equal(page.records[0]?.hash, r.hash)
  })

  it('rejects a wrong network passphrase with tx_bad_auth', async () => {
    const tx = await build(alice, [Operation.manageData({ name: 'x', value: 'y' })], {
      passphrase: 'Test SDF Network ; September 2015',
    })
    tx.sign(alice)
    assert.deepEqual(await codesOf(server.submitTransaction(tx)), { transaction: 'tx_bad_auth' })
  })

  it('rejects a bad sequence number with tx_bad_seq', async () => {
    for (const delta of [1n, -1n]) {
      const tx = await build(alice, [Operation.manageData({ name: 'x', value: 'y' })], { seqDelta: delta })
      tx.sign(alice)
      assert.deepEqual(await codesOf(server.submitTransaction(tx)), { transaction: 'tx_bad_seq' })
    }
  })

  it('rejects an expired time bound with tx_too_late and a low fee with tx_insufficient_fee', async () => {
    const tx = await build(alice, [Operation.manageData({ name: 'x', value: 'y' })], { timeout: 1 })
    tx.sign(alice)
    await new Promise((r) => setTimeout(r, 2100))
    assert.deepEqual(await codesOf(server.submitTransaction(tx)), { transaction: 'tx_too_late' })
    const cheap = await build(
      alice,
      [Operation.manageData({ name: 'x', value: 'y' }), Operation.manageData({ name: 'z', value: 'y' })],
      { fee: '50' },
    )
    cheap.sign(alice)
    assert.deepEqual(await codesOf(server.submitTransaction(cheap)), { transaction: 'tx_insufficient_fee' })
  })

  it('enforces multisig weights per threshold level (low / medium / high)', async () => {
    const multi = Keypair.random()
    const cosigner = Keypair.random()
    await net.fund(multi.publicKey())
    const setup = await build(multi, [
      Operation.setOptions({
        signer: { ed25519PublicKey: cosigner.publicKey(), weight: 1 },
        masterWeight: 1,
        lowThreshold: 1,
        medThreshold: 2,
        highThreshold: 2,
      }),
    ])
    setup.sign(multi)
    await server.submitTransaction(setup)
    const acc = await server.loadAccount(multi.publicKey())
    assert.deepEqual(acc.thresholds, { low_threshold: 1, med_threshold: 2, high_threshold: 2 })
    // One of two signers: enough for the transaction (low) but not for manageData (medium).
    const weak = await build(multi, [Operation.manageData({ name: 'k', value: 'v' })])
    weak.sign(multi)
    assert.deepEqual(await codesOf(server.submitTransaction(weak)), {
      transaction: 'tx_failed',
      operations: ['op_bad_auth'],
    })
    // A signature from a key that is no signer is extra: tx_bad_auth_extra.
    const extra = await build(multi, [Operation.manageData({ name: 'k', value: 'v' })])
    extra.sign(multi, cosigner, bob)
    assert.deepEqual(await codesOf(server.submitTransaction(extra)), { transaction: 'tx_bad_auth_extra' })
    const both = await build(multi, [Operation.manageData({ name: 'k', value: 'v' })])
    both.sign(multi, cosigner)
    assert.equal((await server.submitTransaction(both)).successful, true)
    // Raise the low threshold: a single signature no longer authorizes the transaction at all.
    const raise = await build(multi, [Operation.setOptions({ lowThreshold: 2 })])
    raise.sign(multi, cosigner)
    await server.submitTransaction(raise)
    const single = await build(multi, [Operation.manageData({ name: 'k', value: null })])
    single.sign(cosigner)
    assert.deepEqual(await codesOf(server.submitTransaction(single)), { transaction: 'tx_bad_auth' })
  })

  it('records operation failures in the ledger: fee and sequence spent, state unchanged', async () => {
    const seqBefore = BigInt((await server.loadAccount(bob.publicKey())).sequenceNumber())
    const tx = await build(bob, [
      Operation.manageData({ name: 'kept?', value: 'v' }),
      Operation.manageData({ name: 'never-set', value: null }),
    ])
    tx.sign(bob)
    assert.deepEqual(await codesOf(server.submitTransaction(tx)), {
      transaction: 'tx_failed',
      operations: ['op_success', 'op_data_name_not_found'],
    })
    const acc = await server.loadAccount(bob.publicKey())
    assert.equal(BigInt(acc.sequenceNumber()), seqBefore + 1n)
    assert.equal(acc.data_attr['kept?'], undefined)
    assert.equal(acc.balances[0]?.balance, '9999.9999800')
    const failed = await server
      .transactions()
      .forAccount(bob.publicKey())
      .includeFailed(true)
      .order('desc')
      .limit(1)
      .call()
    assert.equal(failed.records[0]?.successful, false)
    const ok = await server.transactions().forAccount(bob.publicKey()).order('desc').limit(5).call()
    assert.ok(ok.records.every((r) => r.successful))
  })

  it('applies native payments and createAccount with stellar-core result codes', async () => {
    const carol = Keypair.random()
    const pay = (to: string, amount: string) =>
      Operation.payment({ destination: to, asset: Asset.native(), amount })
    const missing = await build(alice, [pay(carol.publicKey(), '5')])
    missing.sign(alice)
    assert.deepEqual(await codesOf(server.submitTransaction(missing, { skipMemoRequiredCheck: true })), {
      transaction: 'tx_failed',
      operations: ['op_no_destination'],
    })
    const low = await build(alice, [
      Operation.createAccount({ destination: carol.publicKey(), startingBalance: '0.5' }),
    ])
    low.sign(alice)
    assert.deepEqual(await codesOf(server.submitTransaction(low)), {
      transaction: 'tx_failed',
      operations: ['op_low_reserve'],
    })
    const create = await build(alice, [
      Operation.createAccount({ destination: carol.publicKey(), startingBalance: '2' }),
      pay(carol.publicKey(), '3.5'),
    ])
    create.sign(alice)
    await server.submitTransaction(create, { skipMemoRequiredCheck: true })
    assert.equal((await server.loadAccount(carol.publicKey())).balances[0]?.balance, '5.5000000')
    const again = await build(alice, [
      Operation.createAccount({ destination: carol.publicKey(), startingBalance: '2' }),
    ])
    again.sign(alice)
    assert.deepEqual(await codesOf(server.submitTransaction(again)), {
      transaction: 'tx_failed',
      operations: ['op_already_exists'],
    })
    const broke = await build(carol, [pay(alice.publicKey(), '5')])
    broke.sign(carol)
    assert.deepEqual(await codesOf(server.submitTransaction(broke, { skipMemoRequiredCheck: true })), {
      transaction: 'tx_failed',
      operations: ['op_underfunded'],
    })
    const unsupported = await build(alice, [Operation.bumpSequence({ bumpTo: '1' })])
    unsupported.sign(alice)
    assert.deepEqual(await codesOf(server.submitTransaction(unsupported)), {
      transaction: 'tx_not_supported',
    })
  })

  it('pages an account’s transactions with cursor / order / limit like Horizon', async () => {
    const acc = Keypair.random()
    await net.fund(acc.publicKey())
    const hashes: string[] = []
    for (let i = 0; i < 3; i++) {
      const tx = await build(acc, [Operation.manageData({ name: `n${i}`, value: 'v' })])
      tx.sign(acc)
      hashes.push((await server.submitTransaction(tx)).hash)
    }
    let page = await server.transactions().forAccount(acc.publicKey()).order('asc').limit(2).call()
    const seen = page.records.map((r) => r.hash)
    page = await page.next()
    seen.push(...page.records.map((r) => r.hash))
    assert.equal(seen.length, 4) // the friendbot funding + 3
    assert.deepEqual(seen.slice(1), hashes)
    assert.equal((await page.next()).records.length, 0)
    const desc = await server.transactions().forAccount(acc.publicKey()).order('desc').limit(200).call()
    assert.deepEqual(
      desc.records.map((r) => r.hash),
      [...seen].reverse(),
    )
  })

  it('answers garbage with Horizon problem documents and keeps running', async () => {
    const post = (body: string) =>
      fetch(`${net.url}/transactions`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
    const malformed = await post('tx=AAAA%3D%3D%3D')
    assert.equal(malformed.status, 400)
    assert.match(((await malformed.json()) as { type: string }).type, /transaction_malformed$/)
    assert.equal((await post('nothing')).status, 400)
    assert.equal((await fetch(`${net.url}/accounts/nope`)).status, 404)
    assert.equal(
      (await fetch(`${net.url}/accounts/${alice.publicKey()}/transactions?limit=9999`)).status,
      400,
    )
    assert.equal((await fetch(`${net.url}/friendbot?addr=bad`)).status, 400)
    assert.equal((await fetch(`${net.url}/accounts/%E0%A4%A`)).status, 400)
    assert.equal((await fetch(`${net.url}/transactions/zz`, { method: 'DELETE' })).status, 405)
    assert.equal((await fetch(net.url)).status, 200)
  })

  it('every accepted envelope re-encodes byte-identically through the Rust XDR decoder', () => {
    const envelopes = net.acceptedEnvelopes()
    assert.ok(envelopes.length >= 8)
    for (const e of envelopes) {
      assert.ok(reencodesIdentically('TransactionEnvelope', e), e)
      assert.ok(xdrToJson<{ tx: unknown }>('TransactionEnvelope', e).tx)
    }
    // Every envelope this test submitted (accepted or refused, recorded on the client side): the Rust
    // decoder and the SDK read the same source, sequence, fee, memo, operations and hash.
    assert.ok(submitted.length >= 10)
    for (const e of submitted) {
      const both = decodeBoth(e, STANDALONE_PASSPHRASE)
      assert.deepEqual(both.rust, both.sdk, e)
    }
    assert.ok(submitted.some((e) => net.acceptedEnvelopes().includes(e)))
  })

  it('keeps its state across a restart on the same folder', async () => {
    const acc = Keypair.random()
    await net.fund(acc.publicKey())
    const tx = await build(acc, [Operation.manageData({ name: 'persist', value: 'me' })])
    tx.sign(acc)
    const r = await server.submitTransaction(tx)
    const ledger = net.ledger()
    await net.stop()
    net = await startStellarDevnet({ dataDir: dir, blockMs: 100 })
    server = new Horizon.Server(net.url, { allowHttp: true })
    assert.ok(net.ledger() >= ledger)
    const loaded = await server.loadAccount(acc.publicKey())
    assert.equal(loaded.data_attr.persist, Buffer.from('me').toString('base64'))
    assert.equal((await server.transactions().transaction(r.hash).call()).ledger_attr, r.ledger)
    const next = await build(acc, [Operation.manageData({ name: 'persist', value: null })])
    next.sign(acc)
    assert.equal((await server.submitTransaction(next)).successful, true)
  })
})
