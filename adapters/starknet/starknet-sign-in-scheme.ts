/**
 * The `starknet` sign-in scheme (DESIGN §8): the challenge is SNIP-12 revision 1 typed data carrying
 * the CAIP-122 fields, and the wallet signs it with `Account.signMessage(typedData)`. The message
 * text is `JSON.stringify` of that typed data (key order fixed here); the client sends it back
 * unchanged with the signature felts.
 *
 * Typed data: domain `{name: 'mero', version: '1', chainId: <CAIP-2 reference>, revision: '1'}`
 * (`shortstring`s), primary type `SignIn` with, in this order: `domain`, `address`
 * (`ContractAddress`), `statement`, `uri`, `version`, `chainId`, `nonce`, `issuedAt`,
 * `expirationTime`, then `notBefore` and `resources` (`string*`) only when the challenge has them — an
 * absent optional field is absent from the type too. Free text (`domain`, `statement`, `uri`,
 * `nonce`, resources) is `string` (a SNIP-12 long string); `version`, `chainId` and the RFC 3339
 * times (24 characters) are `shortstring`s, which cost no hashing. Strings must be printable ASCII
 * (starknet.js encodes SNIP-12 strings only from ASCII).
 *
 * Verification: an account is a contract, so by default its own `is_valid_signature` decides,
 * through the chain adapter (`verifyStarknetSignIn`). An account that is not deployed yet has no
 * contract to ask; the proof may then carry `extra.publicKey` (the full Stark public key
 * `0x04‖x‖y`, `stark.getFullPublicKey`) and `extra.classHash`: the account's address must be the
 * counterfactual address `calculateContractAddressFromHash(salt = x, classHash, [x], deployer 0)` of
 * a known account class (OpenZeppelin-style constructor), and the typed-data hash must carry a Stark
 * ECDSA signature by that key. That check is used only when the chain's adapter confirms that nothing
 * is deployed at the address (`classHashAt`): a deployed account is always asked on chain, since its
 * key may have been rotated, and without an adapter the deployment cannot be seen — the key the
 * account was created with proves nothing about who controls it now — so every proof is then
 * `AccountKeyUnverifiable`. Derived counterfactual addresses are kept in a bounded LRU cache
 * (counterfactual-address.ts): a key that signs in again skips the Pedersen hashes.
 */
import { ec, hash, num, typedData, validateAndParseAddress } from 'starknet'
import { rfc3339 } from '../../src/chain/caip122-message.ts'
import type { ChainAdapter } from '../../src/chain/chain-adapter.ts'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInContext,
  SignInMessageFields,
  SignInProof,
  SignInScheme,
  VerifiedSignIn,
} from '../../src/chain/sign-in-scheme.ts'
import { requireRenderedMessage, signInAdapter, signInFields } from '../../src/chain/sign-in-support.ts'
import {
  AccountKeyUnverifiable,
  InvalidInput,
  InvalidSignInMessage,
  WalletSignatureInvalid,
} from '../../src/core/errors.ts'
import { createCounterfactualAddressCache } from './counterfactual-address.ts'
import { feltOrUndefined, type Snip12SignInFields, signInFieldsProblem, signInTypedData } from './sign-in.ts'

const NAMESPACE = 'starknet'
const FORMAT = 'snip12'
const MAX_MESSAGE = 16_384
const MAX_SIGNATURE_FELTS = 64

/**
 * The class hash of the Starknet devnet's OpenZeppelin-style account (a model label,
 * `sn_keccak("mero-devnet-model:OpenZeppelinAccount")`, see devnets/starknet/README.md): the class
 * every scheme knows for the counterfactual check.
 */
export const DEVNET_ACCOUNT_CLASS_HASH = num.toHex(
  hash.starknetKeccak('mero-devnet-model:OpenZeppelinAccount'),
)

/** Options of {@link createStarknetSignInScheme}. */
export interface StarknetSignInOptions {
  /**
   * More account classes (class hashes) whose counterfactual address is
   * `calculateContractAddressFromHash(x, class, [x], 0)` and that accept a plain Stark ECDSA
   * signature `[r, s]` by key x — added to {@link DEVNET_ACCOUNT_CLASS_HASH}.
   */
  readonly accountClassHashes?: readonly string[]
  /** Counterfactual addresses kept, least recently used dropped first (default 10,000; 0: none). */
  readonly counterfactualCacheSize?: number
}

/** `starknet:<ref>:<address>` → its reference and normalised address. Throws `InvalidInput`. */
function splitAccount(account: string): { ref: string; address: string } {
  const m =
    typeof account === 'string'
      ? /^starknet:([-_a-zA-Z0-9]{1,31}):(0x[0-9a-fA-F]{1,64})$/.exec(account)
      : null
  if (!m) throw new InvalidInput('account must be CAIP-10 starknet:<chain id>:<0x address>')
  let address: string
  try {
    address = validateAndParseAddress(m[2]!)
  } catch {
    throw new InvalidInput('account address must be a felt below 2^251')
  }
  if (BigInt(address) === 0n) throw new InvalidInput('account address must not be 0')
  return { ref: m[1]!, address }
}

