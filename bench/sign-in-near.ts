/**
 * Benchmark 10 (sign-in), `near`: NEP-413 verifications per second against the primitive alone —
 * node:crypto Ed25519 verify over the same precomputed 32-byte hashes — measured side by side:
 *
 * 1. the signature part, {@link verifyNep413Signature} (borsh payload, sha256, Ed25519);
 * 2. `nearSignInScheme.verify` whole, with the FullAccess-key check answered from memory (message
 *    parse and comparison, key and signature decoding, the signature part, the adapter call);
 * 3. informational: the FullAccess-key check itself through the adapter against the NEAR devnet's
 *    RPC (`view_access_key` over HTTP on 127.0.0.1, one at a time) — a network call, not comparable to
 *    a signature check, so it carries no ceiling and no target.
 *
 * Challenges are signed before timing with near-api-js's `signNep413Message`, as a wallet would.
 */
import { KeyPair, KeyPairSigner } from 'near-api-js'
import { nearSignInScheme, nep413Hash, verifyNep413Signature } from '../adapters/near/near-sign-in.ts'
import type { ChainAdapter } from '../src/chain/chain-adapter.ts'
import type { RenderedChallenge, SignInChallenge, SignInProof } from '../src/chain/sign-in-scheme.ts'
import { fromBase58 } from '../src/core/bytes.ts'
import { verify } from '../src/core/ed25519.ts'
import { createNearTestWallet, startNearSignInChain } from '../test/helpers/near-test-wallet.ts'
import { signInChallenge, signInContext } from '../test/helpers/sign-in-fixtures.ts'
import { alternatingRates } from './alternating-rates.ts'
import { signInFigure } from './sign-in-figure.ts'
import type { Figure } from './table.ts'

const SIGNED = 64
const CHAIN = 'near:localnet'

interface Signed {
  challenge: SignInChallenge
  rendered: RenderedChallenge
  proof: SignInProof
  publicKey: Uint8Array
  signature: Uint8Array
  hash: Uint8Array
}

async function prepare(): Promise<{ signed: Signed[]; fullAccess: Set<string> }> {
  const signed: Signed[] = []
  const fullAccess = new Set<string>()
  for (let i = 0; i < SIGNED; i++) {
    const key = KeyPair.fromRandom('ed25519')
    const accountId = `user${i}.test.near`
    const challenge = signInChallenge(`${CHAIN}:${accountId}`, { statement: 'Sign in to this mero node.' })
    const rendered = await nearSignInScheme.render(challenge, signInContext())
    const payload = {
      message: rendered.message,
      nonce: fromBase58(challenge.nonce, 32),
      recipient: challenge.domain,
    }
    const s = await new KeyPairSigner(key).signNep413Message(accountId, payload)
    const publicKey = key.getPublicKey().toString()
    fullAccess.add(`${challenge.account}/${publicKey}`)
    signed.push({
      challenge,
      rendered,
      proof: {
        message: rendered.message,
        signature: Buffer.from(s.signature).toString('base64'),
        extra: { publicKey },
      },
      publicKey: key.getPublicKey().data,
      signature: s.signature,
      hash: nep413Hash(payload),
    })
  }
  return { signed, fullAccess }
}

/** The FullAccess-key check against the devnet RPC, sequential: checks per second. */
async function rpcKeyCheckRate(): Promise<number> {
  const chain = await startNearSignInChain()
  try {
    const wallet = await createNearTestWallet(chain.rpcUrl, { chainId: chain.chainId })
    const check = {
      account: wallet.account,
      message: new Uint8Array(),
      signature: new Uint8Array(),
      extra: { publicKey: wallet.publicKey },
    }
    const [perSecond] = await alternatingRates(
      [
        async () => {
          if (!(await chain.adapter.verifySignIn!(check))) throw new Error('benchmark key is not FullAccess')
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
 * The `near` sign-in figures: the NEP-413 signature part and the whole `scheme.verify` (key check
 * from memory) next to Ed25519 verify alone (the ceiling, target ≥ 70 %), and the devnet RPC key
 * check (informational).
 *
 * @example
 * console.log(figureTable(await nearSignInFigures()))
 */
export async function nearSignInFigures(): Promise<Figure[]> {
  const { signed, fullAccess } = await prepare()
  const memoryAdapter = {
    chainId: CHAIN,
    verifySignIn: async (c: { account: string; extra?: Readonly<Record<string, unknown>> }) =>
      fullAccess.has(`${c.account}/${String(c.extra?.publicKey)}`),
  } as unknown as ChainAdapter
  const context = signInContext({ adapter: memoryAdapter })
  const at = (i: number) => signed[i % SIGNED]!
  const [signatureRate, schemeRate, ed25519Rate] = await alternatingRates(
    [
      (i) => {
        const s = at(i)
        const payload = {
          message: s.rendered.message,
          nonce: fromBase58(s.challenge.nonce, 32),
          recipient: s.challenge.domain,
        }
        if (!verifyNep413Signature(s.publicKey, payload, s.signature))
          throw new Error('benchmark signature did not verify')
      },
      async (i) => {
        const s = at(i)
        const v = await nearSignInScheme.verify(s.challenge, s.rendered, s.proof, context)
        if (v.method !== 'nep413') throw new Error('benchmark sign-in did not verify')
      },
      (i) => {
        const s = at(i)
        if (!verify(s.publicKey, s.hash, s.signature)) throw new Error('benchmark signature did not verify')
      },
    ],
    { sliceMs: 50 },
  )
  const rpcRate = await rpcKeyCheckRate()
  const ed25519 = { name: 'node:crypto Ed25519 verify alone', value: ed25519Rate! }
  return [
    signInFigure(
      'near NEP-413 signature checks/s (borsh + sha256 + Ed25519)',
      signatureRate!,
      ed25519,
      'Ed25519 verify',
    ),
    signInFigure(
      'near NEP-413 verifications/s (scheme.verify, key check from memory)',
      schemeRate!,
      ed25519,
      'Ed25519 verify',
    ),
    signInFigure('near FullAccess key checks/s (devnet RPC, sequential)', rpcRate),
  ]
}
