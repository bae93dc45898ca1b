/**
 * nearcore's VM logic and contract preparation as shipped by `near-mock-vm`'s `pkg/` (compiled to
 * wasm), with typed access to the part the devnet uses, and the per-module caches of a prepared
 * module's import and export lists.
 */
import { createRequire } from 'node:module'
import { silenceConsoleError } from './vm-host.ts'
import { compileWasm, type WasmDescriptor, type WasmModule, wasmExports, wasmImports } from './wasm-api.ts'

const require = createRequire(import.meta.url)

/** The part of a `near-mock-vm/pkg` VM object the runtime uses (host functions by name besides). */
export interface MockVm {
  free(): void
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

/** Creates a VM object for `accountId` reading and writing guest memory through `memory`. */
export function newMockVm(accountId: string, memory: unknown): MockVm {
  const context = {
    current_account_id: accountId,
    signer_account_id: accountId,
    signer_account_pk: '11111111111111111111111111111111',
    predecessor_account_id: accountId,
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
  return new pkg.VM(context, memory)
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

/** A prepared module's exported function names and imported function names. */
export interface ModuleShape {
  readonly functions: ReadonlySet<string>
  readonly imports: readonly WasmDescriptor[]
}

const shapes = new WeakMap<WasmModule, ModuleShape>()

/** The (cached) shape of a module: computed once per module, not per call. */
export function moduleShape(m: WasmModule): ModuleShape {
  let s = shapes.get(m)
  if (!s) {
    const functions = new Set(
      wasmExports(m)
        .filter((e) => e.kind === 'function')
        .map((e) => e.name),
    )
    s = { functions, imports: wasmImports(m).filter((i) => i.kind === 'function') }
    shapes.set(m, s)
  }
  return s
}
