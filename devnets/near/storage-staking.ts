/**
 * nearcore's storage staking: an account must hold `storage_usage × storage_amount_per_byte`
 * (1e19 yoctoNEAR per byte) after every receipt, or the receipt fails with `LackBalanceForState`.
 * Storage usage is counted as nearcore's runtime config does: 100 bytes per account, the code's
 * length, and per access key and per contract storage record its borsh key and value plus 40 bytes.
 */
import type { AccessKeyRecord, ChainState } from './chain-state.ts'

/** nearcore's `storage_amount_per_byte`, yoctoNEAR. */
export const STORAGE_AMOUNT_PER_BYTE = 10n ** 19n
/** nearcore's `num_bytes_account`. */
const ACCOUNT_BYTES = 100
/** nearcore's `num_extra_bytes_record`. */
export const RECORD_EXTRA_BYTES = 40

/** The storage a contract record takes (hex key). */
export function recordBytes(hexKey: string, value: Uint8Array | null | undefined): number {
  return value === null || value === undefined ? 0 : hexKey.length / 2 + value.length + RECORD_EXTRA_BYTES
}

function accessKeyBytes(k: AccessKeyRecord): number {
  const p = k.permission
  // borsh: PublicKey (1 + 32) + nonce u64 + permission tag (+ FunctionCall fields)
  let bytes = 33 + 8 + 1
  if (p !== 'FullAccess') {
    bytes += (p.allowance === null ? 1 : 17) + 4 + p.receiverId.length + 4
    for (const m of p.methodNames) bytes += 4 + m.length
  }
  return bytes + RECORD_EXTRA_BYTES
}

/** An account's storage usage in bytes (0 when it does not exist). */
export function storageUsage(state: ChainState, accountId: string): number {
  const a = state.accounts.get(accountId)
  if (!a) return 0
  let bytes = ACCOUNT_BYTES + (state.codes.get(a.codeHash)?.length ?? 0) + state.dataUsage(accountId)
  for (const k of a.keys.values()) bytes += accessKeyBytes(k)
  return bytes
}

/** nearcore's `LackBalanceForState` for `accountId` (the amount missing), or undefined when staked. */
export function lackBalanceForState(
  state: ChainState,
  accountId: string,
): { LackBalanceForState: { account_id: string; amount: string } } | undefined {
  const a = state.accounts.get(accountId)
  if (!a) return undefined
  const required = BigInt(storageUsage(state, accountId)) * STORAGE_AMOUNT_PER_BYTE
  if (a.amount >= required) return undefined
  return { LackBalanceForState: { account_id: accountId, amount: (required - a.amount).toString() } }
}
