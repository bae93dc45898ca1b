/** Signatures of IC user keys (DER-wrapped public keys) and self-authenticating principals. */
import crypto, { createHash } from 'node:crypto'
import { verifyStrict } from '../../src/core/ed25519.ts'

const DER = {
  ed25519: Buffer.from('302a300506032b6570032100', 'hex'),
  secp256k1: Buffer.from('3056301006072a8648ce3d020106052b8104000a034200', 'hex'),
  p256: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
}

/**
 * ECDSA over `sha256(msg)` with a 64-byte `r ‖ s` signature and an SPKI DER key, through OpenSSL
 * (`node:crypto`): ~100 µs for P-256 where pure JS took ~5.5 ms — `@dfinity/auth-client` signs with a
 * P-256 session key by default. Any `s` in [1, n) is accepted (the IC does not require low `s`).
 */
function verifyEcdsa(spki: Buffer, msg: Uint8Array, sig: Uint8Array): boolean {
  if (sig.length !== 64) return false
  const key = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' })
  return crypto.verify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, sig)
}

/**
 * Verifies `sig` over `msg` for a DER-wrapped public key: Ed25519, or ECDSA (secp256k1, P-256) over
 * `sha256(msg)` with a 64-byte `r ‖ s` signature, as the IC accepts them. Ed25519 is verified
 * strictly (core's `verifyStrict`: no small-order key or `R`, canonical encodings). False on a
 * mismatch or a malformed key, `undefined` for another key type.
 */
export function verifyDerSignature(
  derKey: Uint8Array,
  msg: Uint8Array,
  sig: Uint8Array,
): boolean | undefined {
  const key = Buffer.from(derKey)
  try {
    if (key.length === 44 && key.subarray(0, 12).equals(DER.ed25519))
      return verifyStrict(key.subarray(12), msg, sig)
    if (
      (key.length === 88 && key.subarray(0, 23).equals(DER.secp256k1)) ||
      (key.length === 91 && key.subarray(0, 26).equals(DER.p256))
    )
      return verifyEcdsa(key, msg, sig)
  } catch {
    return false // not a point on the curve
  }
  return undefined
}

/** The self-authenticating principal of a DER public key: `sha224(der) ‖ 0x02`. */
export function selfAuthenticating(derKey: Uint8Array): Uint8Array {
  return new Uint8Array([...createHash('sha224').update(derKey).digest(), 2])
}
