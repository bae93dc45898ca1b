/**
 * Deploys the `MeroAnchor` contract (the checked-in artifact) to an Ethereum RPC — the devnet's anvil
 * or any chain the operator points it at. The deployer becomes the contract owner.
 */
import { ContractFactory, JsonRpcProvider, Wallet } from 'ethers'
import { anchorArtifact } from '../../contracts/ethereum/anchor-artifact.ts'

/** Options of {@link deployAnchorContract}. */
export interface DeployAnchorOptions {
  /** Confirmations to wait for (default 1). */
  readonly confirmations?: number
}

/**
 * Deploys `MeroAnchor` signed by `deployerPrivateKey` and resolves with its checksummed address once
 * the deployment is mined. Never puts the key into errors or logs.
 *
 * @example
 * const anvil = await startAnvil()
 * const contract = await deployAnchorContract(anvil.rpcUrl, anvil.accounts[0].privateKey)
 */
export async function deployAnchorContract(
  rpcUrl: string,
  deployerPrivateKey: string,
  options: DeployAnchorOptions = {},
): Promise<string> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
  try {
    const wallet = new Wallet(deployerPrivateKey, provider)
    const { abi, bytecode } = anchorArtifact()
    const factory = new ContractFactory(abi as never[], bytecode, wallet)
    const contract = await factory.deploy()
    const tx = contract.deploymentTransaction()
    if (tx) await tx.wait(options.confirmations ?? 1)
    return await contract.getAddress()
  } finally {
    provider.destroy()
  }
}
