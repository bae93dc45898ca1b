/**
 * The devnet's chain: predeployed accounts and contracts, nonces, a pending pool, blocks with
 * receipts and events, persisted to `<dataDir>/starknet-devnet.json` (temp file + rename after every
 * block). Transactions are INVOKE v3: the hash is recomputed with starknet.js's real v3 hash from
 * the request, the account's Stark signature and the nonce are checked before a transaction is
 * accepted; it executes when its block closes.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type BigNumberish, hash, num, shortString } from 'starknet'
import { checkStarkSignature, type DevnetAccount, MODEL_CLASS_HASHES } from './devnet-accounts.ts'
import {
  addr,
  decodeMulticall,
  ExecutionFailure,
  executeCalls,
  type RpcEvent,
  type StoredContract,
  UDC_ADDRESS,
} from './devnet-execution.ts'
import { RpcFailure, rpcErrors } from './rpc-errors.ts'

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

interface ChainFile {
  version: 1
  chainId: string
  blocks: StoredBlock[]
  txs: Record<string, StoredTx>
  contracts: Record<string, StoredContract>
  nonces: Record<string, string>
}

const QUERY_BIT = 1n << 128n
const FILE = 'starknet-devnet.json'

/** The devnet chain state machine (no networking). */
export class DevnetChain {
  private readonly pending: StoredTx[] = []
  private constructor(
    private readonly data: ChainFile,
    private readonly file: string | undefined,
  ) {}

  /** Opens the chain persisted in `dataDir` (created with `accounts` predeployed when absent). */
  static open(opts: { dataDir?: string; chainId: string; accounts: readonly DevnetAccount[] }): DevnetChain {
    const file = opts.dataDir ? join(opts.dataDir, FILE) : undefined
    if (file) {
      mkdirSync(opts.dataDir!, { recursive: true })
      let text: string | undefined
      try {
        text = readFileSync(file, 'utf8')
      } catch {}
      if (text !== undefined) {
        const data = JSON.parse(text) as ChainFile
        if (data.chainId !== opts.chainId)
          throw new Error(`${file} holds chain ${data.chainId}, not ${opts.chainId}`)
        return new DevnetChain(data, file)
      }
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
    const chain = new DevnetChain(
      {
        version: 1,
        chainId: opts.chainId,
        blocks: [{ ...genesis, hash: blockHash(genesis) }],
        txs: {},
        contracts,
        nonces: {},
      },
      file,
    )
    chain.persist()
    return chain
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
    return this.data.blocks.find((b) => b.hash === addr(h))
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
      version = BigInt(tx.version)
    } catch (e) {
      if (e instanceof RpcFailure) throw e
      throw rpcErrors.invalidParams('bad transaction')
    }
    if (version !== 3n && !(allowQuery && version === QUERY_BIT + 3n)) throw rpcErrors.unsupportedTxVersion()
    let txHash: string
    try {
      const rb = (k: 'l1_gas' | 'l2_gas' | 'l1_data_gas') => ({
        max_amount: BigInt(tx.resource_bounds[k].max_amount),
        max_price_per_unit: BigInt(tx.resource_bounds[k].max_price_per_unit),
      })
      const da = (m: string) => (m === 'L1' ? 0 : m === 'L2' ? 1 : Number.NaN)
      const nonceDa = da(tx.nonce_data_availability_mode)
      const feeDa = da(tx.fee_data_availability_mode)
      if (Number.isNaN(nonceDa) || Number.isNaN(feeDa)) throw new Error('bad DA mode')
      txHash = hash.calculateInvokeTransactionHash({
        senderAddress: tx.sender_address,
        version: num.toHex(version) as never,
        compiledCalldata: tx.calldata.map((c) => BigInt(c).toString()),
        chainId: this.chainIdFelt as never,
        nonce: tx.nonce,
        accountDeploymentData: tx.account_deployment_data as BigNumberish[],
        nonceDataAvailabilityMode: nonceDa as never,
        feeDataAvailabilityMode: feeDa as never,
        resourceBounds: { l1_gas: rb('l1_gas'), l2_gas: rb('l2_gas'), l1_data_gas: rb('l1_data_gas') },
        tip: tx.tip,
        paymasterData: tx.paymaster_data as BigNumberish[],
      })
      if (!Array.isArray(tx.signature)) throw new Error('bad signature')
    } catch {
      throw rpcErrors.invalidParams('malformed INVOKE v3 transaction')
    }
    const account = this.contract(tx.sender_address)
    if (!account?.account)
      throw rpcErrors.validationFailure(
        `Requested contract address ${addr(tx.sender_address)} is not deployed.`,
      )
    let signature: bigint[]
    try {
      signature = tx.signature.map((s) => BigInt(s))
    } catch {
      throw rpcErrors.validationFailure('invalid signature')
    }
    if (!checkStarkSignature(BigInt(txHash), BigInt(account.account.publicKey), signature))
      throw rpcErrors.validationFailure(
        account.account.variant === 'argent' ? 'argent/invalid-signature' : 'Account: invalid signature',
      )
    return addr(txHash)
  }

