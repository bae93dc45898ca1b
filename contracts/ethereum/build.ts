/**
 * Build step: `node bin/run.js contracts/ethereum/build.ts` compiles `MeroAnchor.sol` and writes
 * `artifacts/MeroAnchor.json` (checked in; `anchor-artifact.test.ts` asserts it is up to date).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ANCHOR_ARTIFACT_PATH } from './anchor-artifact.ts'
import { compileAnchorContract } from './compile-anchor.ts'

const artifact = compileAnchorContract()
mkdirSync(dirname(ANCHOR_ARTIFACT_PATH), { recursive: true })
writeFileSync(ANCHOR_ARTIFACT_PATH, `${JSON.stringify(artifact, null, 2)}\n`)
console.log(
  `wrote ${ANCHOR_ARTIFACT_PATH} (solc ${artifact.compiler.version}, ${(artifact.deployedBytecode.length - 2) / 2} bytes runtime)`,
)
