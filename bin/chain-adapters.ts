/**
 * The CLI's adapter wiring: configuration names an adapter `kind` per chain; this maps kinds to
 * implementations under `adapters/`. The node itself never imports an adapter.
 */
import { readFile } from 'node:fs/promises'
import { createEthereumAdapter } from '../adapters/ethereum/ethereum-adapter.ts'
import type { ChainAdapter } from '../src/chain/chain-adapter.ts'
import type { ChainConfig } from '../src/core/config.ts'
import { InvalidConfig } from '../src/core/errors.ts'

/** Builds the adapter of one configured chain; `readOnly` ignores the signer key (verifiers, readers). */
export async function createChainAdapter(
  chain: ChainConfig,
  options: { readOnly?: boolean } = {},
): Promise<ChainAdapter> {
  const privateKey =
    !options.readOnly && chain.signerKeyFile
      ? (await readFile(chain.signerKeyFile, 'utf8')).trim()
      : undefined
  switch (chain.kind) {
    case 'ethereum':
      return createEthereumAdapter({
        rpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        contract: chain.contract,
        privateKey,
        confirmations: chain.confirmations,
        pollMs: chain.pollMs,
      })
    default:
      throw new InvalidConfig(`unknown chain kind '${chain.kind}' for ${chain.chainId}`, {
        details: { errors: [{ path: '/chains', message: `unknown kind ${chain.kind}` }] },
      })
  }
}

/** The adapter kind of a CAIP-2 chain id's namespace (`eip155` → `ethereum`). */
export function kindOfChain(chainId: string): string {
  const ns = chainId.split(':')[0]
  const kinds: Record<string, string> = { eip155: 'ethereum' }
  const k = kinds[ns ?? '']
  if (!k)
    throw new InvalidConfig(`no adapter for chain namespace '${ns}'`, {
      details: { errors: [{ path: '/chains', message: `unsupported ${chainId}` }] },
    })
  return k
}
