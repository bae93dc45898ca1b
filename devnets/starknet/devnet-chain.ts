/**
 * The devnet's chain: predeployed accounts and contracts, nonces, a pending pool, blocks with
 * receipts and events, persisted as an append-only log `<dataDir>/starknet-blocks.jsonl` (a genesis
 * record, then one line per block with its transactions); opening replays the log, re-executing each
 * block's transactions, so the cost of a block on disk is its own size, not the chain's. Transactions are INVOKE v3: the hash is recomputed with starknet.js's real v3 hash from
 * the request, the account's Stark signature and the nonce are checked before a transaction is
 * accepted; it executes when its block closes.
 */
import { hash, num, shortString } from 'starknet'
import type { BlockLog } from './block-log.ts'
import {
  type ChainFile,
  type InvokeTxV3,
  type LogRecord,
  openLog,
  type StoredBlock,
  type StoredTx,
} from './chain-log.ts'
import {
  checkStarkSignature,
  type DevnetAccount,
  invalidSignatureReason,
  MODEL_CLASS_HASHES,
} from './devnet-accounts.ts'
import {
  addr,
  commitWrites,
  decodeMulticall,
  ExecutionFailure,
  executeCalls,
  type RpcEvent,
  type StoredContract,
  UDC_ADDRESS,
} from './devnet-execution.ts'
import { checkInvokeFields, invokeFieldsOf, invokeTxHash } from './invoke-fields.ts'

export type { InvokeTxV3, StoredBlock, StoredTx } from './chain-log.ts'

import { RpcFailure, rpcErrors } from './rpc-errors.ts'

const QUERY_BIT = 1n << 128n

/** The devnet chain state machine (no networking). */
export class DevnetChain {
  private readonly pending: StoredTx[] = []
  /** Block hash → number: a lookup by hash must not scan the chain. */
  private readonly byHash = new Map<string, number>()
  private constructor(
    private readonly data: ChainFile,
    private readonly log: BlockLog | undefined,
  ) {
    for (const b of data.blocks) this.byHash.set(b.hash, b.number)
  }

  /** Opens the chain persisted in `dataDir` (created with `accounts` predeployed when absent). */
  static open(opts: { dataDir?: string; chainId: string; accounts: readonly DevnetAccount[] }): DevnetChain {
    const log = opts.dataDir ? openLog(opts.dataDir) : undefined
    const records = (log?.records ?? []) as LogRecord[]
    const first = records[0]
    if (first) {
      if (first.kind !== 'genesis' || first.version !== 2)
        throw new Error(`${log!.file}: not a Starknet devnet block log`)
      if (first.chainId !== opts.chainId)
        throw new Error(`${log!.file} holds chain ${first.chainId}, not ${opts.chainId}`)
      const chain = new DevnetChain(
        {
          chainId: first.chainId,
          blocks: [first.block],
          txs: {},
          contracts: structuredClone(first.contracts),
          nonces: {},
        },
        log,
      )
      for (const [i, r] of records.slice(1).entries()) {
        if (r.kind !== 'block' || r.block?.number !== i + 1)
          throw new Error(`${log!.file}: record ${i + 2} is not block ${i + 1}`)
        chain.replay(r)
      }
      return chain
    }
    const contracts: Record<string, StoredContract> = {
      [UDC_ADDRESS]: { kind: 'udc', classHash: MODEL_CLASS_HASHES.udc },
    }
    for (const a of opts.accounts)
      contracts[addr(a.address)] = {
        kind: 'account',
        classHash: MODEL_CLASS_HASHES[a.variant],
        account: { publicKey: a.publicKey, variant: a.variant },
      }
    const genesis = { number: 0, parentHash: '0x0', timestamp: Math.floor(Date.now() / 1000), txs: [] }
    const block = { ...genesis, hash: blockHash(genesis) }
    log?.append({ kind: 'genesis', version: 2, chainId: opts.chainId, block, contracts } satisfies LogRecord)
    return new DevnetChain(
      { chainId: opts.chainId, blocks: [block], txs: {}, contracts: structuredClone(contracts), nonces: {} },
      log,
    )
  }

  /** Bytes of the block log on disk (0 in memory). */
  get logBytes(): number {
    return this.log?.bytes ?? 0
  }

  /** Closes the log file. */
  close(): void {
    this.log?.close()
  }

