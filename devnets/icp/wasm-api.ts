/**
 * The slice of the JS `WebAssembly` API the executor uses, typed locally (the project compiles
 * without the DOM lib, where those types live).
 */

/** A Wasm linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}
/** A Wasm global. */
export interface WasmGlobal {
  value: number | bigint
}
/** A compiled module. */
export type WasmModule = object
/** An instance. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>
}
/** Import object. */
export type WasmImports = Record<string, Record<string, unknown>>

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance
  RuntimeError: new (message?: string) => Error
  LinkError: new (message?: string) => Error
  Memory: new (d: { initial: number }) => WasmMemory
}

/** `globalThis.WebAssembly`. */
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly
