/**
 * The contract between the node and an application: a call reads the context's CRDT state and
 * returns an output plus the CRDT ops to commit (at most one delta per call).
 */
import type { CrdtLimits, CrdtOpIntent, CrdtValue } from '../crdt/crdt-op.ts'

/** Read access to a context's state. */
export interface AppStateReader {
  readRegister(key: string): CrdtValue | undefined
  registers(): { key: string; value: CrdtValue }[]
  readSet(key: string): CrdtValue[]
  readCounter(key: string): bigint
}

/** What an app call sees. */
export interface AppCallContext {
  contextId: Uint8Array
  executor: Uint8Array
  state: AppStateReader
  limits: CrdtLimits
}

/** What an app call returns: a JSON-serialisable output and the ops to commit (none for reads). */
export interface AppCallResult {
  output: unknown
  ops?: CrdtOpIntent[]
}

/** An application the node can run. */
export interface App {
  /** The application id contexts name in `Create` / `UpdateApplication`. */
  readonly id: string
  /** Runs `method` with parsed JSON `args`; throws `InvalidInput`, `UnknownMethod`, `PayloadTooLarge`. */
  call(ctx: AppCallContext, method: string, args: unknown): AppCallResult
}
