/**
 * Shapes shared by the canister executor: message outcomes and options, the serialized canister,
 * the committed snapshot, loaded modules (compiled once per module hash, instrumented to export
 * their mutable globals) and the message contexts handed to the System API.
 */
import { createHash } from 'node:crypto'
import { Principal } from '@dfinity/principal'
import type { MessageContext, MessageKind } from './system-api.ts'
import { Wasm, type WasmModule } from './wasm-api.ts'
import { exportMutableGlobals } from './wasm-globals.ts'

export type MessageResult =
  | { readonly kind: 'reply'; readonly data: Uint8Array }
  | {
      readonly kind: 'reject'
      /** IC reject code: 3 destination invalid, 4 canister reject, 5 canister error. */
      readonly code: 3 | 4 | 5
      readonly message: string
      /** IC error code, e.g. `IC0503` (explicit trap). */
      readonly errorCode: string
    }

/** What a message needs besides method and argument. */
export interface MessageOptions {
  readonly caller: Uint8Array
  /** ns since epoch. */
  readonly time: bigint
  /** Builds the data certificate for a non-replicated query. */
  readonly dataCertificate?: () => Uint8Array
}

/** The committed state of a canister (what a trap rolls back to and what persists). */
export interface Committed {
  heap: Uint8Array
  globals: (number | bigint)[]
  stable: Uint8Array
  stablePages: number
  certifiedData: Uint8Array
}

/** A compiled, instrumented module. */
export interface Loaded {
  readonly wasm: Uint8Array
  readonly module: WasmModule
  readonly globals: readonly string[]
  readonly moduleHash: Uint8Array
}

const moduleCache = new Map<string, Loaded>()
/** Compiles (once per module hash) and instruments a module. */
export function load(wasm: Uint8Array): Loaded {
  const moduleHash = new Uint8Array(createHash('sha256').update(wasm).digest())
  const key = Buffer.from(moduleHash).toString('hex')
  let l = moduleCache.get(key)
  if (!l) {
    const inst = exportMutableGlobals(wasm)
    l = { wasm, module: new Wasm.Module(inst.wasm), globals: inst.globals, moduleHash }
    moduleCache.set(key, l)
  }
  return l
}

/** The JSON-safe part of a serialized canister. */
export interface CanisterHeader {
  readonly controllers: string[]
  readonly moduleHash: string | null
  readonly globals: string[]
  readonly stablePages: number
  readonly certifiedData: string
  readonly version: string
}

/** A fresh message context. */
export function message(
  kind: MessageKind,
  method: string,
  arg: Uint8Array,
  caller: Uint8Array,
  time: bigint,
  dataCertificate?: () => Uint8Array,
): MessageContext {
  return {
    kind,
    method,
    arg,
    caller,
    time,
    reply: [],
    outcome: undefined,
    ...(dataCertificate ? { dataCertificate } : {}),
  }
}

/** Textual form of a principal, for messages. */
export function principalText(id: Uint8Array): string {
  return Principal.fromUint8Array(id).toText()
}
