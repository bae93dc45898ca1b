/**
 * End to end on NEAR: `merod dev` with only the NEAR devnet → a context written through the API → its
 * proof's NEAR anchor reaches `final` → the independent verifier, trusting only the NEAR RPC and the
 * pinned registry contract, accepts it; pinning another (real, deployed) registry makes it fail.
 */
import { test } from 'node:test'
import { deployNearAnchor } from '../devnets/near/deploy.ts'
import { NEAR_ROOT_ACCOUNT, NEAR_ROOT_KEY } from '../devnets/near/dev-keys.ts'
import { runDevChainE2E } from './helpers/dev-chain-e2e.ts'
import { createNearTestWallet } from './helpers/near-test-wallet.ts'

test(
  'merod dev on NEAR: write → anchored final → verified against the RPC; another registry fails',
  { timeout: 180_000 },
  (t) =>
    runDevChainE2E(t, {
      kind: 'near',
      chainId: 'near:localnet',
      label: 'NEAR',
      // Another registry on the same chain: deployed, but this root was never anchored there.
      wallet: ({ rpcUrl }) => createNearTestWallet(rpcUrl),
      otherContract: ({ rpcUrl }) =>
        deployNearAnchor({
          rpcUrl,
          parentAccount: NEAR_ROOT_ACCOUNT,
          parentSecretKey: NEAR_ROOT_KEY.secretKey,
          label: 'other',
        }),
    }),
)
