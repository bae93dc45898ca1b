/**
 * The Stellar devnet's Horizon routes: what each `GET` / `POST` answers, with Horizon's resource and
 * problem shapes (`horizon-resources.ts`) and its paging (`cursor`, `order`, `limit`,
 * `include_failed`). Bad input gets a problem document, never an exception out of the server.
 */
import type { IncomingMessage } from 'node:http'
import {
  accountResource,
  notFound,
  type Problem,
  problem,
  transactionFailed,
  transactionResource,
} from './horizon-resources.ts'
import type { Rejection, TxRecord } from './stellar-ledger.ts'
import type { AccountState } from './stellar-operations.ts'

/** What the routes read from (and submit to) the running devnet. */
export interface RouteContext {
  /** Base URL of the server, e.g. `http://127.0.0.1:41234`. */
  base(): string
  readonly passphrase: string
  ledger(): number
  closedAt(): number
  readonly accounts: ReadonlyMap<string, AccountState>
  readonly byHash: ReadonlyMap<string, TxRecord>
  readonly byAccount: ReadonlyMap<string, readonly TxRecord[]>
  /** Checks and queues an envelope; resolves once its ledger closed. */
  submit(envelope: string): Promise<{ ok: true; record: TxRecord } | Rejection>
  /** Friendbot: funds an account from the root account. */
  fund(account: string): Promise<void>
  stopped(): boolean
}

/** Builds the request handler. */
export function createHorizonRoutes(ctx: RouteContext): (req: IncomingMessage) => Promise<Problem> {
  const { passphrase, accounts, byHash, byAccount, submit, fund } = ctx
  const base = () => ctx.base()
  const handle = async (req: IncomingMessage): Promise<Problem> => {
    const url = new URL(req.url ?? '/', base())
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
    const bad = (detail: string): Problem => problem(400, 'bad_request', 'Bad Request', detail)
    if (req.method === 'POST' && parts[0] === 'transactions' && parts.length === 1) {
      const body = await readBody(req)
      if (body === undefined)
        return problem(413, 'payload_too_large', 'Payload Too Large', `the body exceeds ${MAX_BODY} bytes`)
      const envelope = new URLSearchParams(body).get('tx') ?? ''
      if (!envelope) return bad('tx is required')
      if (ctx.stopped()) return problem(503, 'stale_history', 'Historical DB Is Too Stale', 'devnet stopping')
      const r = await submit(envelope)
      if (ctx.stopped() && !r.ok)
        return problem(503, 'stale_history', 'Historical DB Is Too Stale', 'devnet stopping')
      if (r.ok) return { status: 200, body: transactionResource(base(), r.record) }
      if (r.unavailable)
        return problem(503, 'service_unavailable', 'Service Unavailable', r.unavailable, {
          status: r.codes.transaction,
        })
      if (r.malformed)
        return problem(400, 'transaction_malformed', 'Transaction Malformed', r.malformed, {
          envelope_xdr: envelope,
        })
      return transactionFailed(envelope, r.resultXdr, r.codes)
    }
    if (req.method !== 'GET')
      return problem(405, 'method_not_allowed', 'Method Not Allowed', 'GET or POST /transactions')
    if (parts.length === 0)
      return {
        status: 200,
        body: {
          _links: { account: { href: `${base()}/accounts/{account_id}`, templated: true } },
          horizon_version: 'mero-stellar-devnet',
          core_version: 'none (Horizon emulator)',
          history_latest_ledger: ctx.ledger(),
          history_latest_ledger_closed_at: new Date(ctx.closedAt()).toISOString(),
          history_elder_ledger: 1,
          core_latest_ledger: ctx.ledger(),
          network_passphrase: passphrase,
          current_protocol_version: 23,
          supported_protocol_version: 23,
          core_supported_protocol_version: 23,
        },
      }
    if (parts[0] === 'fee_stats') {
      const p = Object.fromEntries(
        [
          'max',
          'min',
          'mode',
          'p10',
          'p20',
          'p30',
          'p40',
          'p50',
          'p60',
          'p70',
          'p80',
          'p90',
          'p95',
          'p99',
        ].map((k) => [k, '100']),
      )
      return {
        status: 200,
        body: {
          last_ledger: String(ctx.ledger()),
          last_ledger_base_fee: '100',
          ledger_capacity_usage: '0.00',
          fee_charged: p,
          max_fee: p,
        },
      }
    }
    if (parts[0] === 'friendbot') {
      const addr = url.searchParams.get('addr') ?? ''
      if (!/^G[A-Z2-7]{55}$/.test(addr)) return bad('addr must be a G… account id')
      const before = byAccount.get(addr)?.length ?? 0
      try {
        await fund(addr)
      } catch (e) {
        const codes = (e as { codes?: { transaction: string } }).codes
        return problem(
          400,
          'transaction_failed',
          'Transaction Failed',
          'friendbot could not fund the account',
          { result_codes: codes },
        )
      }
      const record = byAccount.get(addr)?.[before]
      return { status: 200, body: record ? transactionResource(base(), record) : {} }
    }
    if (parts[0] === 'transactions' && parts.length === 2) {
      const t = byHash.get(parts[1]!.toLowerCase())
      return t ? { status: 200, body: transactionResource(base(), t) } : notFound()
    }
    if (parts[0] === 'accounts' && parts[1]) {
      const a = accounts.get(parts[1])
      if (!a) return notFound()
      if (parts.length === 2) return { status: 200, body: accountResource(base(), a) }
      if (parts[2] === 'data' && parts.length === 4) {
        const v = Object.hasOwn(a.data, parts[3]!) ? a.data[parts[3]!] : undefined
        return v === undefined
          ? notFound()
          : { status: 200, body: { value: Buffer.from(v, 'hex').toString('base64') } }
      }
      if (parts[2] === 'transactions' && parts.length === 3) return page(url, byAccount.get(a.id) ?? [])
    }
    return notFound()
  }

  const page = (url: URL, all: readonly TxRecord[]): Problem => {
    const q = url.searchParams
    const order = q.get('order') ?? 'asc'
    const limit = q.get('limit') ? Number(q.get('limit')) : 10
    const cursor = q.get('cursor') ?? ''
    if (order !== 'asc' && order !== 'desc')
      return problem(400, 'bad_request', 'Bad Request', 'order must be asc or desc', {
        invalid_field: 'order',
      })
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      return problem(400, 'bad_request', 'Bad Request', 'limit must be 1–200', { invalid_field: 'limit' })
    if (cursor && cursor !== 'now' && !/^\d{1,20}$/.test(cursor))
      return problem(400, 'bad_request', 'Bad Request', 'invalid cursor', { invalid_field: 'cursor' })
    const includeFailed = q.get('include_failed') === 'true'
    const records = pageOf(all, order, cursor, limit, includeFailed).map((t) =>
      transactionResource(base(), t),
    )
    const link = (c: string, o: string) => ({
      href: `${base()}${url.pathname}?cursor=${c}&limit=${limit}&order=${o}${includeFailed ? '&include_failed=true' : ''}`,
    })
    const first = (records[0]?.paging_token as string) ?? cursor
    const last = (records.at(-1)?.paging_token as string) ?? cursor
    return {
      status: 200,
      body: {
        _links: {
          self: link(cursor, order),
          next: link(last, order),
          prev: link(first, order === 'asc' ? 'desc' : 'asc'),
        },
        _embedded: { records },
      },
    }
  }

  return handle
}

