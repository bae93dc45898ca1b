import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Account, Asset, Horizon, Keypair, Memo, Operation, TransactionBuilder } from '@stellar/stellar-sdk'
import { type StellarDevnet, startStellarDevnet } from '../../devnets/stellar/stellar-devnet.ts'
import { random32 } from '../../src/chain/chain-compliance.ts'
import { anchorDataName, anchorDataValue } from './anchor-format.ts'
import { createAnchorIndex, parseAnchorRecord } from './anchor-index.ts'
import { toChainError } from './horizon-errors.ts'
import { createStellarAdapter, type StellarAdapter } from './stellar-adapter.ts'

const CHAIN = 'stellar:standalone'

/** An HTTP proxy in front of the devnet that logs paths and can answer a request itself. */
async function proxy(target: string) {
  const paths: string[] = []
  const statuses: number[] = []
  const posted: string[] = []
  let intercept: ((method: string, path: string) => { status: number; body: unknown } | undefined) | undefined
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    paths.push(`${req.method} ${req.url}`)
    if (req.method === 'POST') posted.push(Buffer.concat(chunks).toString())
    const own = intercept?.(req.method ?? 'GET', req.url ?? '/')
    if (own) {
      res.writeHead(own.status, { 'content-type': 'application/problem+json' })
      res.end(JSON.stringify(own.body))
      return
    }
    const up = await fetch(`${target}${req.url}`, {
      method: req.method ?? 'GET',
      headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
      ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
    })
    statuses.push(up.status)
    res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' })
    res.end(Buffer.from(await up.arrayBuffer()))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    statuses,
    posted,
    setIntercept: (f: typeof intercept) => {
      intercept = f
    },
    close: () => new Promise((r) => server.close(r)),
  }
}

