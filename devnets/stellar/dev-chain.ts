/**
 * Stellar for `merod dev`: the Horizon emulator (`stellar-devnet.ts`) with its ledger in the chain's
 * folder — or, with `rpcUrl`, an existing Horizon with friendbot (e.g. `stellar/quickstart --local`).
 * The dev operator account is created once (its `S…` seed in a 0600 file), funded by friendbot, and
 * is both the anchoring and the registry account; the node key is registered with the operator as
 * its submitter.
 */
import { join } from 'node:path'
import { Horizon, Keypair } from '@stellar/stellar-sdk'
import { createStellarAdapter, STELLAR_PASSPHRASES } from '../../adapters/stellar/stellar-adapter.ts'
import type { DevChain, StartDevChain } from '../dev-chain.ts'
import { readOrCreateSigner, rememberContract } from '../dev-chain-files.ts'
import { startStellarDevnet } from './stellar-devnet.ts'

/** Ledger close interval of the dev devnet, ms. */
const DEV_BLOCK_MS = 250

/** The chain id of a network passphrase (`stellar:standalone`, …). */
function chainIdOf(passphrase: string): string {
  const name = Object.entries(STELLAR_PASSPHRASES).find(([, p]) => p === passphrase)?.[0]
  if (!name) throw new Error(`unknown Stellar network passphrase '${passphrase}'`)
  return `stellar:${name}`
}

/** Funds `account` through friendbot unless it exists. */
async function ensureFunded(rpcUrl: string, account: string): Promise<void> {
  const server = new Horizon.Server(rpcUrl, { allowHttp: true })
  try {
    await server.loadAccount(account)
    return
  } catch {}
  const res = await fetch(`${rpcUrl.replace(/\/$/, '')}/friendbot?addr=${account}`)
  if (!res.ok) throw new Error(`friendbot at ${rpcUrl} could not fund ${account}: HTTP ${res.status}`)
}

/**
 * Retries `f` for up to `ms` (an external Horizon such as stellar/quickstart answers, and its
 * friendbot works, only some seconds after the container started).
 */
async function patiently<T>(ms: number, f: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await f()
    } catch (e) {
      if (Date.now() > deadline) throw e
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
}

/** Starts (or attaches to) the dev Stellar chain: operator account funded, node registered. */
export const startStellarDevChain: StartDevChain = async (options): Promise<DevChain> => {
  const devnet = options.rpcUrl
    ? undefined
    : await startStellarDevnet({ dataDir: options.dataDir, blockMs: DEV_BLOCK_MS })
  const rpcUrl = options.rpcUrl ?? devnet!.url
  const stop = async () => {
    await devnet?.stop()
  }
  try {
    const wait = options.rpcUrl ? 120_000 : 0
    const info = await patiently(
      wait,
      async () => (await (await fetch(rpcUrl)).json()) as { network_passphrase?: string },
    )
    const chainId = chainIdOf(info.network_passphrase ?? '')
    const signerKeyFile = join(options.dataDir, 'stellar-submitter.key')
    // The operator key of this data folder, created on first start.
    const operator = await readOrCreateSigner(
      signerKeyFile,
      (s) => Keypair.fromSecret(s),
      () => Keypair.random().secret(),
    )
    await patiently(wait, () => ensureFunded(rpcUrl, operator.publicKey()))
    const contract = operator.publicKey()
    await rememberContract(join(options.dataDir, 'stellar.json'), chainId, contract)
    const owner = await createStellarAdapter({ rpcUrl, chainId, contract, secret: operator.secret() })
    try {
      await owner.registerNode(options.nodeKey, 'merod dev') // reads first: sends nothing when registered
    } finally {
      await owner.close()
    }
    return {
      config: { chainId, kind: 'stellar', rpcUrl, contract, confirmations: 1, pollMs: 50, signerKeyFile },
      description: devnet
        ? `Horizon emulator (ledger every ${DEV_BLOCK_MS} ms), state in ${options.dataDir}`
        : 'external Horizon',
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}