/** The signature as felts: an array of felt strings, or one `0x` hex string of 32-byte words. */
function signatureFelts(v: unknown): bigint[] {
  let parts: unknown[] | undefined
  if (Array.isArray(v)) parts = v
  else if (typeof v === 'string' && /^0x([0-9a-fA-F]{64})+$/.test(v))
    parts = v
      .slice(2)
      .match(/.{64}/g)!
      .map((w) => `0x${w}`)
  const felts = parts?.map((p) => (typeof p === 'string' ? feltOrUndefined(p) : undefined))
  if (
    !felts ||
    felts.length === 0 ||
    felts.length > MAX_SIGNATURE_FELTS ||
    felts.some((f) => f === undefined)
  )
    throw new InvalidInput(
      'signature must be 1 to 64 felts (hex or decimal strings, or 0x-hex 32-byte words)',
    )
  return felts as bigint[]
}

/** `extra.publicKey` and `extra.classHash`, when given. Throws `InvalidInput` when malformed. */
function counterfactualKey(
  extra: SignInProof['extra'],
): { full: string; x: bigint; classHash: bigint } | undefined {
  const pk = extra?.publicKey
  const ch = extra?.classHash
  if (pk === undefined && ch === undefined) return undefined
  if (typeof pk !== 'string' || !/^0x04[0-9a-fA-F]{128}$/.test(pk))
    throw new InvalidInput(
      'extra.publicKey must be the full Stark public key 0x04‖x‖y (stark.getFullPublicKey)',
    )
  const classHash = typeof ch === 'string' ? feltOrUndefined(ch) : undefined
  if (classHash === undefined)
    throw new InvalidInput('extra.classHash must be the account class hash (a felt)')
  try {
    ec.starkCurve.ProjectivePoint.fromHex(pk.slice(2)).assertValidity()
  } catch {
    throw new InvalidInput('extra.publicKey is not a point of the Stark curve')
  }
  return { full: pk.slice(2), x: BigInt(`0x${pk.slice(4, 68)}`), classHash }
}

/** Whether an account contract is deployed at `address`; true when the adapter cannot tell. */
async function deployed(adapter: ChainAdapter, address: string, context: SignInContext): Promise<boolean> {
  const probe = (adapter as { classHashAt?: (a: string, o?: unknown) => Promise<string | undefined> })
    .classHashAt
  if (typeof probe !== 'function') return true
  return (await probe.call(adapter, address, context.call)) !== undefined
}

/**
 * Creates the Starknet sign-in scheme (namespace `starknet`, format `snip12`).
 *
 * @example
 * const scheme = createStarknetSignInScheme({ accountClassHashes: ['0x…'] })
 */
