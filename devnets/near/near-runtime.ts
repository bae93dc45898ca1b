/**
 * The devnet's transaction runtime: transactions are checked before they are pooled
 * ({@link checkTransaction}); then their actions are applied to the receiver as one receipt that either
 * fully succeeds or is fully rolled back (`ActionError`; the nonce stays used, deposits are refunded).
 */
import type { BlockRecord, ChainState, TxRecord } from './chain-state.ts'
import { NO_CODE_HASH } from './chain-state.ts'
import { checkTransaction, deposits, NONCE_RANGE } from './check-transaction.ts'
import { type CallResult, ContractExecutor, PrepareError, prepareContract } from './contract-runtime.ts'
import type { DecodedTx, TxAction } from './signed-transaction.ts'

export { isValidAccountId, NONCE_RANGE } from './check-transaction.ts'

import { lackBalanceForState, recordBytes } from './storage-staking.ts'
import { txRecord } from './tx-outcome.ts'
import type { WasmModule } from './wasm-api.ts'

class ActionFailure extends Error {
  constructor(
    readonly index: number | null,
    readonly kind: unknown,
  ) {
    super('action failed')
  }
}

/** Executes contracts and applies transactions against a {@link ChainState}. */
export class NearRuntime {
  private readonly modules = new Map<string, WasmModule>()
  private readonly executors = new Map<string, ContractExecutor>()

  constructor(
    readonly state: ChainState,
    /** How many blocks a transaction's block hash stays valid (nearcore: transaction_validity_period). */
    readonly validityBlocks: number,
  ) {}

  /** The executor of a contract account, or undefined when it has no code. */
  executor(accountId: string): ContractExecutor | undefined {
    const account = this.state.accounts.get(accountId)
    if (!account || account.codeHash === NO_CODE_HASH) return undefined
    const existing = this.executors.get(accountId)
    if (existing && this.modules.get(account.codeHash) === existing.module) return existing
    existing?.close()
    let module = this.modules.get(account.codeHash)
    if (!module) {
      module = prepareContract(this.state.codes.get(account.codeHash)!)
      this.modules.set(account.codeHash, module)
    }
    const ex = new ContractExecutor(accountId, module, this.state.contractStorage(accountId))
    this.executors.set(accountId, ex)
    return ex
  }

  /** Checks a transaction before it is accepted; throws nearcore's `InvalidTxError` as an RPC error. */
  check(tx: DecodedTx): Promise<void> {
    return checkTransaction(this.state, this.validityBlocks, tx)
  }

  /**
   * Applies an accepted transaction in `block`. Returns undefined when it is dropped: its nonce was
   * used meanwhile (by another pooled transaction of the key) or its signer or key is gone — nearcore
   * drops such transactions at block production, they never get an outcome.
   */
  apply(tx: DecodedTx, block: BlockRecord): TxRecord | undefined {
    const signer = this.state.accounts.get(tx.signerId)
    const key = signer?.keys.get(tx.publicKey)
    const record = (status: unknown, receipt: unknown[], logs: string[]) =>
      txRecord(tx, block, status, receipt.length > 0, logs)
    if (!signer || !key || tx.nonce <= key.nonce) return undefined
    key.nonce = tx.nonce
    const cost = deposits(tx.actions)
    signer.amount -= cost
    this.state.touchAccount(tx.signerId)
    const logs: string[] = []
    try {
      const value = this.receipt(tx, block, logs)
      return record({ SuccessValue: Buffer.from(value).toString('base64') }, [1], logs)
    } catch (e) {
      if (!(e instanceof ActionFailure)) throw e
      // refund the deposits (after the rollback, so a created-then-rolled-back signer cannot lose them)
      const s = this.state.accounts.get(tx.signerId)
      if (s) s.amount += cost
      return record({ Failure: { ActionError: { index: e.index, kind: e.kind } } }, [1], logs)
    }
  }

  /** Applies the actions to the receiver; all or nothing. Returns the last function call's value. */
  private receipt(tx: DecodedTx, block: BlockRecord, logs: string[]): Uint8Array {
    const { state } = this
    const rid = tx.receiverId
    const before = state.accounts.get(rid)
    const snapshot = before
      ? {
          amount: before.amount,
          codeHash: before.codeHash,
          keys: new Map([...before.keys].map(([k, v]) => [k, { ...v }])),
        }
      : undefined
    const storageUndo = new Map<string, Uint8Array | undefined>()
    let created = false
    let deletion: { amount: bigint; beneficiaryId: string } | undefined
    let value: Uint8Array = new Uint8Array(0)
    try {
      for (const [index, a] of tx.actions.entries()) {
        const fail = (kind: unknown): never => {
          throw new ActionFailure(index, kind)
        }
        let account = state.accounts.get(rid)
        if (a.kind === 'CreateAccount') {
          if (account) fail({ AccountAlreadyExists: { account_id: rid } })
          if (!rid.endsWith(`.${tx.signerId}`) || rid.slice(0, -tx.signerId.length - 1).includes('.'))
            fail({ CreateAccountNotAllowed: { account_id: rid, predecessor_id: tx.signerId } })
          state.accounts.set(rid, { amount: 0n, codeHash: NO_CODE_HASH, keys: new Map() })
          created = true
          continue
        }
        if (!account) return fail({ AccountDoesNotExist: { account_id: rid } })
        const ownerOnly = !['FunctionCall', 'Transfer'].includes(a.kind)
        if (ownerOnly && !created && tx.signerId !== rid)
          fail({ ActorNoPermission: { account_id: rid, actor_id: tx.signerId } })
        if (a.kind === 'DeleteAccount') deletion = { amount: account.amount, beneficiaryId: a.beneficiaryId }
        value = this.action(a, account, tx, block, logs, storageUndo, fail) ?? value
        account = state.accounts.get(rid)
      }
      // nearcore checks the receiver's storage stake once all actions are applied (index: null)
      const lack = lackBalanceForState(state, rid)
      if (lack) throw new ActionFailure(null, lack)
      state.touchAccount(rid)
      if (deletion) this.deleted(rid, deletion.amount, deletion.beneficiaryId)
      return value
    } catch (e) {
      // roll back the receiver and any contract storage written by earlier calls of this receipt
      if (snapshot && before) {
        before.amount = snapshot.amount
        before.codeHash = snapshot.codeHash
        before.keys.clear()
        for (const [k, v] of snapshot.keys) before.keys.set(k, v)
        state.accounts.set(rid, before)
      } else state.accounts.delete(rid)
      if (storageUndo.size > 0) {
        state.adjustDataUsage(rid, undefined)
        const ex = this.executors.get(rid)
        if (ex) ex.restore(storageUndo)
        else {
          const m = state.contractStorage(rid)
          for (const [k, v] of storageUndo) {
            if (v === undefined) m.delete(k)
            else m.set(k, v)
          }
        }
      }
      throw e
    }
  }

