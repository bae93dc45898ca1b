/**
 * The `icp` sign-in scheme (DESIGN §8): the challenge is the CAIP-122 text ("…with your Internet
 * Computer account:", address = the principal's text), signed by a session key that a delegation
 * chain leads to from the account's root key (what `@dfinity/identity`'s `DelegationIdentity` and
 * Internet Identity give a dapp).
 *
 * The proof: `signature` = the session key's signature over the UTF-8 bytes of the message, exactly
 * what `Ed25519KeyIdentity.sign(bytes)` (or a `DelegationIdentity`'s `sign`, which signs with its
 * session key) returns — 64 bytes as hex (`0x` optional) or base64; `extra.delegationChain` = the
 * chain's `toJSON()` (object or JSON text). Checked by `checkIcpSignIn` (icp-sign-in.ts): account
 * principal = self-authenticating id of the chain's root key, every delegation unexpired at
 * `context.now()`, unrestricted (no `targets`) and validly signed, then the session signature.
 *
 * Offline unless the chain holds a canister signature (an Internet Identity root): that one needs the
 * IC root key, so it goes to the chain adapter's `verifySignIn` (which pins or fetches the root key;
 * `atMs: context.now()` has it judge expiry and certificate age at the same time) and is
 * `AccountKeyUnverifiable` when no adapter for the chain is configured.
 */
import { Principal } from '@dfinity/principal'
import { CHAIN_NAMES, challengeFields, parseCaip122, renderCaip122 } from '../../src/chain/caip122-message.ts'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInContext,
  SignInMessageFields,
  SignInProof,
  SignInScheme,
  VerifiedSignIn,
} from '../../src/chain/sign-in-scheme.ts'
import {
  caip10Parts,
  requireRenderedMessage,
  signatureBytes,
  signInAdapter,
  signInFields,
} from '../../src/chain/sign-in-support.ts'
import {
  AccountKeyUnverifiable,
  InvalidInput,
  isMeroError,
  WalletSignatureInvalid,
} from '../../src/core/errors.ts'
import { checkIcpSignIn, type IcpSignInFailure, parseDelegationChain } from './icp-sign-in.ts'

const NAMESPACE = 'icp'
const CHAIN_NAME = CHAIN_NAMES.icp!
const ACCOUNT_SHAPE = 'CAIP-10 icp:<network>:<principal>'
const PRINCIPAL_TEXT = /^[a-z0-9-]{1,63}$/

/** `icp:<network>:<principal>` split into its network and canonical principal text. */
function splitAccount(account: string): { network: string; principal: string } {
  const { network, address } = caip10Parts(account, NAMESPACE, ACCOUNT_SHAPE)
  if (!PRINCIPAL_TEXT.test(address)) throw new InvalidInput(`account must be ${ACCOUNT_SHAPE}`)
  let p: Principal
  try {
    p = Principal.fromText(address)
  } catch {
    throw new InvalidInput('account is not a valid principal (text form with its checksum)')
  }
  const bytes = p.toUint8Array()
  // Only a self-authenticating principal (sha224(key) ‖ 0x02) can sign in with a delegation chain.
  if (bytes.length !== 29 || bytes[28] !== 2)
    throw new InvalidInput('account must be a self-authenticating principal (a user, not a canister)')
  return { network, principal: p.toText() }
}

/** The session signature: 64 bytes as hex (`0x` optional) or base64. Throws `InvalidInput`. */
function decodeSignature(v: unknown): Uint8Array {
  const decode = (s: string) => {
    const hex = s.startsWith('0x') ? s.slice(2) : s
    if (/^([0-9a-fA-F]{2})+$/.test(hex)) return new Uint8Array(Buffer.from(hex, 'hex'))
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(s) && s.length % 4 === 0)
      return new Uint8Array(Buffer.from(s, 'base64'))
    return undefined
  }
  return signatureBytes(v, 64, decode, 'signature must be the 64-byte session-key signature as hex or base64')
}

const REASONS: Record<Exclude<IcpSignInFailure, 'root-key-needed'>, string> = {
  principal: "the account is not the principal of the delegation chain's root key",
  expired: 'a delegation in the chain has expired',
  targets: 'a delegation in the chain is restricted to canisters (targets)',
  signature: 'a delegation or the session-key signature does not verify',
}

/**
 * The ICP sign-in scheme (namespace `icp`, format `caip122`).
 *
 * @example
 * const rendered = await icpSignInScheme.render(challenge, ctx)
 * const who = await icpSignInScheme.verify(challenge, rendered, { message, signature, extra: { delegationChain } }, ctx)
 */
export const icpSignInScheme: SignInScheme = {
  namespace: NAMESPACE,
  formats: ['caip122'],

  normalizeAccount(account: string): string {
    const { network, principal } = splitAccount(account)
    return `${NAMESPACE}:${network}:${principal}`
  },

  async render(challenge: SignInChallenge): Promise<RenderedChallenge> {
    const { network, principal } = splitAccount(challenge.account)
    if (challenge.chainId !== `${NAMESPACE}:${network}`)
      throw new InvalidInput(`account ${challenge.account} is not on chain ${challenge.chainId}`)
    return { message: renderCaip122(challengeFields(challenge, principal, network), CHAIN_NAME) }
  },

  parse(message: string, format: string): SignInMessageFields {
    if (format !== 'caip122') throw new InvalidInput(`icp sign-in has no format ${format}`)
    return signInFields(
      NAMESPACE,
      parseCaip122(message, CHAIN_NAME),
      icpSignInScheme.normalizeAccount,
      (reason) => `the message's address or chain: ${reason}`,
    )
  },

  async verify(
    challenge: SignInChallenge,
    rendered: RenderedChallenge,
    proof: SignInProof,
    context: SignInContext,
  ): Promise<VerifiedSignIn> {
    // not even a CAIP-122 message: it differs all the same
    requireRenderedMessage(challenge, rendered, proof, {
      chainIdOf: (m) => icpSignInScheme.parse(m, 'caip122').chainId,
      unparsableDiffers: true,
    })
    const signature = decodeSignature(proof.signature)
    const raw = proof.extra?.delegationChain
    if (raw === undefined) throw new InvalidInput('extra.delegationChain is required for an ICP sign-in')
    const chain = parseDelegationChain(raw)
    const check = {
      account: challenge.account,
      message: new TextEncoder().encode(rendered.message),
      signature,
      extra: { delegationChain: raw },
      atMs: context.now(),
    }
    let r: Awaited<ReturnType<typeof checkIcpSignIn>>
    try {
      r = await checkIcpSignIn(check, chain, { nowMs: check.atMs })
    } catch (e) {
      if (isMeroError(e)) throw e
      throw new WalletSignatureInvalid('the delegation chain could not be checked')
    }
    const done = (): VerifiedSignIn => ({
      account: challenge.account,
      method: 'delegation',
      publicKey: Buffer.from(chain.publicKey).toString('hex'),
    })
    if (r.ok) return done()
    if (r.reason !== 'root-key-needed') throw new WalletSignatureInvalid(REASONS[r.reason])
    // A canister signature (Internet Identity): only the chain's root key can check it.
    const adapter = signInAdapter(context, challenge.chainId)
    if (!adapter)
      throw new AccountKeyUnverifiable(
        `the delegation chain holds a canister signature; checking it needs the IC root key of ${challenge.chainId}, whose RPC is not configured`,
      )
    if (!(await adapter.verifySignIn(check, context.call)))
      throw new WalletSignatureInvalid('the canister signature in the delegation chain does not verify')
    return done()
  },
}
