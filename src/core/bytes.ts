/**
 * Byte helpers: the core works on `Uint8Array`; encodings (hex, base58, base64) live here, at the edges.
 */
import bs58 from 'bs58'
import { InvalidEncoding } from './errors.ts'

/** `0x`-prefixed lowercase hex. */
export function toHex(bytes: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`
}

const HEX = /^(0x)?([0-9a-fA-F]{2})*$/

/** Decodes hex (with or without `0x`); checks the length when `length` is given. */
export function fromHex(hex: string, length?: number, what = 'hex value'): Uint8Array {
  if (typeof hex !== 'string' || !HEX.test(hex))
    throw new InvalidEncoding(`${what} is not hex`, { details: { what } })
  const out = new Uint8Array(Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex'))
  if (length !== undefined && out.length !== length)
    throw new InvalidEncoding(`${what} must be ${length} bytes, got ${out.length}`, {
      details: { what, length: out.length },
    })
  return out
}

/** Base58 (bitcoin alphabet), the encoding of ids and public keys in JSON. */
export function toBase58(bytes: Uint8Array): string {
  return bs58.encode(bytes)
}

/** Decodes base58; checks the length when `length` is given (ids and keys are 32 bytes). */
export function fromBase58(s: string, length?: number, what = 'base58 value'): Uint8Array {
  let out: Uint8Array
  try {
    if (typeof s !== 'string' || s.length === 0 || s.length > 128) throw new Error('bad')
    out = bs58.decode(s)
  } catch {
    throw new InvalidEncoding(`${what} is not base58`, { details: { what } })
  }
  if (length !== undefined && out.length !== length)
    throw new InvalidEncoding(`${what} must be ${length} bytes, got ${out.length}`, {
      details: { what, length: out.length },
    })
  return out
}

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/
/** Decodes standard base64 strictly (rejects other alphabets and bad padding). */
export function fromBase64(s: string, what = 'base64 value'): Uint8Array {
  if (typeof s !== 'string' || s.length % 4 !== 0 || !B64.test(s))
    throw new InvalidEncoding(`${what} is not base64`, { details: { what } })
  return new Uint8Array(Buffer.from(s, 'base64'))
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Constant-length byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic comparison of byte arrays (for sorting ids). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

/** u64 big-endian. */
export function u64be(n: bigint | number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n))
  return out
}

/** u32 big-endian. */
export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n >>> 0)
  return out
}

/** Reads a u64 big-endian at `offset`. */
export function readU64be(b: Uint8Array, offset = 0): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(offset)
}
