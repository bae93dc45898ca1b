/**
 * Wallet proofs of `BindWallet` ops (DESIGN §3): a wallet signs an ordinary sign-in challenge of this
 * node whose resources include `mero:bind:<contextId>:<identity>`; the node checks it like a sign-in
 * (single-use nonce, time, domain, signature) and puts the signed message, the signature and the
 * challenge itself into the op. Any other node re-checks the op on admission without the nonce store:
 * it re-renders the challenge, requires the signed message to be exactly that, checks that it names
 * the binding and the account, and verifies the signature through the chain's scheme — with the clock
 * at the challenge's issue time, since the proof is evidence of a past signature.
 */
import type { SignInChallenge, SignInProof } from '../chain/sign-in-scheme.ts'
import { assertAccountOnChain } from '../chain/sign-in-support.ts'
import type { JsonValue, WalletProof, WalletProofCheck } from '../context/wallet-binding.ts'
import { bindingResource } from '../context/wallet-binding.ts'
import { InvalidInput, MessageMismatch } from '../core/errors.ts'
import type { AuthService, SignInRequest } from './auth-service.ts'
import { CLIENT_KEY_CHAIN } from './client-key-scheme.ts'

/**
 * The statement a wallet-binding challenge carries instead of the node's sign-in statement, so the wallet
 * shows what it agrees to and every node can check that the signed text says exactly this.
 *
 * @example
 * bindingStatement('7Xc…', '9aQ…') // 'Bind this wallet to member 9aQ… of mero context 7Xc….'
 */
export function bindingStatement(contextId: string, identity: string): string {
  return `Bind this wallet to member ${identity} of mero context ${contextId}.`
}

/** The `{contextId, identity}` (base58) a `mero:bind:` resource names, or undefined for other resources. */
export function parseBindingResource(resource: string): { contextId: string; identity: string } | undefined {
  const m = /^mero:bind:([1-9A-HJ-NP-Za-km-z]{32,44}):([1-9A-HJ-NP-Za-km-z]{32,44})$/.exec(resource)
  return m ? { contextId: m[1]!, identity: m[2]! } : undefined
}

function challengeOf(extra: WalletProof['extra']): SignInChallenge {
  const c = extra?.challenge as Record<string, unknown> | undefined
  const str = (k: string) => typeof c?.[k] === 'string'
  const num = (k: string) => typeof c?.[k] === 'number' && Number.isSafeInteger(c[k])
  if (
    !c ||
    !['nonce', 'chainId', 'account', 'domain', 'uri', 'statement'].every(str) ||
    !['issuedAt', 'expiresAt'].every(num) ||
    (c.notBefore !== undefined && !num('notBefore')) ||
    c.format !== undefined ||
    !Array.isArray(c.resources) ||
    !c.resources.every((r) => typeof r === 'string')
  )
    throw new InvalidInput('walletProof.extra.challenge is missing or malformed')
  return c as unknown as SignInChallenge
}

/**
 * Verifies a signed binding challenge (consuming its nonce) and returns the wallet proof to put into
 * the `BindWallet` op. Throws the sign-in errors, or `MessageMismatch` when the challenge does not
 * name this binding.
 */
export async function createWalletProof(
  service: AuthService,
  request: SignInRequest,
  contextId: Uint8Array,
  identity: Uint8Array,
): Promise<{ account: string; walletProof: WalletProof }> {
  if (request.chainId === CLIENT_KEY_CHAIN)
    throw new InvalidInput('a client key is not a wallet; bind a wallet account')
  const { verified, challenge } = await service.verifySigned(request)
  if (challenge.format !== undefined) throw new InvalidInput('bind a wallet with the default message format')
  if (!challenge.resources?.includes(bindingResource(contextId, identity)))
    throw new MessageMismatch(
      `the signed challenge must list ${bindingResource(contextId, identity)} in its resources`,
    )
  const walletProof: WalletProof = {
    chainId: challenge.chainId,
    message: request.message,
    ...(typeof request.signature === 'string' || Array.isArray(request.signature)
      ? { signature: request.signature as string | string[] }
      : {}),
    extra: {
      ...((request.extra ?? {}) as Record<string, JsonValue>),
      challenge: challenge as unknown as JsonValue,
    },
  }
  return { account: verified.account, walletProof }
}

/**
 * The admission check of `BindWallet` ops for a context manager.
 *
 * @example
 * ContextManager.open({ …, walletProofCheck: walletProofCheck(auth) })
 */
export function walletProofCheck(service: AuthService): WalletProofCheck {
  return async ({ contextId, identity, account, walletProof }) => {
    const challenge = challengeOf(walletProof.extra)
    const scheme = await service.scheme(challenge.chainId)
    if (
      challenge.chainId !== walletProof.chainId ||
      challenge.account !== account ||
      scheme.normalizeAccount(account) !== account
    )
      throw new MessageMismatch('the wallet proof was signed for another account')
    assertAccountOnChain(account, challenge.chainId)
    const resource = bindingResource(contextId, identity)
    const named = parseBindingResource(resource)!
    if (
      !challenge.resources?.includes(resource) ||
      challenge.statement !== bindingStatement(named.contextId, named.identity)
    )
      throw new MessageMismatch('the wallet proof does not name this binding in its resources and statement')
    const base = service.context(challenge.chainId)
    const context = { ...base, now: () => challenge.issuedAt }
    const rendered = await scheme.render(challenge, context)
    const { challenge: _, ...extra } = walletProof.extra ?? {}
    const proof: SignInProof = {
      message: walletProof.message,
      ...(walletProof.signature === undefined ? {} : { signature: walletProof.signature }),
      extra,
    }
    await scheme.verify(challenge, rendered, proof, context)
  }
}
