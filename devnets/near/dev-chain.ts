/**
 * NEAR for `merod dev`: the local NEAR devnet (nearcore's VM logic behind a NEAR JSON-RPC, state in the
 * chain's folder), the anchor registry deployed once and reused (its id remembered in `near.json`), and
 * the node key registered with the genesis account `test.near` as owner and submitter.
 *
 * With `rpcUrl` it attaches to a running chain instead — another devnet of this kind, or a real
 * `neard` localnet (e.g. the compose profile): then put that chain's root credentials in
 * `<dataDir>/near-root.key`, either `test.near:ed25519:…` or neard's `validator_key.json` as is;
 * without that file the devnet's well-known `test.near` key is assumed.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { JsonRpcProvider } from 'near-api-js'
import { createNearAdapter, parseNearSecret } from '../../adapters/near/near-adapter.ts'
import type { DevChain, DevChainOptions, StartDevChain } from '../dev-chain.ts'
import { readRememberedContract, rememberContract, writeSignerKeyFile } from '../dev-chain-files.ts'
import { deployNearAnchor } from './deploy.ts'
import { NEAR_ROOT_ACCOUNT, NEAR_ROOT_KEY } from './dev-keys.ts'
import { startNearDevnet } from './near-devnet.ts'

/** The CAIP-2 id of the dev chain. */
export const NEAR_DEV_CHAIN_ID = 'near:localnet'

async function startOrAttach(options: DevChainOptions) {
  if (options.rpcUrl) return { rpcUrl: options.rpcUrl, external: true, stop: async () => {} }
  const devnet = await startNearDevnet({ port: 0, dataDir: join(options.dataDir, 'chain'), blockMs: 200 })
  return { rpcUrl: devnet.url, external: false, stop: () => devnet.stop() }
}

async function hasCode(rpcUrl: string, contract: string): Promise<boolean> {
  try {
    const provider = new JsonRpcProvider({ url: rpcUrl }, { retries: 1, wait: 100, backoff: 1 })
    const a = await provider.viewAccount({ accountId: contract, blockQuery: { finality: 'optimistic' } })
    return a.code_hash !== '11111111111111111111111111111111'
  } catch {
    return false
  }
}

/**
 * The registry `deployNearAnchor` creates under `parent` (`anchor.<parent>`), when it is on chain
 * already with `parent` as owner: deployed by an earlier start that stopped before remembering it
 * (or by another node of the same root on an attached chain). Deploying again would fail: the
 * account exists.
 */
async function existingRegistry(rpcUrl: string, parent: string): Promise<string | undefined> {
  const contract = `anchor.${parent}`
  if (!(await hasCode(rpcUrl, contract))) return undefined
  try {
    const provider = new JsonRpcProvider({ url: rpcUrl }, { retries: 1, wait: 100, backoff: 1 })
    const owner = await provider.callFunction({ contractId: contract, method: 'owner', args: {} })
    return owner === parent ? contract : undefined
  } catch {
    return undefined
  }
}

/** What the dev contract account is funded with: 1000 NEAR (storage for ~690,000 anchors). */
const DEV_CONTRACT_FUNDING = 1000n * 10n ** 24n

/** The root account's credentials: `<dataDir>/near-root.key` when present, else the devnet's dev key. */
async function rootCredentials(dataDir: string): Promise<{ accountId: string; secretKey: string }> {
  let text: string
  try {
    text = await readFile(join(dataDir, 'near-root.key'), 'utf8')
  } catch {
    return { accountId: NEAR_ROOT_ACCOUNT, secretKey: NEAR_ROOT_KEY.secretKey }
  }
  return parseNearSecret(text)
}

/** Starts (or attaches to) the dev NEAR chain: registry deployed once, node registered. */
export const startNearDevChain: StartDevChain = async (options): Promise<DevChain> => {
  const root = await rootCredentials(options.dataDir)
  const chain = await startOrAttach(options)
  try {
    const chainFile = join(options.dataDir, 'near.json')
    let contract = await readRememberedContract(chainFile)
    if (!contract || !(await hasCode(chain.rpcUrl, contract))) {
      contract =
        (await existingRegistry(chain.rpcUrl, root.accountId)) ??
        (await deployNearAnchor({
          rpcUrl: chain.rpcUrl,
          parentAccount: root.accountId,
          parentSecretKey: root.secretKey,
          // generous on our devnet (each anchor stakes ~144 bytes × 1e19 yoctoNEAR); 10 NEAR elsewhere
          ...(chain.external ? {} : { amount: DEV_CONTRACT_FUNDING }),
        }))
      await rememberContract(chainFile, NEAR_DEV_CHAIN_ID, contract)
    }
    const signerKeyFile = join(options.dataDir, 'near-submitter.key')
    await writeSignerKeyFile(signerKeyFile, `${root.accountId}:${root.secretKey}`)
    const owner = await createNearAdapter({
      rpcUrl: chain.rpcUrl,
      chainId: NEAR_DEV_CHAIN_ID,
      contract,
      accountId: root.accountId,
      secretKey: root.secretKey,
      pollMs: 50,
    })
    try {
      // idempotent: sends nothing when the node is registered with this submitter already
      await owner.registerNode(options.nodeKey, 'merod dev')
    } finally {
      await owner.close()
    }
    return {
      config: {
        chainId: NEAR_DEV_CHAIN_ID,
        kind: 'near',
        rpcUrl: chain.rpcUrl,
        contract,
        confirmations: 1,
        pollMs: 50,
        signerKeyFile,
      },
      description: chain.external
        ? 'external NEAR RPC'
        : `NEAR devnet (nearcore VM logic), state in ${join(options.dataDir, 'chain')}`,
      stop: chain.stop,
    }
  } catch (e) {
    await chain.stop()
    throw e
  }
}
