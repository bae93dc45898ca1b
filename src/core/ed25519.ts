/**
 * Ed25519 through `node:crypto`, with KeyObjects cached per key (building one costs as much as a verify).
 * Keys are raw: a 32-byte public key and a 32-byte secret seed.
 */
import crypto, { type KeyObject } from 'node:crypto'
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519'
import { InvalidEncoding } from './errors.ts'

/** A raw Ed25519 key pair. */
export interface Ed25519KeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

const b64u = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')
const CACHE_MAX = 10_000
const publicCache = new Map<string, KeyObject>()
const privateCache = new Map<string, KeyObject>()

function cached(cache: Map<string, KeyObject>, key: string, make: () => KeyObject): KeyObject {
  let k = cache.get(key)
  if (!k) {
    k = make()
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string)
    cache.set(key, k)
  }
  return k
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw new InvalidEncoding('Ed25519 public key must be 32 bytes')
  const x = b64u(publicKey)
  return cached(publicCache, x, () =>
    crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }),
  )
}

function privateKeyObject(secretKey: Uint8Array, publicKey?: Uint8Array): KeyObject {
  if (secretKey.length !== 32) throw new InvalidEncoding('Ed25519 secret key must be 32 bytes')
  const d = b64u(secretKey)
  return cached(privateCache, d, () => {
    const x = b64u(publicKey ?? derivePublicKey(secretKey))
    return crypto.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x }, format: 'jwk' })
  })
}

/** Generates a fresh key pair. */
export function generateKeyPair(): Ed25519KeyPair {
  return keyPairFromSecret(new Uint8Array(crypto.randomBytes(32)))
}

/** Derives the public key of a 32-byte secret seed. */
export function derivePublicKey(secretKey: Uint8Array): Uint8Array {
  const pk = crypto.createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), secretKey]),
    format: 'der',
    type: 'pkcs8',
  })
  const jwk = crypto.createPublicKey(pk).export({ format: 'jwk' })
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'))
}

/** Key pair from a 32-byte secret seed. */
export function keyPairFromSecret(secretKey: Uint8Array): Ed25519KeyPair {
  return { publicKey: derivePublicKey(secretKey), secretKey }
}

/** Signs `message` with a raw secret seed. */
export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.sign(null, message, privateKeyObject(secretKey)))
}

/** Verifies an Ed25519 signature; false (never throws) on any malformed input. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  try {
    return crypto.verify(null, message, publicKeyObject(publicKey), signature)
  } catch {
    return false
  }
}

// The y coordinates (sign bit cleared) of the eight small-order points.
const SMALL_ORDER_Y = new Set(
  ED25519_TORSION_SUBGROUP.map((h) => {
    const b = Buffer.from(h, 'hex')
    b[31]! &= 0x7f
    return b.toString('hex')
  }),
)

/** A point encoding {@link verifyStrict} refuses as key or `R`: small order, or `y` ≥ p (non-canonical). */
function weakPoint(encoding: Uint8Array): boolean {
  const b = Buffer.from(encoding)
  b[31]! &= 0x7f
  if (SMALL_ORDER_Y.has(b.toString('hex'))) return true
  // y ≥ p = 2^255 − 19: 0x7f, thirty 0xff, then the low byte ≥ 0xed.
  return b[31] === 0x7f && b[0]! >= 0xed && b.subarray(1, 31).every((x) => x === 0xff)
}

/**
 * Strict Ed25519 (RFC 8032 with canonical encodings, the rules of `ed25519-dalek`'s `verify_strict`):
 * {@link verify}, and a public key or `R` that is a small-order point, or whose `y` is not below p, is
 * refused first — with the identity point as key, OpenSSL accepts `R` = identity, `s = 0` for every
 * message. (OpenSSL itself refuses `s` ≥ L and compares `R` by its encoding.) Use it wherever the key
 * comes from the party being authenticated. False (never throws) on any malformed input.
 *
 * @example
 * verifyStrict(walletKey, hash, signature) // false for a weak key, whatever the message
 */
export function verifyStrict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  if (weakPoint(publicKey) || weakPoint(signature.subarray(0, 32))) return false
  return verify(publicKey, message, signature)
}

/** Async verify: runs on the thread pool, so both cores verify in parallel (~1.5× throughput). */
export function verifyAsync(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return Promise.resolve(false)
  let key: KeyObject
  try {
    key = publicKeyObject(publicKey)
  } catch {
    return Promise.resolve(false)
  }
  return new Promise((resolve) => {
    crypto.verify(null, message, key, signature, (err, ok) => resolve(!err && ok))
  })
}
