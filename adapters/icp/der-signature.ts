/** Signatures of IC user keys (DER-wrapped public keys) and self-authenticating principals. */
import { createHash } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519'
import { p256 } from '@noble/curves/p256'
import { secp256k1 } from '@noble/curves/secp256k1'

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest())

const DER = {
  ed25519: Buffer.from('302a300506032b6570032100', 'hex'),
  secp256k1: Buffer.from('3056301006072a8648ce3d020106052b8104000a034200', 'hex'),
  p256: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
}

/**
 * Verifies `sig` over `msg` for a DER-wrapped public key: Ed25519, or ECDSA (secp256k1, P-256) over
 * `sha256(msg)` with a 64-byte `r ‖ s` signature, as the IC accepts them. Ed25519 is verified
 * strictly (see {@link verifyEd25519Strict}). False on a mismatch, `undefined` for another key type.
 */
export function verifyDerSignature(
  derKey: Uint8Array,
  msg: Uint8Array,
  sig: Uint8Array,
): boolean | undefined {
  const key = Buffer.from(derKey)
  try {
    if (key.length === 44 && key.subarray(0, 12).equals(DER.ed25519))
      return verifyEd25519Strict(key.subarray(12), msg, sig)
    if (key.length === 88 && key.subarray(0, 23).equals(DER.secp256k1))
      return secp256k1.verify(sig, sha256(msg), key.subarray(23), { lowS: false })
    if (key.length === 91 && key.subarray(0, 26).equals(DER.p256))
      return p256.verify(sig, sha256(msg), key.subarray(26), { lowS: false })
  } catch {
    return false
  }
  return undefined
}

/**
 * Strict Ed25519 (RFC 8032 with canonical encodings, as `ed25519-dalek`'s `verify_strict` the IC
 * uses): no ZIP-215 leniency, and a small-order public key or `R` is refused — with the identity
 * point as key, `s = 0` would "sign" every message.
 */
export function verifyEd25519Strict(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    if (sig.length !== 64) return false
    const A = ed25519.ExtendedPoint.fromHex(publicKey, false)
    const R = ed25519.ExtendedPoint.fromHex(sig.subarray(0, 32), false)
    if (A.isSmallOrder() || R.isSmallOrder()) return false
    return ed25519.verify(sig, msg, publicKey, { zip215: false })
  } catch {
    return false
  }
}

/** The self-authenticating principal of a DER public key: `sha224(der) ‖ 0x02`. */
export function selfAuthenticating(derKey: Uint8Array): Uint8Array {
  return new Uint8Array([...createHash('sha224').update(derKey).digest(), 2])
}
