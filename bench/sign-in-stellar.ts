/**
 * Benchmark 10 (sign-in), `stellar`: verifications per second against the primitive alone —
 * node:crypto Ed25519 verify over the same precomputed 32-byte hashes — measured side by side:
 *
 * 1. the SEP-53 signature part, {@link verifySep53Signature} (sha256 of prefix ‖ message, Ed25519);
 * 2. `stellarSignInScheme.verify` for SEP-53, with the signer/threshold check answered from memory
 *    (message comparison, key and signature decoding, the signature part, the adapter call);
 * 3. informational: SEP-10 through `scheme.verify` and the adapter's real signer matching
 *    (`verifySignInWith` over an in-memory Horizon). A SEP-10 sign-in checks two Ed25519 signatures —
 *    the server's (which names the network) and the client's — and decodes the XDR envelope, so it
 *    cannot come near one verify; shown with the same ceiling, no target;
 * 4. informational: the signer check through the adapter against the Stellar devnet's Horizon
 *    (`GET /accounts/:id` on 127.0.0.1, one at a time) — a network call, no ceiling, no target.
 *
 * Challenges are signed before timing with the SDK (`Keypair.signMessage`, `Transaction.sign`).
 * The adapter re-verifies SEP-53 signatures before its Horizon call (its `verifySignIn` stands on its
 * own); that second verify is part of the on-chain check, not of figures 1–2.
 */
import { type Horizon, Keypair, Transaction } from '@stellar/stellar-sdk'
import { stellarSignInScheme, verifySep53Signature } from '../adapters/stellar/stellar-sign-in.ts'
import { sep53Hash, verifySignInWith } from '../adapters/stellar/stellar-signers.ts'
import type { ChainAdapter, SignInCheck } from '../src/chain/chain-adapter.ts'
import type { RenderedChallenge, SignInChallenge, SignInProof } from '../src/chain/sign-in-scheme.ts'
import { generateKeyPair, verify } from '../src/core/ed25519.ts'
import { signInChallenge, signInContext } from '../test/helpers/sign-in-fixtures.ts'
import { createStellarTestWallet, startStellarSignInChain } from '../test/helpers/stellar-test-wallet.ts'
import { alternatingRates } from './alternating-rates.ts'
import { signInFigure } from './sign-in-figure.ts'
import type { Figure } from './table.ts'

const SIGNED = 64
const CHAIN = 'stellar:standalone'

interface Signed {
  challenge: SignInChallenge
  rendered: RenderedChallenge
  proof: SignInProof
  publicKey: Uint8Array
  message: Uint8Array
  signature: Uint8Array
  hash: Uint8Array
}

/** One server key for rendering and verifying: a SEP-10 challenge carries the server's signature. */
const serverKey = generateKeyPair()

async function prepare(format: 'sep53' | 'sep10'): Promise<Signed[]> {
  const out: Signed[] = []
  for (let i = 0; i < SIGNED; i++) {
    const key = Keypair.random()
    const challenge = signInChallenge(`${CHAIN}:${key.publicKey()}`, {
      statement: 'Sign in to this mero node.',
      format,
    })
    const rendered = await stellarSignInScheme.render(challenge, signInContext({}, serverKey))
    const message = new TextEncoder().encode(rendered.message)
    const signature = key.signMessage(rendered.message)
    let proof: SignInProof = {
      message: rendered.message,
      signature: Buffer.from(signature).toString('base64'),
    }
    if (format === 'sep10') {
      const tx = new Transaction(rendered.message, rendered.extra!.networkPassphrase as string)
      tx.sign(key)
      proof = { message: tx.toXDR() }
    }
    out.push({
      challenge,
      rendered,
      proof,
      publicKey: key.rawPublicKey(),
      message,
      signature,
      hash: sep53Hash(message),
    })
  }
  return out
}

