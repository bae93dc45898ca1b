/**
 * The devnet chain's stored shapes and its on-disk form: an append-only block log
 * (`starknet-blocks.jsonl`, see block-log.ts) — a genesis record, then one record per block with its
 * transactions. A data folder of an earlier version (one whole-state JSON file) is migrated once.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { BlockLog } from './block-log.ts'
import type { RpcEvent, StoredContract } from './devnet-execution.ts'

/** An INVOKE v3 transaction as `starknet_addInvokeTransaction` carries it. */
export interface InvokeTxV3 {
  type: 'INVOKE'
  version: string
  sender_address: string
  calldata: string[]
  signature: string[]
  nonce: string
  resource_bounds: Record<
    'l1_gas' | 'l2_gas' | 'l1_data_gas',
    { max_amount: string; max_price_per_unit: string }
  >
  tip: string
  paymaster_data: string[]
  account_deployment_data: string[]
  nonce_data_availability_mode: 'L1' | 'L2'
  fee_data_availability_mode: 'L1' | 'L2'
}

/** A stored transaction and, once its block closed, its outcome. */
export interface StoredTx {
  readonly hash: string
  readonly tx: InvokeTxV3
  block?: number
  status?: 'SUCCEEDED' | 'REVERTED'
  revertReason?: string
  events?: RpcEvent[]
}

/** A closed block. */
export interface StoredBlock {
  readonly number: number
  readonly hash: string
  readonly parentHash: string
  readonly timestamp: number
  readonly txs: string[]
}

/** The chain's state in memory (and the whole-state file of earlier versions). */
export interface ChainFile {
  chainId: string
  blocks: StoredBlock[]
  txs: Record<string, StoredTx>
  contracts: Record<string, StoredContract>
  nonces: Record<string, string>
}

/** The log's records: a genesis record, then one per block. */
export type LogRecord =
  | {
      kind: 'genesis'
      version: 2
      chainId: string
      block: StoredBlock
      contracts: Record<string, StoredContract>
    }
  | { kind: 'block'; block: StoredBlock; txs: StoredTx[] }

const LOG = 'starknet-blocks.jsonl'
/** The whole-state file of earlier versions, migrated into the log once. */
const OLD_FILE = 'starknet-devnet.json'

/** Opens the block log in `dataDir`, first migrating a whole-state file of an earlier version. */
export function openLog(dataDir: string): BlockLog {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, LOG)
  const old = join(dataDir, OLD_FILE)
  if (!existsSync(file) && existsSync(old)) {
    let data: ChainFile
    try {
      data = JSON.parse(readFileSync(old, 'utf8')) as ChainFile
    } catch (e) {
      throw new Error(
        `${old}: unreadable devnet state (${(e as Error).message}); move the folder away to start over`,
      )
    }
    rmSync(`${file}.tmp`, { force: true })
    const genesisContracts = Object.fromEntries(
      Object.entries(data.contracts).filter(([, c]) => c.kind !== 'anchor'),
    )
    const tmp = BlockLog.open(`${file}.tmp`)
    tmp.append({
      kind: 'genesis',
      version: 2,
      chainId: data.chainId,
      block: data.blocks[0]!,
      contracts: genesisContracts,
    })
    for (const block of data.blocks.slice(1))
      tmp.append({
        kind: 'block',
        block,
        txs: block.txs.map(
          (h) => ({ hash: h, tx: data.txs[h]!.tx, status: data.txs[h]!.status }) as StoredTx,
        ),
      })
    tmp.close()
    renameSync(`${file}.tmp`, file)
    renameSync(old, `${old}.migrated`)
  }
  return BlockLog.open(file)
}
