/**
 * Build step: `node bin/run.js contracts/ethereum/build.ts` compiles `MeroAnchor.sol` and the sign-in
 * contracts (`SignatureValidator.sol`, `TestWallet1271.sol`, `TestWalletFactory.sol`) and writes
 * `artifacts/<Name>.json` (checked in; `anchor-artifact.test.ts` and `sign-in-artifacts.test.ts` assert
 * they are up to date).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ANCHOR_ARTIFACT_PATH } from './anchor-artifact.ts'
import { compileAnchorContract } from './compile-anchor.ts'
import { compileSignInContracts } from './compile-sign-in-contracts.ts'
import { SIGN_IN_CONTRACTS, signInArtifactPath } from './sign-in-artifacts.ts'

const write = (path: string, artifact: { compiler: { version: string }; deployedBytecode: string }) => {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(artifact, null, 2)}\n`)
  console.log(
    `wrote ${path} (solc ${artifact.compiler.version}, ${(artifact.deployedBytecode.length - 2) / 2} bytes runtime)`,
  )
}

write(ANCHOR_ARTIFACT_PATH, compileAnchorContract())
const signIn = compileSignInContracts()
for (const name of SIGN_IN_CONTRACTS) write(signInArtifactPath(name), signIn[name])
