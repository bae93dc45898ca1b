/**
 * Benchmark 10 (sign-in), `eip155`: externally owned account verifications per second through
 * `eip155SignInScheme.verify` (offline path: message check, signature decoding, EIP-191 keccak hash,
 * public-key recovery, address derivation) against the primitive alone — native libsecp256k1
 * `ecdsaRecover` over the same precomputed hashes and signatures — measured side by side in one run.
 * Signed challenges are prepared before timing (ethers `Wallet.signMessage`, as a wallet would).
 */
import { Wallet } from 'ethers'
import secp256k1 from 'secp256k1'
import { eip155SignInScheme, personalMessageHash } from '../adapters/ethereum/ethereum-sign-in.ts'
import type { RenderedChallenge, SignInChallenge, SignInProof } from '../src/chain/sign-in-scheme.ts'
import { signInChallenge, signInContext } from '../test/helpers/sign-in-fixtures.ts'
import { alternatingRates } from './alternating-rates.ts'
import { signInFigure } from './sign-in-figure.ts'
import type { Figure } from './table.ts'

const SIGNED = 64

interface Signed {
  challenge: SignInChallenge
  rendered: RenderedChallenge
  proof: SignInProof
  hash: Uint8Array
  compact: Uint8Array
  recid: number
}

async function prepare(): Promise<Signed[]> {
  const context = signInContext()
  const out: Signed[] = []
  for (let i = 0; i < SIGNED; i++) {
    const wallet = Wallet.createRandom()
    const challenge = signInChallenge(`eip155:31337:${wallet.address}`, {
      statement: 'Sign in to this mero node.',
    })
    const rendered = await eip155SignInScheme.render(challenge, context)
    const signature = await wallet.signMessage(rendered.message)
    const raw = Buffer.from(signature.slice(2), 'hex')
    out.push({
      challenge,
      rendered,
      proof: { message: rendered.message, signature },
      hash: personalMessageHash(Buffer.from(rendered.message, 'utf8')),
      compact: raw.subarray(0, 64),
      recid: raw[64]! - 27,
    })
  }
  return out
}

/**
 * The `eip155` sign-in figures: EOA verifications/s through the scheme next to native `ecdsaRecover`
 * alone (the ceiling), target ≥ 70 %.
 *
 * @example
 * console.log(figureTable(await eip155SignInFigures()))
 */
export async function eip155SignInFigures(): Promise<Figure[]> {
  const signed = await prepare()
  const context = signInContext()
  const [verifyRate, recoverRate] = (await alternatingRates([
    async (i) => {
      const s = signed[i % SIGNED]!
      const v = await eip155SignInScheme.verify(s.challenge, s.rendered, s.proof, context)
      if (v.method !== 'eoa') throw new Error('benchmark signature did not verify')
    },
    (i) => {
      const s = signed[i % SIGNED]!
      return secp256k1.ecdsaRecover(s.compact, s.recid, s.hash, false)
    },
  ])) as [number, number]
  return [
    signInFigure(
      'eip155 EOA verifications/s',
      verifyRate,
      { name: 'native secp256k1 ecdsaRecover alone', value: recoverRate },
      'ecdsaRecover',
    ),
  ]
}
