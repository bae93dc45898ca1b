/**
 * Deploys the anchor contract through the Universal Deployer (`deploy_contract`) with starknet.js,
 * exactly as on a real Starknet — on the devnet the class is the modelled anchor class.
 */
import { Account, RpcProvider } from 'starknet'

/**
 * Deploys the anchor contract with `owner` = the deploying account; resolves with its address once the
 * deployment is ACCEPTED_ON_L2.
 *
 * @example
 * const contract = await deployStarknetAnchor(devnet.url, devnet.accounts[0], devnet.anchorClassHash)
 */
export async function deployStarknetAnchor(
  rpcUrl: string,
  deployer: { address: string; privateKey: string },
  classHash: string,
  salt = '0x6d65726f',
): Promise<string> {
  const provider = new RpcProvider({
    nodeUrl: rpcUrl,
    specVersion: '0.9.0',
    // every request bounded: a hung RPC fails the deployment instead of hanging it
    baseFetch: ((input: string | URL | Request, init?: RequestInit) =>
      fetch(input, { ...init, signal: AbortSignal.timeout(30_000) })) as typeof fetch,
  })
  const account = new Account({
    provider,
    address: deployer.address,
    signer: deployer.privateKey,
    cairoVersion: '1',
  })
  const r = await account.deploy(
    { classHash, constructorCalldata: [deployer.address], salt, unique: true },
    { tip: 0 },
  )
  await provider.waitForTransaction(r.transaction_hash, { retryInterval: 50 })
  const address = r.contract_address[0]
  if (!address) throw new Error('deployment returned no address')
  return `0x${BigInt(address).toString(16)}`
}
