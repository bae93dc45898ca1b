/**
 * Compiles `mero_anchor.mo` with the `motoko` npm package (moc 3.9.1 compiled to JS, `mo:base`
 * bundled) into an IC canister wasm (wasm32, classical persistence) and its Candid interface.
 *
 * Deterministic per process: the first compile in a fresh process always gives the same bytes (moc
 * keeps internal counters, so a second compile in the same process may differ). `build.ts` and the
 * rebuild test therefore compile in a child process.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/** Path of the Motoko source. */
export const ANCHOR_CANISTER_SOURCE = fileURLToPath(new URL('./mero_anchor.mo', import.meta.url))

/** The pinned compiler version (wasm32 output; 4.x emits wasm64, which Node 20 cannot run). */
export const MOTOKO_VERSION = '3.9.1'

/** The compiled canister. */
export interface CompiledAnchorCanister {
  /** The canister module (wasm32). */
  readonly wasm: Uint8Array
  /** Its Candid service description, as `moc --idl` prints it. */
  readonly candid: string
}

interface MotokoCompiler {
  loadPackage(pkg: unknown): void
  write(path: string, content: string): void
  check(path: string): { severity: number; message: string; range: { start: { line: number } } }[]
  candid(path: string): string
  wasm(path: string, mode: 'ic'): { wasm: Uint8Array }
}

/**
 * Compiles the anchor canister. Throws with the compiler's diagnostics when it does not compile.
 *
 * @example
 * const { wasm, candid } = compileAnchorCanister()
 */
export function compileAnchorCanister(): CompiledAnchorCanister {
  const require = createRequire(import.meta.url)
  const version = (require('motoko/package.json') as { version: string }).version
  if (version !== MOTOKO_VERSION) throw new Error(`motoko ${MOTOKO_VERSION} required, found ${version}`)
  const mo = require('motoko') as MotokoCompiler
  mo.loadPackage(require('motoko/packages/latest/base.json'))
  mo.write('mero_anchor.mo', readFileSync(ANCHOR_CANISTER_SOURCE, 'utf8'))
  const errors = mo.check('mero_anchor.mo').filter((d) => d.severity === 1)
  if (errors.length > 0)
    throw new Error(
      `mero_anchor.mo does not compile:\n${errors.map((d) => `${d.range.start.line + 1}: ${d.message}`).join('\n')}`,
    )
  return { wasm: new Uint8Array(mo.wasm('mero_anchor.mo', 'ic').wasm), candid: mo.candid('mero_anchor.mo') }
}
