/**
 * Test helper: an ICP "wallet" for sign-in tests, built the way a dapp signs in with
 * `@dfinity/identity`: a root identity delegates (`DelegationChain.create`) to a fresh session key,
 * and the session key signs the rendered CAIP-122 text. The root is an Ed25519 key pair (offline), or
 * — Internet Identity style — a canister-signature key whose delegation is certified under an ICP
 * devnet's root key (`devnets/icp/canister-signature.ts`), which only an adapter of that devnet can
 * check. Also starts an ICP devnet with a read-only adapter for such checks.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, requestIdOf } from '@dfinity/agent'
import { Delegation, DelegationChain, Ed25519KeyIdentity } from '@dfinity/identity'
import { Principal } from '@dfinity/principal'
import { createIcpAdapter, type IcpAdapter } from '../../adapters/icp/icp-adapter.ts'
import { canisterSignature } from '../../devnets/icp/canister-signature.ts'
import { deployAnchorCanister } from '../../devnets/icp/deploy-anchor.ts'
import { startIcpDevnet } from '../../devnets/icp/icp-devnet.ts'
import type { RenderedChallenge, SignInProof } from '../../src/chain/sign-in-scheme.ts'
import { stopOnce } from './stop-once.ts'

/** An ICP identity that signs sign-in challenges. */
export interface IcpTestWallet {
  /** CAIP-2 id, e.g. `icp:local`. */
  readonly chainId: string
  /** CAIP-10 account, `icp:<network>:<principal>` (self-authenticating principal of the root key). */
  readonly account: string
  /** Signs `rendered` with a session key delegated to from the root (a fresh delegation each time). */
  sign(rendered: RenderedChallenge): Promise<SignInProof>
  /** Signs `rendered` with a key the delegation chain does not lead to (the chain itself is valid). */
  signWithWrongKey(rendered: RenderedChallenge): Promise<SignInProof>
}

/** Options of {@link createIcpTestWallet}. */
export interface IcpTestWalletOptions {
  /** CAIP-2 network (default `local`). */
  readonly network?: string
  /** Delegation expiry relative to now, ms (default 10 min; negative gives an expired delegation). */
  readonly expiresInMs?: number
  /** Restricts the delegation to these canisters (a sign-in must refuse it). */
  readonly targets?: readonly Principal[]
  /**
   * Internet Identity style: the root is a canister-signature key of a signing canister, its
   * delegation certified under the devnet whose BLS root secret this is ({@link IcpSignInChain.rootSecret}).
   */
  readonly canisterSigner?: { readonly rootSecret: Uint8Array }
}

/** The delegation request's bytes a root signs: domain separator ‖ request id of {pubkey, expiration}. */
function delegationBytes(d: Delegation): Uint8Array {
  return new Uint8Array([
    ...IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR,
    ...requestIdOf({ pubkey: d.pubkey, expiration: d.expiration }),
  ])
}

/**
 * Creates a wallet (no network). With `canisterSigner`, the root is a canister key of
 * `rdmx6-jaaaa-aaaaa-aaadq-cai` (Internet Identity's id) with a random seed.
 *
 * @example
 * const wallet = createIcpTestWallet()
 * const proof = await wallet.sign(await icpSignInScheme.render(challenge, ctx))
 */
export function createIcpTestWallet(options: IcpTestWalletOptions = {}): IcpTestWallet {
  const network = options.network ?? 'local'
  const expiresInMs = options.expiresInMs ?? 600_000
  const root = Ed25519KeyIdentity.generate()
  const ii = Principal.fromText('rdmx6-jaaaa-aaaaa-aaadq-cai')
  const seed = new Uint8Array(randomBytes(32))
  const signer = options.canisterSigner
  const rootDer = signer
    ? canisterSignature({ rootSecret: signer.rootSecret, canisterId: ii, seed, message: new Uint8Array(0) })
        .publicKey
    : new Uint8Array(root.getPublicKey().toDer())
  const principal = Principal.selfAuthenticating(rootDer).toText()

  const chainTo = async (session: Ed25519KeyIdentity): Promise<DelegationChain> => {
    const expiration = new Date(Date.now() + expiresInMs)
    if (!signer)
      return DelegationChain.create(root, session.getPublicKey(), expiration, {
        ...(options.targets ? { targets: [...options.targets] } : {}),
      })
    const delegation = new Delegation(
      new Uint8Array(session.getPublicKey().toDer()),
      BigInt(expiration.getTime()) * 1_000_000n,
      options.targets ? [...options.targets] : undefined,
    )
    const cs = canisterSignature({
      rootSecret: signer.rootSecret,
      canisterId: ii,
      seed,
      message: delegationBytes(delegation),
    })
    return DelegationChain.fromDelegations(
      [{ delegation, signature: cs.signature as never }],
      rootDer as never,
    )
  }
  const signWith = async (
    session: Ed25519KeyIdentity,
    key: Ed25519KeyIdentity,
    rendered: RenderedChallenge,
  ) => {
    const chain = await chainTo(session)
    const signature = new Uint8Array(await key.sign(new TextEncoder().encode(rendered.message)))
    return {
      message: rendered.message,
      signature: Buffer.from(signature).toString('base64'),
      extra: { delegationChain: chain.toJSON() },
    } satisfies SignInProof
  }
  return {
    chainId: `icp:${network}`,
    account: `icp:${network}:${principal}`,
    sign: (rendered) => {
      const session = Ed25519KeyIdentity.generate()
      return signWith(session, session, rendered)
    },
    signWithWrongKey: (rendered) =>
      signWith(Ed25519KeyIdentity.generate(), Ed25519KeyIdentity.generate(), rendered),
  }
}

/** A running ICP devnet with a read-only adapter (certified reads, root key fetched from it). */
export interface IcpSignInChain {
  readonly chainId: string
  readonly rpcUrl: string
  readonly adapter: IcpAdapter
  /** The devnet's BLS root secret: what {@link IcpTestWalletOptions.canisterSigner} certifies under. */
  readonly rootSecret: Uint8Array
  /** Closes the adapter, stops the devnet and removes its folder. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts an ICP devnet (anchor canister deployed) and a read-only adapter on it.
 *
 * @example
 * const chain = await startIcpSignInChain()
 * t.after(() => chain.stop())
 * const wallet = createIcpTestWallet({ canisterSigner: { rootSecret: chain.rootSecret } })
 */
export async function startIcpSignInChain(): Promise<IcpSignInChain> {
  const ic = await startIcpDevnet({ port: 0 })
  const stopDevnet = async () => {
    await ic.stop()
    await rm(ic.dataDir, { recursive: true, force: true })
  }
  try {
    const contract = await deployAnchorCanister(ic.url, Ed25519KeyIdentity.generate())
    const secretHex = (await readFile(join(ic.dataDir, 'root-key.hex'), 'utf8')).trim()
    const adapter = await createIcpAdapter({ rpcUrl: ic.url, chainId: 'icp:local', contract })
    return {
      chainId: 'icp:local',
      rpcUrl: ic.url,
      adapter,
      rootSecret: new Uint8Array(Buffer.from(secretHex, 'hex')),
      stop: stopOnce(() => adapter.close(), stopDevnet),
    }
  } catch (e) {
    await stopDevnet()
    throw e
  }
}
