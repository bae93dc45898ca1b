/**
 * Compiles the NEAR anchor registry (`assembly/index.ts`, AssemblyScript against NEAR's raw host
 * imports) to wasm with the installed AssemblyScript compiler, in memory. NEAR's contract preparation
 * rejects post-MVP wasm features, so they are disabled; the output is deterministic (same source and
 * compiler → same bytes), which `anchor-artifact.test.ts` checks against the checked-in artifact.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Folder of the contract sources. */
export const NEAR_CONTRACT_DIR = fileURLToPath(new URL('./assembly/', import.meta.url))
/** The checked-in artifact. */
export const NEAR_ANCHOR_WASM_PATH = fileURLToPath(new URL('./artifacts/mero_anchor.wasm', import.meta.url))

/** Compiler flags (CHAINS.md: NEAR's preparation rejects newer wasm features). */
export const NEAR_ASC_FLAGS = [
  '-O3',
  '--runtime',
  'stub',
  '--disable',
  'bulk-memory',
  '--disable',
  'sign-extension',
  '--disable',
  'mutable-globals',
  '--disable',
  'nontrapping-f2i',
  '--noColors',
] as const

/**
 * Compiles the contract; throws with the compiler's diagnostics when it fails.
 *
 * @example
 * const wasm = await compileNearAnchor()
 */
export async function compileNearAnchor(): Promise<Uint8Array> {
  const { default: asc } = await import('assemblyscript/asc')
  const root = dirname(dirname(dirname(NEAR_CONTRACT_DIR))) // the repository root
  const entry = relative(root, join(NEAR_CONTRACT_DIR, 'index.ts'))
  let wasm: Uint8Array | undefined
  const diagnostics: string[] = []
  const sink = { write: (s: string | Uint8Array) => diagnostics.push(String(s)) }
  const r = await asc.main([entry, '--outFile', 'mero_anchor.wasm', '--baseDir', root, ...NEAR_ASC_FLAGS], {
    readFile: (name: string, baseDir: string) => {
      try {
        return readFileSync(join(baseDir, name), 'utf8')
      } catch {
        return null
      }
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith('mero_anchor.wasm') && typeof contents !== 'string') wasm = contents
    },
    listFiles: () => [],
    stdout: sink,
    stderr: sink,
  })
  if (r.error || !wasm) throw new Error(`AssemblyScript compile failed:\n${diagnostics.join('')}`)
  return new Uint8Array(wasm)
}

/** The checked-in compiled contract. */
export function nearAnchorWasm(): Uint8Array {
  return new Uint8Array(readFileSync(NEAR_ANCHOR_WASM_PATH))
}
