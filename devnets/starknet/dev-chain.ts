/**
 * Starknet for `merod dev`: the local devnet (modelled anchor contract, real starknet.js hashing and
 * signatures) with its state in the chain's folder, the anchor contract deployed once through the
 * Universal Deployer and reused, the dev account as owner and submitter, the node key registered.
 * With `rpcUrl`, attaches to a running devnet instead (its predeployed accounts are read with
 * `devnet_getPredeployedAccounts`, which starknet-devnet-rs also serves).
 */
import { join } from 'node:path'
import { RpcProvider, shortString } from 'starknet'
import { createStarknetAdapter } from '../../adapters/starknet/starknet-adapter.ts'
import { formatStarknetSecret, type StarknetSecret } from '../../adapters/starknet/starknet-secret.ts'
import type { DevChain, StartDevChain } from '../dev-chain.ts'
import { readRememberedContract, rememberContract, writeSignerKeyFile } from '../dev-chain-files.ts'
import { deployStarknetAnchor } from './deploy-anchor.ts'
import { MODEL_CLASS_HASHES } from './devnet-accounts.ts'
import { startStarknetDevnet } from './starknet-devnet.ts'

/** Deadline of each request `merod dev` makes while setting the chain up (a hung RPC must not hang startup). */
const SETUP_TIMEOUT_MS = 30_000
const boundedFetch: typeof fetch = (input, init) =>
  fetch(input, { ...init, signal: AbortSignal.timeout(SETUP_TIMEOUT_MS) })

async function attach(rpcUrl: string) {
  const res = await boundedFetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'devnet_getPredeployedAccounts', params: {} }),
  })
  const body = (await res.json()) as { result?: { address: string; private_key: string }[] }
  const first = body.result?.[0]
  if (!first) throw new Error(`${rpcUrl} does not list predeployed accounts (devnet_getPredeployedAccounts)`)
  const account: StarknetSecret = { address: first.address, privateKey: first.private_key }
  return { rpcUrl, account, external: true, stop: async () => {} }
}

/** Starts (or attaches to) the dev Starknet chain: contract deployed once, node registered. */
export const startStarknetDevChain: StartDevChain = async (options): Promise<DevChain> => {
  const chain = options.rpcUrl
    ? await attach(options.rpcUrl)
    : await (async () => {
        const devnet = await startStarknetDevnet({
          port: 0,
          dataDir: join(options.dataDir, 'devnet'),
          blockMs: 0,
        })
        return {
          rpcUrl: devnet.url,
          account: devnet.accounts[0]!,
          external: false,
          stop: () => devnet.stop(),
        }
      })()
  try {
    const provider = new RpcProvider({ nodeUrl: chain.rpcUrl, specVersion: '0.9.0', baseFetch: boundedFetch })
    const chainId = `starknet:${shortString.decodeShortString(await provider.getChainId())}`
    const chainFile = join(options.dataDir, 'starknet.json')
    let contract = await readRememberedContract(chainFile, chainId)
    const deployed = contract
      ? await provider.getClassHashAt(contract).then(
          () => true,
          () => false,
        )
      : false
    if (!contract || !deployed) {
      contract = await deployStarknetAnchor(chain.rpcUrl, chain.account, MODEL_CLASS_HASHES.anchor)
      await rememberContract(chainFile, chainId, contract)
    }
    const signerKeyFile = join(options.dataDir, 'starknet-submitter.key')
    await writeSignerKeyFile(signerKeyFile, formatStarknetSecret(chain.account))
    const owner = await createStarknetAdapter({
      rpcUrl: chain.rpcUrl,
      chainId,
      contract,
      account: chain.account,
      pollMs: 50,
    })
    try {
      // Bounded: a devnet that never accepts the registration must not hang `merod dev` startup.
      const signal = AbortSignal.timeout(120_000)
      if (!(await owner.isNode(options.nodeKey, { signal })))
        await owner.registerNode(options.nodeKey, 'merod dev', { signal })
    } finally {
      await owner.close()
    }
    return {
      config: {
        chainId,
        kind: 'starknet',
        rpcUrl: chain.rpcUrl,
        contract,
        confirmations: 1,
        pollMs: 50,
        signerKeyFile,
      },
      description: chain.external
        ? 'external Starknet RPC'
        : `Starknet devnet (JSON-RPC 0.9, anchor contract is a model of the Cairo source), state in ${join(options.dataDir, 'devnet')}`,
      stop: chain.stop,
    }
  } catch (e) {
    await chain.stop()
    throw e
  }
}
