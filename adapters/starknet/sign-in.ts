/**
 * Starknet sign-in (DESIGN §8): a wallet signs SNIP-12 typed data; the check asks the account
 * contract itself (`is_valid_signature(hash, signature)`, SRC-6) because Starknet accounts are
 * contracts with their own signature schemes. Implementations answer differently: OpenZeppelin and
 * Argent ≥ 0.3 return `'VALID'` (0x56414c4944), Argent's early Cairo 1 accounts (0.2.x) the ERC-1271
 * magic 0x1626ba7e, Cairo 0 accounts 1 — and Cairo 0 accounts only have the camelCase
 * `isValidSignature`, so an ENTRYPOINT_NOT_FOUND is retried under that name. An invalid signature
 * gives 0 or a panic. Malformed input is checked here first: a signature that is not felts is false.
 * Also the SNIP-12 typed data of mero's sign-in challenge ({@link signInTypedData}), which
 * `starknet-sign-in-scheme.ts` renders and parses.
 */
import { num, RpcError, type RpcProvider, type TypedData, typedData } from 'starknet'
import { FELT_PRIME } from '../../contracts/starknet/anchor-calldata.ts'
import type { SignInCheck } from '../../src/chain/chain-adapter.ts'
import { InvalidInput } from '../../src/core/errors.ts'
import { rpcErrorText, wrapStarknetError } from './starknet-errors.ts'

/** `'VALID'` as a felt. */
export const SRC6_VALID = 0x56414c4944n
/** ERC-1271's magic value (Argent Cairo 1 accounts 0.2.x). */
export const ERC1271_MAGIC = 0x1626ba7en
/** The answers that mean "valid": `'VALID'`, the ERC-1271 magic, and 1 (Cairo 0 `TRUE`). */
export const VALID_ANSWERS: readonly bigint[] = [SRC6_VALID, ERC1271_MAGIC, 1n]

/** A felt given as bigint or hex / decimal string, or undefined when it is not one (≥ P included). */
export function feltOrUndefined(v: unknown): bigint | undefined {
  try {
    if (typeof v !== 'bigint' && !(typeof v === 'string' && /^(0x[0-9a-fA-F]{1,64}|[0-9]{1,78})$/.test(v)))
      return undefined
    const b = BigInt(v)
    return b >= 0n && b < FELT_PRIME ? b : undefined
  } catch {
    return undefined
  }
}

/**
 * Asks `account` whether `signature` over `messageHash` is valid (`is_valid_signature` through
 * `starknet_call`, then `isValidSignature` for Cairo 0 accounts). True for `'VALID'`, 0x1626ba7e or
 * 1; false for 0, a panic, an account that is not deployed, or a signature that is not felts.
 * Throws `InvalidInput` for a malformed address or hash, `ChainUnavailable` when the node cannot be asked.
 *
 * @example
 * const ok = await isValidSignature(provider, address, typedData.getMessageHash(td, address), sig)
 */
export async function isValidSignature(
  provider: RpcProvider,
  account: string,
  messageHash: string | bigint,
  signature: readonly (string | bigint)[],
): Promise<boolean> {
  const address = feltOrUndefined(account)
  if (address === undefined || address >= 1n << 251n)
    throw new InvalidInput('account is not a Starknet address', { details: { account: String(account) } })
  const h = feltOrUndefined(messageHash)
  if (h === undefined) throw new InvalidInput('message hash is not a felt')
  if (!Array.isArray(signature) || signature.length === 0 || signature.length > 64) return false
  const sig = signature.map(feltOrUndefined)
  if (sig.some((x) => x === undefined)) return false // not felts: nothing a contract could accept
  const ask = (entrypoint: string) =>
    provider.callContract({
      contractAddress: num.toHex(address),
      entrypoint,
      calldata: [num.toHex(h), String(sig.length), ...sig.map((x) => num.toHex(x!))],
    })
  let result: string[]
  try {
    try {
      result = await ask('is_valid_signature')
    } catch (e) {
      // Cairo 0 accounts (OpenZeppelin, Argent) only have the camelCase entry point.
      if (!(e instanceof RpcError && e.code === 40 && entrypointMissing(e))) throw e
      result = await ask('isValidSignature')
    }
  } catch (e) {
    // 40 CONTRACT_ERROR: the account panicked (invalid signature on some implementations);
    // 20 CONTRACT_NOT_FOUND: no account there, so nothing signed.
    if (e instanceof RpcError && (e.code === 40 || e.code === 20)) return false
    throw wrapStarknetError('is_valid_signature', e)
  }
  const first = result[0] === undefined ? 0n : BigInt(result[0])
  return VALID_ANSWERS.includes(first)
}

/** Whether a 40 CONTRACT_ERROR says the entry point does not exist (devnet, Juno, Pathfinder phrasings). */
function entrypointMissing(e: RpcError): boolean {
  const text = rpcErrorText(e)
  return /ENTRYPOINT_NOT_FOUND|Entry point .* not found|EntryPointSelector.*not found/i.test(text)
}

/** Splits a signature given as bytes (concatenated 32-byte big-endian felts) into felts. */
export function feltsFromBytes(b: Uint8Array): string[] {
  if (b.length === 0 || b.length % 32 !== 0) throw new InvalidInput('signature must be 32-byte felts')
  const out: string[] = []
  for (let i = 0; i < b.length; i += 32) out.push(`0x${Buffer.from(b.subarray(i, i + 32)).toString('hex')}`)
  return out
}

