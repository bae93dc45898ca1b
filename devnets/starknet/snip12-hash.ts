/**
 * An independent SNIP-12 revision 1 message hash (https://github.com/starknet-io/SNIPs/blob/main/SNIPS/snip-12.md),
 * written from the spec to cross-check starknet.js's `typedData.getMessageHash`. Covers the types the
 * tests use: felt, shortstring, ContractAddress, u128, bool, structs and `T*` arrays. Built only on the
 * primitives Poseidon and starknet_keccak.
 */
import { ec, hash } from 'starknet'

/** A SNIP-12 type member. */
export interface Snip12Member {
  readonly name: string
  readonly type: string
}
/** SNIP-12 typed data. */
export interface Snip12TypedData {
  readonly types: Readonly<Record<string, readonly Snip12Member[]>>
  readonly primaryType: string
  readonly domain: Readonly<Record<string, unknown>>
  readonly message: Readonly<Record<string, unknown>>
}

const poseidon = (xs: bigint[]) => BigInt(ec.starkCurve.poseidonHashMany(xs))
const ascii = (s: string) => (s.length === 0 ? 0n : BigInt(`0x${Buffer.from(s, 'ascii').toString('hex')}`))

/** A felt-like value: hex, a decimal string (as the reference implementation reads it), or ASCII. */
function feltOf(v: unknown): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') return BigInt(v)
  if (typeof v === 'boolean') return v ? 1n : 0n
  const s = String(v)
  if (/^0x[0-9a-fA-F]+$/.test(s) || /^[0-9]+$/.test(s)) return BigInt(s)
  if (s.length > 31) throw new Error('short string longer than 31 characters')
  return ascii(s)
}

function dependencies(td: Snip12TypedData, type: string, acc = new Set<string>()): Set<string> {
  const base = type.endsWith('*') ? type.slice(0, -1) : type
  if (!td.types[base] || acc.has(base)) return acc
  acc.add(base)
  for (const m of td.types[base]!) dependencies(td, m.type, acc)
  return acc
}

/** `"Type"("a":"felt",...)` followed by the referenced types in alphabetical order. */
export function encodeType(td: Snip12TypedData, type: string): string {
  const deps = [...dependencies(td, type)].filter((t) => t !== type).sort()
  return [type, ...deps]
    .map((t) => `"${t}"(${td.types[t]!.map((m) => `"${m.name}":"${m.type}"`).join(',')})`)
    .join('')
}

function encodeValue(td: Snip12TypedData, type: string, value: unknown): bigint {
  if (type.endsWith('*')) {
    const inner = type.slice(0, -1)
    return poseidon((value as unknown[]).map((v) => encodeValue(td, inner, v)))
  }
  if (td.types[type]) return structHash(td, type, value as Record<string, unknown>)
  switch (type) {
    case 'felt':
    case 'shortstring':
    case 'ContractAddress':
    case 'ClassHash':
    case 'u128':
    case 'bool':
      return feltOf(value)
    default:
      throw new Error(`type ${type} not covered by this implementation`)
  }
}

/** `poseidon(typeHash, ...encoded members)`. */
export function structHash(td: Snip12TypedData, type: string, value: Record<string, unknown>): bigint {
  const typeHash = BigInt(hash.starknetKeccak(encodeType(td, type)))
  return poseidon([typeHash, ...td.types[type]!.map((m) => encodeValue(td, m.type, value[m.name]))])
}

/** `poseidon('StarkNet Message', domain hash, account, message hash)` (revision 1). */
export function snip12MessageHash(td: Snip12TypedData, account: string): string {
  return `0x${poseidon([
    ascii('StarkNet Message'),
    structHash(td, 'StarknetDomain', td.domain as Record<string, unknown>),
    BigInt(account),
    structHash(td, td.primaryType, td.message as Record<string, unknown>),
  ]).toString(16)}`
}
