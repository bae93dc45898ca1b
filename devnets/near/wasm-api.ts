/**
 * Typed access to the host's `WebAssembly` (the project's TypeScript lib has no DOM types, where the
 * `WebAssembly` namespace is declared). Only what the devnet and the benchmarks use.
 */

/** A compiled module. */
export type WasmModule = object
/** A linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer
}
/** An import or export descriptor. */
export interface WasmDescriptor {
  readonly module?: string
  readonly name: string
  readonly kind: 'function' | 'memory' | 'table' | 'global'
}
/** An instance's exports. */
export type WasmExports = Record<string, unknown>

interface WasmNamespace {
  Module: {
    new (bytes: Uint8Array): WasmModule
    imports(m: WasmModule): WasmDescriptor[]
    exports(m: WasmModule): WasmDescriptor[]
  }
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: WasmExports }
  Memory: new (d: { initial: number; maximum?: number }) => WasmMemory
}

const wasm = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly

/** Compiles wasm bytes (synchronously). */
export function compileWasm(bytes: Uint8Array): WasmModule {
  return new wasm.Module(bytes)
}

/** The module's imports. */
export function wasmImports(m: WasmModule): WasmDescriptor[] {
  return wasm.Module.imports(m)
}

/** The module's exports. */
export function wasmExports(m: WasmModule): WasmDescriptor[] {
  return wasm.Module.exports(m)
}

/** Instantiates a module (synchronously); throws a LinkError when imports are missing. */
export function instantiateWasm(
  m: WasmModule,
  imports: Record<string, Record<string, unknown>>,
): WasmExports {
  return new wasm.Instance(m, imports).exports
}

/** A new linear memory of `initial` pages (64 KiB). */
export function newWasmMemory(initial: number, maximum?: number): WasmMemory {
  return new wasm.Memory(maximum === undefined ? { initial } : { initial, maximum })
}
