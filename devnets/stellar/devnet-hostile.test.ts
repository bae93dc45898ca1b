import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { Account, Horizon, Keypair, Operation, TransactionBuilder } from '@stellar/stellar-sdk'
import { STANDALONE_PASSPHRASE, type StellarDevnet, startStellarDevnet } from './stellar-devnet.ts'

/** POSTs `chunks` to /transactions on a fresh connection; `chunked` omits content-length. */
function postRaw(url: string, chunks: Buffer[], chunked: boolean) {
  const u = new URL(url)
  const size = chunks.reduce((n, c) => n + c.length, 0)
  return new Promise<{ status: number; type: string; body: { type?: string; status?: number } }>(
    (resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: '/transactions',
          method: 'POST',
          agent: false,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(chunked ? {} : { 'content-length': size }),
          },
        },
        (res) => {
          let text = ''
          res.on('data', (c) => {
            text += c
          })
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: res.headers['content-type'] ?? '',
              body: JSON.parse(text),
            }),
          )
        },
      )
      req.on('error', reject)
      for (const c of chunks) req.write(c)
      req.end()
    },
  )
}

describe('stellar devnet: hostile and duplicate submissions', { timeout: 30_000 }, () => {
  let net: StellarDevnet
  let server: Horizon.Server
  before(async () => {
    net = await startStellarDevnet({ blockMs: 300 })
    server = new Horizon.Server(net.url, { allowHttp: true })
  })
  after(() => net?.stop())

  it('a body over 1 MB gets 413 in Horizon’s problem shape (with or without content-length)', async () => {
    const big = Array.from({ length: 5 }, () => Buffer.alloc(300_000, 'A'))
    big.unshift(Buffer.from('tx='))
    for (const chunked of [false, true]) {
      const r = await postRaw(net.url, big, chunked)
      assert.equal(r.status, 413, `chunked=${chunked}`)
      assert.match(r.type, /^application\/problem\+json/)
      assert.equal(r.body.status, 413)
      assert.match(r.body.type ?? '', /^https:\/\/stellar\.org\/horizon-errors\//)
    }
    assert.equal((await fetch(net.url)).status, 200)
  })

  it('resubmission is idempotent like Horizon: concurrent duplicates and a late resend get the one result', async () => {
    const k = Keypair.random()
    await net.fund(k.publicKey())
    const seq = (await server.loadAccount(k.publicKey())).sequenceNumber()
    const tx = new TransactionBuilder(new Account(k.publicKey(), seq), {
      fee: '100',
      networkPassphrase: STANDALONE_PASSPHRASE,
    })
      .addOperation(Operation.manageData({ name: 'dup', value: 'v' }))
      .setTimeout(0)
      .build()
    tx.sign(k)
    const [a, b] = await Promise.all([server.submitTransaction(tx), server.submitTransaction(tx)])
    assert.equal(a.hash, b.hash)
    assert.equal(a.ledger, b.ledger)
    const late = await server.submitTransaction(tx)
    assert.equal(late.hash, a.hash)
    assert.equal(late.ledger, a.ledger)
    const history = await server.transactions().forAccount(k.publicKey()).limit(200).call()
    assert.equal(history.records.filter((t) => t.hash === a.hash).length, 1)
    assert.equal((await server.loadAccount(k.publicKey())).sequenceNumber(), (BigInt(seq) + 1n).toString())
  })
})
