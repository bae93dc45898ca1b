/**
 * Deploys the anchor registry on a NEAR chain with near-api-js: one transaction from the parent
 * account that creates `<name>.<parent>`, funds it, deploys `mero_anchor.wasm` and calls `init` with
 * the owner — atomic, so nobody can initialise it in between.
 */
import { Account, actions, JsonRpcProvider, KeyPairSigner, type KeyPairString } from 'near-api-js'
import { nearAnchorWasm } from '../../contracts/near/compile-anchor.ts'

/** Options of {@link deployNearAnchor}. */
export interface DeployNearAnchorOptions {
  readonly rpcUrl: string
  /** The parent account that pays and creates the contract account. */
  readonly parentAccount: string
  /** The parent's FullAccess secret key, `ed25519:…`. */
  readonly parentSecretKey: string
  /** Sub-account label (default `anchor`): the contract is `<label>.<parent>`. */
  readonly label?: string
  /** Registry owner (default: the parent account). */
  readonly owner?: string
  /** Contract code (default: the checked-in artifact). */
  readonly code?: Uint8Array
  /**
   * yoctoNEAR the contract account is funded with (default 10 NEAR). It pays the storage stake:
   * 1e19 yoctoNEAR per byte — about 0.18 NEAR for the code and 0.00144 NEAR per anchor.
   */
  readonly amount?: bigint
}

/**
 * Deploys and initialises the registry; resolves with the contract account id.
 *
 * @example
 * const contract = await deployNearAnchor({ rpcUrl, parentAccount: 'test.near', parentSecretKey })
 */
export async function deployNearAnchor(o: DeployNearAnchorOptions): Promise<string> {
  const contractId = `${o.label ?? 'anchor'}.${o.parentAccount}`
  const provider = new JsonRpcProvider({ url: o.rpcUrl }, { retries: 2, wait: 100, backoff: 1.5 })
  const parent = new Account(
    o.parentAccount,
    provider,
    KeyPairSigner.fromSecretKey(o.parentSecretKey as KeyPairString),
  )
  await parent.signAndSendTransaction({
    receiverId: contractId,
    actions: [
      actions.createAccount(),
      actions.transfer(o.amount ?? 10n ** 25n),
      actions.deployContract(o.code ?? nearAnchorWasm()),
      actions.functionCall('init', { owner: o.owner ?? o.parentAccount }, 30_000_000_000_000n, 0n),
    ],
  })
  return contractId
}
