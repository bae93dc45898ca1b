/**
 * The Cairo ABI of the `MeroAnchor` Starknet contract (contracts/starknet/src/lib.cairo) as felt
 * encoders and decoders, shared by the adapter, the devnet's contract model and the tests. Cairo 1
 * serialization: `u256` = `[low, high]` (128-bit halves), `u64`/`ContractAddress`/`bool` = one felt,
 * `ByteArray` = `[full_words_len, ...bytes31 words, pending_word, pending_word_len]`.
 */
import { hash, num } from 'starknet'

/** 2^128. */
const TWO_128 = 1n << 128n
/** The Stark field prime P = 2^251 + 17·2^192 + 1. */
export const FELT_PRIME = 2n ** 251n + 17n * 2n ** 192n + 1n

/** Entry points of the anchor contract. */
export const ANCHOR_ENTRYPOINTS = [
  'anchor',
  'anchor_of',
  'register_node',
  'revoke_node',
  'is_node',
  'node_of',
  'is_submitter',
  'owner',
] as const
/** One entry point name. */
export type AnchorEntrypoint = (typeof ANCHOR_ENTRYPOINTS)[number]

/** `sn_keccak(name)` of an entry point or event, as a bigint. */
export function selectorOf(name: string): bigint {
  return BigInt(hash.getSelectorFromName(name))
}

/** Splits a 256-bit value into Cairo's `u256 { low, high }` felts. */
export function u256ToFelts(v: bigint): [bigint, bigint] {
  if (v < 0n || v >= 1n << 256n) throw new RangeError('u256 out of range')
  return [v % TWO_128, v / TWO_128]
}

/** Joins `[low, high]`; throws when a half is not a u128 (Cairo's deserialization would fail). */
export function feltsToU256(low: bigint, high: bigint): bigint {
  if (low < 0n || low >= TWO_128 || high < 0n || high >= TWO_128)
    throw new RangeError('u256 half out of range')
  return high * TWO_128 + low
}

/** A 32-byte value as a bigint (big-endian). */
export function bytesToBigint(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`)
}

/** A bigint < 2^256 as 32 big-endian bytes. */
export function bigintToBytes32(v: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'))
}

/** Serializes a string (UTF-8) as a Cairo `ByteArray`: 31-byte words, then the pending word and its length. */
export function encodeByteArray(s: string): bigint[] {
  const bytes = Buffer.from(s, 'utf8')
  const full = Math.floor(bytes.length / 31)
  const word = (b: Buffer) => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`))
  const words: bigint[] = []
  for (let i = 0; i < full; i++) words.push(word(bytes.subarray(i * 31, i * 31 + 31)))
  const pending = bytes.subarray(full * 31)
  return [BigInt(full), ...words, word(pending), BigInt(pending.length)]
}

/** Reads a Cairo `ByteArray` at `at`; returns the string and the felts consumed. Throws on malformed input. */
export function decodeByteArray(felts: readonly bigint[], at = 0): { value: string; used: number } {
  const n = felts[at]
  if (n === undefined || n > 10_000n) throw new RangeError('bad ByteArray length')
  const count = Number(n)
  const words = felts.slice(at + 1, at + 1 + count)
  const pending = felts[at + 1 + count]
  const pendingLen = felts[at + 2 + count]
  if (words.length !== count || pending === undefined || pendingLen === undefined || pendingLen > 30n)
    throw new RangeError('bad ByteArray')
  const parts: Buffer[] = []
  for (const w of words) {
    if (w >= 1n << 248n) throw new RangeError('bad bytes31')
    parts.push(Buffer.from(w.toString(16).padStart(62, '0'), 'hex'))
  }
  const plen = Number(pendingLen)
  if (pending >= 1n << BigInt(8 * plen)) throw new RangeError('bad pending word')
  if (plen > 0) parts.push(Buffer.from(pending.toString(16).padStart(plen * 2, '0'), 'hex'))
  return { value: Buffer.concat(parts).toString('utf8'), used: count + 3 }
}

/** Calldata of `anchor(log_id: u256, tree_size: u64, root: u256)`. */
export function anchorCalldata(logId: bigint, treeSize: bigint | number, root: bigint): bigint[] {
  return [...u256ToFelts(logId), BigInt(treeSize), ...u256ToFelts(root)]
}

/** Calldata of `register_node(node_key: u256, submitter: ContractAddress, metadata: ByteArray)`. */
export function registerNodeCalldata(nodeKey: bigint, submitter: bigint, metadata: string): bigint[] {
  return [...u256ToFelts(nodeKey), submitter, ...encodeByteArray(metadata)]
}

/** The decoded answer of `anchor_of`; `treeSize` 0 = none. */
export interface AnchorOfResult {
  readonly logId: bigint
  readonly treeSize: bigint
  readonly height: bigint
  /** Block timestamp, seconds. */
  readonly timestamp: bigint
  readonly submitter: bigint
}

/** Decodes `anchor_of`'s `(u256, u64, u64, u64, ContractAddress)`. */
export function decodeAnchorOf(result: readonly (string | bigint)[]): AnchorOfResult {
  if (result.length !== 6) throw new RangeError(`anchor_of returned ${result.length} felts, expected 6`)
  const f = result.map((x) => BigInt(x))
  return {
    logId: feltsToU256(f[0]!, f[1]!),
    treeSize: f[2]!,
    height: f[3]!,
    timestamp: f[4]!,
    submitter: f[5]!,
  }
}

/** Felts as `0x` hex strings, the form JSON-RPC carries them in. */
export function toHexFelts(felts: readonly bigint[]): string[] {
  return felts.map((f) => num.toHex(f))
}
