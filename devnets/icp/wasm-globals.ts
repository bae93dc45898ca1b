/**
 * Rewrites a canister module so that every mutable global is exported (`__mero_global_<i>`), and
 * memory 0 as `__mero_memory`. The
 * executor needs this to snapshot and restore a canister's full Wasm state (memory + globals), the way
 * the IC's own instrumentation does: a trapping message rolls back to the snapshot, and the snapshot
 * is what persists in the data folder. Only the export section changes; code is untouched.
 */

/** Prefix of the added exports. */
export const GLOBAL_EXPORT_PREFIX = '__mero_global_'
/** Name under which memory 0 is exported (whatever the module calls it, if it exports it at all). */
export const MEMORY_EXPORT = '__mero_memory'

/** A rewritten module and the names of the exported mutable globals, in index order. */
export interface InstrumentedModule {
  readonly wasm: Uint8Array
  readonly globals: readonly string[]
}

class Reader {
  pos = 0
  constructor(readonly b: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new Error('wasm: unexpected end')
    return this.b[this.pos++]!
  }
  u32(): number {
    let result = 0
    let shift = 0
    for (;;) {
      const x = this.byte()
      result += (x & 0x7f) * 2 ** shift
      if ((x & 0x80) === 0) return result
      shift += 7
      if (shift > 35) throw new Error('wasm: bad LEB128')
    }
  }
  skipLeb(): void {
    while (this.byte() & 0x80) {}
  }
  skip(n: number): void {
    this.pos += n
  }
}

function leb(n: number): number[] {
  const out: number[] = []
  do {
    let x = n & 0x7f
    n = Math.floor(n / 128)
    if (n > 0) x |= 0x80
    out.push(x)
  } while (n > 0)
  return out
}

/** Skips a constant init expression (up to and including its `end`). */
function skipInitExpr(r: Reader): void {
  for (;;) {
    const op = r.byte()
    if (op === 0x0b) return
    if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd2) r.skipLeb()
    else if (op === 0x43) r.skip(4)
    else if (op === 0x44) r.skip(8)
    else if (op === 0xd0) r.byte()
    else if (op === 0xfd) {
      r.skipLeb()
      r.skip(16) // v128.const
    } else throw new Error(`wasm: unsupported init opcode 0x${op.toString(16)}`)
  }
}

/**
 * Exports every mutable global of `wasm`. Throws on a malformed module.
 *
 * @example
 * const { wasm: instrumented, globals } = exportMutableGlobals(canisterWasm)
 */
export function exportMutableGlobals(wasm: Uint8Array): InstrumentedModule {
  const r = new Reader(wasm)
  if (wasm.length < 8 || wasm[0] !== 0 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d)
    throw new Error('wasm: bad magic')
  r.pos = 8
  let importedGlobals = 0
  let memories = 0
  const mutable: number[] = []
  const sections: { id: number; start: number; end: number; bodyStart: number }[] = []
  while (r.pos < wasm.length) {
    const start = r.pos
    const id = r.byte()
    const size = r.u32()
    const bodyStart = r.pos
    sections.push({ id, start, end: bodyStart + size, bodyStart })
    if (id === 2) {
      const n = r.u32()
      for (let i = 0; i < n; i++) {
        r.skip(r.u32()) // module name
        r.skip(r.u32()) // field name
        const kind = r.byte()
        if (kind === 0) r.u32()
        else if (kind === 1) {
          r.byte()
          const flags = r.byte()
          r.u32()
          if (flags & 1) r.u32()
        } else if (kind === 2) {
          memories++
          const flags = r.byte()
          r.u32()
          if (flags & 1) r.u32()
        } else if (kind === 3) {
          r.byte()
          r.byte()
          importedGlobals++
        } else throw new Error('wasm: bad import kind')
      }
    } else if (id === 5) {
      memories += r.u32()
    } else if (id === 6) {
      const n = r.u32()
      for (let i = 0; i < n; i++) {
        r.byte()
        if (r.byte() === 1) mutable.push(importedGlobals + i)
        skipInitExpr(r)
      }
    }
    r.pos = bodyStart + size
  }
  const exp = sections.find((s) => s.id === 7)
  if (!exp) throw new Error('wasm: no export section')
  const er = new Reader(wasm)
  er.pos = exp.bodyStart
  const count = er.u32()
  const rest = wasm.subarray(er.pos, exp.end)
  const names = mutable.map((i) => `${GLOBAL_EXPORT_PREFIX}${i}`)
  const added: number[] = []
  for (const [k, i] of mutable.entries()) {
    const name = new TextEncoder().encode(names[k])
    added.push(...leb(name.length), ...name, 0x03, ...leb(i))
  }
  if (memories > 0) {
    const name = new TextEncoder().encode(MEMORY_EXPORT)
    added.push(...leb(name.length), ...name, 0x02, 0x00)
  }
  const body = new Uint8Array([...leb(count + mutable.length + (memories > 0 ? 1 : 0)), ...rest, ...added])
  const header = new Uint8Array([7, ...leb(body.length)])
  const out = new Uint8Array(exp.start + header.length + body.length + (wasm.length - exp.end))
  out.set(wasm.subarray(0, exp.start), 0)
  out.set(header, exp.start)
  out.set(body, exp.start + header.length)
  out.set(wasm.subarray(exp.end), exp.start + header.length + body.length)
  return { wasm: out, globals: names }
}