/** Horizon answering every account as existing, its master key its only signer (thresholds 0). */
const memoryHorizon = {
  loadAccount: async (id: string) => ({
    signers: [{ type: 'ed25519_public_key', key: id, weight: 1 }],
    thresholds: { low_threshold: 0, med_threshold: 0, high_threshold: 0 },
  }),
} as unknown as Horizon.Server

/** The signer check against the devnet's Horizon, sequential: checks per second. */
async function horizonCheckRate(): Promise<number> {
  const chain = await startStellarSignInChain()
  try {
    const wallet = await createStellarTestWallet(chain.rpcUrl, { chainId: chain.chainId })
    const message = new TextEncoder().encode('mero sign-in bench')
    const check: SignInCheck = {
      account: wallet.account,
      message,
      signature: wallet.keypair.signMessage(message),
    }
    const [perSecond] = await alternatingRates(
      [
        async () => {
          if (!(await chain.adapter.verifySignIn(check))) throw new Error('benchmark signer check failed')
        },
      ],
      { sliceMs: 50 },
    )
    return perSecond!
  } finally {
    await chain.stop()
  }
}

/**
 * The `stellar` sign-in figures: the SEP-53 signature part and the whole SEP-53 `scheme.verify`
 * (signer check from memory) next to Ed25519 verify alone (the ceiling, target ≥ 70 %); SEP-10 and
 * the devnet Horizon check (informational).
 *
 * @example
 * console.log(figureTable(await stellarSignInFigures()))
 */
export async function stellarSignInFigures(): Promise<Figure[]> {
  const sep53 = await prepare('sep53')
  const sep10 = await prepare('sep10')
  const known = new Set(sep53.map((s) => s.challenge.account))
  const lookupAdapter = {
    chainId: CHAIN,
    verifySignIn: async (c: SignInCheck) => known.has(c.account),
  } as unknown as ChainAdapter
  const matchingAdapter = {
    chainId: CHAIN,
    verifySignIn: (c: SignInCheck) => verifySignInWith(memoryHorizon, CHAIN, c),
  } as unknown as ChainAdapter
  const lookup = signInContext({ adapter: lookupAdapter }, serverKey)
  const matching = signInContext({ adapter: matchingAdapter }, serverKey)
  const at = (list: Signed[], i: number) => list[i % SIGNED]!
  const [signatureRate, schemeRate, sep10Rate, ed25519Rate] = await alternatingRates(
    [
      (i) => {
        const s = at(sep53, i)
        if (!verifySep53Signature(s.publicKey, s.message, s.signature))
          throw new Error('benchmark signature did not verify')
      },
      async (i) => {
        const s = at(sep53, i)
        const v = await stellarSignInScheme.verify(s.challenge, s.rendered, s.proof, lookup)
        if (v.method !== 'sep53') throw new Error('benchmark sign-in did not verify')
      },
      async (i) => {
        const s = at(sep10, i)
        const v = await stellarSignInScheme.verify(s.challenge, s.rendered, s.proof, matching)
        if (v.method !== 'sep10') throw new Error('benchmark sign-in did not verify')
      },
      (i) => {
        const s = at(sep53, i)
        if (!verify(s.publicKey, s.hash, s.signature)) throw new Error('benchmark signature did not verify')
      },
    ],
    { sliceMs: 50 },
  )
  const horizonRate = await horizonCheckRate()
  const ed25519 = { name: 'node:crypto Ed25519 verify alone', value: ed25519Rate! }
  return [
    signInFigure(
      'stellar SEP-53 signature checks/s (sha256 + Ed25519)',
      signatureRate!,
      ed25519,
      'Ed25519 verify',
    ),
    signInFigure(
      'stellar SEP-53 verifications/s (scheme.verify, signer check from memory)',
      schemeRate!,
      ed25519,
      'Ed25519 verify',
    ),
    signInFigure(
      'stellar SEP-10 verifications/s (scheme.verify + signer matching, Horizon from memory)',
      sep10Rate!,
      ed25519,
    ),
    signInFigure('stellar signer checks/s (devnet Horizon, sequential)', horizonRate),
  ]
}
