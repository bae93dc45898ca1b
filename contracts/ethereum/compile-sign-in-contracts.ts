/**
 * Compiles the sign-in contracts (`SignatureValidator.sol`, `TestWallet1271.sol`,
 * `TestWalletFactory.sol` and the `EcdsaRecover.sol` library they share) with solc-js, with the same
 * fixed settings as the anchor contract, into the artifacts `build.ts` writes and `sign-in-artifacts.ts`
 * loads. Deterministic: the same sources give the same bytes.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { toHex } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import { ANCHOR_COMPILER_SETTINGS } from './compile-anchor.ts'
import { SIGN_IN_CONTRACTS, type SignInArtifact, type SignInContractName } from './sign-in-artifacts.ts'
import { compileSolidity } from './solc-artifact.ts'

/** The Solidity files of the sign-in contracts, in a fixed order. */
export const SIGN_IN_SOURCE_FILES = [
  'EcdsaRecover.sol',
  'SignatureValidator.sol',
  'TestWallet1271.sol',
  'TestWalletFactory.sol',
] as const

/** Reads the sign-in sources from this folder, by file name. */
export function readSignInSources(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of SIGN_IN_SOURCE_FILES)
    out[f] = readFileSync(fileURLToPath(new URL(`./${f}`, import.meta.url)), 'utf8')
  return out
}

/** SHA-256 over the sources in order, each as `name\0text\0`. */
export function signInSourceHash(sources: Record<string, string>): `0x${string}` {
  const text = SIGN_IN_SOURCE_FILES.map((f) => `${f}\0${sources[f] ?? ''}\0`).join('')
  return toHex(sha256(new TextEncoder().encode(text)))
}

/**
 * Compiles the sign-in contracts and returns their artifacts by name. Throws with the compiler's
 * messages when a source does not compile (warnings are ignored).
 *
 * @example
 * const { SignatureValidator } = compileSignInContracts()
 */
export function compileSignInContracts(
  sources: Record<string, string> = readSignInSources(),
): Record<SignInContractName, SignInArtifact> {
  const artifactOf = compileSolidity(
    Object.fromEntries(SIGN_IN_SOURCE_FILES.map((f) => [f, sources[f] ?? ''])),
    ANCHOR_COMPILER_SETTINGS,
  )
  const sourceHash = signInSourceHash(sources)
  const artifact = (name: SignInContractName) => artifactOf(`${name}.sol`, name, sourceHash)
  return Object.fromEntries(SIGN_IN_CONTRACTS.map((n) => [n, artifact(n)])) as Record<
    SignInContractName,
    SignInArtifact
  >
}
