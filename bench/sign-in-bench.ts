/**
 * Benchmark 10: sign-in verifications per second per chain (DESIGN §8), each next to the primitive it
 * pays for, measured in the same run (target ≥ 70 % for eip155 EOAs and the Ed25519 chains). The
 * measures live beside each scheme's bench file; this one runs them in turn.
 */
import { eip155SignInFigures } from './sign-in-eip155.ts'
import { icpSignInFigures } from './sign-in-icp.ts'
import { nearSignInFigures } from './sign-in-near.ts'
import { starknetSignInFigures } from './sign-in-starknet.ts'
import { stellarSignInFigures } from './sign-in-stellar.ts'
import type { BenchResult, Figure } from './table.ts'

/** Runs every chain's sign-in measure. */
export async function signInBench(): Promise<BenchResult> {
  const figures: Figure[] = []
  for (const measure of [
    eip155SignInFigures,
    nearSignInFigures,
    stellarSignInFigures,
    starknetSignInFigures,
    icpSignInFigures,
  ])
    figures.push(...(await measure()))
  return {
    figures,
    notes: [
      'offline verification paths (no RPC): the on-chain parts (EIP-1271, NEAR access key, Stellar signers, Starknet is_valid_signature) are one RPC round trip each, measured by the chain benches',
    ],
    details: { figures },
  }
}
