/**
 * Compiles `MeroAnchor.sol` with solc-js (the wasm compiler inside the `solc` npm package) into the
 * artifact that `build.ts` writes and `anchor-artifact.ts` loads. Deterministic: fixed compiler (the
 * installed solc), optimizer settings and EVM version, so the same source gives the same bytes.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { toHex } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { AnchorArtifact } from './anchor-artifact.ts'
import { compileSolidity } from './solc-artifact.ts'

/** Path of the Solidity source. */
export const ANCHOR_SOURCE_PATH = fileURLToPath(new URL('./MeroAnchor.sol', import.meta.url))

/** Compiler settings fixed for reproducible output. */
export const ANCHOR_COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const

/**
 * Compiles the anchor contract and returns its artifact. Throws with the compiler's messages when the
 * source does not compile (warnings are ignored).
 *
 * @example
 * const artifact = compileAnchorContract()
 * artifact.bytecode.startsWith('0x') // true
 */
export function compileAnchorContract(
  source: string = readFileSync(ANCHOR_SOURCE_PATH, 'utf8'),
): AnchorArtifact {
  const sourceHash = toHex(sha256(new TextEncoder().encode(source)))
  return compileSolidity({ 'MeroAnchor.sol': source }, ANCHOR_COMPILER_SETTINGS)(
    'MeroAnchor.sol',
    'MeroAnchor',
    sourceHash,
  )
}