  /** The chain id as a felt (short string). */
  get chainIdFelt(): string {
    return shortString.encodeShortString(this.data.chainId)
  }
  /** The latest closed block. */
  get head(): StoredBlock {
    return this.data.blocks.at(-1)!
  }
  /** Transactions accepted and not yet in a block. */
  get pendingTxs(): readonly StoredTx[] {
    return this.pending
  }
  /** Closed block `n`. */
  block(n: number): StoredBlock | undefined {
    return this.data.blocks[n]
  }
  /** Closed block with hash `h`. */
  blockByHash(h: string): StoredBlock | undefined {
    const n = this.byHash.get(addr(h))
    return n === undefined ? undefined : this.data.blocks[n]
  }
  /** A transaction, in a block or still pending. */
  tx(h: string): StoredTx | undefined {
    const key = addr(h)
    return this.data.txs[key] ?? this.pending.find((t) => t.hash === key)
  }
  /** The (modelled) contract deployed at `address`. */
  contract(address: string): StoredContract | undefined {
    return this.data.contracts[addr(address)]
  }
  /** Account nonce; with `pending`, counting accepted transactions not yet in a block. */
  nonce(address: string, pending: boolean): bigint {
    const a = addr(address)
    const base = BigInt(this.data.nonces[a] ?? 0)
    return pending ? base + BigInt(this.pending.filter((t) => addr(t.tx.sender_address) === a).length) : base
  }

  /** Recomputes the v3 hash (the query version included) and checks the account signature. */
  validate(tx: InvokeTxV3, allowQuery: boolean): string {
    let version: bigint
    try {
      if (tx?.type !== 'INVOKE') throw rpcErrors.unsupportedTxVersion()
      if (typeof tx.version !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(tx.version))
        throw rpcErrors.invalidParams('version must be a hex string')
      version = BigInt(tx.version)
    } catch (e) {
      if (e instanceof RpcFailure) throw e
      throw rpcErrors.invalidParams('bad transaction')
    }
    if (version !== 3n && !(allowQuery && version === QUERY_BIT + 3n)) throw rpcErrors.unsupportedTxVersion()
    // Range checks first, as a node's deserializer does: a felt ≥ P (or a bound that overflows its
    // integer type) would hash to the same value as another input, so the signature would not bind it.
    const checked = checkInvokeFields(tx)
    const txHash = invokeTxHash(tx, checked, version, this.chainIdFelt)
    const account = this.contract(tx.sender_address)
    if (!account?.account)
      throw rpcErrors.validationFailure(
        `Requested contract address ${addr(tx.sender_address)} is not deployed.`,
      )
    if (!checkStarkSignature(BigInt(txHash), BigInt(account.account.publicKey), checked.signature))
      throw rpcErrors.validationFailure(invalidSignatureReason(account.account.variant))
    return addr(txHash)
  }

  /** Accepts a signed INVOKE v3 into the pool (starknet_addInvokeTransaction). */
  addInvoke(tx: InvokeTxV3): string {
    const txHash = this.validate(tx, false)
    // A node's mempool answers a transaction it already holds with 59 before looking at the nonce.
    if (this.tx(txHash)) throw rpcErrors.duplicateTx()
    const expected = this.nonce(tx.sender_address, true)
    const nonce = BigInt(tx.nonce)
    if (nonce !== expected)
      throw rpcErrors.invalidNonce(
        `Invalid transaction nonce of contract at address ${addr(tx.sender_address)}. Account nonce: ${num.toHex(expected)}; got: ${num.toHex(nonce)}.`,
      )
    this.pending.push({ hash: txHash, tx: invokeFieldsOf(tx) }) // only what the hash binds
    return txHash
  }

  /** Simulates transactions on the current state without committing (starknet_estimateFee). */
  simulate(txs: InvokeTxV3[], skipValidate: boolean): { events: number; calls: number }[] {
    return txs.map((tx, i) => {
      try {
        if (skipValidate)
          checkInvokeFields(tx) // garbage is -32602 with or without validation
        else this.validate(tx, true)
        const nonce = BigInt(tx.nonce)
        const current = this.nonce(tx.sender_address, false)
        if (nonce < current)
          throw new ExecutionFailure(
            `Invalid transaction nonce of contract at address ${addr(tx.sender_address)}. Account nonce: ${num.toHex(current)}; got: ${num.toHex(nonce)}.`,
            'INVALID_NONCE',
          )
        const calls = decodeMulticall(tx.calldata.map((c) => BigInt(c)))
        const r = executeCalls(this.data.contracts, addr(tx.sender_address), calls, this.nextBlockContext())
        return { events: r.events.length, calls: calls.length }
      } catch (e) {
        if (e instanceof ExecutionFailure) throw rpcErrors.transactionExecutionError(i, e.reason)
        if (e instanceof RpcFailure && (e.code === 55 || e.code === 52))
          throw rpcErrors.transactionExecutionError(i, `${e.message}: ${String(e.data)}`)
        if (e instanceof RpcFailure) throw e
        throw rpcErrors.transactionExecutionError(i, (e as Error).message)
      }
    })
  }

