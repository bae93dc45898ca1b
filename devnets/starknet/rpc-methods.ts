/**
 * The devnet's Starknet JSON-RPC methods (spec 0.9, as starknet.js 10 calls them). Params by name
 * (what starknet.js sends) or by position.
 */
import { num } from 'starknet'
import type { DevnetChain, InvokeTxV3, StoredBlock, StoredTx } from './devnet-chain.ts'
import { addr } from './devnet-execution.ts'
import { checkFelt, checkFelts } from './invoke-fields.ts'
import { rpcErrors } from './rpc-errors.ts'

/** JSON-RPC params: by name or by position. */
export type RpcParams = Record<string, unknown> | unknown[] | undefined

const GAS = { l1: 0n, l1Data: 128n, l2PerCall: 400_000n, l2Base: 600_000n }
const PRICES = { l1: 0x174876e800n, l1Data: 0x1n, l2: 0x2540be400n }
const price = (fri: bigint) => ({ price_in_fri: num.toHex(fri), price_in_wei: num.toHex(fri / 1000n || 1n) })

const SEQUENCER = '0x1'
const VERSION = '0.14.0'

/** Reads param `name` (or position `index`). */
function param(params: RpcParams, name: string, index: number): unknown {
  if (Array.isArray(params)) return params[index]
  return params?.[name]
}

function feltList(v: unknown, what: string): bigint[] {
  return checkFelts(v, what)
}

function header(chain: DevnetChain, b: StoredBlock) {
  return {
    status: 'ACCEPTED_ON_L2',
    block_hash: b.hash,
    parent_hash: b.parentHash,
    block_number: b.number,
    new_root: b.hash,
    timestamp: b.timestamp,
    sequencer_address: SEQUENCER,
    l1_gas_price: price(PRICES.l1),
    l2_gas_price: price(PRICES.l2),
    l1_data_gas_price: price(PRICES.l1Data),
    l1_da_mode: 'BLOB',
    starknet_version: VERSION,
    ...(chain ? {} : {}),
  }
}

function preConfirmedHeader(chain: DevnetChain) {
  return {
    block_number: chain.head.number + 1,
    timestamp: Math.max(chain.head.timestamp, Math.floor(Date.now() / 1000)),
    sequencer_address: SEQUENCER,
    l1_gas_price: price(PRICES.l1),
    l2_gas_price: price(PRICES.l2),
    l1_data_gas_price: price(PRICES.l1Data),
    l1_da_mode: 'BLOB',
    starknet_version: VERSION,
  }
}

/** Resolves a `block_id` to a closed block, or `'pre_confirmed'`. */
function resolveBlock(chain: DevnetChain, id: unknown): StoredBlock | 'pre_confirmed' {
  if (id === undefined || id === 'latest' || id === 'l1_accepted') return chain.head
  if (id === 'pre_confirmed' || id === 'pending') return 'pre_confirmed'
  if (id && typeof id === 'object') {
    const o = id as { block_number?: unknown; block_hash?: unknown }
    if ('block_number' in o) {
      if (!Number.isSafeInteger(o.block_number) || (o.block_number as number) < 0)
        throw rpcErrors.invalidParams('block_number must be a non-negative integer')
      const b = chain.block(o.block_number as number)
      if (b) return b
    } else if ('block_hash' in o) {
      const b = chain.blockByHash(addr(checkFelt(o.block_hash, 'block_hash')))
      if (b) return b
    } else throw rpcErrors.invalidParams('block_id must be a tag, {block_number} or {block_hash}')
  } else if (id !== undefined)
    throw rpcErrors.invalidParams('block_id must be a tag, {block_number} or {block_hash}')
  throw rpcErrors.blockNotFound()
}

function feeOf(calls: number) {
  const l2 = GAS.l2Base + GAS.l2PerCall * BigInt(calls)
  return { l2, fee: l2 * PRICES.l2 + GAS.l1Data * PRICES.l1Data }
}

function receipt(t: StoredTx, block: StoredBlock | undefined) {
  const calls = Number(t.tx.calldata[0] ?? 1)
  const { l2, fee } = feeOf(calls)
  return {
    type: 'INVOKE',
    transaction_hash: t.hash,
    actual_fee: { amount: num.toHex(fee), unit: 'FRI' },
    execution_status: t.status,
    finality_status: 'ACCEPTED_ON_L2',
    ...(block ? { block_hash: block.hash, block_number: block.number } : {}),
    messages_sent: [],
    ...(t.status === 'REVERTED' ? { revert_reason: t.revertReason } : {}),
    events: t.events ?? [],
    execution_resources: { l1_gas: 0, l1_data_gas: Number(GAS.l1Data), l2_gas: Number(l2) },
  }
}

