/**
 * Build step: `node bin/run.js contracts/near/build.ts` compiles the AssemblyScript registry and writes
 * `artifacts/mero_anchor.wasm` (checked in; `anchor-artifact.test.ts` asserts it is up to date).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { compileNearAnchor, NEAR_ANCHOR_WASM_PATH } from './compile-anchor.ts'

const wasm = await compileNearAnchor()
mkdirSync(dirname(NEAR_ANCHOR_WASM_PATH), { recursive: true })
writeFileSync(NEAR_ANCHOR_WASM_PATH, wasm)
console.log(`wrote ${NEAR_ANCHOR_WASM_PATH} (${wasm.length} bytes)`)
