/**
 * The Stellar devnet's ledger: accounts, the transaction history, and stellar-core's validity checks
 * (network passphrase via the signature hash, signers and thresholds, sequence numbers, fees, time
 * bounds) and apply rules for the classic operations in `stellar-operations.ts`.
 */
import { SignatureChecker } from './signature-checker.ts'
import {
  type AccountState,
  type Accounts,
  applyOperation,
  BASE_FEE,
  checkOperation,
  minBalance,
  newAccount,
  type OpOutcome,
  opType,
  SUPPORTED_OPS,
  type ThresholdLevel,
  thresholdOf,
} from './stellar-operations.ts'
import {
  type EnvelopeJson,
  jsonToXdr,
  reencodesIdentically,
  type SignatureJson,
  type TxJson,
  transactionHash,
  xdrToJson,
} from './stellar-xdr.ts'

/** A transaction as recorded in a closed ledger (what Horizon serves). */
export interface TxRecord {
  readonly hash: string
  readonly ledger: number
  /** Index in its ledger (1-based), for the paging token. */
  readonly index: number
  readonly closedAt: number
  readonly source: string
  readonly seq: string
  readonly fee: number
  readonly feeCharged: number
  readonly opCount: number
  readonly envelopeXdr: string
  readonly resultXdr: string
  readonly successful: boolean
  readonly memoType: string
  /** Horizon's memo field (base64 for hash/return, text, decimal id). */
  readonly memo?: string
  readonly signatures: readonly string[]
  readonly validAfter?: number
  readonly validBefore?: number
  /** Accounts the transaction touched (source, op sources, destinations). */
  readonly participants: readonly string[]
}

/** A transaction refused (or failed) with Horizon's result codes and its result XDR. */
export interface Rejection {
  readonly ok: false
  readonly resultXdr: string
  readonly codes: { readonly transaction: string; readonly operations?: readonly string[] }
  readonly malformed?: string
  /** Not a verdict on the transaction: the devnet could not take it now (HTTP 503). */
  readonly unavailable?: string
}

/** A transaction that passed the validity checks. */
export interface Checked {
  readonly ok: true
  readonly tx: TxJson
  readonly hash: string
  readonly envelopeXdr: string
  readonly signatures: readonly SignatureJson[]
}

const txResult = (fee: bigint, result: unknown) =>
  jsonToXdr('TransactionResult', { fee_charged: fee.toString(), result, ext: 'v0' })

function reject(code: string, fee = 0n, ops?: OpOutcome[]): Rejection {
  return {
    ok: false,
    resultXdr: txResult(fee, ops ? { [code]: ops.map((o) => o.result) } : code),
    codes: { transaction: code, ...(ops ? { operations: ops.map((o) => o.code) } : {}) },
  }
}

/** The threshold value of `level` on `account`. */
export function thresholdValue(account: AccountState, level: ThresholdLevel): number {
  return level === 'low' ? account.low : level === 'medium' ? account.med : account.high
}

/** Options of {@link checkTransaction}. */
export interface CheckContext {
  readonly passphrase: string
  readonly accounts: ReadonlyMap<string, AccountState>
  /** Close time of the next ledger, seconds. */
  readonly closeTime: number
  /** The sequence number the source account must use next (queued transactions included). */
  readonly nextSeq: (source: string) => bigint | undefined
}

/** stellar-core's `checkValid` for what the devnet models. */
export function checkTransaction(envelopeXdr: string, ctx: CheckContext): Checked | Rejection {
  let env: EnvelopeJson
  try {
    env = xdrToJson<EnvelopeJson>('TransactionEnvelope', envelopeXdr)
  } catch (e) {
    return { ...reject('tx_malformed'), malformed: `envelope does not decode: ${String(e).slice(0, 120)}` }
  }
  if (!reencodesIdentically('TransactionEnvelope', envelopeXdr))
    return { ...reject('tx_malformed'), malformed: 'envelope is not canonical XDR' }
  if (!('tx' in env) || typeof env.tx !== 'object' || env.tx === null || !('tx' in env.tx))
    return reject('tx_not_supported') // v0 and fee-bump envelopes are not modelled
  const { tx, signatures } = env.tx as { tx: TxJson; signatures: readonly SignatureJson[] }
  const hash = transactionHash(tx, ctx.passphrase)
  const ops = tx.operations
  if (ops.length === 0) return reject('tx_missing_operation')
  if (tx.source_account.startsWith('M') || ops.some((o) => o.source_account?.startsWith('M')))
    return reject('tx_not_supported') // muxed accounts are not modelled
  if (ops.some((o) => !SUPPORTED_OPS.has(opType(o)))) return reject('tx_not_supported')
  if (typeof tx.cond === 'object' && 'v2' in tx.cond) return reject('tx_not_supported')
  if (typeof tx.cond === 'object' && 'time' in tx.cond) {
    const min = Number(tx.cond.time.min_time)
    const max = Number(tx.cond.time.max_time)
    if (min > ctx.closeTime) return reject('tx_too_early')
    if (max !== 0 && max < ctx.closeTime) return reject('tx_too_late')
  }
  const minFee = BASE_FEE * BigInt(ops.length)
  if (BigInt(tx.fee) < minFee) return reject('tx_insufficient_fee', minFee)
  const source = ctx.accounts.get(tx.source_account)
  if (!source) return reject('tx_no_account')
  const expected = ctx.nextSeq(tx.source_account)
  if (expected === undefined || BigInt(tx.seq_num) !== expected) return reject('tx_bad_seq')
  const checker = new SignatureChecker(hash, signatures)
  const need = (a: AccountState, level: ThresholdLevel) => checker.check(a, thresholdValue(a, level))
  if (!need(source, 'low')) return reject('tx_bad_auth')
  const opResults: OpOutcome[] = []
  let opFailed = false
  for (const op of ops) {
    const bad = checkOperation(op)
    const opSource = ctx.accounts.get(op.source_account ?? tx.source_account)
    const outcome: OpOutcome | null =
      bad ??
      (!opSource && op.source_account
        ? { result: 'op_no_account', code: 'op_no_source_account' }
        : opSource && !need(opSource, thresholdOf(op))
          ? { result: 'op_bad_auth', code: 'op_bad_auth' }
          : null)
    opFailed ||= outcome !== null
    opResults.push(outcome ?? { result: { op_inner: { [opType(op)]: 'success' } }, code: 'op_success' })
  }
  if (opFailed) return reject('tx_failed', 0n, opResults)
  if (!checker.allUsed()) return reject('tx_bad_auth_extra')
  if (source.balance - minBalance(source) < minFee) return reject('tx_insufficient_balance')
  return { ok: true, tx, hash: hash.toString('hex'), envelopeXdr, signatures }
}

