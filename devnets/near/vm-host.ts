/**
 * Host-side helpers of the contract runtime: the guest memory object nearcore's VM logic reads and
 * writes, capture of the VM's panic output, and decoding of guest strings and VM errors.
 */
import { newWasmMemory, type WasmMemory } from './wasm-api.ts'

/** The memory object the VM reads and writes; it points at the current call's linear memory. */
export class GuestMemory {
  current: WasmMemory = newWasmMemory(1)
  private bytes(): Uint8Array {
    return new Uint8Array(this.current.buffer)
  }
  fits_memory(offset: bigint | number, len: bigint | number): boolean {
    return Number(offset) + Number(len) <= this.current.buffer.byteLength
  }
  read_memory(offset: bigint | number, buffer: Uint8Array): void {
    const o = Number(offset)
    buffer.set(this.bytes().subarray(o, o + buffer.length))
  }
  read_memory_u8(offset: bigint | number): number {
    return this.bytes()[Number(offset)] ?? 0
  }
  write_memory(offset: bigint | number, buffer: Uint8Array): void {
    this.bytes().set(buffer, Number(offset))
  }
  slice(ptr: bigint | number, len: bigint | number): Uint8Array {
    const p = Number(ptr)
    return this.bytes().slice(p, p + Number(len))
  }
}

/** Swaps `console.error` (where the VM prints Rust panics) for a collector until `done()`. */
export function silenceConsoleError(): { done(): void; messages(): string[] } {
  const original = console.error
  const seen: string[] = []
  console.error = (...a: unknown[]) => {
    seen.push(a.map(String).join(' '))
  }
  return {
    done: () => {
      console.error = original
    },
    messages: () => seen,
  }
}

/** Reads an AssemblyScript string (UTF-16, length in the header word before it). */
export function asString(mem: GuestMemory, ptr: number): string {
  if (!ptr || !mem.fits_memory(ptr - 4, 4)) return ''
  const len = new DataView(mem.current.buffer).getUint32(ptr - 4, true)
  if (!mem.fits_memory(ptr, len)) return ''
  return Buffer.from(mem.slice(ptr, len)).toString('utf16le')
}

/** `GuestPanic { panic_msg: "…" }`-style Rust debug text → a tagged object (best effort). */
export function hostError(debug: string): Record<string, unknown> | string {
  const m = /^(\w+)(?: \{ (.*) \})?$/.exec(debug.trim())
  if (!m) return debug
  if (!m[2]) return m[1]!
  const fields: Record<string, unknown> = {}
  for (const f of m[2].matchAll(/(\w+): ("(?:[^"\\]|\\.)*"|[^,]+)/g)) {
    const v = f[2]!
    fields[f[1]!] = v.startsWith('"') ? JSON.parse(v) : Number.isNaN(Number(v)) ? v : Number(v)
  }
  return { [m[1]!]: fields }
}

/** nearcore's `WasmTrap` variant for a JS WebAssembly trap message. */
export function wasmTrap(message: string): string {
  if (/unreachable/.test(message)) return 'Unreachable'
  if (/out of bounds/.test(message)) return 'MemoryOutOfBounds'
  if (/divide by zero|integer overflow/i.test(message)) return 'IllegalArithmetic'
  if (/call stack/i.test(message)) return 'StackOverflow'
  return 'GenericTrap'
}