  private action(
    a: TxAction,
    account: NonNullable<ReturnType<ChainState['accounts']['get']>>,
    tx: DecodedTx,
    block: BlockRecord,
    logs: string[],
    storageUndo: Map<string, Uint8Array | undefined>,
    fail: (kind: unknown) => never,
  ): Uint8Array | undefined {
    const rid = tx.receiverId
    switch (a.kind) {
      case 'Transfer':
        account.amount += a.deposit
        return undefined
      case 'AddKey':
        if (account.keys.has(a.publicKey))
          fail({ AddKeyAlreadyExists: { account_id: rid, public_key: a.publicKey } })
        account.keys.set(a.publicKey, {
          nonce: BigInt(block.height - 1) * NONCE_RANGE,
          permission: a.permission,
        })
        return undefined
      case 'DeleteKey':
        if (!account.keys.delete(a.publicKey))
          fail({ DeleteKeyDoesNotExist: { account_id: rid, public_key: a.publicKey } })
        return undefined
      case 'DeployContract': {
        try {
          prepareContract(a.code)
        } catch (e) {
          if (e instanceof PrepareError)
            fail({ FunctionCallError: { CompilationError: { PrepareError: 'Deserialization' } } })
          throw e
        }
        account.codeHash = this.state.putCode(a.code)
        return undefined
      }
      case 'DeleteAccount':
        // the last action (validated up front); the balance moves once the receipt succeeded
        this.state.accounts.delete(rid)
        return undefined
      case 'FunctionCall': {
        const ex = this.executor(rid)
        if (!ex)
          return fail({ FunctionCallError: { CompilationError: { CodeDoesNotExist: { account_id: rid } } } })
        account.amount += a.deposit
        const r: CallResult = ex.call({
          method: a.methodName,
          args: a.args,
          predecessor: tx.signerId,
          signer: tx.signerId,
          signerPublicKey: tx.publicKey,
          height: BigInt(block.height),
          timestampNs: block.timestampNs,
          deposit: a.deposit,
          balance: account.amount,
          view: false,
        })
        logs.push(...r.logs)
        if (!r.ok) return fail({ FunctionCallError: r.error })
        let delta = 0
        for (const [k, old] of r.previous) {
          if (!storageUndo.has(k)) storageUndo.set(k, old)
          delta += recordBytes(k, r.writes.get(k)) - recordBytes(k, old)
        }
        this.state.adjustDataUsage(rid, delta)
        this.state.touchStorage(rid, r.writes.keys())
        return r.value
      }
      default:
        return fail({
          UnsupportedProtocolFeature: {
            protocol_feature: a.kind === 'Unsupported' ? a.name : a.kind,
            version: 0,
          },
        })
    }
  }

  /**
   * After a successful receipt that deleted `rid`: its balance goes to the beneficiary (in nearcore a
   * separate transfer receipt; lost when the beneficiary does not exist), its storage and VM are dropped.
   */
  private deleted(rid: string, amount: bigint, beneficiaryId: string): void {
    const beneficiary = this.state.accounts.get(beneficiaryId)
    if (beneficiary) {
      beneficiary.amount += amount
      this.state.touchAccount(beneficiaryId)
    }
    this.state.dropStorage(rid)
    this.executors.get(rid)?.close()
    this.executors.delete(rid)
  }

  /** Runs a view call at the head. */
  view(accountId: string, method: string, args: Uint8Array): CallResult | undefined {
    const ex = this.executor(accountId)
    if (!ex) return undefined
    const head = this.state.latest()!
    return ex.call({
      method,
      args,
      predecessor: accountId,
      signer: accountId,
      signerPublicKey: 'ed25519:11111111111111111111111111111111',
      height: BigInt(head.height),
      timestampNs: head.timestampNs,
      view: true,
    })
  }

  /** Releases the VMs. */
  close(): void {
    for (const ex of this.executors.values()) ex.close()
    this.executors.clear()
  }
}
