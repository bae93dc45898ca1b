/**
 * The CLI's chain wiring: configuration names an adapter `kind` per chain; this maps kinds to the
 * factories under `adapters/` and to the local devnets `merod dev` starts. Modules load lazily, so a
 * node pays only for the chains it uses. The node itself never imports an adapter.
 */
import { readFile } from 'node:fs/promises'
import type { StartDevChain } from '../devnets/dev-chain.ts'
import type { AdapterFactory, ChainAdapter } from '../src/chain/chain-adapter.ts'
import type { SignInScheme } from '../src/chain/sign-in-scheme.ts'
import type { ChainConfig } from '../src/core/config.ts'
import { InvalidConfig } from '../src/core/errors.ts'

/** Adapter factories by kind. */
const FACTORIES: Record<string, () => Promise<AdapterFactory>> = {
  ethereum: async () => (await import('../adapters/ethereum/ethereum-adapter.ts')).ethereumAdapterFactory,
  near: async () => (await import('../adapters/near/near-adapter.ts')).nearAdapterFactory,
  icp: async () => (await import('../adapters/icp/icp-adapter.ts')).icpAdapterFactory,
  starknet: async () => (await import('../adapters/starknet/starknet-adapter.ts')).starknetAdapterFactory,
  stellar: async () => (await import('../adapters/stellar/stellar-adapter.ts')).stellarAdapterFactory,
}

/** `merod dev`'s chains by kind, in the order they are listed and started by default. */
export const DEV_CHAINS = {
  ethereum: async () => (await import('../devnets/ethereum/dev-chain.ts')).startEthereumDevChain,
  near: async () => (await import('../devnets/near/dev-chain.ts')).startNearDevChain,
  icp: async () => (await import('../devnets/icp/dev-chain.ts')).startIcpDevChain,
  stellar: async () => (await import('../devnets/stellar/dev-chain.ts')).startStellarDevChain,
  starknet: async () => (await import('../devnets/starknet/dev-chain.ts')).startStarknetDevChain,
} satisfies Record<string, () => Promise<StartDevChain>>

/** Wallet sign-in schemes by CAIP-2 namespace (DESIGN §8), loaded on first use. */
export const SIGN_IN_SCHEMES: ReadonlyMap<string, () => Promise<SignInScheme>> = new Map([
  ['eip155', async () => (await import('../adapters/ethereum/ethereum-sign-in.ts')).eip155SignInScheme],
  ['near', async () => (await import('../adapters/near/near-sign-in.ts')).nearSignInScheme],
  ['icp', async () => (await import('../adapters/icp/icp-sign-in-scheme.ts')).icpSignInScheme],
  ['stellar', async () => (await import('../adapters/stellar/stellar-sign-in.ts')).stellarSignInScheme],
  [
    'starknet',
    async () => (await import('../adapters/starknet/starknet-sign-in-scheme.ts')).starknetSignInScheme,
  ],
])

/** A chain kind `merod dev` can start. */
export type DevChainKind = keyof typeof DEV_CHAINS

/** CAIP-2 namespace → adapter kind. */
const KIND_OF_NAMESPACE: Record<string, string> = {
  eip155: 'ethereum',
  near: 'near',
  icp: 'icp',
  starknet: 'starknet',
  stellar: 'stellar',
}

/** Builds the adapter of one configured chain; `readOnly` ignores the signer key (verifiers, readers). */
export async function createChainAdapter(
  chain: ChainConfig,
  options: { readOnly?: boolean } = {},
): Promise<ChainAdapter> {
  const load = Object.hasOwn(FACTORIES, chain.kind) ? FACTORIES[chain.kind] : undefined
  if (!load)
    throw new InvalidConfig(`unknown chain kind '${chain.kind}' for ${chain.chainId}`, {
      details: {
        errors: [
          {
            path: '/chains',
            message: `unknown kind ${chain.kind}; known: ${Object.keys(FACTORIES).join(', ')}`,
          },
        ],
      },
    })
  const secret =
    !options.readOnly && chain.signerKeyFile
      ? (await readFile(chain.signerKeyFile, 'utf8')).trim()
      : undefined
  return (await load())(chain, secret)
}

/** The adapter kind of a CAIP-2 chain id's namespace (`eip155` → `ethereum`). */
export function kindOfChain(chainId: string): string {
  const ns = chainId.split(':')[0] ?? ''
  const kind = Object.hasOwn(KIND_OF_NAMESPACE, ns) ? KIND_OF_NAMESPACE[ns] : undefined
  if (!kind)
    throw new InvalidConfig(`no adapter for chain namespace '${ns}'`, {
      details: { errors: [{ path: '/chains', message: `unsupported ${chainId}` }] },
    })
  return kind
}
