/**
 * Runs NEAR contracts in nearcore's VM logic, as shipped by `near-mock-vm`'s `pkg/` (nearcore's
 * `near-vm-logic` host functions and its contract preparation, compiled to wasm). One VM object per
 * contract account holds that account's storage; every call gets a fresh instance of the prepared
 * module and a fresh linear memory (as nearcore does).
 *
 * What the VM does not give, this layer adds: the storage writes of a call are journalled and only
 * committed when the call succeeds; a failed call (guest panic, trap, host error) discards the VM object
 * — a Rust panic inside it poisons it — and rebuilds it from the committed storage. Guest panics are
 * caught at the host boundary (`panic_utf8`, AssemblyScript's `abort`) so their message is kept.
 * Gas is not metered (the package's preparation injects no gas counter; `used_gas` is always 0).
 */
import { createRequire } from 'node:module'
import { asString, GuestMemory, hostError, silenceConsoleError, wasmTrap } from './vm-host.ts'
import {
  compileWasm,
  instantiateWasm,
  newWasmMemory,
  type WasmExports,
  type WasmModule,
  wasmExports,
  wasmImports,
} from './wasm-api.ts'

const require = createRequire(import.meta.url)

/** The part of `near-mock-vm/pkg` this runtime uses. */
interface MockVm {
  free(): void
  outcome(): { logs: string[]; return_data: unknown }
  set_input(base64: string): void
  set_current_account_id(s: string): void
  set_signer_account_id(s: string): void
  set_signer_account_pk(s: string): void
  set_predecessor_account_id(s: string): void
  set_block_index(h: bigint): void
  set_block_timestamp(ns: bigint): void
  set_attached_deposit(u128: string): void
  set_account_balance(u128: string): void
  set_is_view(b: boolean): void
  storage_write(kl: bigint, kp: bigint, vl: bigint, vp: bigint, reg: bigint): bigint
  storage_remove(kl: bigint, kp: bigint, reg: bigint): bigint
  [host: string]: unknown
}
interface MockVmPkg {
  VM: new (context: unknown, memory: unknown) => MockVm
  inject_contract(code: Uint8Array): number[] | Uint8Array
}
const pkg = require('near-mock-vm/pkg/near_mock_vm.js') as MockVmPkg

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

/** Raised when nearcore's preparation rejects code. */
export class PrepareError extends Error {
  override readonly name = 'PrepareError'
}

/**
 * Prepares contract code the way nearcore does before running it (validation, standardized memory
 * import). Throws {@link PrepareError} for code nearcore would refuse.
 */
export function prepareContract(code: Uint8Array): WasmModule {
  let prepared: Uint8Array
  const restore = silenceConsoleError()
  try {
    prepared = Uint8Array.from(pkg.inject_contract(code))
  } catch (e) {
    throw new PrepareError(`contract preparation failed: ${restore.messages()[0] ?? String(e)}`)
  } finally {
    restore.done()
  }
  try {
    return compileWasm(prepared)
  } catch (e) {
    throw new PrepareError(`contract does not compile: ${(e as Error).message}`)
  }
}

class GuestPanic extends Error {}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/**
 * One contract account's executor: its prepared module, its committed storage and the VM object.
 *
 * @example
 * const c = new ContractExecutor('anchor.test.near', prepareContract(wasm), new Map())
 * const r = c.call({ method: 'anchor_of', args, predecessor: 'x', signer: 'x', signerPublicKey, height: 1n, timestampNs: 0n, view: true })
 */
export class ContractExecutor {
  private vm: MockVm | undefined
  private readonly memory = new GuestMemory()

  /** @param storage committed storage, hex key → value (mutated by successful calls). */
  constructor(
    readonly accountId: string,
    readonly module: WasmModule,
    readonly storage: Map<string, Uint8Array>,
  ) {}

