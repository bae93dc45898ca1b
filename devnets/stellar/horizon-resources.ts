/**
 * Horizon's JSON shapes for what the Stellar devnet serves: accounts, transactions, pages with
 * `_links`, and problem documents (`application/problem+json`) with Horizon's `type` URLs.
 */

import type { TxRecord } from './stellar-ledger.ts'
import { type AccountState, STROOPS, subentries } from './stellar-operations.ts'

/** Amount in stroops → Horizon's `"123.4567890"`. */
export function amount(stroops: bigint): string {
  const neg = stroops < 0n
  const a = neg ? -stroops : stroops
  return `${neg ? '-' : ''}${a / STROOPS}.${(a % STROOPS).toString().padStart(7, '0')}`
}

/** Horizon's paging token of a transaction (its TOID). */
export function pagingToken(ledger: number, index: number): string {
  return ((BigInt(ledger) << 32n) | (BigInt(index) << 12n)).toString()
}

/** Latest time an RFC 3339 string can carry (9999-12-31T23:59:59Z), in seconds. */
const MAX_ISO_SECONDS = 253_402_300_799

/**
 * Seconds-resolution RFC 3339 like Horizon. Never throws: a time bound is a uint64 chosen by whoever
 * built the transaction, so values past year 9999 (or garbage) are clamped into range.
 */
const iso = (ms: number) => {
  const s = Number.isFinite(ms) ? Math.min(Math.max(Math.floor(ms / 1000), 0), MAX_ISO_SECONDS) : 0
  return new Date(s * 1000).toISOString().replace('.000Z', 'Z')
}

/** `GET /accounts/:id`. */
export function accountResource(base: string, a: AccountState): Record<string, unknown> {
  const self = `${base}/accounts/${a.id}`
  return {
    _links: {
      self: { href: self },
      transactions: { href: `${self}/transactions{?cursor,limit,order}`, templated: true },
      data: { href: `${self}/data/{key}`, templated: true },
    },
    id: a.id,
    account_id: a.id,
    sequence: a.seq.toString(),
    sequence_ledger: a.seqLedger,
    sequence_time: String(Math.floor(a.seqTime / 1000)),
    subentry_count: subentries(a),
    home_domain: a.homeDomain || undefined,
    last_modified_ledger: a.lastModifiedLedger,
    last_modified_time: iso(a.lastModifiedTime),
    thresholds: { low_threshold: a.low, med_threshold: a.med, high_threshold: a.high },
    flags: {
      auth_required: (a.flags & 1) !== 0,
      auth_revocable: (a.flags & 2) !== 0,
      auth_immutable: (a.flags & 4) !== 0,
      auth_clawback_enabled: (a.flags & 8) !== 0,
    },
    balances: [
      {
        balance: amount(a.balance),
        buying_liabilities: '0.0000000',
        selling_liabilities: '0.0000000',
        asset_type: 'native',
      },
    ],
    signers: [
      ...a.signers.map((s) => ({ weight: s.weight, key: s.key, type: 'ed25519_public_key' })),
      { weight: a.masterWeight, key: a.id, type: 'ed25519_public_key' },
    ],
    data: Object.fromEntries(
      Object.entries(a.data).map(([k, v]) => [k, Buffer.from(v, 'hex').toString('base64')]),
    ),
    num_sponsoring: 0,
    num_sponsored: 0,
    paging_token: a.id,
  }
}

/**
 * `GET /transactions/:hash` (and the records of transaction pages). Never throws: one odd record must
 * not make a page (and so an account's whole history) unreadable; the optional time bounds are dropped
 * if they cannot be rendered.
 */
export function transactionResource(base: string, t: TxRecord): Record<string, unknown> {
  try {
    return transactionBody(base, t, true)
  } catch {
    return transactionBody(base, t, false)
  }
}

function transactionBody(base: string, t: TxRecord, withBounds: boolean): Record<string, unknown> {
  const self = `${base}/transactions/${t.hash}`
  return {
    _links: {
      self: { href: self },
      account: { href: `${base}/accounts/${t.source}` },
      ledger: { href: `${base}/ledgers/${t.ledger}` },
    },
    id: t.hash,
    paging_token: pagingToken(t.ledger, t.index),
    successful: t.successful,
    hash: t.hash,
    ledger: t.ledger,
    created_at: iso(t.closedAt),
    source_account: t.source,
    source_account_sequence: t.seq,
    fee_account: t.source,
    fee_charged: String(t.feeCharged),
    max_fee: String(t.fee),
    operation_count: t.opCount,
    envelope_xdr: t.envelopeXdr,
    result_xdr: t.resultXdr,
    memo_type: t.memoType,
    ...(t.memo !== undefined ? { memo: t.memo } : {}),
    signatures: t.signatures,
    ...(withBounds && t.validAfter !== undefined ? { valid_after: iso(t.validAfter * 1000) } : {}),
    ...(withBounds && t.validBefore !== undefined && t.validBefore !== 0
      ? { valid_before: iso(t.validBefore * 1000) }
      : {}),
  }
}

/** A Horizon problem document. */
export interface Problem {
  readonly status: number
  readonly body: Record<string, unknown>
}

/** Builds a problem with Horizon's `type` URL. */
export function problem(
  status: number,
  type: string,
  title: string,
  detail: string,
  extras?: Record<string, unknown>,
): Problem {
  return {
    status,
    body: {
      type: `https://stellar.org/horizon-errors/${type}`,
      title,
      status,
      detail,
      ...(extras ? { extras } : {}),
    },
  }
}

/** 404 as Horizon words it. */
export const notFound = (): Problem =>
  problem(
    404,
    'not_found',
    'Resource Missing',
    'The resource at the url requested was not found.  This usually occurs for one of two reasons:  The url requested is not valid, or no data in our database could be found with the parameters provided.',
  )

/** 400 `transaction_failed` with `extras.result_codes` and `result_xdr`. */
export function transactionFailed(
  envelopeXdr: string,
  resultXdr: string,
  codes: { transaction: string; operations?: readonly string[] },
  hash?: string,
): Problem {
  return problem(
    400,
    'transaction_failed',
    'Transaction Failed',
    'The transaction failed when submitted to the stellar network. The `extras.result_codes` field on this response contains further details.  Descriptions of each code can be found at: https://developers.stellar.org/docs/data/apis/horizon/api-reference/errors/http-status-codes/horizon-specific/transaction-failed',
    { envelope_xdr: envelopeXdr, result_codes: codes, result_xdr: resultXdr, ...(hash ? { hash } : {}) },
  )
}
