import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { describe, it } from 'node:test'
import { pagingToken } from './horizon-resources.ts'
import { createHorizonRoutes, pageOf } from './horizon-routes.ts'
import type { TxRecord } from './stellar-ledger.ts'
import type { AccountState } from './stellar-operations.ts'

const ACCOUNT = `G${'A'.repeat(55)}`

/** `n` records of one account, 1–3 per ledger, every 5th failed, in the devnet's order. */
function history(n: number): TxRecord[] {
  const out: TxRecord[] = []
  let ledger = 2
  let index = 1
  for (let i = 0; i < n; i++) {
    out.push({
      hash: i.toString(16).padStart(64, '0'),
      ledger,
      index,
      closedAt: 1_700_000_000_000 + ledger * 1000,
      source: ACCOUNT,
      seq: String(i + 1),
      fee: 100,
      feeCharged: 100,
      opCount: 1,
      envelopeXdr: '',
      resultXdr: '',
      successful: i % 5 !== 4,
      memoType: 'none',
      signatures: [],
      participants: [ACCOUNT],
    })
    if (i % 3 === 2) {
      ledger += 1 + (i % 2)
      index = 1
    } else index++
  }
  return out
}

/** The obvious definition: filter everything, then slice. */
function naive(
  all: readonly TxRecord[],
  order: 'asc' | 'desc',
  cursor: string,
  limit: number,
  failed: boolean,
) {
  const tok = (t: TxRecord) => BigInt(pagingToken(t.ledger, t.index))
  let list = all.filter((t) => failed || t.successful)
  if (cursor === 'now') list = order === 'asc' ? [] : list
  else if (cursor)
    list = list.filter((t) => (order === 'asc' ? tok(t) > BigInt(cursor) : tok(t) < BigInt(cursor)))
  if (order === 'desc') list = [...list].reverse()
  return list.slice(0, limit)
}

describe('stellar devnet paging', () => {
  it('pages exactly like filtering the whole history (cursors on, between and beyond records)', () => {
    const all = history(200)
    const cursors = ['', 'now', '0', '99999999999999999999']
    for (const t of all.filter((_, i) => i % 7 === 0)) {
      const tok = BigInt(pagingToken(t.ledger, t.index))
      cursors.push(tok.toString(), (tok + 1n).toString(), (tok - 1n).toString())
    }
    for (const cursor of cursors)
      for (const order of ['asc', 'desc'] as const)
        for (const failed of [false, true])
          for (const limit of [1, 3, 200])
            assert.deepEqual(
              pageOf(all, order, cursor, limit, failed).map((t) => t.hash),
              naive(all, order, cursor, limit, failed).map((t) => t.hash),
              `${order} ${cursor} ${limit} ${failed}`,
            )
  })

  it('a page reads O(limit + log n) records, so scanning a 50 000-transaction history stays linear', async () => {
    const all = history(50_000)
    let reads = 0
    const counted = new Proxy(all, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++
        return Reflect.get(target, key, receiver)
      },
    })
    const handle = createHorizonRoutes({
      base: () => 'http://127.0.0.1:1',
      passphrase: 'test',
      ledger: () => 1,
      closedAt: () => 0,
      accounts: new Map([[ACCOUNT, { id: ACCOUNT } as AccountState]]),
      byHash: new Map(),
      byAccount: new Map([[ACCOUNT, counted]]),
      submit: () => Promise.reject(new Error('unused')),
      fund: () => Promise.reject(new Error('unused')),
      stopped: () => false,
    })
    const mid = all[25_000]!
    const cursor = pagingToken(mid.ledger, mid.index)
    for (const order of ['asc', 'desc']) {
      reads = 0
      const url = `/accounts/${ACCOUNT}/transactions?order=${order}&limit=200&cursor=${cursor}&include_failed=true`
      const r = await handle({ method: 'GET', url } as IncomingMessage)
      assert.equal(r.status, 200)
      const records = (r.body as { _embedded: { records: { paging_token: string }[] } })._embedded.records
      assert.equal(records.length, 200)
      assert.ok(reads < 1000, `${order}: ${reads} records read for one page`)
    }
  })
})
