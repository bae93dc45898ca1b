/**
 * nearcore's `validate_actions` (runtime/src/verifier.rs), run before a transaction is accepted: a
 * failure refuses the transaction with `InvalidTxError: { ActionsValidation: … }` and nothing changes.
 * Limits are nearcore's mainnet runtime config.
 */
import type { TxAction } from './signed-transaction.ts'

/** nearcore's `max_actions_per_receipt`. */
export const MAX_ACTIONS = 100
/** nearcore's `max_length_method_name`. */
export const MAX_METHOD_NAME = 256
/** nearcore's `max_total_prepaid_gas` (300 Tgas). */
export const MAX_PREPAID_GAS = 300_000_000_000_000n
/** nearcore's `max_arguments_length`. */
export const MAX_ARGS = 4 * 1024 * 1024

/** The `ActionsValidationError` of `actions`, or undefined when they are valid. */
export function actionsValidationError(actions: readonly TxAction[]): unknown {
  if (actions.length > MAX_ACTIONS)
    return { TotalNumberOfActionsExceeded: { total_number_of_actions: actions.length, limit: MAX_ACTIONS } }
  let gas = 0n
  for (const a of actions) if (a.kind === 'FunctionCall') gas += a.gas
  if (gas > MAX_PREPAID_GAS)
    return { TotalPrepaidGasExceeded: { total_prepaid_gas: Number(gas), limit: Number(MAX_PREPAID_GAS) } }
  for (const [i, a] of actions.entries()) {
    if (a.kind === 'DeleteAccount' && i !== actions.length - 1) return 'DeleteActionMustBeFinal'
    if (a.kind !== 'FunctionCall') continue
    if (a.gas === 0n) return 'FunctionCallZeroAttachedGas'
    const length = Buffer.byteLength(a.methodName)
    if (length > MAX_METHOD_NAME)
      return { FunctionCallMethodNameLengthExceeded: { length, limit: MAX_METHOD_NAME } }
    if (a.args.length > MAX_ARGS)
      return { FunctionCallArgumentsLengthExceeded: { length: a.args.length, limit: MAX_ARGS } }
  }
  return undefined
}
