/**
 * The linear memories of contract calls. nearcore gives every call a fresh, all-zero memory of its
 * initial size; allocating 64 MiB per call makes V8 run full collections under external-memory
 * pressure, so one memory is reused instead: after a call that did not grow it, it is zeroed (in a
 * `setImmediate` after the call, or on the spot when the next call comes first); a memory that grew
 * is dropped and the next call gets a new one.
 */
import { newWasmMemory, type WasmMemory } from './wasm-api.ts'

const PAGE = 65536

/** Hands out all-zero memories of `initial` pages (maximum `maximum`), reusing the last one. */
export class CallMemoryPool {
  private spare: WasmMemory | undefined
  private dirty = false
  private zeroing: NodeJS.Immediate | undefined
  /** How many memories were allocated so far. */
  allocated = 0

  constructor(
    readonly initial: number,
    readonly maximum: number,
  ) {}

  /** An all-zero memory of `initial` pages for the next call. */
  take(): WasmMemory {
    const m = this.spare
    this.spare = undefined
    if (!m) {
      this.allocated++
      return newWasmMemory(this.initial, this.maximum)
    }
    if (this.dirty) this.zero(m)
    return m
  }

  /** Gives back a call's memory: kept (zeroed soon) when it did not grow, dropped otherwise. */
  give(m: WasmMemory): void {
    if (m.buffer.byteLength !== this.initial * PAGE) return
    this.spare = m
    this.dirty = true
    if (this.zeroing) return
    this.zeroing = setImmediate(() => {
      this.zeroing = undefined
      if (this.spare && this.dirty) this.zero(this.spare)
    })
    this.zeroing.unref()
  }

  private zero(m: WasmMemory): void {
    new Uint8Array(m.buffer).fill(0)
    this.dirty = false
  }

  /** Drops the kept memory and any pending zeroing. */
  close(): void {
    if (this.zeroing) clearImmediate(this.zeroing)
    this.zeroing = undefined
    this.spare = undefined
  }
}

/** A scratch memory of at least `bytes` bytes (reusing `current` when it is large enough). */
export function scratchMemory(current: WasmMemory | undefined, bytes: number): WasmMemory {
  if (current && current.buffer.byteLength >= bytes) return current
  return newWasmMemory(Math.max(1, Math.ceil(bytes / PAGE)))
}
