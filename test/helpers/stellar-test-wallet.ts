/**
 * Test helper: a Stellar "wallet" on the repo's Stellar devnet (or any Horizon with friendbot) for
 * sign-in tests. It signs rendered challenges the way wallets do, with the unmodified SDK: SEP-53 with
 * `Keypair.signMessage`, SEP-10 by adding `Transaction.sign` signatures to the challenge envelope.
 */
import { Horizon, Keypair, Operation, Transaction, TransactionBuilder } from '@stellar/stellar-sdk'
import { createStellarAdapter, type StellarAdapter } from '../../adapters/stellar/stellar-adapter.ts'
import { STELLAR_PASSPHRASES } from '../../adapters/stellar/stellar-network.ts'
import { startStellarDevnet } from '../../devnets/stellar/stellar-devnet.ts'
import type { RenderedChallenge, SignInProof } from '../../src/chain/sign-in-scheme.ts'
import { stopOnce } from './stop-once.ts'

/** A Stellar account that signs sign-in challenges. */
export interface StellarTestWallet {
  /** CAIP-2 id, e.g. `stellar:standalone`. */
  readonly chainId: string
  /** CAIP-10 account, `stellar:<network>:G…`. */
  readonly account: string
  /** The account's master key pair. */
  readonly keypair: Keypair
  /** Signs `rendered` with the master key: SEP-10 when it is a challenge transaction, else SEP-53. */
  sign(rendered: RenderedChallenge): Promise<SignInProof>
  /** Signs `rendered` with a fresh key that is no signer of the account. */
  signWithWrongKey(rendered: RenderedChallenge): Promise<SignInProof>
  /**
   * Signs with `keys` in order. SEP-10: each adds its signature to the envelope. SEP-53: the first
   * signs as `extra.publicKey`, the others as `extra.signers`.
   */
  signWith(rendered: RenderedChallenge, ...keys: Keypair[]): Promise<SignInProof>
  /**
   * Adds a co-signer of weight 1 and sets the thresholds low 1 / medium 2 / high 2, so that a
   * medium-threshold sign-in needs both keys. Resolves with the co-signer's key pair.
   */
  addCosigner(): Promise<Keypair>
}

/** Options of {@link createStellarTestWallet}. */
export interface StellarTestWalletOptions {
  /** CAIP-2 id (default `stellar:standalone`); its passphrase is the network's. */
  readonly chainId?: string
  /** Fund the account through friendbot (default true); false leaves it off chain. */
  readonly fund?: boolean
}

function signWith(rendered: RenderedChallenge, keys: readonly Keypair[]): SignInProof {
  const passphrase = rendered.extra?.networkPassphrase
  if (typeof passphrase === 'string') {
    const tx = new Transaction(rendered.message, passphrase)
    tx.sign(...keys)
    return { message: tx.toXDR() }
  }
  const sig = (k: Keypair) => Buffer.from(k.signMessage(rendered.message)).toString('base64')
  const [first, ...rest] = keys
  return {
    message: rendered.message,
    signature: sig(first!),
    extra: {
      publicKey: first!.publicKey(),
      ...(rest.length ? { signers: rest.map((k) => ({ publicKey: k.publicKey(), signature: sig(k) })) } : {}),
    },
  }
}

/**
 * Creates a wallet with a fresh key, funded by friendbot at `horizonUrl` unless `fund: false`.
 *
 * @example
 * const wallet = await createStellarTestWallet(chain.rpcUrl)
 * const proof = await wallet.sign(await stellarSignInScheme.render(challenge, ctx))
 */
export async function createStellarTestWallet(
  horizonUrl: string,
  options: StellarTestWalletOptions = {},
): Promise<StellarTestWallet> {
  const chainId = options.chainId ?? 'stellar:standalone'
  const passphrase = STELLAR_PASSPHRASES[chainId.slice('stellar:'.length)]
  if (!passphrase) throw new Error(`no known passphrase for ${chainId}`)
  const keypair = Keypair.random()
  const base = horizonUrl.replace(/\/$/, '')
  if (options.fund !== false) {
    const res = await fetch(`${base}/friendbot?addr=${keypair.publicKey()}`)
    if (!res.ok) throw new Error(`friendbot at ${horizonUrl} could not fund the wallet: HTTP ${res.status}`)
  }
  return {
    chainId,
    account: `${chainId}:${keypair.publicKey()}`,
    keypair,
    sign: async (rendered) => signWith(rendered, [keypair]),
    signWithWrongKey: async (rendered) => signWith(rendered, [Keypair.random()]),
    signWith: async (rendered, ...keys) => signWith(rendered, keys),
    async addCosigner() {
      const cosigner = Keypair.random()
      const server = new Horizon.Server(base, { allowHttp: true })
      const account = await server.loadAccount(keypair.publicKey())
      const tx = new TransactionBuilder(account, { fee: '100', networkPassphrase: passphrase })
        .addOperation(
          Operation.setOptions({
            signer: { ed25519PublicKey: cosigner.publicKey(), weight: 1 },
            lowThreshold: 1,
            medThreshold: 2,
            highThreshold: 2,
          }),
        )
        .setTimeout(30)
        .build()
      tx.sign(keypair)
      await server.submitTransaction(tx)
      return cosigner
    },
  }
}

/** A running Stellar devnet with a read-only adapter for sign-in checks. */
export interface StellarSignInChain {
  readonly chainId: string
  /** Horizon URL (friendbot at `/friendbot`). */
  readonly rpcUrl: string
  /** Read-only (sign-in only reads accounts); medium threshold. */
  readonly adapter: StellarAdapter
  /** Closes the adapter and stops the devnet. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts an in-memory Stellar devnet (50 ms ledgers) and a read-only adapter on it.
 *
 * @example
 * const chain = await startStellarSignInChain()
 * t.after(() => chain.stop())
 * const wallet = await createStellarTestWallet(chain.rpcUrl)
 */
export async function startStellarSignInChain(): Promise<StellarSignInChain> {
  const devnet = await startStellarDevnet({ blockMs: 50 })
  const chainId = 'stellar:standalone'
  const adapter = await createStellarAdapter({
    rpcUrl: devnet.url,
    chainId,
    contract: Keypair.random().publicKey(),
  })
  return {
    chainId,
    rpcUrl: devnet.url,
    adapter,
    stop: stopOnce(
      () => adapter.close(),
      () => devnet.stop(),
    ),
  }
}
