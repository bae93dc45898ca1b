/**
 * Runs NEAR contracts in nearcore's VM logic, as shipped by `near-mock-vm`'s `pkg/` (nearcore's
 * `near-vm-logic` host functions and its contract preparation, compiled to wasm). One VM object per
 * contract account holds that account's storage; every call gets a fresh instance of the prepared
 * module (data segments and globals reset) and an all-zero linear memory of nearcore's initial size
 * (reused between calls, see {@link CallMemoryPool}).
 *
 * What the VM does not give, this layer adds: the storage writes of a call are journalled and only
 * committed when the call succeeds. A guest failure (panic, `abort`, wasm trap) leaves the VM usable:
 * a view cannot have written, and a transaction's journalled writes are undone through the VM's own
 * `storage_write` / `storage_remove`. Only a host-level error (a Rust panic inside the VM, which
 * poisons it) discards the VM object; the next call rebuilds it from the committed storage. Guest
 * panics are caught at the host boundary (`panic_utf8`, AssemblyScript's `abort`) so their message is
 * kept. Gas is not metered (the package's preparation injects no gas counter; `used_gas` is always 0).
 */
import { CallMemoryPool, scratchMemory } from './call-memory.ts'
import { type MockVm, moduleShape, newMockVm } from './mock-vm.ts'
import { asString, GuestMemory, hostError, silenceConsoleError, wasmTrap } from './vm-host.ts'
import { instantiateWasm, type WasmExports, type WasmMemory, type WasmModule } from './wasm-api.ts'

export { PrepareError, prepareContract } from './mock-vm.ts'

/** nearcore's memory limits (pages of 64 KiB) for prepared contracts. */
const INITIAL_PAGES = 1024
const MAX_PAGES = 2048

/** A contract call's context. */
export interface CallContext {
  readonly method: string
  readonly args: Uint8Array
  readonly predecessor: string
  readonly signer: string
  /** `ed25519:<base58>` of the signing key. */
  readonly signerPublicKey: string
  readonly height: bigint
  readonly timestampNs: bigint
  /** Attached deposit, yoctoNEAR. */
  readonly deposit?: bigint
  readonly balance?: bigint
  /** A view call: state-changing host functions fail with `ProhibitedInView`. */
  readonly view: boolean
}

/** A structured nearcore `FunctionCallError` (the shape the RPC reports). */
export type FunctionCallError = Record<string, unknown> | string

/** What a call did. */
export type CallResult =
  | {
      readonly ok: true
      readonly value: Uint8Array
      readonly logs: string[]
      /** Committed storage changes: hex key → value, null = removed. */
      readonly writes: Map<string, Uint8Array | null>
      /** The values those keys had before the call (undefined = absent), to undo it. */
      readonly previous: Map<string, Uint8Array | undefined>
    }
  | {
      readonly ok: false
      readonly logs: string[]
      /** nearcore's `FunctionCallError` enum value, e.g. `{ExecutionError: 'Smart contract panicked: …'}`. */
      readonly error: FunctionCallError
      /** The same for `query call_function`: `{HostError: {GuestPanic: {panic_msg}}}` etc. */
      readonly vmError: FunctionCallError
      readonly message: string
    }

class GuestPanic extends Error {}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** The journal of the call in progress, which the VM's env wrappers write to. */
interface CallJournal {
  logs: string[]
  writes: Map<string, Uint8Array | null>
  value: Uint8Array
}

/**
 * One contract account's executor: its prepared module, its committed storage and the VM object.
 *
 * @example
 * const c = new ContractExecutor('anchor.test.near', prepareContract(wasm), new Map())
 * const r = c.call({ method: 'anchor_of', args, predecessor: 'x', signer: 'x', signerPublicKey, height: 1n, timestampNs: 0n, view: true })
 */
export class ContractExecutor {
  private vm: MockVm | undefined
  private env: Record<string, unknown> = {}
  private readonly memory = new GuestMemory()
  private readonly memories = new CallMemoryPool(INITIAL_PAGES, MAX_PAGES)
  private scratch: WasmMemory | undefined
  private journal: CallJournal = { logs: [], writes: new Map(), value: new Uint8Array(0) }
  /** > 0 while the VM's own code runs (a throw out of it means a host-level error). */
  private inHost = 0

