/**
 * End to end on Starknet: `merod dev` with only the Starknet devnet → a context and writes through
 * the API → the proof's Starknet anchor reaches `final` → the independent verifier accepts it with
 * the chain RPC → pinning another (real, deployed) anchor contract makes it fail.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseStarknetSecret } from '../adapters/starknet/starknet-secret.ts'
import { deployStarknetAnchor } from '../devnets/starknet/deploy-anchor.ts'
import { MODEL_CLASS_HASHES } from '../devnets/starknet/devnet-accounts.ts'
import { runDevChainE2E } from './helpers/dev-chain-e2e.ts'
import { createStarknetTestWallet } from './helpers/starknet-test-wallet.ts'

test(
  'merod dev on Starknet: write → anchored final → verified against the RPC; another contract fails',
  { timeout: 180_000 },
  (t) =>
    runDevChainE2E(t, {
      kind: 'starknet',
      chainId: 'starknet:SN_DEVNET',
      label: 'Starknet',
      // Another anchor contract on the same chain, deployed for real with the dev submitter's account, empty.
      wallet: async () => createStarknetTestWallet(),
      otherContract: async ({ rpcUrl, dataDir }) => {
        const secret = parseStarknetSecret(await readFile(join(dataDir, 'starknet-submitter.key'), 'utf8'))
        return deployStarknetAnchor(rpcUrl, secret, MODEL_CLASS_HASHES.anchor, '0x07e57')
      },
    }),
)
