/**
 * Starknet JSON-RPC errors (starknet-specs 0.9 `starknet_api_openrpc.json` / `starknet_write_api.json`)
 * as the devnet raises them, so starknet.js surfaces them (`RpcError.isType(...)`) as against a real node.
 */

/** An error answered with the spec's `{code, message, data?}`. */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
    this.name = 'RpcFailure'
  }
  /** The JSON-RPC `error` member. */
  toJSON(): { code: number; message: string; data?: unknown } {
    return { code: this.code, message: this.message, ...(this.data === undefined ? {} : { data: this.data }) }
  }
}

/** Error constructors, named as in the spec. */
export const rpcErrors = {
  contractNotFound: () => new RpcFailure(20, 'Contract not found'),
  blockNotFound: () => new RpcFailure(24, 'Block not found'),
  txnHashNotFound: () => new RpcFailure(29, 'Transaction hash not found'),
  invalidContinuationToken: () => new RpcFailure(33, 'The supplied continuation token is invalid or unknown'),
  contractError: (revertError: string) => new RpcFailure(40, 'Contract error', { revert_error: revertError }),
  transactionExecutionError: (index: number, executionError: string) =>
    new RpcFailure(41, 'Transaction execution error', {
      transaction_index: index,
      execution_error: executionError,
    }),
  invalidNonce: (detail: string) => new RpcFailure(52, 'Invalid transaction nonce', detail),
  validationFailure: (detail: string) => new RpcFailure(55, 'Account validation failed', detail),
  duplicateTx: () => new RpcFailure(59, 'A transaction with the same hash already exists in the mempool'),
  unsupportedTxVersion: () => new RpcFailure(61, 'the transaction version is not supported'),
  unexpected: (detail: string) => new RpcFailure(63, 'An unexpected error occurred', detail),
  parseError: () => new RpcFailure(-32700, 'Parse error'),
  invalidRequest: () => new RpcFailure(-32600, 'Invalid Request'),
  methodNotFound: () => new RpcFailure(-32601, 'Method not found'),
  invalidParams: (detail: string) => new RpcFailure(-32602, 'Invalid params', detail),
}