  /** @param storage committed storage, hex key → value (mutated by successful calls). */
  constructor(
    readonly accountId: string,
    readonly module: WasmModule,
    readonly storage: Map<string, Uint8Array>,
  ) {}

  /** How many times the VM object was (re)built from storage (for tests and benchmarks). */
  rebuilds = 0

  /** How many 64 MiB call memories were allocated (one, until a call grows its memory). */
  get memoryAllocations(): number {
    return this.memories.allocated
  }

  private freshVm(): MockVm {
    const vm = newMockVm(this.accountId, this.memory)
    this.rebuilds++
    for (const [k, v] of this.storage) this.writeThrough(vm, Buffer.from(k, 'hex'), v)
    this.env = this.buildEnv(vm)
    return vm
  }

  /** Writes (or removes, `value` undefined) one key through the VM's host function, from scratch memory. */
  private writeThrough(vm: MockVm, key: Uint8Array, value: Uint8Array | undefined): void {
    this.scratch = scratchMemory(this.scratch, key.length + (value?.length ?? 0) + 1)
    this.memory.current = this.scratch
    this.memory.write_memory(0, key)
    if (value === undefined) {
      vm.storage_remove(BigInt(key.length), 0n, 0n)
      return
    }
    this.memory.write_memory(key.length, value)
    vm.storage_write(BigInt(key.length), 0n, BigInt(value.length), BigInt(key.length), 0n)
  }

  /** The VM's host functions for the guest, bound once per VM; they record into `this.journal`. */
  private buildEnv(vm: MockVm): Record<string, unknown> {
    const mem = this.memory
    const env: Record<string, unknown> = {}
    const host =
      (f: (...x: unknown[]) => unknown) =>
      (...a: unknown[]) => {
        this.inHost++
        const r = f.apply(vm, a)
        this.inHost--
        return r
      }
    for (const imp of moduleShape(this.module).imports) {
      const f = vm[imp.name]
      if (typeof f === 'function') env[imp.name] = host(f as (...x: unknown[]) => unknown)
    }
    const utf8At = (len: bigint, ptr: bigint) => Buffer.from(mem.slice(ptr, len)).toString('utf8')
    env.panic_utf8 = (len: bigint, ptr: bigint) => {
      throw new GuestPanic(utf8At(len, ptr))
    }
    env.panic = () => {
      throw new GuestPanic('explicit guest panic')
    }
    env.abort = (msgPtr: number, filePtr: number, line: number, col: number) => {
      throw new GuestPanic(
        `${asString(mem, msgPtr)}, filename: "${asString(mem, filePtr)}" line: ${line} col: ${col}`,
      )
    }
    const log = host(vm.log_utf8 as (...x: unknown[]) => unknown)
    env.log_utf8 = (len: bigint, ptr: bigint) => {
      log(len, ptr)
      this.journal.logs.push(utf8At(len, ptr))
    }
    const ret = host(vm.value_return as (...x: unknown[]) => unknown)
    env.value_return = (len: bigint, ptr: bigint) => {
      ret(len, ptr)
      this.journal.value = mem.slice(ptr, len)
    }
    const write = host(vm.storage_write as (...x: unknown[]) => unknown)
    env.storage_write = (kl: bigint, kp: bigint, vl: bigint, vp: bigint, reg: bigint) => {
      const r = write(kl, kp, vl, vp, reg)
      this.journal.writes.set(hex(mem.slice(kp, kl)), mem.slice(vp, vl))
      return r
    }
    const remove = host(vm.storage_remove as (...x: unknown[]) => unknown)
    env.storage_remove = (kl: bigint, kp: bigint, reg: bigint) => {
      const r = remove(kl, kp, reg)
      this.journal.writes.set(hex(mem.slice(kp, kl)), null)
      return r
    }
    return env
  }

  private discardVm(): void {
    try {
      this.vm?.free()
    } catch {
      // a poisoned VM may refuse even this
    }
    this.vm = undefined
  }