  private freshVm(): MockVm {
    const context = {
      current_account_id: this.accountId,
      signer_account_id: this.accountId,
      signer_account_pk: '11111111111111111111111111111111',
      predecessor_account_id: this.accountId,
      input: '',
      block_index: 0,
      block_timestamp: 0,
      epoch_height: 1,
      account_balance: '0',
      account_locked_balance: '0',
      storage_usage: 0,
      attached_deposit: '0',
      prepaid_gas: 300_000_000_000_000,
      random_seed: '11111111111111111111111111111111',
      is_view: false,
      output_data_receivers: [],
    }
    const vm = new pkg.VM(context, this.memory)
    // Replay committed storage through the VM's own host function, from a scratch memory.
    for (const [k, v] of this.storage) {
      const key = Buffer.from(k, 'hex')
      const pages = Math.ceil((key.length + v.length + 1) / 65536)
      this.memory.current = newWasmMemory(pages)
      this.memory.write_memory(0, key)
      this.memory.write_memory(key.length, v)
      vm.storage_write(BigInt(key.length), 0n, BigInt(v.length), BigInt(key.length), 0n)
    }
    return vm
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
    if (!this.vm) this.vm = this.freshVm()
    const vm = this.vm
    const mem = this.memory
    const logs: string[] = []
    const writes = new Map<string, Uint8Array | null>()
    let value: Uint8Array = new Uint8Array(0)
    const silence = silenceConsoleError()
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
      mem.current = newWasmMemory(INITIAL_PAGES, MAX_PAGES)
      const exports = wasmExports(this.module)
      const fn = exports.find((e) => e.name === ctx.method && e.kind === 'function')
      if (!ctx.method) return this.fail(logs, { MethodResolveError: 'MethodEmptyName' }, 'MethodEmptyName')
      if (!fn) return this.fail(logs, { MethodResolveError: 'MethodNotFound' }, 'MethodNotFound')
      const env: Record<string, unknown> = { memory: mem.current }
      for (const imp of wasmImports(this.module)) {
        if (imp.kind !== 'function') continue
        const host = vm[imp.name]
        if (typeof host !== 'function') continue // a LinkError below names it
        env[imp.name] = (...a: unknown[]) => (host as (...x: unknown[]) => unknown).apply(vm, a)
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
      env.log_utf8 = (len: bigint, ptr: bigint) => {
        ;(vm.log_utf8 as (l: bigint, p: bigint) => void).call(vm, len, ptr)
        logs.push(utf8At(len, ptr))
      }
      env.value_return = (len: bigint, ptr: bigint) => {
        ;(vm.value_return as (l: bigint, p: bigint) => void).call(vm, len, ptr)
        value = mem.slice(ptr, len)
      }
      env.storage_write = (kl: bigint, kp: bigint, vl: bigint, vp: bigint, reg: bigint) => {
        const r = vm.storage_write(kl, kp, vl, vp, reg)
        writes.set(hex(mem.slice(kp, kl)), mem.slice(vp, vl))
        return r
      }
      env.storage_remove = (kl: bigint, kp: bigint, reg: bigint) => {
        const r = vm.storage_remove(kl, kp, reg)
        writes.set(hex(mem.slice(kp, kl)), null)
        return r
      }
      let instance: WasmExports
      try {
        instance = instantiateWasm(this.module, { env })
      } catch (e) {
        return this.fail(logs, { LinkError: { msg: (e as Error).message } }, (e as Error).message)
      }
      ;(instance[ctx.method] as () => void)()
    } catch (e) {
      if (e instanceof GuestPanic)
        return this.fail(logs, { HostError: { GuestPanic: { panic_msg: e.message } } }, e.message, true)
      const host = /HostError\((.*)\)'/.exec(silence.messages().join('\n'))?.[1]
      if (host) return this.fail(logs, { HostError: hostError(host) }, host)
      const msg = e instanceof Error ? e.message : String(e)
      return this.fail(logs, { WasmTrap: wasmTrap(msg) }, msg)
    } finally {
      silence.done()
    }
    const previous = new Map<string, Uint8Array | undefined>()
    for (const [k, v] of writes) {
      previous.set(k, this.storage.get(k))
      if (v === null) this.storage.delete(k)
      else this.storage.set(k, v)
    }
    return { ok: true, value, logs, writes, previous }
  }

  private fail(logs: string[], vmError: Record<string, unknown>, message: string, panic = false): CallResult {
    // The VM may hold partial writes of this call (or be poisoned): rebuild it from committed storage.
    this.discardVm()
    const error = panic
      ? { ExecutionError: `Smart contract panicked: ${message}` }
      : 'HostError' in vmError
        ? { ExecutionError: message }
        : vmError
    return { ok: false, logs, error, vmError, message }
  }

  /** Releases the VM object. */
  close(): void {
    this.discardVm()
  }
}
