/**
 * Benchmark 10 (sign-in), `icp`: sign-in verifications per second through `icpSignInScheme.verify`
 * (offline path: message check, signature and delegation-chain decoding, self-authenticating
 * principal, delegation expiry, the delegation's Ed25519 signature over its request id, the session
 * key's Ed25519 signature over the message) against the primitive alone — node:crypto Ed25519 verify
 * — halved, since a sign-in with one delegation verifies two signatures. Measured side by side in one
 * run; signed challenges are prepared before timing with `@dfinity/identity` (`DelegationChain.create`
 * from an Ed25519 root to a fresh session key, which signs the message), as a dapp would.
 *
 * Both sides verify with cached public KeyObjects (src/core/ed25519.ts keeps 10,000): the prepared
 * sign-ins repeat their keys. A key never seen before costs a KeyObject import more (~7 µs, LIMITS.md).
 */
import crypto, { randomBytes } from 'node:crypto'
import { DelegationChain, ECDSAKeyIdentity, Ed25519KeyIdentity } from '@dfinity/identity'
import { icpSignInScheme } from '../adapters/icp/icp-sign-in-scheme.ts'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInContext,
  SignInProof,
} from '../src/chain/sign-in-scheme.ts'
import { generateKeyPair, sign, verify } from '../src/core/ed25519.ts'
import { signInChallenge, signInContext } from '../test/helpers/sign-in-fixtures.ts'
import { alternatingRates } from './alternating-rates.ts'
import { signInFigure } from './sign-in-figure.ts'
import type { Figure } from './table.ts'

const SIGNED = 64

interface Signed {
  challenge: SignInChallenge
  rendered: RenderedChallenge
  proof: SignInProof
}

async function prepare(context: SignInContext, sessionCurve: 'ed25519' | 'p256'): Promise<Signed[]> {
  const out: Signed[] = []
  for (let i = 0; i < SIGNED; i++) {
    const root = Ed25519KeyIdentity.generate()
    const session =
      sessionCurve === 'p256' ? await ECDSAKeyIdentity.generate() : Ed25519KeyIdentity.generate()
    const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 3_600_000))
    const challenge = signInChallenge(`icp:local:${root.getPrincipal().toText()}`, {
      statement: 'Sign in to this mero node.',
    })
    const rendered = await icpSignInScheme.render(challenge, context)
    const signature = await session.sign(new TextEncoder().encode(rendered.message))
    out.push({
      challenge,
      rendered,
      proof: {
        message: rendered.message,
        signature: Buffer.from(signature).toString('base64'),
        extra: { delegationChain: chain.toJSON() },
      },
    })
  }
  return out
}

/**
 * The `icp` sign-in figures: verifications/s through the scheme (one Ed25519 delegation) next to
 * node:crypto Ed25519 verify alone ÷ 2 (the ceiling: two verifies per sign-in), target ≥ 70 %.
 *
 * @example
 * console.log(figureTable(await icpSignInFigures()))
 */
export async function icpSignInFigures(): Promise<Figure[]> {
  const context = signInContext()
  const signed = await prepare(context, 'ed25519')
  const signedP256 = await prepare(context, 'p256')
  const pairs = signed.map(() => {
    const k = generateKeyPair()
    const message = new Uint8Array(randomBytes(300))
    return { publicKey: k.publicKey, message, signature: sign(k.secretKey, message) }
  })
  const [verifyRate, primitiveRate] = (await alternatingRates([
    async (i) => {
      const s = signed[i % SIGNED]!
      const v = await icpSignInScheme.verify(s.challenge, s.rendered, s.proof, context)
      if (v.method !== 'delegation') throw new Error('benchmark sign-in did not verify')
    },
    (i) => {
      const p = pairs[i % SIGNED]!
      if (!verify(p.publicKey, p.message, p.signature)) throw new Error('benchmark signature did not verify')
    },
  ])) as [number, number]
  // AuthClient's default session key is ECDSA P-256 (WebCrypto): one Ed25519 and one P-256 verify.
  const p256 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const p256Message = randomBytes(300)
  const p256Signature = crypto.sign('sha256', p256Message, {
    key: p256.privateKey,
    dsaEncoding: 'ieee-p1363',
  })
  const [p256SignInRate, ed25519Rate, p256Rate] = (await alternatingRates([
    async (i) => {
      const s = signedP256[i % SIGNED]!
      const v = await icpSignInScheme.verify(s.challenge, s.rendered, s.proof, context)
      if (v.method !== 'delegation') throw new Error('benchmark P-256 sign-in did not verify')
    },
    (i) => {
      const p = pairs[i % SIGNED]!
      if (!verify(p.publicKey, p.message, p.signature)) throw new Error('benchmark signature did not verify')
    },
    () => {
      const ok = crypto.verify(
        'sha256',
        p256Message,
        { key: p256.publicKey, dsaEncoding: 'ieee-p1363' },
        p256Signature,
      )
      if (!ok) throw new Error('benchmark P-256 signature did not verify')
    },
  ])) as [number, number, number]
  return [
    signInFigure(
      'icp delegation sign-in (1 Ed25519 delegation) verifications/s',
      verifyRate,
      { name: 'node:crypto Ed25519 verify alone ÷ 2 (two verifies per sign-in)', value: primitiveRate / 2 },
      'two Ed25519 verifies',
    ),
    signInFigure('icp sign-in, P-256 session key (AuthClient default) verifications/s', p256SignInRate, {
      name: 'one Ed25519 + one node:crypto P-256 verify, in series',
      value: 1 / (1 / ed25519Rate + 1 / p256Rate),
    }),
  ]
}
