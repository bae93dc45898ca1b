/**
 * nearcore's checks of a transaction before it enters the pool, and the rules they share with the
 * runtime (account id syntax, the nonce range of new keys, the deposits a transaction moves).
 */
import type { ChainState } from './chain-state.ts'
import { invalidTransaction } from './rpc-errors.ts'
import type { DecodedTx, TxAction } from './signed-transaction.ts'
import { STORAGE_AMOUNT_PER_BYTE, storageUsage } from './storage-staking.ts'
import { actionsValidationError } from './validate-actions.ts'

/** nearcore's ACCESS_KEY_NONCE_RANGE_MULTIPLIER: a new key's nonce is (height - 1) × this. */
export const NONCE_RANGE = 1_000_000n

const ACCOUNT_ID = /^(?=.{2,64}$)(([a-z\d]+[-_])*[a-z\d]+\.)*([a-z\d]+[-_])*[a-z\d]+$/

/** Whether `id` is a valid NEAR account id. */
export function isValidAccountId(id: unknown): id is string {
  return typeof id === 'string' && ACCOUNT_ID.test(id)
}

/**
 * Checks a transaction before it is accepted, in nearcore's order: signature, ids, actions
 * validation, block hash within the validity period, signer, access key, nonce, balance, access-key
 * permission, the signer's storage stake after the deposits. Throws nearcore's `InvalidTxError` as an RPC error (the transaction is refused, nothing
 * changes).
 */
export async function checkTransaction(
  state: ChainState,
  validityBlocks: number,
  tx: DecodedTx,
): Promise<void> {
  const head = state.latest()!
  if (!tx.signatureValid) throw invalidTransaction('InvalidSignature')
  if (!isValidAccountId(tx.signerId))
    throw invalidTransaction({ InvalidSignerId: { signer_id: tx.signerId } })
  if (!isValidAccountId(tx.receiverId))
    throw invalidTransaction({ InvalidReceiverId: { receiver_id: tx.receiverId } })
  const invalidActions = actionsValidationError(tx.actions)
  if (invalidActions !== undefined) throw invalidTransaction({ ActionsValidation: invalidActions })
  const base = await state.block(tx.blockHash)
  if (!base || head.height - base.height > validityBlocks) throw invalidTransaction('Expired')
  const signer = state.accounts.get(tx.signerId)
  if (!signer) throw invalidTransaction({ SignerDoesNotExist: { signer_id: tx.signerId } })
  const key = signer.keys.get(tx.publicKey)
  if (!key)
    throw invalidTransaction({
      InvalidAccessKeyError: { AccessKeyNotFound: { account_id: tx.signerId, public_key: tx.publicKey } },
    })
  if (tx.nonce <= key.nonce)
    throw invalidTransaction({ InvalidNonce: { tx_nonce: Number(tx.nonce), ak_nonce: Number(key.nonce) } })
  const upper = BigInt(head.height + 1) * NONCE_RANGE
  if (tx.nonce >= upper)
    throw invalidTransaction({ NonceTooLarge: { tx_nonce: Number(tx.nonce), upper_bound: Number(upper) } })
  const cost = deposits(tx.actions)
  if (cost > signer.amount)
    throw invalidTransaction({
      NotEnoughBalance: {
        signer_id: tx.signerId,
        balance: signer.amount.toString(),
        cost: cost.toString(),
      },
    })
  // what stays after the deposits must still stake the signer's storage
  const required = BigInt(storageUsage(state, tx.signerId)) * STORAGE_AMOUNT_PER_BYTE
  if (signer.amount - cost < required)
    throw invalidTransaction({
      LackBalanceForState: { signer_id: tx.signerId, amount: (required - (signer.amount - cost)).toString() },
    })
  const p = key.permission
  if (p !== 'FullAccess') {
    const only = tx.actions.length === 1 ? tx.actions[0] : undefined
    const bad = (e: unknown) => invalidTransaction({ InvalidAccessKeyError: e })
    if (only?.kind !== 'FunctionCall') throw bad('RequiresFullAccess')
    if (only.deposit > 0n) throw bad('DepositWithFunctionCall')
    if (tx.receiverId !== p.receiverId)
      throw bad({ ReceiverMismatch: { tx_receiver: tx.receiverId, ak_receiver: p.receiverId } })
    if (p.methodNames.length > 0 && !p.methodNames.includes(only.methodName))
      throw bad({ MethodNameMismatch: { method_name: only.methodName } })
  }
}

/** The deposits (Transfer and FunctionCall) a transaction's actions move, yoctoNEAR. */
export function deposits(actions: readonly TxAction[]): bigint {
  let total = 0n
  for (const a of actions) if (a.kind === 'Transfer' || a.kind === 'FunctionCall') total += a.deposit
  return total
}
