/**
 * Test helper: a Starknet "wallet" for sign-in tests. It signs the rendered SNIP-12 typed data with
 * the unmodified starknet.js `Account.signMessage` (not with mero's hashing): either a deployed
 * account of the repo's Starknet devnet (checked on chain through `is_valid_signature`) or a fresh
 * key whose account is not deployed yet (counterfactual address of the devnet's OpenZeppelin-style
 * account class; checked from `extra.publicKey` and `extra.classHash` once the chain's adapter
 * confirms nothing is deployed at the address — without an adapter it is `AccountKeyUnverifiable`).
 * Also starts a devnet with an adapter for such checks.
 */
import { Account, ec, hash, stark, type TypedData } from 'starknet'
import { createStarknetAdapter, type StarknetAdapter } from '../../adapters/starknet/starknet-adapter.ts'
import { DEVNET_ACCOUNT_CLASS_HASH } from '../../adapters/starknet/starknet-sign-in-scheme.ts'
import { deployStarknetAnchor } from '../../devnets/starknet/deploy-anchor.ts'
import type { DevnetAccount } from '../../devnets/starknet/devnet-accounts.ts'
import { STARKNET_SPEC_VERSION, startStarknetDevnet } from '../../devnets/starknet/starknet-devnet.ts'
import type { RenderedChallenge, SignInProof } from '../../src/chain/sign-in-scheme.ts'
import { stopOnce } from './stop-once.ts'

/** A Starknet account that signs sign-in challenges. */
export interface StarknetTestWallet {
  /** CAIP-2 id, e.g. `starknet:SN_DEVNET`. */
  readonly chainId: string
  /** CAIP-10 account, `starknet:<ref>:0x<64 hex>` (normalised). */
  readonly account: string
  /** Whether the account contract is deployed on the devnet. */
  readonly deployed: boolean
  /** Signs `rendered` (SNIP-12 typed data) with the account's key. */
  sign(rendered: RenderedChallenge): Promise<SignInProof>
  /** Signs `rendered` with a fresh key that is not the account's (same proof shape). */
  signWithWrongKey(rendered: RenderedChallenge): Promise<SignInProof>
}

/** Options of {@link createStarknetTestWallet}. */
export interface StarknetTestWalletOptions {
  /** CAIP-2 id (default `starknet:SN_DEVNET`). */
  readonly chainId?: string
  /**
   * A deployed devnet account (e.g. `chain.accounts[1]`); omitted: a fresh key, account not deployed
   * (its sign-in needs an adapter of the chain all the same, to see that nothing is deployed there).
   */
  readonly deployed?: Pick<DevnetAccount, 'address' | 'privateKey'>
  /**
   * Send `extra.publicKey` (full key) and `extra.classHash` (the devnet account class) with each
   * proof. Default: true for an undeployed account (its only way to sign in), false for a deployed one
   * (whose contract is asked on chain whether it sends them or not).
   */
  readonly sendPublicKey?: boolean
}

const addressOf = (a: string) => `0x${BigInt(a).toString(16).padStart(64, '0')}`

/**
 * Creates a wallet (no network: `Account.signMessage` signs locally).
 *
 * @example
 * const wallet = createStarknetTestWallet({ deployed: chain.accounts[1] })
 * const proof = await wallet.sign(await starknetSignInScheme.render(challenge, ctx))
 */
export function createStarknetTestWallet(options: StarknetTestWalletOptions = {}): StarknetTestWallet {
  const chainId = options.chainId ?? 'starknet:SN_DEVNET'
  const privateKey = options.deployed?.privateKey ?? stark.randomAddress()
  const starkKey = ec.starkCurve.getStarkKey(privateKey)
  const address = addressOf(
    options.deployed?.address ??
      hash.calculateContractAddressFromHash(starkKey, DEVNET_ACCOUNT_CLASS_HASH, [starkKey], 0),
  )
  const extra =
    (options.sendPublicKey ?? !options.deployed)
      ? { publicKey: stark.getFullPublicKey(privateKey), classHash: DEVNET_ACCOUNT_CLASS_HASH }
      : undefined
  const signWith = async (key: string, rendered: RenderedChallenge): Promise<SignInProof> => {
    const account = new Account({
      provider: { nodeUrl: 'http://127.0.0.1:9/rpc', specVersion: STARKNET_SPEC_VERSION },
      address,
      signer: key,
      cairoVersion: '1',
    })
    const signature = await account.signMessage(JSON.parse(rendered.message) as TypedData)
    return {
      message: rendered.message,
      signature: stark.formatSignature(signature),
      ...(extra ? { extra } : {}),
    }
  }
  return {
    chainId,
    account: `${chainId}:${address}`,
    deployed: options.deployed !== undefined,
    sign: (rendered) => signWith(privateKey, rendered),
    signWithWrongKey: (rendered) => signWith(stark.randomAddress(), rendered),
  }
}

/** A running Starknet devnet with a read-only adapter for sign-in checks. */
export interface StarknetSignInChain {
  /** `starknet:SN_DEVNET`. */
  readonly chainId: string
  readonly rpcUrl: string
  /** Read-only adapter (anchor contract deployed, no submitter). */
  readonly adapter: StarknetAdapter
  /** The devnet's deployed accounts (dev keys): pass one as {@link StarknetTestWalletOptions.deployed}. */
  readonly accounts: readonly DevnetAccount[]
  /** Closes the adapter and stops the devnet. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts an in-memory Starknet devnet (anchor contract deployed) and a read-only adapter on it.
 *
 * @example
 * const chain = await startStarknetSignInChain()
 * t.after(() => chain.stop())
 * const wallet = createStarknetTestWallet({ deployed: chain.accounts[1] })
 */
export async function startStarknetSignInChain(): Promise<StarknetSignInChain> {
  const devnet = await startStarknetDevnet({ port: 0 })
  try {
    const contract = await deployStarknetAnchor(devnet.url, devnet.accounts[0]!, devnet.anchorClassHash)
    const chainId = `starknet:${devnet.chainId}`
    const adapter = await createStarknetAdapter({ rpcUrl: devnet.url, chainId, contract, pollMs: 20 })
    return {
      chainId,
      rpcUrl: devnet.url,
      adapter,
      accounts: devnet.accounts,
      stop: stopOnce(
        () => adapter.close(),
        () => devnet.stop(),
      ),
    }
  } catch (e) {
    await devnet.stop()
    throw e
  }
}
