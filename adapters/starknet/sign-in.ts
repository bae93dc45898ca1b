/**
 * Starknet sign-in (DESIGN §8): a wallet signs SNIP-12 typed data; the check asks the account
 * contract itself (`is_valid_signature(hash, signature)`, SRC-6) because Starknet accounts are
 * contracts with their own signature schemes. Implementations answer differently: OpenZeppelin and
 * Argent ≥ 0.3 return `'VALID'` (0x56414c4944), older Argent returns 1, an invalid signature gives 0
 * or a panic. All of those are handled here.
 */
import { CallData, num, RpcError, type RpcProvider, type TypedData, typedData } from 'starknet'
import type { SignInCheck } from '../../src/chain/chain-adapter.ts'
import { InvalidInput } from '../../src/core/errors.ts'
import { wrapStarknetError } from './starknet-errors.ts'

/** `'VALID'` as a felt. */
export const SRC6_VALID = 0x56414c4944n

/**
 * Asks `account` whether `signature` over `messageHash` is valid (`is_valid_signature` through
 * `starknet_call`). True for `'VALID'` or 1; false for 0, a panic, or an account that is not deployed.
 * Throws `ChainUnavailable` when the node cannot be asked.
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
  let result: string[]
  try {
    result = await provider.callContract({
      contractAddress: num.toHex(account),
      entrypoint: 'is_valid_signature',
      calldata: CallData.compile({
        hash: num.toHex(messageHash),
        signature: signature.map((s) => num.toHex(s)),
      }),
    })
  } catch (e) {
    // 40 CONTRACT_ERROR: the account panicked (invalid signature on some implementations);
    // 20 CONTRACT_NOT_FOUND: no account there, so nothing signed.
    if (e instanceof RpcError && (e.code === 40 || e.code === 20)) return false
    throw wrapStarknetError('is_valid_signature', e)
  }
  const first = result[0] === undefined ? 0n : BigInt(result[0])
  return first === SRC6_VALID || first === 1n
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
  const signature = Array.isArray(extraSig) ? extraSig.map(String) : feltsFromBytes(check.signature)
  return isValidSignature(provider, address, messageHash, signature)
}

function safeBig(v: unknown): bigint | undefined {
  try {
    return BigInt(v as string)
  } catch {
    return undefined
  }
}
