/**
 * The four classic operations the Stellar devnet applies — `createAccount`, native `payment`,
 * `manageData`, `setOptions` — with stellar-core's result codes, reserves and signer limits, and the
 * threshold (low / medium / high) each operation needs.
 */
import type { OperationJson } from './stellar-xdr.ts'

/** Stroops per XLM. */
export const STROOPS = 10_000_000n
/** Base reserve per ledger entry (0.5 XLM), as on the public networks. */
export const BASE_RESERVE = 5_000_000n
/** Minimum fee per operation, in stroops. */
export const BASE_FEE = 100n
/** stellar-core's limit of extra signers per account. */
export const MAX_SIGNERS = 20

/** One account as the devnet keeps it. */
export interface AccountState {
  readonly id: string
  balance: bigint
  seq: bigint
  /** Ledger and time (ms) at which `seq` last changed. */
  seqLedger: number
  seqTime: number
  masterWeight: number
  low: number
  med: number
  high: number
  /** Extra ed25519 signers (`G…`), weight 1–255. */
  signers: { key: string; weight: number }[]
  /** Data entries: name → value (hex). */
  data: Record<string, string>
  homeDomain: string
  flags: number
  lastModifiedLedger: number
  lastModifiedTime: number
}

/** An operation's outcome: the XDR JSON arm for the result and Horizon's code for it. */
export interface OpOutcome {
  readonly result: unknown
  readonly code: string
}

/** Threshold levels of stellar-core. */
export type ThresholdLevel = 'low' | 'medium' | 'high'

/** Subentries that count towards the reserve. */
export function subentries(a: AccountState): number {
  return a.signers.length + Object.keys(a.data).length
}

/** `(2 + subentries) × base reserve`. */
export function minBalance(a: AccountState, extraSubentries = 0): bigint {
  return BigInt(2 + subentries(a) + extraSubentries) * BASE_RESERVE
}

/** A fresh account as `createAccount` makes it (sequence = ledger << 32). */
export function newAccount(id: string, balance: bigint, ledger: number, timeMs: number): AccountState {
  return {
    id,
    balance,
    seq: BigInt(ledger) << 32n,
    seqLedger: ledger,
    seqTime: timeMs,
    masterWeight: 1,
    low: 0,
    med: 0,
    high: 0,
    signers: [],
    data: {},
    homeDomain: '',
    flags: 0,
    lastModifiedLedger: ledger,
    lastModifiedTime: timeMs,
  }
}

/** The operation's type name in the XDR JSON (`create_account`, `payment`, …). */
export function opType(op: OperationJson): string {
  return typeof op.body === 'string' ? op.body : (Object.keys(op.body)[0] ?? '')
}

/** Operation types the devnet applies. */
export const SUPPORTED_OPS = new Set(['create_account', 'payment', 'manage_data', 'set_options'])

/** The threshold an operation needs from its source account (stellar-core `getThresholdLevel`). */
export function thresholdOf(op: OperationJson): ThresholdLevel {
  if (opType(op) !== 'set_options') return 'medium'
  const o = (op.body as { set_options: Record<string, unknown> }).set_options
  const touchesAuth = ['master_weight', 'low_threshold', 'med_threshold', 'high_threshold', 'signer'].some(
    (k) => o[k] !== null && o[k] !== undefined,
  )
  return touchesAuth ? 'high' : 'medium'
}

const ok = (type: string): OpOutcome => ({ result: { op_inner: { [type]: 'success' } }, code: 'op_success' })
const fail = (type: string, arm: string, code: string): OpOutcome => ({
  result: { op_inner: { [type]: arm } },
  code,
})

/** Checks an operation without state (stellar-core `doCheckValid`); `null` when well formed. */
export function checkOperation(op: OperationJson): OpOutcome | null {
  const type = opType(op)
  const body = (op.body as Record<string, Record<string, unknown>>)[type] ?? {}
  if (type === 'create_account' && BigInt(body.starting_balance as string) < 0n)
    return fail(type, 'malformed', 'op_malformed')
  if (type === 'payment' && (body.asset !== 'native' || BigInt(body.amount as string) <= 0n))
    return fail(type, 'malformed', 'op_malformed')
  if (type === 'manage_data') {
    const name = body.data_name as string
    if (name.length === 0 || !/^[\x20-\x7e]+$/.test(name))
      return fail(type, 'invalid_name', 'op_data_invalid_name')
  }
  if (type === 'set_options') {
    for (const k of ['master_weight', 'low_threshold', 'med_threshold', 'high_threshold'])
      if (typeof body[k] === 'number' && (body[k] as number) > 255)
        return fail(type, 'threshold_out_of_range', 'op_threshold_out_of_range')
    const signer = body.signer as { key: unknown; weight: number } | null
    if (signer && (typeof signer.key !== 'string' || !signer.key.startsWith('G') || signer.weight > 255))
      return fail(type, 'bad_signer', 'op_bad_signer')
  }
  return null
}