  /** A read-only call (starknet_call) against the latest state. */
  call(contractAddress: string, selector: bigint, calldata: bigint[]): bigint[] {
    const a = addr(contractAddress)
    if (!this.data.contracts[a]) throw rpcErrors.contractNotFound()
    try {
      const r = executeCalls(
        this.data.contracts,
        '0x0',
        [{ to: BigInt(a), selector, calldata }],
        this.nextBlockContext(),
      )
      return r.results[0]!
    } catch (e) {
      if (e instanceof ExecutionFailure) throw rpcErrors.contractError(e.reason)
      throw e
    }
  }

  private nextBlockContext() {
    return {
      height: this.head.number + 1,
      timestamp: Math.max(this.head.timestamp, Math.floor(Date.now() / 1000)),
    }
  }

  /** Closes a block with the pending transactions (none = an empty block only when `force`). */
  closeBlock(force = false): StoredBlock | undefined {
    if (this.pending.length === 0 && !force) return undefined
    const ctx = this.nextBlockContext()
    const txs = this.pending.splice(0)
    this.executeBlock(txs, ctx)
    const b = {
      number: ctx.height,
      parentHash: this.head.hash,
      timestamp: ctx.timestamp,
      txs: txs.map((t) => t.hash),
    }
    const block = { ...b, hash: blockHash(b) }
    this.data.blocks.push(block)
    this.byHash.set(block.hash, block.number)
    // In memory first: a failed write stays queued in the log and is retried with the next block.
    const logged = txs.map((t) => ({ hash: t.hash, tx: t.tx, status: t.status }) as StoredTx)
    this.log?.append({ kind: 'block', block, txs: logged } satisfies LogRecord)
    return block
  }

  /** Re-executes a logged block; its outcomes must be the logged ones. */
  private replay(r: { block: StoredBlock; txs: StoredTx[] }): void {
    const txs: StoredTx[] = r.txs.map((t) => ({ hash: t.hash, tx: t.tx }))
    this.executeBlock(txs, { height: r.block.number, timestamp: r.block.timestamp })
    for (const [i, t] of txs.entries())
      if (t.status !== r.txs[i]!.status || t.hash !== r.block.txs[i])
        throw new Error(
          `${this.log!.file}: replaying block ${r.block.number} gave another outcome for ${t.hash} (the log was written by a different contract model)`,
        )
    this.data.blocks.push(r.block)
    this.byHash.set(r.block.hash, r.block.number)
  }

  private executeBlock(txs: StoredTx[], ctx: { height: number; timestamp: number }): void {
    for (const t of txs) {
      const sender = addr(t.tx.sender_address)
      this.data.nonces[sender] = num.toHex(BigInt(this.data.nonces[sender] ?? 0) + 1n)
      t.block = ctx.height
      try {
        const calls = decodeMulticall(t.tx.calldata.map((c) => BigInt(c)))
        const r = executeCalls(this.data.contracts, sender, calls, ctx)
        commitWrites(this.data.contracts, r.writes)
        t.status = 'SUCCEEDED'
        t.events = r.events
      } catch (e) {
        t.status = 'REVERTED'
        t.revertReason =
          e instanceof ExecutionFailure ? e.reason : `Execution failed: ${(e as Error).message}`
        t.events = []
      }
      this.data.txs[t.hash] = t
    }
  }

  /** Events of closed blocks in `[from, to]`, in order. */
  *events(from: number, to: number): Generator<RpcEvent & { block: StoredBlock; tx: string }> {
    for (let n = Math.max(0, from); n <= Math.min(to, this.head.number); n++) {
      const block = this.data.blocks[n]!
      for (const h of block.txs)
        for (const ev of this.data.txs[h]?.events ?? []) yield { ...ev, block, tx: h }
    }
  }
}

/** A stand-in block hash (Poseidon over number, parent, timestamp, transactions): not Starknet's block commitment. */
function blockHash(b: { number: number; parentHash: string; timestamp: number; txs: string[] }): string {
  return addr(hash.computePoseidonHashOnElements([b.number, b.parentHash, b.timestamp, ...b.txs]))
}
