/**
 * Range checks of an INVOKE v3 transaction's fields, as a Starknet node's deserializer applies them
 * before hashing: every felt is a hex string below the Stark prime P, `tip` and each `max_amount` are
 * u64, each `max_price_per_unit` is u128, the DA modes are `L1` / `L2`. Out of range → -32602.
 * Without these a felt x and x + P hash alike, so a signature would not bind the values executed.
 */
import { type BigNumberish, hash, num } from 'starknet'
import { FELT_PRIME } from '../../contracts/starknet/anchor-calldata.ts'
import type { InvokeTxV3 } from './chain-log.ts'
import { rpcErrors } from './rpc-errors.ts'

const HEX = /^0x[0-9a-fA-F]{1,64}$/
const U64 = 1n << 64n
const U128 = 1n << 128n

/** A JSON-RPC felt: a hex string below P; otherwise -32602 naming `what`. */
export function checkFelt(v: unknown, what: string, bound = FELT_PRIME): bigint {
  if (typeof v !== 'string' || !HEX.test(v)) throw rpcErrors.invalidParams(`${what} must be a hex felt`)
  const b = BigInt(v)
  if (b >= bound) throw rpcErrors.invalidParams(`${what} is out of range`)
  return b
}

/** A list of felts. */
export function checkFelts(v: unknown, what: string): bigint[] {
  if (!Array.isArray(v)) throw rpcErrors.invalidParams(`${what} must be an array of felts`)
  return v.map((x, i) => checkFelt(x, `${what}[${i}]`))
}

type Resource = 'l1_gas' | 'l2_gas' | 'l1_data_gas'

/** The checked, parsed fields of an INVOKE v3 transaction. */
export interface CheckedInvoke {
  readonly calldata: bigint[]
  readonly signature: bigint[]
  readonly resourceBounds: Record<Resource, { max_amount: bigint; max_price_per_unit: bigint }>
  readonly nonceDa: 0 | 1
  readonly feeDa: 0 | 1
}

/** Checks every field of `tx` (see the module comment); throws -32602 on the first bad one. */
export function checkInvokeFields(tx: unknown): CheckedInvoke {
  if (!tx || typeof tx !== 'object') throw rpcErrors.invalidParams('invoke_transaction must be an object')
  const t = tx as Record<string, unknown>
  checkFelt(t.sender_address, 'sender_address')
  checkFelt(t.nonce, 'nonce')
  checkFelt(t.tip, 'tip', U64)
  const calldata = checkFelts(t.calldata, 'calldata')
  const signature = checkFelts(t.signature, 'signature')
  checkFelts(t.paymaster_data, 'paymaster_data')
  checkFelts(t.account_deployment_data, 'account_deployment_data')
  const rb = t.resource_bounds as Record<string, Record<string, unknown>> | undefined
  if (!rb || typeof rb !== 'object') throw rpcErrors.invalidParams('resource_bounds is required')
  const bound = (k: Resource) => {
    const r = rb[k]
    if (!r || typeof r !== 'object') throw rpcErrors.invalidParams(`resource_bounds.${k} is required`)
    return {
      max_amount: checkFelt(r.max_amount, `resource_bounds.${k}.max_amount`, U64),
      max_price_per_unit: checkFelt(r.max_price_per_unit, `resource_bounds.${k}.max_price_per_unit`, U128),
    }
  }
  const da = (m: unknown, what: string): 0 | 1 => {
    if (m === 'L1') return 0
    if (m === 'L2') return 1
    throw rpcErrors.invalidParams(`${what} must be L1 or L2`)
  }
  return {
    calldata,
    signature,
    resourceBounds: { l1_gas: bound('l1_gas'), l2_gas: bound('l2_gas'), l1_data_gas: bound('l1_data_gas') },
    nonceDa: da(t.nonce_data_availability_mode, 'nonce_data_availability_mode'),
    feeDa: da(t.fee_data_availability_mode, 'fee_data_availability_mode'),
  }
}

/**
 * The spec's fields of a checked INVOKE v3 transaction and nothing else: what the devnet stores, logs
 * and serves. Members the hash does not cover (unknown keys, here or in `resource_bounds`) are dropped,
 * so a signed transaction cannot carry unsigned junk into the chain's state or its log.
 */
export function invokeFieldsOf(tx: InvokeTxV3): InvokeTxV3 {
  const rb = (k: Resource) => ({
    max_amount: tx.resource_bounds[k].max_amount,
    max_price_per_unit: tx.resource_bounds[k].max_price_per_unit,
  })
  return {
    type: 'INVOKE',
    version: tx.version,
    sender_address: tx.sender_address,
    calldata: [...tx.calldata],
    signature: [...tx.signature],
    nonce: tx.nonce,
    resource_bounds: { l1_gas: rb('l1_gas'), l2_gas: rb('l2_gas'), l1_data_gas: rb('l1_data_gas') },
    tip: tx.tip,
    paymaster_data: [...tx.paymaster_data],
    account_deployment_data: [...tx.account_deployment_data],
    nonce_data_availability_mode: tx.nonce_data_availability_mode,
    fee_data_availability_mode: tx.fee_data_availability_mode,
  }
}

/**
 * The INVOKE v3 transaction hash (Poseidon, starknet.js's implementation) of a checked transaction,
 * `version` 3 or the query version 2^128 + 3; normalized lowercase hex without padding.
 */
export function invokeTxHash(
  tx: Record<string, unknown> | object,
  checked: CheckedInvoke,
  version: bigint,
  chainIdFelt: string,
): string {
  const t = tx as Record<string, string & BigNumberish[]>
  try {
    return num.toHex(
      hash.calculateInvokeTransactionHash({
        senderAddress: t.sender_address as string,
        version: num.toHex(version) as never,
        compiledCalldata: checked.calldata.map((c) => c.toString()),
        chainId: chainIdFelt as never,
        nonce: t.nonce as string,
        accountDeploymentData: t.account_deployment_data as BigNumberish[],
        nonceDataAvailabilityMode: checked.nonceDa as never,
        feeDataAvailabilityMode: checked.feeDa as never,
        resourceBounds: checked.resourceBounds,
        tip: t.tip as string,
        paymasterData: t.paymaster_data as BigNumberish[],
      }),
    )
  } catch {
    throw rpcErrors.invalidParams('malformed INVOKE v3 transaction')
  }
}
