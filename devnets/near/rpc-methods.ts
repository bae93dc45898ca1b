/**
 * The NEAR JSON-RPC methods the devnet answers, in nearcore's request and response shapes: `status`,
 * `block`, `gas_price`, `query` (view_account, view_access_key, view_access_key_list, call_function,
 * view_code), `send_tx`, `broadcast_tx_commit`, `broadcast_tx_async`, `tx`, `EXPERIMENTAL_tx_status`,
 * `EXPERIMENTAL_protocol_config`, `health`.
 */
import { toBase64 } from '../../src/core/bytes.ts'
import type { BlockProducer } from './block-producer.ts'
import type { BlockRecord, ChainState, TxRecord } from './chain-state.ts'
import type { NearRuntime } from './near-runtime.ts'
import { type BlockRef, handlerError, requestError, unknownAccessKey, unknownAccount } from './rpc-errors.ts'
import { decodeSignedTx, permissionView } from './signed-transaction.ts'
import { storageUsage } from './storage-staking.ts'

/** What the methods need. */
export interface RpcContext {
  readonly chainId: string
  readonly state: ChainState
  readonly runtime: NearRuntime
  readonly producer: BlockProducer
  /** How long `send_tx` / `tx` wait for inclusion before TIMEOUT_ERROR. */
  readonly waitTimeoutMs: number
}

type Params = Record<string, unknown>
type Method = (ctx: RpcContext, params: unknown) => Promise<unknown>

const at = (b: BlockRecord): BlockRef => ({ block_height: b.height, block_hash: b.hash })

function obj(params: unknown): Params {
  if (params && typeof params === 'object' && !Array.isArray(params)) return params as Params
  throw requestError('PARSE_ERROR', { error_message: 'params must be an object' })
}

function blockView(b: BlockRecord): unknown {
  const ts = b.timestampNs.toString()
  return {
    author: 'test.near',
    header: {
      height: b.height,
      prev_height: b.height > 1 ? b.height - 1 : null,
      epoch_id: '11111111111111111111111111111111',
      next_epoch_id: '11111111111111111111111111111111',
      hash: b.hash,
      prev_hash: b.prevHash,
      timestamp: Number(b.timestampNs),
      timestamp_nanosec: ts,
      chunks_included: 1,
      gas_price: '100000000',
      total_supply: '1000000000000000000000000000000000',
      last_final_block: b.hash,
      last_ds_final_block: b.hash,
      validator_proposals: [],
      chunk_mask: [true],
      approvals: [],
      latest_protocol_version: 73,
    },
    chunks: [
      {
        chunk_hash: b.hash,
        prev_block_hash: b.prevHash,
        height_created: b.height,
        height_included: b.height,
        shard_id: 0,
        gas_used: 0,
        gas_limit: 1_000_000_000_000_000,
        balance_burnt: '0',
        tx_root: '11111111111111111111111111111111',
      },
    ],
  }
}

async function resolveBlock(ctx: RpcContext, p: Params): Promise<BlockRecord> {
  const ref = p.block_id
  if (ref === undefined || ref === null) return ctx.state.latest()!
  const b = typeof ref === 'number' || typeof ref === 'string' ? await ctx.state.block(ref) : undefined
  if (!b) throw handlerError('UNKNOWN_BLOCK', { block_reference: { block_id: ref } }, 'DB Not Found Error')
  return b
}

function outcomeView(r: TxRecord, receipts = false): unknown {
  return { final_execution_status: 'FINAL', ...r.outcome, ...(receipts ? { receipts: [] } : {}) }
}

async function waitTx(ctx: RpcContext, hash: string, waitUntil: unknown, receipts = false): Promise<unknown> {
  // Pool first: a pooled transaction's waiter is registered in this same tick, before any block can
  // apply it; a transaction that is not pooled is either recorded already or unknown.
  if (ctx.producer.pending(hash)) {
    if (waitUntil === 'NONE') return { final_execution_status: 'NONE' }
    return outcomeView(await ctx.producer.waitFor(hash, ctx.waitTimeoutMs), receipts)
  }
  const known = await ctx.state.tx(hash)
  if (known) return outcomeView(known, receipts)
  throw handlerError(
    'UNKNOWN_TRANSACTION',
    { requested_transaction_hash: hash },
    `Transaction ${hash} doesn't exist`,
  )
}

async function sendTx(ctx: RpcContext, base64: unknown, waitUntil: unknown): Promise<unknown> {
  const tx = decodeSignedTx(base64)
  const known = await ctx.state.tx(tx.hash)
  if (known) return outcomeView(known)
  await ctx.producer.submit(tx)
  return waitTx(ctx, tx.hash, waitUntil)
}

