/**
 * ICP sign-in (DESIGN §8): the CAIP-122 text is signed by a session key, and a delegation chain
 * (`@dfinity/identity` `DelegationChain`, its JSON form) leads from the account's root key to that
 * session key. Checks: every delegation's signature (Ed25519 / ECDSA keys directly, canister
 * signatures — Internet Identity — through {@link verifyCanisterSignature} against the IC root key)
 * and expiry, the session key's signature over the message, and account principal =
 * self-authenticating id of the chain's root key.
 *
 * A sign-in delegation must be unrestricted: a chain where any delegation carries `targets` (limited
 * to some canisters) is refused, since signing in to mero is not a call to one of those canisters.
 * Canister signatures inside a delegation are bounded by the delegation's own expiry, so their
 * certificates may be old (up to {@link CANISTER_SIG_MAX_AGE_MINUTES}, as IC verifiers allow); a
 * certificate dated more than 5 min in the future is refused.
 */
import { IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, requestIdOf } from '@dfinity/agent'
import { DelegationChain, type JsonnableDelegationChain } from '@dfinity/identity'
import { Principal } from '@dfinity/principal'
import type { SignInCheck } from '../../src/chain/chain-adapter.ts'
import { selfAuthenticating, verifyDerSignature } from './der-signature.ts'
import { CANISTER_SIG_OID, verifyCanisterSignature } from './ic-certificate.ts'

/** Maximum age of the certificate in a canister signature (47 days, as IC signature verifiers use). */
export const CANISTER_SIG_MAX_AGE_MINUTES = 47 * 24 * 60

const isCanisterSigKey = (der: Uint8Array) =>
  Buffer.from(der.subarray(2, 2 + CANISTER_SIG_OID.length)).equals(Buffer.from(CANISTER_SIG_OID))

async function verifyWith(
  key: Uint8Array,
  msg: Uint8Array,
  sig: Uint8Array,
  rootKey: Uint8Array,
): Promise<boolean> {
  if (isCanisterSigKey(key))
    return verifyCanisterSignature(key, msg, sig, rootKey, { maxAgeMinutes: CANISTER_SIG_MAX_AGE_MINUTES })
  return verifyDerSignature(key, msg, sig) === true
}

/**
 * Verifies an ICP sign-in. `check.account` is `icp:<network>:<principal>` (or the bare principal);
 * `check.extra.delegationChain` the chain (JSON string or `toJSON()` object); `check.signature` the
 * session key's signature over `check.message`. Resolves false on any failure, and for a chain with
 * delegation `targets`.
 */
export async function verifyIcpSignIn(
  check: SignInCheck,
  rootKey: Uint8Array,
  nowMs = Date.now(),
): Promise<boolean> {
  try {
    const raw = check.extra?.delegationChain
    if (raw === undefined) return false
    const chain = DelegationChain.fromJSON(raw as string | JsonnableDelegationChain)
    const rootDer = new Uint8Array(chain.publicKey)
    const account = check.account.split(':').pop() ?? ''
    const expected = selfAuthenticating(rootDer)
    if (Principal.fromText(account).toText() !== Principal.fromUint8Array(expected).toText()) return false
    let signer = rootDer
    const now = BigInt(nowMs) * 1_000_000n
    for (const { delegation, signature } of chain.delegations) {
      if (delegation.expiration <= now) return false
      if (delegation.targets !== undefined) return false // restricted to canisters: not a sign-in
      const map = { pubkey: delegation.pubkey, expiration: delegation.expiration }
      const msg = new Uint8Array([...IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, ...requestIdOf(map)])
      if (!(await verifyWith(signer, msg, new Uint8Array(signature), rootKey))) return false
      signer = new Uint8Array(delegation.pubkey)
    }
    if (isCanisterSigKey(signer)) return false // the session key must be a key pair
    return await verifyWith(signer, check.message, check.signature, rootKey)
  } catch {
    return false
  }
}