/**
 * Checks a SNIP-12 sign-in for `chainRef` (the CAIP-2 reference, e.g. `SN_DEVNET`).
 * `check.account` is CAIP-10 `starknet:<ref>:<address>`; `check.message` is the UTF-8 JSON of the
 * typed data the wallet signed (its `domain.chainId` must be this chain); `check.signature` is the
 * signature felts as concatenated 32-byte words (or `check.extra.signature` as hex felts).
 */
export async function verifyStarknetSignIn(
  provider: RpcProvider,
  chainRef: string,
  check: SignInCheck,
): Promise<boolean> {
  const m = /^starknet:([-_a-zA-Z0-9]{1,32}):(0x[0-9a-fA-F]{1,64})$/.exec(check.account)
  if (!m) throw new InvalidInput('account must be CAIP-10 starknet:<chain>:<address>')
  if (m[1] !== chainRef) return false
  const address = m[2]!
  let td: TypedData
  try {
    td = JSON.parse(Buffer.from(check.message).toString('utf8')) as TypedData
  } catch {
    throw new InvalidInput('message must be the JSON of SNIP-12 typed data')
  }
  const domainChain = td?.domain?.chainId
  const chainFelt = BigInt(`0x${Buffer.from(chainRef, 'ascii').toString('hex')}`)
  const sameChain =
    domainChain === chainRef || (domainChain !== undefined && safeBig(domainChain) === chainFelt)
  if (!sameChain) return false // signed for another chain: no replay across chains
  let messageHash: string
  try {
    messageHash = typedData.getMessageHash(td, address)
  } catch {
    throw new InvalidInput('message is not valid SNIP-12 typed data')
  }
  const extraSig = check.extra?.signature
  let signature: string[]
  if (Array.isArray(extraSig)) signature = extraSig.map(String)
  else if (
    check.signature instanceof Uint8Array &&
    check.signature.length > 0 &&
    check.signature.length % 32 === 0
  )
    signature = feltsFromBytes(check.signature)
  else return false // not a signature of felts
  return isValidSignature(provider, address, messageHash, signature)
}

function safeBig(v: unknown): bigint | undefined {
  try {
    return BigInt(v as string)
  } catch {
    return undefined
  }
}

/** The CAIP-122 fields as mero's SNIP-12 sign-in typed data carries them (times as RFC 3339 text). */
export interface Snip12SignInFields {
  readonly domain: string
  readonly address: string
  readonly statement: string
  readonly uri: string
  readonly version: string
  readonly chainId: string
  readonly nonce: string
  readonly issuedAt: string
  readonly expirationTime: string
  readonly notBefore?: string
  readonly resources?: readonly string[]
}

const DOMAIN_TYPE = ['name', 'version', 'chainId', 'revision'].map((name) => ({ name, type: 'shortstring' }))
const member = (name: string, type: string) => ({ name, type })

/**
 * mero's SNIP-12 revision 1 sign-in typed data for `f` (layout: starknet-sign-in-scheme.ts); its
 * `JSON.stringify` is the message a wallet signs.
 *
 * @example
 * const message = JSON.stringify(signInTypedData(fields))
 */
export function signInTypedData(f: Snip12SignInFields): TypedData {
  const types = [
    member('domain', 'string'),
    member('address', 'ContractAddress'),
    member('statement', 'string'),
    member('uri', 'string'),
    member('version', 'shortstring'),
    member('chainId', 'shortstring'),
    member('nonce', 'string'),
    member('issuedAt', 'shortstring'),
    member('expirationTime', 'shortstring'),
    ...(f.notBefore === undefined ? [] : [member('notBefore', 'shortstring')]),
    ...(f.resources === undefined ? [] : [member('resources', 'string*')]),
  ]
  const { domain, address, statement, uri, version, chainId, nonce, issuedAt, expirationTime } = f
  return {
    types: { StarknetDomain: DOMAIN_TYPE, SignIn: types },
    primaryType: 'SignIn',
    domain: { name: 'mero', version: '1', chainId, revision: '1' },
    message: {
      ...{ domain, address, statement, uri, version, chainId, nonce, issuedAt, expirationTime },
      ...(f.notBefore === undefined ? {} : { notBefore: f.notBefore }),
      ...(f.resources === undefined ? {} : { resources: [...f.resources] }),
    },
  }
}

const ASCII = /^[\x20-\x7e]*$/
const SHORT = /^[\x20-\x7e]{1,31}$/
/** Why `f` cannot be SNIP-12 sign-in typed data (starknet.js hashes only ASCII strings), or undefined. */
export function signInFieldsProblem(f: Snip12SignInFields): string | undefined {
  for (const k of ['domain', 'statement', 'uri', 'nonce'] as const)
    if (!ASCII.test(f[k])) return `${k} must be printable ASCII for SNIP-12`
  if (f.domain === '' || f.uri === '') return 'domain and uri must not be empty'
  if (!/^[a-zA-Z0-9]{8,}$/.test(f.nonce)) return 'nonce must be at least 8 alphanumeric characters'
  if (f.version !== '1') return 'version must be 1'
  if (!/^[-_a-zA-Z0-9]{1,31}$/.test(f.chainId))
    return 'chainId must be a CAIP-2 reference of at most 31 characters'
  for (const t of [f.issuedAt, f.expirationTime, f.notBefore])
    if (t !== undefined && !SHORT.test(t)) return 'times must be RFC 3339 text of at most 31 characters'
  for (const r of f.resources ?? [])
    if (!ASCII.test(r) || r === '') return 'resources must be printable ASCII'
  return undefined
}