describe('stellar adapter hardening (review findings)', { timeout: 60_000 }, () => {
  let dir: string
  let net: StellarDevnet
  let server: Horizon.Server
  let owner: StellarAdapter
  const operator = Keypair.random()

  const raw = async (
    source: Keypair,
    ops: ReturnType<typeof Operation.payment>[],
    memo?: Memo,
    maxTime = 0,
  ) => {
    const acc = await server.loadAccount(source.publicKey())
    const b = new TransactionBuilder(new Account(source.publicKey(), acc.sequenceNumber()), {
      fee: '100',
      networkPassphrase: net.passphrase,
      timebounds: { minTime: 0, maxTime },
    })
    for (const op of ops) b.addOperation(op)
    if (memo) b.addMemo(memo)
    const tx = b.build()
    tx.sign(source)
    return server.submitTransaction(tx, { skipMemoRequiredCheck: true })
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stellar-hardening-'))
    net = await startStellarDevnet({ dataDir: dir, blockMs: 100 })
    server = new Horizon.Server(net.url, { allowHttp: true })
    await net.fund(operator.publicKey())
    owner = await createStellarAdapter({
      rpcUrl: net.url,
      chainId: CHAIN,
      contract: operator.publicKey(),
      secret: operator.secret(),
    })
    await owner.registerNode(random32(), 'operator')
  })
  after(async () => {
    await owner?.close()
    await net?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('a stranger’s payment with max_time 1e13 does not make the anchoring account’s history unreadable', async () => {
    const req = { logId: random32(), treeSize: 7, root: random32() }
    assert.equal((await owner.submitAnchor(req)).kind, 'submitted')
    const stranger = Keypair.random()
    await net.fund(stranger.publicKey())
    await raw(
      stranger,
      [Operation.payment({ destination: operator.publicKey(), asset: Asset.native(), amount: '1' })],
      Memo.hash(Buffer.from(random32())),
      10_000_000_000_000,
    )
    const page = await fetch(`${net.url}/accounts/${operator.publicKey()}/transactions?order=asc&limit=200`)
    assert.equal(page.status, 200)
    const fresh = await createStellarAdapter({
      rpcUrl: net.url,
      chainId: CHAIN,
      contract: operator.publicKey(),
    })
    assert.equal((await fresh.anchorOf(req.root))?.treeSize, 7)
    await fresh.close()
  })

  it('the anchor index keeps an anchor when candidateSigners fails once (cursor moves only after processing)', async () => {
    const req = { logId: random32(), treeSize: 9, root: random32() }
    await owner.submitAnchor(req)
    let calls = 0
    const index = createAnchorIndex({
      server,
      passphrase: net.passphrase,
      account: operator.publicKey(),
      candidateSigners: async () => {
        if (calls++ === 0) throw new Error('transient')
        return ['TAQCSRX2RIDJNHFIFHWD63X7D7D6TRT5Y2S6E3TEMXTG5W3OECHZ2OG4', operator.publicKey()]
      },
    })
    await assert.rejects(index.find(req.root), /transient/)
    const found = await index.find(req.root)
    assert.equal(found?.treeSize, 9)
    assert.equal(found?.submitter, operator.publicKey())
  })

  it('bounds the index: past maxRoots the oldest roots are dropped and still found by a re-scan', async () => {
    const reqs = [1, 2, 3].map((n) => ({ logId: random32(), treeSize: n, root: random32() }))
    for (const r of reqs) await owner.submitAnchor(r)
    const index = createAnchorIndex({
      server,
      passphrase: net.passphrase,
      account: operator.publicKey(),
      candidateSigners: async () => [],
      maxRoots: 1,
    })
    assert.equal((await index.find(reqs[2]!.root))?.treeSize, 3)
    assert.equal((await index.find(reqs[0]!.root))?.treeSize, 1)
    assert.equal(await index.find(random32()), null)
  })

  it('reads source, memo and hash from the signed envelope: a Horizon record that disagrees is no anchor', async () => {
    const req = { logId: random32(), treeSize: 2, root: random32() }
    const sent = await owner.submitAnchor(req)
    const record = await server
      .transactions()
      .transaction(sent.kind === 'submitted' ? sent.tx : '')
      .call()
    assert.ok(parseAnchorRecord(record, operator.publicKey(), net.passphrase))
    const fakeRoot = Buffer.from(random32()).toString('base64')
    assert.equal(parseAnchorRecord({ ...record, memo: fakeRoot }, operator.publicKey(), net.passphrase), null)
    assert.equal(
      parseAnchorRecord({ ...record, hash: '00'.repeat(32) }, operator.publicKey(), net.passphrase),
      null,
    )
  })

  it('another signer’s anchor of the same root under another log id is reported as a conflict', async () => {
    const root = random32()
    const theirs = random32()
    await raw(
      operator,
      [Operation.manageData({ name: anchorDataName(theirs), value: anchorDataValue(1, theirs) })],
      Memo.hash(Buffer.from(root)),
    )
    await assert.rejects(
      owner.submitAnchor({ logId: random32(), treeSize: 5, root }),
      (
        e: Error & {
          details?: { reason?: string }
        },
      ) => e.name === 'ChainRejected' && e.details?.reason === 'AnchorConflict',
    )
    const same = await owner.submitAnchor({ logId: theirs, treeSize: 1, root })
    assert.equal(same.kind, 'already-anchored')
  })

  it('anchorStatus with the anchor’s tx hash reads GET /transactions/:hash, not the account history', async () => {
    const req = { logId: random32(), treeSize: 4, root: random32() }
    const sent = await owner.submitAnchor(req)
    assert.equal(sent.kind, 'submitted')
    const p = await proxy(net.url)
    const reader = await createStellarAdapter({
      rpcUrl: p.url,
      chainId: CHAIN,
      contract: operator.publicKey(),
    })
    try {
      const tx = sent.kind === 'submitted' ? sent.tx : ''
      const status = await reader.anchorStatus(req.root, tx)
      assert.equal(status.state, 'final')
      assert.equal('anchor' in status ? status.anchor?.treeSize : 0, 4)
      assert.ok(!p.paths.some((x) => x.includes('/transactions?')), p.paths.join('\n'))
      // The hash of a transaction that is not an anchor of this root: falls back to the scan, answers missing.
      const other = await reader.anchorStatus(random32(), tx)
      assert.equal(other.state, 'missing')
    } finally {
      await reader.close()
      await p.close()
    }
  })

  it('two adapters on one account: the second gets TRY_AGAIN_LATER (503), resends, and both anchors land', async () => {
    const p = await proxy(net.url)
    const mk = () =>
      createStellarAdapter({
        rpcUrl: p.url,
        chainId: CHAIN,
        contract: operator.publicKey(),
        secret: operator.secret(),
      })
    const [a, b] = [await mk(), await mk()]
    try {
      const reqs = [1, 2].map((n) => ({ logId: random32(), treeSize: n, root: random32() }))
      const rs = await Promise.all([a.submitAnchor(reqs[0]!), b.submitAnchor(reqs[1]!)])
      assert.ok(rs.every((r) => r.kind === 'submitted'))
      // (usually one of them met TRY_AGAIN_LATER on the way: p.statuses includes 503)
      for (const r of reqs) assert.equal((await owner.anchorOf(r.root))?.treeSize, r.treeSize)
    } finally {
      await a.close()
      await b.close()
      await p.close()
    }
  })

  it('TRY_AGAIN_LATER (503) resends the identical envelope, never a rebuilt one with the same sequence', async () => {
    const p = await proxy(net.url)
    let refused = 0
    p.setIntercept((method) =>
      method === 'POST' && refused++ === 0
        ? {
            status: 503,
            body: { status: 503, type: 'service_unavailable', extras: { status: 'TRY_AGAIN_LATER' } },
          }
        : undefined,
    )
    const a = await createStellarAdapter({
      rpcUrl: p.url,
      chainId: CHAIN,
      contract: operator.publicKey(),
      secret: operator.secret(),
    })
    try {
      const req = { logId: random32(), treeSize: 6, root: random32() }
      assert.equal((await a.submitAnchor(req)).kind, 'submitted')
      assert.equal(p.posted.length, 2)
      assert.equal(p.posted[0], p.posted[1])
    } finally {
      await a.close()
      await p.close()
    }
  })

  it('retries temporary Horizon answers: tx_too_late once, then the anchor lands', async () => {
    const p = await proxy(net.url)
    let refused = 0
    p.setIntercept((method, path) => {
      if (method !== 'POST' || !path.startsWith('/transactions') || refused++ > 0) return undefined
      return {
        status: 400,
        body: {
          type: 'https://stellar.org/horizon-errors/transaction_failed',
          status: 400,
          extras: { result_codes: { transaction: 'tx_too_late' }, result_xdr: 'AAAAAAAAAGT////9AAAAAA==' },
        },
      }
    })
    const a = await createStellarAdapter({
      rpcUrl: p.url,
      chainId: CHAIN,
      contract: operator.publicKey(),
      secret: operator.secret(),
    })
    try {
      const req = { logId: random32(), treeSize: 3, root: random32() }
      assert.equal((await a.submitAnchor(req)).kind, 'submitted')
      assert.equal(refused, 2)
      assert.equal((await owner.anchorOf(req.root))?.treeSize, 3)
    } finally {
      await a.close()
      await p.close()
    }
    for (const code of ['tx_too_late', 'tx_bad_seq', 'tx_insufficient_balance', 'tx_insufficient_fee'])
      assert.equal(
        toChainError(
          { response: { status: 400, data: { extras: { result_codes: { transaction: code } } } } },
          'x',
        ).name,
        'ChainUnavailable',
        code,
      )
    assert.equal(toChainError({ response: { status: 503, data: {} } }, 'x').name, 'ChainUnavailable')
  })
})