/** Account lookup (and creation) inside one transaction's scratch state. */
export interface Accounts {
  get(id: string): AccountState | undefined
  create(id: string, balance: bigint): AccountState
}

/** Applies one (valid, authorized) operation. Mutates the accounts it returns through `accounts`. */
export function applyOperation(op: OperationJson, txSource: string, accounts: Accounts): OpOutcome {
  const type = opType(op)
  const body = (op.body as Record<string, Record<string, unknown>>)[type] ?? {}
  const src = accounts.get(op.source_account ?? txSource)
  if (!src) return { result: 'op_no_account', code: 'op_no_source_account' }
  switch (type) {
    case 'create_account': {
      const dest = body.destination as string
      const amount = BigInt(body.starting_balance as string)
      if (accounts.get(dest)) return fail(type, 'already_exist', 'op_already_exists')
      if (src.balance - amount < minBalance(src)) return fail(type, 'underfunded', 'op_underfunded')
      if (amount < 2n * BASE_RESERVE) return fail(type, 'low_reserve', 'op_low_reserve')
      src.balance -= amount
      accounts.create(dest, amount)
      return ok(type)
    }
    case 'payment': {
      const dest = accounts.get(body.destination as string)
      const amount = BigInt(body.amount as string)
      if (!dest) return fail(type, 'no_destination', 'op_no_destination')
      if (src.balance - amount < minBalance(src)) return fail(type, 'underfunded', 'op_underfunded')
      src.balance -= amount
      dest.balance += amount
      return ok(type)
    }
    case 'manage_data': {
      const name = body.data_name as string
      const value = body.data_value as string | null
      if (value === null) {
        if (!Object.hasOwn(src.data, name)) return fail(type, 'name_not_found', 'op_data_name_not_found')
        delete src.data[name]
        return ok(type)
      }
      if (!Object.hasOwn(src.data, name) && src.balance < minBalance(src, 1))
        return fail(type, 'low_reserve', 'op_low_reserve')
      // An own property even for names like `__proto__` (plain assignment would set the prototype).
      Object.defineProperty(src.data, name, { value, enumerable: true, writable: true, configurable: true })
      return ok(type)
    }
    case 'set_options': {
      const num = (k: string) => (typeof body[k] === 'number' ? (body[k] as number) : undefined)
      const signer = body.signer as { key: string; weight: number } | null
      if (signer) {
        if (signer.key === src.id) return fail(type, 'bad_signer', 'op_bad_signer')
        const i = src.signers.findIndex((s) => s.key === signer.key)
        if (signer.weight === 0) {
          if (i >= 0) src.signers.splice(i, 1)
        } else if (i >= 0) src.signers[i]!.weight = signer.weight
        else {
          if (src.signers.length >= MAX_SIGNERS) return fail(type, 'too_many_signers', 'op_too_many_signers')
          if (src.balance < minBalance(src, 1)) return fail(type, 'low_reserve', 'op_low_reserve')
          src.signers.push({ key: signer.key, weight: signer.weight })
          src.signers.sort((a, b) => (a.key < b.key ? -1 : 1))
        }
      }
      src.masterWeight = num('master_weight') ?? src.masterWeight
      src.low = num('low_threshold') ?? src.low
      src.med = num('med_threshold') ?? src.med
      src.high = num('high_threshold') ?? src.high
      if (typeof body.home_domain === 'string') src.homeDomain = body.home_domain
      src.flags = (src.flags & ~(num('clear_flags') ?? 0)) | (num('set_flags') ?? 0)
      return ok(type)
    }
    default:
      return { result: 'op_not_supported', code: 'op_not_supported' }
  }
}