/** Decodes canonical padded base64 (as nearcore's serde does); undefined for anything else. */
function strictBase64(v: unknown): Uint8Array | undefined {
  if (typeof v !== 'string' || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return undefined
  return new Uint8Array(Buffer.from(v, 'base64'))
}

function accountQuery(ctx: RpcContext, p: Params, head: BlockRecord) {
  const id = p.account_id
  if (typeof id !== 'string') throw requestError('PARSE_ERROR', { error_message: 'account_id is missing' })
  const account = ctx.state.accounts.get(id)
  if (!account) throw unknownAccount(id, at(head))
  return { id, account }
}

async function query(ctx: RpcContext, params: unknown): Promise<unknown> {
  const p = obj(params)
  let head = await resolveBlock(ctx, p)
  switch (p.request_type) {
    case 'view_account': {
      const { account } = accountQuery(ctx, p, head)
      return {
        amount: account.amount.toString(),
        locked: '0',
        code_hash: account.codeHash,
        storage_usage: storageUsage(ctx.state, String(p.account_id)),
        storage_paid_at: 0,
        ...at(head),
      }
    }
    case 'view_access_key': {
      const { account } = accountQuery(ctx, p, head)
      const key = account.keys.get(String(p.public_key))
      if (!key) throw unknownAccessKey(String(p.public_key), at(head))
      return { nonce: Number(key.nonce), permission: permissionView(key.permission), ...at(head) }
    }
    case 'view_access_key_list': {
      const { account } = accountQuery(ctx, p, head)
      const keys = [...account.keys].map(([public_key, k]) => ({
        public_key,
        access_key: { nonce: Number(k.nonce), permission: permissionView(k.permission) },
      }))
      return { keys, ...at(head) }
    }
    case 'view_code': {
      const { id, account } = accountQuery(ctx, p, head)
      const code = ctx.state.codes.get(account.codeHash)
      if (!code) throw handlerError('NO_CONTRACT_CODE', { contract_account_id: id, ...at(head) })
      return { code_base64: toBase64(code), hash: account.codeHash, ...at(head) }
    }
    case 'call_function': {
      const { id } = accountQuery(ctx, p, head)
      const args = strictBase64(p.args_base64)
      if (!args || typeof p.method_name !== 'string')
        throw requestError('PARSE_ERROR', {
          error_message: 'method_name and args_base64 (padded base64) are required',
        })
      // a view answers at the head it ran on (the devnet keeps no older state)
      const [r, ran] = await ctx.producer.read(
        () => [ctx.runtime.view(id, String(p.method_name), args), ctx.state.latest()!] as const,
      )
      if (p.block_id === undefined || p.block_id === null) head = ran
      if (!r)
        throw handlerError(
          'NO_CONTRACT_CODE',
          { contract_account_id: id, ...at(head) },
          `Contract code for contract ID #${id} has never been observed on the node`,
        )
      if (!r.ok)
        throw handlerError(
          'CONTRACT_EXECUTION_ERROR',
          {
            vm_error: `wasm execution failed with error: ${JSON.stringify(r.vmError)}`,
            error: r.vmError,
            ...at(head),
          },
          `Function call returned an error: ${r.message}`,
        )
      return { result: [...r.value], logs: r.logs, ...at(head) }
    }
    default:
      throw requestError('PARSE_ERROR', { error_message: `unknown request_type ${String(p.request_type)}` })
  }
}

/** The methods by name. */
export const RPC_METHODS: Record<string, Method> = {
  status: async (ctx) => {
    const head = ctx.state.latest()!
    return {
      chain_id: ctx.chainId,
      protocol_version: 73,
      latest_protocol_version: 73,
      version: { version: 'mero-near-devnet', build: 'near-mock-vm 3.2.2' },
      validators: [{ account_id: 'test.near' }],
      sync_info: {
        latest_block_hash: head.hash,
        latest_block_height: head.height,
        latest_block_time: new Date(Number(head.timestampNs / 1_000_000n)).toISOString(),
        latest_state_root: '11111111111111111111111111111111',
        syncing: false,
      },
    }
  },
  health: async () => null,
  gas_price: async () => ({ gas_price: '100000000' }),
  block: async (ctx, params) => {
    const p = Array.isArray(params) ? { block_id: params[0] } : obj(params)
    return blockView(await resolveBlock(ctx, p))
  },
  query,
  EXPERIMENTAL_protocol_config: async () => ({
    chain_id: 'localnet',
    runtime_config: { storage_amount_per_byte: '10000000000000000000' },
  }),
  send_tx: async (ctx, params) => {
    const p = obj(params)
    return sendTx(ctx, p.signed_tx_base64, p.wait_until ?? 'EXECUTED_OPTIMISTIC')
  },
  broadcast_tx_commit: async (ctx, params) =>
    sendTx(ctx, Array.isArray(params) ? params[0] : obj(params).signed_tx_base64, 'FINAL'),
  broadcast_tx_async: async (ctx, params) => {
    const tx = decodeSignedTx(Array.isArray(params) ? params[0] : obj(params).signed_tx_base64)
    if (!(await ctx.state.tx(tx.hash))) await ctx.producer.submit(tx)
    return tx.hash
  },
  tx: async (ctx, params) => {
    const p = Array.isArray(params) ? { tx_hash: params[0], wait_until: 'FINAL' } : obj(params)
    return waitTx(ctx, String(p.tx_hash), p.wait_until ?? 'EXECUTED_OPTIMISTIC')
  },
  EXPERIMENTAL_tx_status: async (ctx, params) => {
    const p = Array.isArray(params) ? { tx_hash: params[0], wait_until: 'FINAL' } : obj(params)
    return waitTx(ctx, String(p.tx_hash), p.wait_until ?? 'EXECUTED_OPTIMISTIC', true)
  },
}
