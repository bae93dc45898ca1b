/**
 * Test helper: an Ethereum "wallet" for sign-in tests — an externally owned account held by an ethers
 * `Wallet` (offline, no chain needed), signing rendered EIP-4361 challenges the way wallets do
 * (`personal_sign` through ethers' own `signMessage`, not mero's hash), returning the proof
 * `POST /auth/token` takes. Also: a challenge as the auth service issues it and a sign-in context, for
 * scheme-level tests.
 */
import { randomBytes } from 'node:crypto'
import { Wallet } from 'ethers'
import type { ChainAdapter } from '../../src/chain/chain-adapter.ts'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInContext,
  SignInProof,
} from '../../src/chain/sign-in-scheme.ts'
import { toBase58 } from '../../src/core/bytes.ts'
import { generateKeyPair, sign } from '../../src/core/ed25519.ts'

/** An Ethereum account that signs sign-in challenges. */
export interface Eip155TestWallet {
  /** CAIP-2 id of the devnet chain. */
  readonly chainId: 'eip155:31337'
  /** CAIP-10 account, `eip155:31337:0x<EIP-55 address>`. */
  readonly account: string
  /** Signs `rendered.message` (EIP-191 `personal_sign`) with the account's key. */
  sign(rendered: RenderedChallenge): Promise<SignInProof>
  /** Signs `rendered.message` with a fresh key that is not the account's. */
  signWithWrongKey(rendered: RenderedChallenge): Promise<SignInProof>
}

/**
 * A fresh random account on `eip155:31337`.
 *
 * @example
 * const wallet = createEip155TestWallet()
 * const { rendered } = await post('/auth/challenge', { chainId: wallet.chainId, account: wallet.account })
 * await post('/auth/token', { chainId: wallet.chainId, ...(await wallet.sign(rendered)) })
 */
export function createEip155TestWallet(): Eip155TestWallet {
  const key = Wallet.createRandom()
  const signWith = async (
    signer: Pick<Wallet, 'signMessage'>,
    rendered: RenderedChallenge,
  ): Promise<SignInProof> => ({
    message: rendered.message,
    signature: await signer.signMessage(rendered.message),
  })
  return {
    chainId: 'eip155:31337',
    account: `eip155:31337:${key.address}`,
    sign: (rendered) => signWith(key, rendered),
    signWithWrongKey: (rendered) => signWith(Wallet.createRandom(), rendered),
  }
}

/** A challenge for `account` as the auth service issues it (10 min, `localhost:2528`), with `overrides`. */
export function eip155Challenge(account: string, overrides: Partial<SignInChallenge> = {}): SignInChallenge {
  const now = Date.now()
  return {
    nonce: toBase58(randomBytes(32)),
    chainId: 'eip155:31337',
    account,
    domain: 'localhost:2528',
    uri: 'http://localhost:2528',
    statement: 'Sign in to this mero node.',
    issuedAt: now,
    expiresAt: now + 600_000,
    ...overrides,
  }
}

/** A sign-in context with a random server key, the clock fixed at `now`, and `adapter` when given. */
export function signInContext(now: number = Date.now(), adapter?: ChainAdapter): SignInContext {
  const key = generateKeyPair()
  return {
    ...(adapter ? { adapter } : {}),
    server: { publicKey: key.publicKey, sign: (m) => sign(key.secretKey, m) },
    now: () => now,
  }
}
