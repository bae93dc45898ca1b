/**
 * The RPC's view of an applied transaction (nearcore's FinalExecutionOutcome without
 * `final_execution_status`): the transaction, its outcome (converted to one receipt on the receiver)
 * and that receipt's outcome with the logs. Gas is reported as 0 (not metered).
 */

import { fromBase58, toBase58 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { BlockRecord, TxRecord } from './chain-state.ts'
import { actionView, type DecodedTx } from './signed-transaction.ts'

/** The receipt id of a transaction's single receipt: base58(sha256("receipt" ‖ tx hash bytes)). */
export function receiptIdOf(txHash: string): string {
  const hash = fromBase58(txHash, 32)
  const tag = new TextEncoder().encode('receipt')
  const input = new Uint8Array(tag.length + hash.length)
  input.set(tag, 0)
  input.set(hash, tag.length)
  return toBase58(sha256(input))
}

/**
 * Builds the stored record of `tx` applied in `block` with execution `status`; `withReceipt` is
 * false for a transaction refused at apply time (no receipt was created).
 */
export function txRecord(
  tx: DecodedTx,
  block: BlockRecord,
  status: unknown,
  withReceipt: boolean,
  logs: string[],
): TxRecord {
  const receiptId = receiptIdOf(tx.hash)
  const txOutcome = (status: unknown) => ({
    id: tx.hash,
    block_hash: block.hash,
    proof: [],
    outcome: {
      logs: [],
      receipt_ids: withReceipt ? [receiptId] : [],
      gas_burnt: 0,
      tokens_burnt: '0',
      executor_id: tx.signerId,
      status,
      metadata: { version: 1, gas_profile: null },
    },
  })
  const transaction = {
    signer_id: tx.signerId,
    public_key: tx.publicKey,
    nonce: Number(tx.nonce),
    receiver_id: tx.receiverId,
    actions: tx.actions.map(actionView),
    signature: tx.signature,
    hash: tx.hash,
    priority_fee: 0,
  }
  return {
    hash: tx.hash,
    signerId: tx.signerId,
    height: block.height,
    outcome: {
      status,
      transaction,
      transaction_outcome: txOutcome(withReceipt ? { SuccessReceiptId: receiptId } : status),
      receipts_outcome: withReceipt
        ? [
            {
              id: receiptId,
              block_hash: block.hash,
              proof: [],
              outcome: {
                logs,
                receipt_ids: [],
                gas_burnt: 0,
                tokens_burnt: '0',
                executor_id: tx.receiverId,
                status,
                metadata: { version: 1, gas_profile: null },
              },
            },
          ]
        : [],
    },
  }
}
