/**
 * End to end on ICP: `merod dev` with only the ICP devnet → a context written through the API → its
 * proof's ICP anchor reaches `final` (a certified reply) → the independent verifier, trusting only the
 * devnet's root key and the pinned anchor canister, accepts it; pinning another anchor canister fails.
 */
import { test } from 'node:test'
import { Ed25519KeyIdentity } from '@dfinity/identity'
import { deployAnchorCanister } from '../devnets/icp/deploy-anchor.ts'
import { runDevChainE2E } from './helpers/dev-chain-e2e.ts'
import { createIcpTestWallet } from './helpers/icp-test-wallet.ts'

test(
  'merod dev on ICP: write → anchored final → verified against the devnet root key; wrong canister fails',
  { timeout: 180_000 },
  (t) =>
    runDevChainE2E(t, {
      kind: 'icp',
      chainId: 'icp:local',
      label: 'ICP',
      // Another anchor canister on the same replica: installed, but it never held this anchor.
      wallet: async () => createIcpTestWallet(),
      otherContract: ({ rpcUrl }) => deployAnchorCanister(rpcUrl, Ed25519KeyIdentity.generate()),
    }),
)
