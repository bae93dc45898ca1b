/** The ICP adapter's signer secret format. */
import { Ed25519KeyIdentity } from '@dfinity/identity'
import { InvalidInput } from '../../src/core/errors.ts'

/**
 * Parses the signer secret: a 32-byte Ed25519 seed as 64 hex characters (optional `0x`), or as
 * base64 (44 characters). The identity is `Ed25519KeyIdentity.generate(seed)`; its principal is the
 * self-authenticating principal of the public key.
 */
export function parseIcpSecret(secret: string): Ed25519KeyIdentity {
  const s = secret.trim()
  let seed: Buffer | undefined
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(s)) seed = Buffer.from(s.replace(/^0x/, ''), 'hex')
  else if (/^[A-Za-z0-9+/]{43}=$/.test(s)) seed = Buffer.from(s, 'base64')
  if (seed?.length !== 32)
    throw new InvalidInput('ICP signer secret must be a 32-byte Ed25519 seed in hex (64 chars) or base64')
  return Ed25519KeyIdentity.generate(new Uint8Array(seed))
}