export function createStarknetSignInScheme(options: StarknetSignInOptions = {}): SignInScheme {
  const known = new Set(
    [DEVNET_ACCOUNT_CLASS_HASH, ...(options.accountClassHashes ?? [])].map((h) => BigInt(h)),
  )
  const addresses = createCounterfactualAddressCache(options.counterfactualCacheSize)

  /** Offline check of a counterfactual account's signature; throws unless it verifies. */
  const verifyCounterfactual = (
    address: string,
    key: NonNullable<ReturnType<typeof counterfactualKey>>,
    message: string,
    signature: bigint[],
  ) => {
    if (!known.has(key.classHash))
      throw new AccountKeyUnverifiable(
        'the account class is not a known account class; its signature rules are unknown',
      )
    if (addresses.get(key.x, key.classHash) !== BigInt(address))
      throw new WalletSignatureInvalid('the public key and class hash do not give this account address')
    let ok = false
    if (signature.length === 2)
      try {
        const sig = new ec.starkCurve.Signature(signature[0]!, signature[1]!)
        ok = ec.starkCurve.verify(sig, typedData.getMessageHash(JSON.parse(message), address), key.full)
      } catch {
        ok = false // r or s out of range
      }
    if (!ok) throw new WalletSignatureInvalid('the Stark signature does not verify for the account key')
  }

  const scheme: SignInScheme = {
    namespace: NAMESPACE,
    formats: [FORMAT],

    normalizeAccount(account: string): string {
      const { ref, address } = splitAccount(account)
      return `${NAMESPACE}:${ref}:${address}`
    },

    async render(challenge: SignInChallenge): Promise<RenderedChallenge> {
      const { ref, address } = splitAccount(challenge.account)
      if (challenge.chainId !== `${NAMESPACE}:${ref}`)
        throw new InvalidInput(`account ${challenge.account} is not on chain ${challenge.chainId}`)
      const f: Snip12SignInFields = {
        domain: challenge.domain,
        address,
        statement: challenge.statement,
        uri: challenge.uri,
        version: '1',
        chainId: ref,
        nonce: challenge.nonce,
        issuedAt: rfc3339(challenge.issuedAt),
        expirationTime: rfc3339(challenge.expiresAt),
        ...(challenge.notBefore === undefined ? {} : { notBefore: rfc3339(challenge.notBefore) }),
        ...(challenge.resources?.length ? { resources: challenge.resources } : {}),
      }
      const problem = signInFieldsProblem(f)
      if (problem) throw new InvalidInput(`cannot render the challenge as SNIP-12: ${problem}`)
      return { message: JSON.stringify(signInTypedData(f)) }
    },

    parse(message: string, format: string): SignInMessageFields {
      if (format !== FORMAT) throw new InvalidInput(`starknet sign-in has no format ${format}`)
      const fail = (why: string): never => {
        throw new InvalidSignInMessage(`not mero's SNIP-12 sign-in typed data: ${why}`)
      }
      if (typeof message !== 'string' || message.length > MAX_MESSAGE)
        fail('must be JSON text of at most 16 KiB')
      let td: { message?: Record<string, unknown> } | null
      try {
        td = JSON.parse(message)
      } catch {
        return fail('not JSON')
      }
      const m = td?.message
      if (typeof m !== 'object' || m === null || Array.isArray(m)) return fail('no message object')
      const str = (k: string) =>
        typeof m[k] === 'string' ? (m[k] as string) : fail(`message.${k} must be a string`)
      const opt = (k: string) => (m[k] === undefined ? {} : { [k]: str(k) })
      const resources = m.resources
      if (
        resources !== undefined &&
        !(Array.isArray(resources) && resources.every((r) => typeof r === 'string'))
      )
        fail('message.resources must be strings')
      const f: Snip12SignInFields = {
        ...{ domain: str('domain'), address: str('address'), statement: str('statement'), uri: str('uri') },
        ...{
          version: str('version'),
          chainId: str('chainId'),
          nonce: str('nonce'),
          issuedAt: str('issuedAt'),
        },
        expirationTime: str('expirationTime'),
        ...opt('notBefore'),
        ...(resources === undefined ? {} : { resources: resources as string[] }),
      }
      const problem = signInFieldsProblem(f)
      if (problem) fail(problem)
      if (JSON.stringify(signInTypedData(f)) !== message)
        fail('types, domain, member order or extra members differ')
      return signInFields(
        NAMESPACE,
        f,
        scheme.normalizeAccount,
        (reason) => `not mero's SNIP-12 sign-in typed data: ${reason}`,
      )
    },

    async verify(
      challenge: SignInChallenge,
      rendered: RenderedChallenge,
      proof: SignInProof,
      context: SignInContext,
    ): Promise<VerifiedSignIn> {
      // not even sign-in typed data: it differs all the same
      requireRenderedMessage(challenge, rendered, proof, {
        chainIdOf: (m) => scheme.parse(m, FORMAT).chainId,
        unparsableDiffers: true,
        what: 'typed data',
      })
      const signature = signatureFelts(proof.signature)
      const key = counterfactualKey(proof.extra)
      const { address } = splitAccount(challenge.account)
      const adapter = signInAdapter(context, challenge.chainId)
      if (!adapter)
        throw new AccountKeyUnverifiable(
          `no RPC for ${challenge.chainId} is configured: a deployed account's signature is checked by its contract, and only the chain tells an undeployed account from one whose key may have changed`,
        )
      if (key && !(await deployed(adapter, address, context))) {
        verifyCounterfactual(address, key, rendered.message, signature)
        return { account: challenge.account, method: 'snip12-counterfactual', publicKey: num.toHex(key.x) }
      }
      const bytes = Buffer.concat(signature.map((s) => Buffer.from(s.toString(16).padStart(64, '0'), 'hex')))
      const check = { account: challenge.account, message: Buffer.from(rendered.message), signature: bytes }
      if (!(await adapter.verifySignIn(check, context.call)))
        throw new WalletSignatureInvalid("the account contract's is_valid_signature refuses the signature")
      return { account: challenge.account, method: 'snip12' }
    },
  }
  return scheme
}

/**
 * The Starknet sign-in scheme with the default known account classes ({@link DEVNET_ACCOUNT_CLASS_HASH}).
 *
 * @example
 * const rendered = await starknetSignInScheme.render(challenge, ctx)
 * const typed = JSON.parse(rendered.message) // what Account.signMessage signs
 */
export const starknetSignInScheme: SignInScheme = createStarknetSignInScheme()