/**
 * Up to `limit` records of `all` (sorted by ledger and index, as the devnet appends them) after
 * `cursor` in `order`: a binary search for the cursor, then a walk — O(log n + limit), so reading a
 * long history page by page stays linear, like Horizon's indexed paging.
 */
export function pageOf(
  all: readonly TxRecord[],
  order: 'asc' | 'desc',
  cursor: string,
  limit: number,
  includeFailed: boolean,
): TxRecord[] {
  if (cursor === 'now' && order === 'asc') return []
  let start: number
  if (!cursor || cursor === 'now') start = order === 'asc' ? 0 : all.length - 1
  else {
    const c = BigInt(cursor)
    const ledger = Number(c >> 32n)
    const low = Number(c & 0xffff_ffffn)
    // First record after the cursor.
    let lo = 0
    let hi = all.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const t = all[mid]!
      if (t.ledger < ledger || (t.ledger === ledger && t.index * 4096 <= low)) lo = mid + 1
      else hi = mid
    }
    // Descending starts at the last record before the cursor.
    start = order === 'asc' ? lo : lo - 1
    if (order === 'desc') {
      const at = all[start]
      if (at && at.ledger === ledger && at.index * 4096 === low) start -= 1
    }
  }
  const out: TxRecord[] = []
  const step = order === 'asc' ? 1 : -1
  for (let i = start; i >= 0 && i < all.length && out.length < limit; i += step) {
    const t = all[i]!
    if (includeFailed || t.successful) out.push(t)
  }
  return out
}

/** Largest request body read, bytes (an envelope is a few KB; stellar-core's limit is 100 KB). */
const MAX_BODY = 1_000_000

/**
 * The request body as text, or `undefined` when it is larger than {@link MAX_BODY}: then the rest is
 * not read, and the answer closes the connection (`send` sees `req.complete === false`).
 */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY) return undefined
  const chunks: Buffer[] = []
  let size = 0
  const body = await new Promise<Buffer | undefined>((resolve, reject) => {
    const onData = (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        req.off('data', onData)
        req.pause()
        resolve(undefined)
      } else chunks.push(c)
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', reject)
  })
  return body?.toString('utf8')
}
