/**
 * The checked-in build artifact of the `MeroAnchor` contract (`artifacts/MeroAnchor.json`, written by
 * `build.ts`). A test recompiles the source and asserts the artifact is up to date.
 */
import { fileURLToPath } from 'node:url'
import { readSolcArtifact, type SolcArtifact } from './solc-artifact.ts'

/** Path of the checked-in artifact. */
export const ANCHOR_ARTIFACT_PATH = fileURLToPath(new URL('./artifacts/MeroAnchor.json', import.meta.url))

/** The compiled contract as written to `artifacts/MeroAnchor.json`. */
export type AnchorArtifact = SolcArtifact<'MeroAnchor'>

/**
 * Loads the checked-in `MeroAnchor` artifact (a fresh, frozen object on each call).
 *
 * @example
 * const { abi, bytecode } = anchorArtifact()
 * await new ContractFactory(abi, bytecode, wallet).deploy()
 */
export function anchorArtifact(): AnchorArtifact {
  return readSolcArtifact(ANCHOR_ARTIFACT_PATH, 'MeroAnchor')
}
