import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Account, Horizon, Keypair, Operation, TransactionBuilder } from '@stellar/stellar-sdk'
import { waitFor } from '../../test/helpers/child-process.ts'
import { loadSnapshot, saveLedger } from './devnet-store.ts'
import { STANDALONE_PASSPHRASE, type StellarDevnet, startStellarDevnet } from './stellar-devnet.ts'

const dirs: string[] = []
const nets: StellarDevnet[] = []
after(async () => {
  for (const n of nets) await n.stop()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function start(opts: Parameters<typeof startStellarDevnet>[0] = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'stellar-robust-'))
  dirs.push(dir)
  const net = await startStellarDevnet({ dataDir: dir, blockMs: 100, ...opts })
  nets.push(net)
  return { dir, net, server: new Horizon.Server(net.url, { allowHttp: true }) }
}

function signed(source: Keypair, seq: bigint, name: string, maxTime = 0): string {
  const tx = new TransactionBuilder(new Account(source.publicKey(), seq.toString()), {
    fee: '100',
    networkPassphrase: STANDALONE_PASSPHRASE,
    timebounds: { minTime: 0, maxTime },
  })
    .addOperation(Operation.manageData({ name, value: 'v' }))
    .build()
  tx.sign(source)
  return tx.toEnvelope().toXDR('base64')
}

/** Resolves once the devnet holds `n` transactions for the next ledger. */
const queued = (net: StellarDevnet, n: number) =>
  waitFor(`${n} queued transactions`, () => net.pending() >= n, { timeoutMs: 10_000 })

/** `submission` (answered at its ledger's close), with the ledger closed by hand once it is queued. */
async function closedWith<T>(net: StellarDevnet, submission: Promise<T>): Promise<T> {
  await queued(net, 1)
  await net.closeLedger()
  return submission
}

const post = (url: string, envelope: string) =>
  fetch(`${url}/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ tx: envelope }).toString(),
  })

describe('stellar devnet robustness', { timeout: 30_000 }, () => {
  it('allows one pending transaction per source account: a second one gets 503 TRY_AGAIN_LATER', async () => {
    const { net, server } = await start({ blockMs: 0 }) // ledgers close by hand: both land before one
    const k = Keypair.random()
    await closedWith(net, net.fund(k.publicKey()))
    const seq = BigInt((await server.loadAccount(k.publicKey())).sequenceNumber())
    const first = post(net.url, signed(k, seq, 'a'))
    await queued(net, 1)
    const second = await post(net.url, signed(k, seq + 1n, 'b'))
    assert.equal(second.status, 503)
    assert.equal(((await second.json()) as { extras: { status: string } }).extras.status, 'TRY_AGAIN_LATER')
    assert.equal(net.pending(), 1, 'the second was not queued')
    assert.equal((await closedWith(net, first)).status, 200)
    // Once the first is in a ledger, the second goes through.
    assert.equal((await closedWith(net, post(net.url, signed(k, seq + 1n, 'b')))).status, 200)
  })

  it('a failed state save answers 503 instead of success, is logged, and the ledger timer keeps running', async () => {
    const logged: string[] = []
    let failing = true
    const { net, server } = await start({
      log: (m) => logged.push(m),
      saveLedger: async (...args) => {
        if (failing) throw new Error('disk full')
        return saveLedger(...args)
      },
    })
    const k = Keypair.random()
    const fund = net.fund(k.publicKey())
    await assert.rejects(fund, /tx_internal_error/)
    assert.ok(logged.some((m) => m.includes('disk full')))
    const ledger = net.ledger()
    failing = false
    // the timer closes a ledger every 100 ms: wait for one (a stopped timer times out)
    await waitFor('ledgers keep closing after a failed save', () => net.ledger() > ledger, {
      timeoutMs: 10_000,
    })
    const k2 = Keypair.random()
    await net.fund(k2.publicKey())
    assert.ok(await server.loadAccount(k2.publicKey()))
  })

  it('serves a transaction whose max_time is past year 9999, and the account history stays readable', async () => {
    const { net, server } = await start()
    const k = Keypair.random()
    await net.fund(k.publicKey())
    const seq = BigInt((await server.loadAccount(k.publicKey())).sequenceNumber())
    const r = await post(net.url, signed(k, seq, 'far', 10_000_000_000_000))
    assert.equal(r.status, 200)
    const body = (await r.json()) as { hash: string; valid_before: string }
    assert.equal(body.valid_before, '9999-12-31T23:59:59Z')
    assert.equal((await fetch(`${net.url}/transactions/${body.hash}`)).status, 200)
    const page = await fetch(`${net.url}/accounts/${k.publicKey()}/transactions`)
    assert.equal(page.status, 200)
  })

  it('a transaction that fails the re-check at close is recorded failed, charged its fee and its sequence', async () => {
    const { net, server } = await start({ blockMs: 0 }) // ledgers close by hand: both land in one
    const k = Keypair.random()
    const c = Keypair.random()
    await closedWith(net, net.fund(k.publicKey()))
    await closedWith(net, net.fund(c.publicKey()))
    const kSeq = BigInt((await server.loadAccount(k.publicKey())).sequenceNumber())
    const cSeq = BigInt((await server.loadAccount(c.publicKey())).sequenceNumber())
    const before = (await server.loadAccount(k.publicKey())).balances[0]!.balance
    // C's transaction switches K's master key off (K signs for its operation); K's own transaction,
    // valid when queued behind it in the same ledger, then fails the re-check at close: tx_bad_auth.
    const lock = new TransactionBuilder(new Account(c.publicKey(), cSeq.toString()), {
      fee: '100',
      networkPassphrase: STANDALONE_PASSPHRASE,
    })
      .addOperation(Operation.setOptions({ source: k.publicKey(), masterWeight: 0 }))
      .setTimeout(30)
      .build()
    lock.sign(c, k)
    const first = post(net.url, lock.toEnvelope().toXDR('base64'))
    await queued(net, 1)
    const second = post(net.url, signed(k, kSeq, 'late'))
    await queued(net, 2) // valid when queued: K's master key still signs
    await net.closeLedger()
    assert.equal((await first).status, 200)
    const r = await second
    assert.equal(r.status, 400)
    const body = (await r.json()) as { extras: { result_codes: { transaction: string } } }
    assert.equal(body.extras.result_codes.transaction, 'tx_bad_auth')
    const after = await server.loadAccount(k.publicKey())
    assert.equal(BigInt(after.sequenceNumber()), kSeq + 1n)
    const stroops = (b: string) => BigInt(b.replace('.', ''))
    assert.equal(stroops(before) - stroops(after.balances[0]!.balance), 100n)
    const history = await server
      .transactions()
      .forAccount(k.publicKey())
      .includeFailed(true)
      .order('desc')
      .limit(1)
      .call()
    assert.equal(history.records[0]?.successful, false)
  })

  it('persists the number of empty ledgers as they close (a crash does not take the ledger number back)', async () => {
    const { dir, net } = await start()
    // three empty ledgers closed (and saved) by the 100 ms timer
    await waitFor('three empty ledgers to close', () => net.ledger() > 3, { timeoutMs: 10_000 })
    const ledger = net.ledger()
    // Read the folder while the devnet runs: what a kill -9 now would leave behind.
    const onDisk = await loadSnapshot(dir)
    assert.ok(onDisk && onDisk.ledger >= ledger - 1 && ledger > 3, `${onDisk?.ledger} vs ${ledger}`)
  })
})