const withHash = (t: StoredTx) => ({ ...t.tx, transaction_hash: t.hash })

/** Dispatches one method; throws `RpcFailure`. */
export function handleRpc(
  chain: DevnetChain,
  method: string,
  params: RpcParams,
  specVersion: string,
): unknown {
  switch (method) {
    case 'starknet_specVersion':
      return specVersion
    case 'starknet_chainId':
      return chain.chainIdFelt
    case 'starknet_syncing':
      return false
    case 'starknet_blockNumber':
      return chain.head.number
    case 'starknet_blockHashAndNumber':
      return { block_hash: chain.head.hash, block_number: chain.head.number }
    case 'starknet_getBlockWithTxHashes':
    case 'starknet_getBlockWithTxs':
    case 'starknet_getBlockWithReceipts': {
      const b = resolveBlock(chain, param(params, 'block_id', 0))
      const txs = b === 'pre_confirmed' ? [...chain.pendingTxs] : b.txs.map((h) => chain.tx(h)!)
      const head = b === 'pre_confirmed' ? preConfirmedHeader(chain) : header(chain, b)
      if (method === 'starknet_getBlockWithTxHashes') return { ...head, transactions: txs.map((t) => t.hash) }
      if (method === 'starknet_getBlockWithTxs') return { ...head, transactions: txs.map(withHash) }
      return {
        ...head,
        transactions: txs.map((t) => {
          const { block_hash: _h, block_number: _n, ...r } = receipt(t, undefined) as Record<string, unknown>
          return { transaction: withHash(t), receipt: r }
        }),
      }
    }
    case 'starknet_getBlockTransactionCount': {
      const b = resolveBlock(chain, param(params, 'block_id', 0))
      return b === 'pre_confirmed' ? chain.pendingTxs.length : b.txs.length
    }
    case 'starknet_getNonce': {
      const b = resolveBlock(chain, param(params, 'block_id', 0))
      const a = String(param(params, 'contract_address', 1) ?? '')
      if (!safeContract(chain, a)) throw rpcErrors.contractNotFound()
      return num.toHex(chain.nonce(a, b === 'pre_confirmed'))
    }
    case 'starknet_getClassHashAt': {
      resolveBlock(chain, param(params, 'block_id', 0))
      const c = safeContract(chain, String(param(params, 'contract_address', 1) ?? ''))
      if (!c) throw rpcErrors.contractNotFound()
      return c.classHash
    }
    case 'starknet_call': {
      const req = param(params, 'request', 0) as Record<string, unknown> | undefined
      resolveBlock(chain, param(params, 'block_id', 1))
      if (!req || typeof req !== 'object') throw rpcErrors.invalidParams('request is required')
      const [to] = feltList([req.contract_address], 'contract_address')
      const [selector] = feltList([req.entry_point_selector], 'entry_point_selector')
      const calldata = feltList(req.calldata ?? [], 'calldata')
      return chain.call(addr(to!), selector!, calldata).map((f) => num.toHex(f))
    }
    case 'starknet_estimateFee': {
      const txs = param(params, 'request', 0)
      const flags = param(params, 'simulation_flags', 1)
      resolveBlock(chain, param(params, 'block_id', 2))
      if (!Array.isArray(txs)) throw rpcErrors.invalidParams('request must be an array of transactions')
      const skip = Array.isArray(flags) && flags.includes('SKIP_VALIDATE')
      return chain.simulate(txs as InvokeTxV3[], skip).map((r) => {
        const { l2, fee } = feeOf(r.calls)
        return {
          l1_gas_consumed: num.toHex(GAS.l1),
          l1_gas_price: num.toHex(PRICES.l1),
          l2_gas_consumed: num.toHex(l2),
          l2_gas_price: num.toHex(PRICES.l2),
          l1_data_gas_consumed: num.toHex(GAS.l1Data),
          l1_data_gas_price: num.toHex(PRICES.l1Data),
          overall_fee: num.toHex(fee),
          unit: 'FRI',
        }
      })
    }
    case 'starknet_addInvokeTransaction': {
      const tx = param(params, 'invoke_transaction', 0)
      if (!tx || typeof tx !== 'object') throw rpcErrors.invalidParams('invoke_transaction is required')
      return { transaction_hash: chain.addInvoke(tx as InvokeTxV3) }
    }
    case 'starknet_getTransactionStatus':
    case 'starknet_getTransactionReceipt':
    case 'starknet_getTransactionByHash': {
      const t = safeTx(chain, param(params, 'transaction_hash', 0))
      if (!t) throw rpcErrors.txnHashNotFound()
      if (method === 'starknet_getTransactionByHash') return withHash(t)
      if (method === 'starknet_getTransactionStatus')
        return t.block === undefined
          ? { finality_status: 'RECEIVED' }
          : {
              finality_status: 'ACCEPTED_ON_L2',
              execution_status: t.status,
              ...(t.status === 'REVERTED' ? { failure_reason: t.revertReason } : {}),
            }
      // A real node has no receipt for a transaction still in the mempool.
      if (t.block === undefined) throw rpcErrors.txnHashNotFound()
      return receipt(t, chain.block(t.block))
    }
    case 'starknet_getEvents':
      return getEvents(chain, param(params, 'filter', 0))
    default:
      throw rpcErrors.methodNotFound()
  }
}

