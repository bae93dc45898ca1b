/**
 * Canonical CBOR: deterministic encoding (RFC 8949 §4.2.1) through cborg, and a strict decoder that
 * accepts only bytes that are already in that one canonical form (decode, re-encode, compare).
 */
import { type DecodeOptions, decode, encode, rfc8949EncodeOptions } from 'cborg'
import { bytesEqual } from '../core/bytes.ts'
import { InvalidEncoding } from '../core/errors.ts'

const DECODE_OPTIONS: DecodeOptions = Object.freeze({
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowNaN: false,
  allowInfinity: false,
  allowBigInt: true,
  rejectDuplicateMapKeys: true,
})

/**
 * Encodes `value` as deterministic CBOR (shortest ints and floats, map keys sorted by their encoding).
 *
 * @example
 * const bytes = encodeCanonical({ b: 1, a: [new Uint8Array(2)] })
 */
export function encodeCanonical(value: unknown): Uint8Array {
  return encode(value, rfc8949EncodeOptions)
}

/**
 * Decodes CBOR that must be in canonical form; anything else (tags, indefinite lengths, non-shortest
 * forms, unsorted or repeated keys, trailing bytes) throws `InvalidEncoding`.
 *
 * @example
 * const value = decodeCanonical(encodeCanonical({ a: 1 })) // { a: 1 }
 */
export function decodeCanonical(bytes: Uint8Array, what = 'CBOR value'): unknown {
  let value: unknown
  try {
    value = decode(bytes, DECODE_OPTIONS)
  } catch (e) {
    throw new InvalidEncoding(`${what} is not valid CBOR`, { details: { what }, cause: e })
  }
  let again: Uint8Array
  try {
    again = encodeCanonical(value)
  } catch (e) {
    throw new InvalidEncoding(`${what} cannot be re-encoded`, { details: { what }, cause: e })
  }
  if (!bytesEqual(again, bytes))
    throw new InvalidEncoding(`${what} is not in canonical CBOR form`, { details: { what } })
  return value
}
