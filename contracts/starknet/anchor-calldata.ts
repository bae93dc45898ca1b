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
  return encodeByteArrayBytes(Buffer.from(s, 'utf8'))
}

/** Serializes bytes as a Cairo `ByteArray` (the canonical form `ByteArray` methods build). */
export function encodeByteArrayBytes(bytes: Uint8Array): bigint[] {
  const b = Buffer.from(bytes)
  const full = Math.floor(b.length / 31)
  const word = (x: Buffer) => (x.length === 0 ? 0n : BigInt(`0x${x.toString('hex')}`))
  const words: bigint[] = []
  for (let i = 0; i < full; i++) words.push(word(b.subarray(i * 31, i * 31 + 31)))
  const pending = b.subarray(full * 31)
  return [BigInt(full), ...words, word(pending), BigInt(pending.length)]
}

/** Why a felt sequence is not a `ByteArray`: Cairo's `Serde` fails, or it deserializes to a non-canonical value. */
export class ByteArrayError extends RangeError {
  constructor(
    message: string,
    /** `serde`: Cairo's deserialization fails; `canonical`: it succeeds but no `ByteArray` method would build it. */
    readonly kind: 'serde' | 'canonical',
  ) {
    super(message)
  }
}

const U32 = 1n << 32n

/**
 * Reads a Cairo `ByteArray` at `at` as its derived `Serde` does — `data: Array<bytes31>` (a u32 length,
 * then felts < 2^248), `pending_word: felt252`, `pending_word_len: u32` — then checks it is canonical
 * (pending length ≤ 30, pending word fits in it). Returns the bytes and the felts consumed.
 */
export function decodeByteArrayBytes(felts: readonly bigint[], at = 0): { bytes: Buffer; used: number } {
  const n = felts[at]
  if (n === undefined || n < 0n || n >= U32) throw new ByteArrayError('bad ByteArray length', 'serde')
  if (n > BigInt(felts.length - at - 1)) throw new ByteArrayError('ByteArray runs past the input', 'serde')
  const count = Number(n)
  const words = felts.slice(at + 1, at + 1 + count)
  const pending = felts[at + 1 + count]
  const pendingLen = felts[at + 2 + count]
  if (pending === undefined || pendingLen === undefined || pendingLen < 0n || pendingLen >= U32)
    throw new ByteArrayError('bad ByteArray', 'serde')
  if (pending < 0n || pending >= FELT_PRIME) throw new ByteArrayError('bad pending word', 'serde')
  const parts: Buffer[] = []
  for (const w of words) {
    if (w < 0n || w >= 1n << 248n) throw new ByteArrayError('bad bytes31', 'serde')
    parts.push(Buffer.from(w.toString(16).padStart(62, '0'), 'hex'))
  }
  if (pendingLen > 30n) throw new ByteArrayError('pending_word_len above 30', 'canonical')
  const plen = Number(pendingLen)
  if (pending >= 1n << BigInt(8 * plen))
    throw new ByteArrayError('pending word wider than its length', 'canonical')
  if (plen > 0) parts.push(Buffer.from(pending.toString(16).padStart(plen * 2, '0'), 'hex'))
  return { bytes: Buffer.concat(parts), used: count + 3 }
}

/** Reads a Cairo `ByteArray` at `at` as a UTF-8 string (see {@link decodeByteArrayBytes}); throws on malformed input. */
export function decodeByteArray(felts: readonly bigint[], at = 0): { value: string; used: number } {
  const { bytes, used } = decodeByteArrayBytes(felts, at)
  return { value: bytes.toString('utf8'), used }
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