function safeContract(chain: DevnetChain, a: string) {
  try {
    return chain.contract(a)
  } catch {
    throw rpcErrors.invalidParams('contract_address must be a felt')
  }
}

function safeTx(chain: DevnetChain, h: unknown) {
  try {
    return chain.tx(String(h))
  } catch {
    throw rpcErrors.invalidParams('transaction_hash must be a felt')
  }
}

function getEvents(chain: DevnetChain, filter: unknown) {
  if (!filter || typeof filter !== 'object') throw rpcErrors.invalidParams('filter is required')
  const f = filter as Record<string, unknown>
  const num_ = (id: unknown, dflt: number) => {
    if (id === undefined) return dflt
    const b = resolveBlock(chain, id)
    return b === 'pre_confirmed' ? chain.head.number : b.number
  }
  const from = num_(f.from_block, 0)
  const to = num_(f.to_block, chain.head.number)
  const address = f.address === undefined ? undefined : addr(feltList([f.address], 'address')[0]!)
  if (f.keys !== undefined && !Array.isArray(f.keys))
    throw rpcErrors.invalidParams('keys must be an array of arrays of felts')
  const keys = Array.isArray(f.keys) ? f.keys.map((k, i) => feltList(k, `keys[${i}]`).map(addr)) : []
  if (f.chunk_size !== undefined && !(Number.isSafeInteger(f.chunk_size) && (f.chunk_size as number) > 0))
    throw rpcErrors.invalidParams('chunk_size must be a positive integer')
  const chunk = typeof f.chunk_size === 'number' && f.chunk_size > 0 ? Math.min(f.chunk_size, 1024) : 1024
  // The token is `<block>-<matches of that block already returned>`: the next page starts at that
  // block instead of rescanning from `from_block`.
  let resumeBlock = from
  let skip = 0
  if (f.continuation_token !== undefined) {
    const m =
      typeof f.continuation_token === 'string' ? /^(\d{1,15})-(\d{1,15})$/.exec(f.continuation_token) : null
    if (!m) throw rpcErrors.invalidContinuationToken()
    resumeBlock = Math.max(from, Number(m[1]))
    skip = Number(m[2])
  }
  const out: unknown[] = []
  let block = -1
  let inBlock = 0
  for (const ev of chain.events(resumeBlock, to)) {
    if (address && ev.from_address !== address) continue
    if (keys.some((allowed, k) => allowed.length > 0 && !allowed.includes(ev.keys[k] ?? ''))) continue
    if (ev.block.number !== block) {
      block = ev.block.number
      inBlock = 0
    }
    inBlock++
    if (block === resumeBlock && inBlock <= skip) continue
    if (out.length === chunk) return { events: out, continuation_token: `${block}-${inBlock - 1}` }
    out.push({
      from_address: ev.from_address,
      keys: ev.keys,
      data: ev.data,
      block_hash: ev.block.hash,
      block_number: ev.block.number,
      transaction_hash: ev.tx,
    })
  }
  return { events: out }
}
