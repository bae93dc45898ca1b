/**
 * End to end on Stellar: `merod dev` with only the Stellar devnet → a context written through the API →
 * its proof's Stellar anchor reaches `final` → the independent verifier, trusting only Horizon and the
 * pinned anchoring account, accepts it; pinning another account makes it fail.
 */
import { test } from 'node:test'
import { Keypair } from '@stellar/stellar-sdk'
import { runDevChainE2E } from './helpers/dev-chain-e2e.ts'
import { createStellarTestWallet } from './helpers/stellar-test-wallet.ts'

test(
  'merod dev on Stellar: write → anchored final → verified against Horizon; wrong account fails',
  { timeout: 180_000 },
  (t) =>
    runDevChainE2E(t, {
      kind: 'stellar',
      chainId: 'stellar:standalone',
      label: 'Stellar',
      // Stellar has no contracts: the "contract" is the anchoring account; another one never anchored this.
      wallet: ({ rpcUrl }) => createStellarTestWallet(rpcUrl),
      otherContract: async () => Keypair.random().publicKey(),
    }),
)
