/**
 * Test helper: a NEAR "wallet" on the repo's NEAR devnet for sign-in tests. It creates its own
 * `<label>.test.near` account (paid by the devnet's genesis account) with a fresh FullAccess key and
 * signs rendered challenges the way NEP-413 wallets do — with near-api-js's own `signNep413Message`,
 * not with mero's hash — returning the proof `POST /auth/token` takes.
 */
import { randomBytes } from 'node:crypto'
import { Account, JsonRpcProvider, KeyPair, KeyPairSigner, type KeyPairString } from 'near-api-js'
import { createNearAdapter, type NearAdapter } from '../../adapters/near/near-adapter.ts'
import { NEAR_ROOT_ACCOUNT, NEAR_ROOT_KEY } from '../../devnets/near/dev-keys.ts'
import { startNearDevnet } from '../../devnets/near/near-devnet.ts'
import type { RenderedChallenge, SignInProof } from '../../src/chain/sign-in-scheme.ts'
import { stopOnce } from './stop-once.ts'

/** A NEAR account that signs sign-in challenges. */
export interface NearTestWallet {
  /** CAIP-2 id, e.g. `near:localnet`. */
  readonly chainId: string
  /** CAIP-10 account, e.g. `near:localnet:w1a2b3c4.test.near`. */
  readonly account: string
  /** The bare account id. */
  readonly accountId: string
  /** Its FullAccess key, `ed25519:<base58>`. */
  readonly publicKey: string
  /** Signs `rendered` (NEP-413) with the account's FullAccess key. */
  sign(rendered: RenderedChallenge): Promise<SignInProof>
  /** Signs `rendered` with a fresh key that is not a key of the account. */
  signWithWrongKey(rendered: RenderedChallenge): Promise<SignInProof>
  /** Signs `rendered` with a FunctionCall key of the account (added on first use). */
  signWithFunctionCallKey(rendered: RenderedChallenge): Promise<SignInProof>
}

/** Options of {@link createNearTestWallet}. */
export interface NearTestWalletOptions {
  /** CAIP-2 id of the devnet (default `near:localnet`). */
  readonly chainId?: string
  /** Account label (default random): the account is `<label>.test.near`. */
  readonly label?: string
}

// Accounts are created from the genesis key: one transaction at a time per RPC (nonces).
const queues = new Map<string, Promise<unknown>>()
function serialised<T>(rpcUrl: string, f: () => Promise<T>): Promise<T> {
  const run = (queues.get(rpcUrl) ?? Promise.resolve()).then(f, f)
  queues.set(
    rpcUrl,
    run.catch(() => undefined),
  )
  return run
}

async function signWith(key: KeyPair, accountId: string, rendered: RenderedChallenge): Promise<SignInProof> {
  const p = rendered.extra?.nep413 as { message: string; nonce: string; recipient: string } | undefined
  if (!p) throw new Error('not a NEP-413 challenge (extra.nep413 missing)')
  const signed = await new KeyPairSigner(key).signNep413Message(accountId, {
    message: p.message,
    nonce: new Uint8Array(Buffer.from(p.nonce, 'base64')),
    recipient: p.recipient,
  })
  return {
    message: rendered.message,
    signature: Buffer.from(signed.signature).toString('base64'),
    extra: { publicKey: signed.publicKey.toString() },
  }
}

/**
 * Creates a funded account on the NEAR devnet at `rpcUrl` and returns its wallet.
 *
 * @example
 * const wallet = await createNearTestWallet(chain.rpcUrl)
 * const proof = await wallet.sign(await nearSignInScheme.render(challenge, ctx))
 */
export async function createNearTestWallet(
  rpcUrl: string,
  options: NearTestWalletOptions = {},
): Promise<NearTestWallet> {
  const chainId = options.chainId ?? 'near:localnet'
  const accountId = `${options.label ?? `w${randomBytes(4).toString('hex')}`}.${NEAR_ROOT_ACCOUNT}`
  const key = KeyPair.fromRandom('ed25519')
  const provider = new JsonRpcProvider({ url: rpcUrl })
  const root = new Account(
    NEAR_ROOT_ACCOUNT,
    provider,
    KeyPairSigner.fromSecretKey(NEAR_ROOT_KEY.secretKey as KeyPairString),
  )
  const exists = () =>
    provider.viewAccount({ accountId }).then(
      () => true,
      () => false,
    )
  // The genesis key may be in use elsewhere (`merod dev` anchors with it): a transaction that lost a
  // nonce race is dropped and its wait ends in an error, so retry while the account is not there.
  await serialised(rpcUrl, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await root.createSubAccount({
          accountOrPrefix: accountId,
          publicKey: key.getPublicKey(),
          nearToTransfer: 10n ** 24n,
        })
        return
      } catch (e) {
        if (await exists()) return
        if (attempt >= 3) throw e
      }
    }
  })
  let functionCallKey: Promise<KeyPair> | undefined
  const addFunctionCallKey = async () => {
    const fc = KeyPair.fromRandom('ed25519')
    const self = new Account(accountId, provider, new KeyPairSigner(key))
    await self.addFunctionCallAccessKey({
      publicKey: fc.getPublicKey(),
      contractId: NEAR_ROOT_ACCOUNT,
      methodNames: [],
    })
    return fc
  }
  return {
    chainId,
    account: `${chainId}:${accountId}`,
    accountId,
    publicKey: key.getPublicKey().toString(),
    sign: (rendered) => signWith(key, accountId, rendered),
    signWithWrongKey: (rendered) => signWith(KeyPair.fromRandom('ed25519'), accountId, rendered),
    async signWithFunctionCallKey(rendered) {
      functionCallKey ??= addFunctionCallKey()
      return signWith(await functionCallKey, accountId, rendered)
    },
  }
}

/** A running NEAR devnet with a read-only adapter for sign-in checks. */
export interface NearSignInChain {
  readonly chainId: string
  readonly rpcUrl: string
  /** Read-only: sign-in only reads access keys (no registry is deployed). */
  readonly adapter: NearAdapter
  /** Closes the adapter and stops the devnet. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts an in-memory NEAR devnet (50 ms blocks) and a read-only adapter on it.
 *
 * @example
 * const chain = await startNearSignInChain()
 * t.after(() => chain.stop())
 * const wallet = await createNearTestWallet(chain.rpcUrl)
 */
export async function startNearSignInChain(): Promise<NearSignInChain> {
  const devnet = await startNearDevnet({ port: 0, blockMs: 50 })
  const chainId = `near:${devnet.chainId}`
  const adapter = await createNearAdapter({
    rpcUrl: devnet.url,
    chainId,
    contract: `anchor.${NEAR_ROOT_ACCOUNT}`,
    pollMs: 20,
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