/** Outcome of applying one transaction in a ledger. */
export interface Applied {
  readonly successful: boolean
  readonly feeCharged: bigint
  readonly resultXdr: string
  readonly codes: { readonly transaction: string; readonly operations: readonly string[] }
  readonly participants: readonly string[]
}

/**
 * Applies a checked transaction: charges the fee and consumes the sequence number, then applies the
 * operations all-or-nothing (stellar-core semantics: a failed operation fails the transaction but the
 * fee and sequence stay spent).
 */
export function applyTransaction(
  checked: Checked,
  state: Map<string, AccountState>,
  ledger: number,
  timeMs: number,
): Applied {
  const { tx } = checked
  const source = state.get(tx.source_account)!
  const fee = BASE_FEE * BigInt(tx.operations.length)
  source.balance -= fee
  source.seq = BigInt(tx.seq_num)
  source.seqLedger = ledger
  source.seqTime = timeMs
  source.lastModifiedLedger = ledger
  source.lastModifiedTime = timeMs
  const scratch = new Map<string, AccountState>()
  const accounts: Accounts = {
    get(id) {
      if (!scratch.has(id)) {
        const a = state.get(id)
        if (!a) return undefined
        scratch.set(id, structuredClone(a))
      }
      return scratch.get(id)
    },
    create(id, balance) {
      const a = newAccount(id, balance, ledger, timeMs)
      scratch.set(id, a)
      return a
    },
  }
  const outcomes = tx.operations.map((op) => applyOperation(op, tx.source_account, accounts))
  const successful = outcomes.every((o) => o.code === 'op_success')
  const participants = new Set<string>([tx.source_account])
  for (const op of tx.operations) {
    if (op.source_account) participants.add(op.source_account)
    const body =
      typeof op.body === 'object' ? (Object.values(op.body)[0] as { destination?: string }) : undefined
    if (body?.destination) participants.add(body.destination)
  }
  if (successful)
    for (const [id, a] of scratch) {
      a.lastModifiedLedger = ledger
      a.lastModifiedTime = timeMs
      state.set(id, a)
    }
  const code = successful ? 'tx_success' : 'tx_failed'
  return {
    successful,
    feeCharged: fee,
    resultXdr: txResult(fee, { [code]: outcomes.map((o) => o.result) }),
    codes: { transaction: code, operations: outcomes.map((o) => o.code) },
    participants: [...participants],
  }
}

/**
 * A transaction that was valid when queued but fails the re-check at close (an earlier transaction
 * of the ledger changed signers, spent the balance, …): like stellar-core it stays in the ledger as
 * failed, its fee is charged and its sequence number consumed. `undefined` when core would have
 * dropped it instead (the source is gone or the sequence number no longer fits).
 */
export function chargeFailed(
  checked: Checked,
  rejection: Rejection,
  state: Map<string, AccountState>,
  ledger: number,
  timeMs: number,
): Applied | undefined {
  const { tx } = checked
  const source = state.get(tx.source_account)
  if (!source || rejection.malformed || BigInt(tx.seq_num) !== source.seq + 1n) return undefined
  const fee = BigInt(tx.operations.length) * BASE_FEE
  const charged = fee < source.balance ? fee : source.balance
  source.balance -= charged
  source.seq = BigInt(tx.seq_num)
  source.seqLedger = ledger
  source.seqTime = timeMs
  source.lastModifiedLedger = ledger
  source.lastModifiedTime = timeMs
  const result = xdrToJson<{ result: unknown }>('TransactionResult', rejection.resultXdr).result
  return {
    successful: false,
    feeCharged: charged,
    resultXdr: txResult(charged, result),
    codes: { transaction: rejection.codes.transaction, operations: rejection.codes.operations ?? [] },
    participants: [tx.source_account],
  }
}