  /** Accepts a signed INVOKE v3 into the pool (starknet_addInvokeTransaction). */
  addInvoke(tx: InvokeTxV3): string {
    const txHash = this.validate(tx, false)
    const expected = this.nonce(tx.sender_address, true)
    const nonce = BigInt(tx.nonce)
    if (nonce !== expected)
      throw rpcErrors.invalidNonce(
        `Invalid transaction nonce of contract at address ${addr(tx.sender_address)}. Account nonce: ${num.toHex(expected)}; got: ${num.toHex(nonce)}.`,
      )
    if (this.tx(txHash)) throw rpcErrors.duplicateTx()
    this.pending.push({ hash: txHash, tx: structuredClone(tx) })
    return txHash
  }

  /** Simulates transactions on the current state without committing (starknet_estimateFee). */
  simulate(txs: InvokeTxV3[], skipValidate: boolean): { events: number; calls: number }[] {
    return txs.map((tx, i) => {
      try {
        if (!skipValidate) this.validate(tx, true)
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
    for (const t of txs) {
      const sender = addr(t.tx.sender_address)
      this.data.nonces[sender] = num.toHex(BigInt(this.data.nonces[sender] ?? 0) + 1n)
      t.block = ctx.height
      try {
        const calls = decodeMulticall(t.tx.calldata.map((c) => BigInt(c)))
        const r = executeCalls(this.data.contracts, sender, calls, ctx)
        for (const [k, v] of r.writes) this.data.contracts[k] = v
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
    const b = {
      number: ctx.height,
      parentHash: this.head.hash,
      timestamp: ctx.timestamp,
      txs: txs.map((t) => t.hash),
    }
    const block = { ...b, hash: blockHash(b) }
    this.data.blocks.push(block)
    this.persist()
    return block
  }

  /** Events of closed blocks in `[from, to]`, in order. */
  *events(from: number, to: number): Generator<RpcEvent & { block: StoredBlock; tx: string }> {
    for (let n = Math.max(0, from); n <= Math.min(to, this.head.number); n++) {
      const block = this.data.blocks[n]!
      for (const h of block.txs)
        for (const ev of this.data.txs[h]?.events ?? []) yield { ...ev, block, tx: h }
    }
  }

  private persist(): void {
    if (!this.file) return
    const tmp = `${this.file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(this.data))
    renameSync(tmp, this.file)
  }
}

/** A stand-in block hash (Poseidon over number, parent, timestamp, transactions): not Starknet's block commitment. */
function blockHash(b: { number: number; parentHash: string; timestamp: number; txs: string[] }): string {
  return addr(hash.computePoseidonHashOnElements([b.number, b.parentHash, b.timestamp, ...b.txs]))
}
