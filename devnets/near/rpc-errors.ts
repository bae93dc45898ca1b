/**
 * nearcore's JSON-RPC error shapes, so that near-api-js surfaces devnet errors exactly as it does
 * against a real node: `{name, cause: {name, info}, code, message, data}`.
 */

/** A JSON-RPC error object. */
export interface RpcErrorBody {
  readonly name: string
  readonly cause: { readonly name: string; readonly info: Record<string, unknown> }
  readonly code: number
  readonly message: string
  readonly data?: unknown
}

/** Thrown by handlers; the server turns it into the response's `error`. */
export class NearRpcError extends Error {
  constructor(readonly body: RpcErrorBody) {
    super(`${body.cause.name}: ${typeof body.data === 'string' ? body.data : body.message}`)
  }
}

/** `HANDLER_ERROR` with a cause (UNKNOWN_ACCOUNT, UNKNOWN_ACCESS_KEY, INVALID_TRANSACTION, …). */
export function handlerError(cause: string, info: Record<string, unknown>, data?: unknown): NearRpcError {
  return new NearRpcError({
    name: 'HANDLER_ERROR',
    cause: { name: cause, info },
    code: -32000,
    message: 'Server error',
    ...(data === undefined ? {} : { data }),
  })
}

/** `REQUEST_VALIDATION_ERROR` (PARSE_ERROR, METHOD_NOT_FOUND). */
export function requestError(
  cause: 'PARSE_ERROR' | 'METHOD_NOT_FOUND',
  info: Record<string, unknown>,
): NearRpcError {
  return new NearRpcError({
    name: 'REQUEST_VALIDATION_ERROR',
    cause: { name: cause, info },
    code: cause === 'PARSE_ERROR' ? -32700 : -32601,
    message: cause === 'PARSE_ERROR' ? 'Parse error' : 'Method not found',
    data: cause === 'PARSE_ERROR' ? String(info.error_message) : String(info.method_name),
  })
}

/** `INTERNAL_ERROR`. */
export function internalError(message: string): NearRpcError {
  return new NearRpcError({
    name: 'INTERNAL_ERROR',
    cause: { name: 'INTERNAL_ERROR', info: { error_message: message } },
    code: -32000,
    message: 'Server error',
    data: message,
  })
}

/** An `InvalidTxError` (the transaction is refused before execution; nothing changes). */
export function invalidTransaction(invalidTx: unknown): NearRpcError {
  const data = { TxExecutionError: { InvalidTxError: invalidTx } }
  return handlerError('INVALID_TRANSACTION', data, data)
}

/** Where a query was answered. */
export interface BlockRef {
  readonly block_height: number
  readonly block_hash: string
}

/** `UNKNOWN_ACCOUNT`. */
export function unknownAccount(accountId: string, at: BlockRef): NearRpcError {
  return handlerError(
    'UNKNOWN_ACCOUNT',
    { requested_account_id: accountId, ...at },
    `account ${accountId} does not exist while viewing`,
  )
}

/** `UNKNOWN_ACCESS_KEY`. */
export function unknownAccessKey(publicKey: string, at: BlockRef): NearRpcError {
  return handlerError(
    'UNKNOWN_ACCESS_KEY',
    { public_key: publicKey, ...at },
    `access key ${publicKey} does not exist while viewing`,
  )
}