  /** Runs `ctx.method`; on success the call's storage writes are committed. */
  call(ctx: CallContext): CallResult {
    const { functions } = moduleShape(this.module)
    if (!ctx.method) return this.fail([], { MethodResolveError: 'MethodEmptyName' }, 'MethodEmptyName')
    if (!functions.has(ctx.method))
      return this.fail([], { MethodResolveError: 'MethodNotFound' }, 'MethodNotFound')
    if (!this.vm) this.vm = this.freshVm()
    const vm = this.vm
    const mem = this.memory
    const journal: CallJournal = { logs: [], writes: new Map(), value: new Uint8Array(0) }
    this.journal = journal
    this.inHost = 0
    const silence = silenceConsoleError()
    mem.current = this.memories.take()
    try {
      vm.set_current_account_id(this.accountId)
      vm.set_signer_account_id(ctx.signer)
      vm.set_signer_account_pk(ctx.signerPublicKey.replace(/^ed25519:/, ''))
      vm.set_predecessor_account_id(ctx.predecessor)
      vm.set_block_index(ctx.height)
      vm.set_block_timestamp(ctx.timestampNs)
      vm.set_attached_deposit((ctx.deposit ?? 0n).toString())
      vm.set_account_balance((ctx.balance ?? 0n).toString())
      vm.set_is_view(ctx.view)
      vm.set_input(Buffer.from(ctx.args).toString('base64'))
      this.env.memory = mem.current
      let instance: WasmExports
      try {
        instance = instantiateWasm(this.module, { env: this.env })
      } catch (e) {
        return this.fail(journal.logs, { LinkError: { msg: (e as Error).message } }, (e as Error).message)
      }
      ;(instance[ctx.method] as () => void)()
    } catch (e) {
      const host = /HostError\((.*)\)'/.exec(silence.messages().join('\n'))?.[1]
      if (host || this.inHost > 0) {
        // the VM's own code failed (a Rust panic poisons it): rebuild it from committed storage
        this.discardVm()
        const msg = host ?? (e instanceof Error ? e.message : String(e))
        return this.fail(journal.logs, { HostError: host ? hostError(host) : msg }, msg)
      }
      this.undo(journal.writes.keys())
      if (e instanceof GuestPanic)
        return this.fail(
          journal.logs,
          { HostError: { GuestPanic: { panic_msg: e.message } } },
          e.message,
          true,
        )
      const msg = e instanceof Error ? e.message : String(e)
      return this.fail(journal.logs, { WasmTrap: wasmTrap(msg) }, msg)
    } finally {
      silence.done()
      this.memories.give(mem.current)
    }
    const previous = new Map<string, Uint8Array | undefined>()
    for (const [k, v] of journal.writes) {
      previous.set(k, this.storage.get(k))
      if (v === null) this.storage.delete(k)
      else this.storage.set(k, v)
    }
    return { ok: true, value: journal.value, logs: journal.logs, writes: journal.writes, previous }
  }

  /** Puts the VM's copy of `keys` back to their committed values (after a failed call). */
  private undo(keys: Iterable<string>): void {
    const vm = this.vm
    if (!vm) return
    try {
      vm.set_is_view(false)
      for (const k of keys) this.writeThrough(vm, Buffer.from(k, 'hex'), this.storage.get(k))
    } catch {
      this.discardVm()
    }
  }

  /**
   * Sets committed storage keys back to earlier values (undefined = absent), in the storage map and
   * the VM — the rollback of a receipt whose later action failed.
   */
  restore(values: ReadonlyMap<string, Uint8Array | undefined>): void {
    for (const [k, v] of values) {
      if (v === undefined) this.storage.delete(k)
      else this.storage.set(k, v)
    }
    this.undo(values.keys())
  }

  private fail(logs: string[], vmError: Record<string, unknown>, message: string, panic = false): CallResult {
    const error = panic
      ? { ExecutionError: `Smart contract panicked: ${message}` }
      : 'HostError' in vmError
        ? { ExecutionError: message }
        : vmError
    return { ok: false, logs, error, vmError, message }
  }

  /** Releases the VM object and the kept memory. */
  close(): void {
    this.discardVm()
    this.memories.close()
  }
}
