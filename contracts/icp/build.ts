/**
 * Build step: `node bin/run.js contracts/icp/build.ts` compiles `mero_anchor.mo` and writes
 * `artifacts/mero_anchor.wasm` and `artifacts/mero_anchor.did` (both checked in;
 * `anchor-canister.test.ts` rebuilds in a child process and asserts the bytes are identical).
 * With `--stdout-hash` it only prints `sha256(wasm) sha256(did)` (used by that test).
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ANCHOR_CANDID_PATH, ANCHOR_WASM_PATH } from './anchor-canister.ts'
import { compileAnchorCanister } from './compile-anchor.ts'

const { wasm, candid } = compileAnchorCanister()
const hash = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')
if (process.argv.includes('--stdout-hash')) {
  console.log(`${hash(wasm)} ${hash(candid)}`)
} else {
  mkdirSync(dirname(ANCHOR_WASM_PATH), { recursive: true })
  writeFileSync(ANCHOR_WASM_PATH, wasm)
  writeFileSync(ANCHOR_CANDID_PATH, candid)
  console.log(
    `wrote ${ANCHOR_WASM_PATH} (${wasm.length} bytes, sha256 ${hash(wasm)}) and ${ANCHOR_CANDID_PATH}`,
  )
}
