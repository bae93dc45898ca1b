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
 * certificate dated more than 5 min in the future is refused. Expiry and certificate age are judged
 * at one time: `SignInCheck.atMs` (the sign-in's own clock) or now.
 *
 * Key-pair signatures go through `verifyDerSignature`: Ed25519 with `node:crypto` (~12× the pure-JS
 * curve, LIMITS.md) under the strict rules the IC applies (`ed25519-dalek` `verify_strict`, core's
 * `verifyStrict`), ECDSA with `@noble/curves`.
 */
import { createHash } from 'node:crypto'
import { IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR } from '@dfinity/agent'
import { DelegationChain, type JsonnableDelegationChain } from '@dfinity/identity'
import { Principal } from '@dfinity/principal'
import type { SignInCheck } from '../../src/chain/chain-adapter.ts'
import { InvalidInput } from '../../src/core/errors.ts'
import { selfAuthenticating, verifyDerSignature } from './der-signature.ts'
import { CANISTER_SIG_OID, verifyCanisterSignature } from './ic-certificate.ts'

/** Maximum age of the certificate in a canister signature (47 days, as IC signature verifiers use). */
export const CANISTER_SIG_MAX_AGE_MINUTES = 47 * 24 * 60
/** Most delegations a sign-in chain may hold (bounds the work one request can cause). */
export const MAX_DELEGATIONS = 20
/** Largest delegation chain JSON text accepted, characters. */
const MAX_CHAIN_JSON = 65_536

const isCanisterSigKey = (der: Uint8Array) =>
  Buffer.from(der.subarray(2, 2 + CANISTER_SIG_OID.length)).equals(Buffer.from(CANISTER_SIG_OID))

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest()
const PUBKEY_KEY = sha256('pubkey')
const EXPIRATION_KEY = sha256('expiration')
const PUBKEY_FIRST = Buffer.compare(PUBKEY_KEY, EXPIRATION_KEY) < 0

/** Unsigned LEB128 of `n`. */
function leb128(n: bigint): Buffer {
  if (n < 0n) throw new RangeError('LEB128 of a negative number')
  const out: number[] = []
  do {
    const low = Number(n & 0x7fn)
    n >>= 7n
    out.push(n === 0n ? low : low | 0x80)
  } while (n !== 0n)
  return Buffer.from(out)
}

/**
 * The bytes a delegation's signer signs: the `ic-request-auth-delegation` domain separator ‖ the
 * request id (representation-independent hash, IC interface spec) of `{pubkey, expiration}` — what
 * `requestIdOf` of `@dfinity/agent` computes, with node:crypto's SHA-256 and the two keys' hashes and
 * order fixed once (the library's pure-JS hashing cost a tenth of a sign-in check).
 *
 * @example
 * verify(rootKey, delegationSigningBytes(d.pubkey, d.expiration), signature)
 */
export function delegationSigningBytes(pubkey: Uint8Array, expiration: bigint): Uint8Array {
  const p = Buffer.concat([PUBKEY_KEY, sha256(pubkey)])
  const e = Buffer.concat([EXPIRATION_KEY, sha256(leb128(expiration))])
  const id = sha256(PUBKEY_FIRST ? Buffer.concat([p, e]) : Buffer.concat([e, p]))
  return new Uint8Array(Buffer.concat([IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, id]))
}

/**
 * Verifies `sig` over `msg` by a DER key, a canister signature's certificate age judged at `atMs`;
 * `undefined` when it is a canister key and no root key is given.
 */
async function verifyWith(
  key: Uint8Array,
  msg: Uint8Array,
  sig: Uint8Array,
  rootKey: Uint8Array | undefined,
  atMs: number,
): Promise<boolean | undefined> {
  if (isCanisterSigKey(key)) {
    if (rootKey === undefined) return undefined
    return verifyCanisterSignature(key, msg, sig, rootKey, {
      maxAgeMinutes: CANISTER_SIG_MAX_AGE_MINUTES,
      atMs,
    })
  }
  return verifyDerSignature(key, msg, sig) === true
}

/**
 * Reads a delegation chain given as its JSON text or its `toJSON()` object. Throws `InvalidInput`
 * when it is neither, or holds more than {@link MAX_DELEGATIONS} delegations.
 *
 * @example
 * const chain = parseDelegationChain(proof.extra.delegationChain)
 */
export function parseDelegationChain(raw: unknown): DelegationChain {
  const bad = () => new InvalidInput('delegationChain must be a DelegationChain JSON (toJSON())')
  let json: unknown = raw
  if (typeof raw === 'string') {
    if (raw.length > MAX_CHAIN_JSON) throw bad()
    try {
      json = JSON.parse(raw)
    } catch {
      throw bad()
    }
  }
  const delegations = (json as { delegations?: unknown } | null)?.delegations
  if (typeof json !== 'object' || !Array.isArray(delegations)) throw bad()
  if (delegations.length > MAX_DELEGATIONS)
    throw new InvalidInput(`delegationChain must hold at most ${MAX_DELEGATIONS} delegations`)
  try {
    return DelegationChain.fromJSON(json as JsonnableDelegationChain)
  } catch {
    throw bad()
  }
}

/** Why {@link checkIcpSignIn} refused, or that it needs the IC root key to finish. */
export type IcpSignInFailure =
  /** The account is not the self-authenticating principal of the chain's root key. */
  | 'principal'
  /** A delegation has expired. */
  | 'expired'
  /** A delegation is restricted to `targets`. */
  | 'targets'
  /** A delegation's or the session key's signature does not verify (or its key is not usable). */
  | 'signature'
  /** All else verified, but a canister signature needs the IC root key, which was not given. */
  | 'root-key-needed'

/** Outcome of {@link checkIcpSignIn}. */
export type IcpSignInResult =
  | { readonly ok: true; readonly rootPublicKey: Uint8Array }
  | { readonly ok: false; readonly reason: IcpSignInFailure }

/**
 * Checks an ICP sign-in and says why it failed. `chain` is `check.extra.delegationChain` parsed by
 * {@link parseDelegationChain}; `nowMs` the time delegations must not have expired at, and that
 * canister signatures' certificates are dated against. Without
 * `rootKey`, canister signatures are skipped and a chain that holds one ends in `root-key-needed`
 * once everything else has verified.
 *
 * @example
 * const r = await checkIcpSignIn(check, parseDelegationChain(raw), { nowMs: Date.now() })
 */
export async function checkIcpSignIn(
  check: Pick<SignInCheck, 'account' | 'message' | 'signature'>,
  chain: DelegationChain,
  options: { readonly rootKey?: Uint8Array; readonly nowMs: number },
): Promise<IcpSignInResult> {
  const fail = (reason: IcpSignInFailure): IcpSignInResult => ({ ok: false, reason })
  const rootDer = new Uint8Array(chain.publicKey)
  const account = check.account.split(':').pop() ?? ''
  if (Principal.fromUint8Array(selfAuthenticating(rootDer)).toText() !== account) return fail('principal')
  const now = BigInt(options.nowMs) * 1_000_000n
  for (const { delegation } of chain.delegations) {
    if (delegation.expiration <= now) return fail('expired')
    if (delegation.targets !== undefined) return fail('targets') // restricted to canisters: not a sign-in
  }
  let signer = rootDer
  let needsRootKey = false
  for (const { delegation, signature } of chain.delegations) {
    const msg = delegationSigningBytes(new Uint8Array(delegation.pubkey), delegation.expiration)
    const ok = await verifyWith(signer, msg, new Uint8Array(signature), options.rootKey, options.nowMs)
    if (ok === undefined) needsRootKey = true
    else if (!ok) return fail('signature')
    signer = new Uint8Array(delegation.pubkey)
  }
  if (isCanisterSigKey(signer)) return fail('signature') // the session key must be a key pair
  if (!(await verifyWith(signer, check.message, check.signature, options.rootKey, options.nowMs)))
    return fail('signature')
  return needsRootKey ? fail('root-key-needed') : { ok: true, rootPublicKey: rootDer }
}

/**
 * Verifies an ICP sign-in. `check.account` is `icp:<network>:<principal>` (or the bare principal);
 * `check.extra.delegationChain` the chain (JSON string or `toJSON()` object); `check.signature` the
 * session key's signature over `check.message`; `rootKey` the IC root key canister signatures are
 * checked against (without it a chain holding one is false). Delegation expiry and certificate age
 * are judged at `check.atMs` (default: now). Resolves false on any failure, and for a chain with
 * delegation `targets`.
 *
 * @example
 * const ok = await verifyIcpSignIn({ account, message, signature, extra: { delegationChain } }, rootKey)
 */
export async function verifyIcpSignIn(check: SignInCheck, rootKey: Uint8Array | undefined): Promise<boolean> {
  const nowMs = check.atMs ?? Date.now()
  try {
    const chain = parseDelegationChain(check.extra?.delegationChain)
    return (await checkIcpSignIn(check, chain, { ...(rootKey ? { rootKey } : {}), nowMs })).ok
  } catch {
    return false
  }
}
