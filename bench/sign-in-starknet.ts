/**
 * Benchmark 10 (sign-in), `starknet`: sign-in verifications per second through
 * `starknetSignInScheme.verify` on its offline path — an account not deployed yet, checked by its
 * class and public key: message check, signature and key decoding, the counterfactual address
 * (Pedersen hashes), the SNIP-12 typed-data hash (Poseidon) and the Stark ECDSA verify — against the
 * primitive alone, starknet.js `ec.starkCurve.verify` with the full public key. The two hashes are
 * measured alone too, against the same ceiling, to show where the time goes: on this machine each
 * costs about as much as the verify itself (LIMITS.md), so the sign-in cannot come near the verify's
 * rate; no target is set. The scheme keeps derived addresses in an LRU cache, so the main figure
 * (a key's first sign-in) is measured through a scheme without that cache — every verify derives the
 * address, as a first sign-in does — and a second figure shows a key signing in again (cache hit);
 * the derivation figure calls the uncached `counterfactualAddress`. Distinct keys and challenges are prepared before timing with starknet.js
 * `Account.signMessage`, as a wallet would sign; figures are measured in alternating slices.
 */
import { Account, ec, hash, stark, type TypedData, typedData } from 'starknet'
import { counterfactualAddress } from '../adapters/starknet/counterfactual-address.ts'
import {
  createStarknetSignInScheme,
  DEVNET_ACCOUNT_CLASS_HASH,
  starknetSignInScheme,
} from '../adapters/starknet/starknet-sign-in-scheme.ts'
import type { ChainAdapter } from '../src/chain/chain-adapter.ts'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInContext,
  SignInProof,
  SignInScheme,
} from '../src/chain/sign-in-scheme.ts'
import { signInChallenge, signInContext } from '../test/helpers/sign-in-fixtures.ts'
import { alternatingRates } from './alternating-rates.ts'
import { signInFigure } from './sign-in-figure.ts'
import type { Figure } from './table.ts'

const SIGNED = 12

interface Signed {
  challenge: SignInChallenge
  rendered: RenderedChallenge
  proof: SignInProof
  address: string
  starkKey: string
  typed: TypedData
  hash: string
}

/**
 * The context of the undeployed-account path: an adapter that answers "nothing deployed" from memory,
 * so the figure is the offline work (the real one costs one `starknet_getClassHashAt` more).
 */
const nothingDeployed = {
  chainId: 'starknet:SN_DEVNET',
  classHashAt: async () => undefined,
  verifySignIn: async () => false,
} as unknown as ChainAdapter

async function prepare(context: SignInContext): Promise<Signed[]> {
  const out: Signed[] = []
  for (let i = 0; i < SIGNED; i++) {
    const privateKey = stark.randomAddress()
    const starkKey = ec.starkCurve.getStarkKey(privateKey)
    const raw = hash.calculateContractAddressFromHash(starkKey, DEVNET_ACCOUNT_CLASS_HASH, [starkKey], 0)
    const address = `0x${BigInt(raw).toString(16).padStart(64, '0')}`
    const challenge = signInChallenge(`starknet:SN_DEVNET:${address}`, {
      statement: 'Sign in to this mero node.',
    })
    const rendered = await starknetSignInScheme.render(challenge, context)
    const typed = JSON.parse(rendered.message) as TypedData
    const wallet = new Account({
      provider: { nodeUrl: 'http://127.0.0.1:9/rpc' },
      address,
      signer: privateKey,
    })
    const signature = stark.formatSignature(await wallet.signMessage(typed))
    out.push({
      challenge,
      rendered,
      proof: {
        message: rendered.message,
        signature,
        extra: { publicKey: stark.getFullPublicKey(privateKey), classHash: DEVNET_ACCOUNT_CLASS_HASH },
      },
      address,
      starkKey,
      typed,
      hash: typedData.getMessageHash(typed, address),
    })
  }
  return out
}

/**
 * The `starknet` sign-in figures: counterfactual-account verifications/s through the scheme (a key's
 * first sign-in, and the same key again with its address cached), and the SNIP-12 typed-data hash and the counterfactual address alone, each next to starknet.js
 * `ec.starkCurve.verify` alone (the ceiling) measured in the same run.
 *
 * @example
 * console.log(figureTable(await starknetSignInFigures()))
 */
export async function starknetSignInFigures(): Promise<Figure[]> {
  const context = signInContext({ adapter: nothingDeployed })
  const signed = await prepare(context)
  const at = (i: number) => signed[i % SIGNED]!
  const firstTime = createStarknetSignInScheme({ counterfactualCacheSize: 0 })
  const signInThrough = (scheme: SignInScheme) => async (i: number) => {
    const s = at(i)
    const v = await scheme.verify(s.challenge, s.rendered, s.proof, context)
    if (v.method !== 'snip12-counterfactual') throw new Error('benchmark sign-in did not verify')
  }
  const classHash = BigInt(DEVNET_ACCOUNT_CLASS_HASH)
  const keys = signed.map((s) => BigInt(s.starkKey))
  const verifyOnly = signed.map((s) => {
    const [r, sv] = (s.proof.signature as string[]).map(BigInt) as [bigint, bigint]
    return { sig: new ec.starkCurve.Signature(r, sv), key: (s.proof.extra!.publicKey as string).slice(2) }
  })
  const [signIn, again, typedHash, address, ceiling] = (await alternatingRates([
    signInThrough(firstTime),
    signInThrough(starknetSignInScheme), // the same SIGNED keys again and again: cache hits
    (i) => typedData.getMessageHash(at(i).typed, at(i).address),
    (i) => counterfactualAddress(keys[i % SIGNED]!, classHash),
    (i) => {
      const v = verifyOnly[i % SIGNED]!
      if (!ec.starkCurve.verify(v.sig, at(i).hash, v.key))
        throw new Error('benchmark signature did not verify')
    },
  ])) as [number, number, number, number, number]
  const stark = { name: 'starknet.js ec.starkCurve.verify alone (full key)', value: ceiling }
  return [
    signInFigure('starknet undeployed-account (offline) verifications/s', signIn, stark),
    signInFigure(
      'starknet undeployed-account (offline) verifications/s, same key again (address cached)',
      again,
      stark,
    ),
    signInFigure('starknet SNIP-12 sign-in typed-data hashes/s (part of it)', typedHash, stark),
    signInFigure('starknet counterfactual address derivations/s (part of it)', address, stark),
  ]
}
