/**
 * Small pieces of the devnet's submission path: the source account and hash of an envelope, the 503 answers
 * (TRY_AGAIN_LATER, internal error) and Horizon's memo fields of a recorded transaction.
 */
import { TransactionBuilder } from '@stellar/stellar-sdk'
import type { Rejection } from './stellar-ledger.ts'

/**
 * The transaction's source account and hash (hex, under `passphrase`), or `undefined` when the
 * envelope does not decode (the full check then answers `tx_malformed`).
 */
export function identify(
  envelope: string,
  passphrase: string,
): { source?: string; hash: string } | undefined {
  try {
    const tx = TransactionBuilder.fromXDR(envelope, passphrase)
    const hash = Buffer.from(tx.hash()).toString('hex')
    return 'source' in tx ? { source: tx.source, hash } : { hash }
  } catch {
    return undefined
  }
}

/** A 503 answer: the devnet could not make the ledger durable (or is stopping). */
export const internalError = (detail: string): Rejection => ({
  ok: false,
  resultXdr: '',
  codes: { transaction: 'tx_internal_error' },
  unavailable: detail,
})

/** stellar-core's TRY_AGAIN_LATER: the source account already has a transaction pending. */
export const tryAgainLater = (): Rejection => ({
  ok: false,
  resultXdr: '',
  codes: { transaction: 'TRY_AGAIN_LATER' },
  unavailable: 'TRY_AGAIN_LATER: the source account already has a transaction pending in this ledger',
})

/** Horizon's `memo_type` / `memo` of an XDR JSON memo. */
export function memoFields(memo: unknown): { memoType: string; memo?: string } {
  if (memo === 'none' || typeof memo !== 'object' || memo === null) return { memoType: 'none' }
  const [type, value] = Object.entries(memo)[0] as [string, string]
  if (type === 'hash' || type === 'return')
    return { memoType: type, memo: Buffer.from(value, 'hex').toString('base64') }
  return { memoType: type, memo: String(value) }
}
