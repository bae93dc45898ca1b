/**
 * ICP for `merod dev`: the mero ICP devnet (IC System API executor + IC HTTP interface) with its
 * state in the chain's folder, the anchor canister deployed once and reused, the node key registered
 * with the dev signer as its submitter — or, with `rpcUrl`, an existing replica (e.g. dfx / PocketIC
 * from docker-compose), where the canister is deployed the same way through the management canister.
 */
import { join } from 'node:path'
import { Principal } from '@dfinity/principal'
import { createIcpAdapter } from '../../adapters/icp/icp-adapter.ts'
import type { DevChain, StartDevChain } from '../dev-chain.ts'
import { readRememberedContract, rememberContract } from '../dev-chain-files.ts'
import { deployAnchorCanister, devnetAgent } from './deploy-anchor.ts'
import { readOrCreateIcpSigner } from './dev-signer.ts'
import { startIcpDevnet } from './icp-devnet.ts'

/** The dev chain's CAIP-2 id. */
export const ICP_DEV_CHAIN_ID = 'icp:local'

/** Whether `canisterId` exists on the replica and has a module installed (certified read_state). */
async function installed(url: string, canisterId: string): Promise<boolean> {
  try {
    const agent = devnetAgent(url)
    const id = Principal.fromText(canisterId)
    const r = await agent.query(id, {
      methodName: 'anchor_count',
      arg: new Uint8Array([0x44, 0x49, 0x44, 0x4c, 0, 0]),
    })
    return r.status === 'replied'
  } catch {
    return false
  }
}

/** Starts (or attaches to) the dev ICP chain: canister deployed once, node registered. */
export const startIcpDevChain: StartDevChain = async (options): Promise<DevChain> => {
  const devnet = options.rpcUrl
    ? undefined
    : await startIcpDevnet({ port: 0, dataDir: join(options.dataDir, 'devnet') })
  const rpcUrl = options.rpcUrl ?? devnet!.url
  try {
    const signerKeyFile = join(options.dataDir, 'icp-signer.key')
    // The dev signer: an Ed25519 seed in hex, created on first start (an unreadable file is an error).
    const { secret, identity } = await readOrCreateIcpSigner(signerKeyFile)
    const chainFile = join(options.dataDir, 'icp.json')
    let contract = await readRememberedContract(chainFile)
    if (!contract || !(await installed(rpcUrl, contract))) {
      contract = await deployAnchorCanister(rpcUrl, identity)
      await rememberContract(chainFile, ICP_DEV_CHAIN_ID, contract)
    }
    const owner = await createIcpAdapter({ rpcUrl, chainId: ICP_DEV_CHAIN_ID, contract, secret })
    try {
      await owner.registerNode(options.nodeKey, 'merod dev')
    } finally {
      await owner.close()
    }
    return {
      config: {
        chainId: ICP_DEV_CHAIN_ID,
        kind: 'icp',
        rpcUrl,
        contract,
        confirmations: 1,
        pollMs: 50,
        signerKeyFile,
      },
      description: devnet
        ? `ICP devnet (IC System API executor, IC HTTP interface), canister ${contract}, state in ${devnet.dataDir}`
        : `external ICP replica, canister ${contract}`,
      stop: async () => {
        await devnet?.stop()
      },
    }
  } catch (e) {
    await devnet?.stop()
    throw e
  }
}
