/**
 * Compiles `MeroAnchor.sol` with solc-js (the wasm compiler inside the `solc` npm package) into the
 * artifact that `build.ts` writes and `anchor-artifact.ts` loads. Deterministic: fixed compiler (the
 * installed solc), optimizer settings and EVM version, so the same source gives the same bytes.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { toHex } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { AnchorArtifact } from './anchor-artifact.ts'

/** Path of the Solidity source. */
export const ANCHOR_SOURCE_PATH = fileURLToPath(new URL('./MeroAnchor.sol', import.meta.url))

/** Compiler settings fixed for reproducible output. */
export const ANCHOR_COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[]
  contracts?: Record<
    string,
    Record<
      string,
      { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
    >
  >
}

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
  const require = createRequire(import.meta.url)
  const solc = require('solc') as { version(): string; compile(input: string): string }
  const input = {
    language: 'Solidity',
    sources: { 'MeroAnchor.sol': { content: source } },
    settings: ANCHOR_COMPILER_SETTINGS,
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  const c = output.contracts?.['MeroAnchor.sol']?.MeroAnchor
  if (!c) throw new Error('solc produced no MeroAnchor contract')
  return {
    contractName: 'MeroAnchor',
    abi: c.abi,
    bytecode: `0x${c.evm.bytecode.object}`,
    deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    compiler: {
      name: 'solc',
      version: solc.version(),
      settings: {
        optimizer: ANCHOR_COMPILER_SETTINGS.optimizer,
        evmVersion: ANCHOR_COMPILER_SETTINGS.evmVersion,
      },
    },
    sourceHash: toHex(sha256(new TextEncoder().encode(source))),
  }
}
