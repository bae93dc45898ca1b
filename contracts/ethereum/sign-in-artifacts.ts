/**
 * The checked-in build artifacts of the sign-in contracts (`artifacts/<Name>.json`, written by
 * `build.ts`): `SignatureValidator`, the deployless ERC-1271 / ERC-6492 check the Ethereum adapter runs
 * in an `eth_call`, and the test fixtures `TestWallet1271` (an ERC-1271 wallet owned by one account)
 * and `TestWalletFactory` (CREATE2 deployer for counterfactual wallets). A test recompiles the sources
 * and asserts the artifacts are up to date.
 */
import { fileURLToPath } from 'node:url'
import { readSolcArtifact, type SolcArtifact } from './solc-artifact.ts'

/** The sign-in contracts, in build order. */
export const SIGN_IN_CONTRACTS = ['SignatureValidator', 'TestWallet1271', 'TestWalletFactory'] as const

/** Name of one sign-in contract. */
export type SignInContractName = (typeof SIGN_IN_CONTRACTS)[number]

/**
 * A compiled sign-in contract as written to `artifacts/<contractName>.json` (`deployedBytecode` is
 * `0x` for the never-deployed `SignatureValidator`; `sourceHash` covers all sign-in sources, file
 * names and texts).
 */
export type SignInArtifact = SolcArtifact<SignInContractName>

/** Path of the checked-in artifact of `name`. */
export function signInArtifactPath(name: SignInContractName): string {
  return fileURLToPath(new URL(`./artifacts/${name}.json`, import.meta.url))
}

/**
 * Loads the checked-in artifact of `name` (a fresh, frozen object on each call).
 *
 * @example
 * const { bytecode } = signInArtifact('SignatureValidator')
 */
export function signInArtifact(name: SignInContractName): SignInArtifact {
  return readSolcArtifact(signInArtifactPath(name), name)
}
