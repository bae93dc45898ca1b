/**
 * The checked-in build artifact of the `MeroAnchor` contract (`artifacts/MeroAnchor.json`, written by
 * `build.ts`). A test recompiles the source and asserts the artifact is up to date.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Path of the checked-in artifact. */
export const ANCHOR_ARTIFACT_PATH = fileURLToPath(new URL('./artifacts/MeroAnchor.json', import.meta.url))

/** The compiled contract as written to `artifacts/MeroAnchor.json`. */
export interface AnchorArtifact {
  readonly contractName: 'MeroAnchor'
  /** Solidity JSON ABI. */
  readonly abi: readonly unknown[]
  /** Creation bytecode, `0x`-prefixed hex. */
  readonly bytecode: `0x${string}`
  /** Runtime bytecode, `0x`-prefixed hex (what `eth_getCode` returns after deployment). */
  readonly deployedBytecode: `0x${string}`
  readonly compiler: {
    readonly name: 'solc'
    /** Full solc version string, e.g. `0.8.37+commit.f401782d.Emscripten.clang`. */
    readonly version: string
    readonly settings: {
      readonly optimizer: { readonly enabled: boolean; readonly runs: number }
      readonly evmVersion: string
    }
  }
  /** `0x`-hex SHA-256 of the Solidity source the artifact was built from. */
  readonly sourceHash: `0x${string}`
}

/**
 * Loads the checked-in `MeroAnchor` artifact (a fresh, frozen object on each call).
 *
 * @example
 * const { abi, bytecode } = anchorArtifact()
 * await new ContractFactory(abi, bytecode, wallet).deploy()
 */
export function anchorArtifact(): AnchorArtifact {
  const parsed = JSON.parse(readFileSync(ANCHOR_ARTIFACT_PATH, 'utf8')) as AnchorArtifact
  if (parsed.contractName !== 'MeroAnchor' || !parsed.bytecode?.startsWith('0x'))
    throw new Error(`${ANCHOR_ARTIFACT_PATH} is not a MeroAnchor artifact; run \`npm run build\``)
  return Object.freeze(parsed)
}
