/**
 * The NEAR signer secret (the trimmed content of a chain's `signerKeyFile`). Two formats:
 *
 * - `<account_id>:ed25519:<base58 secret key>` — e.g. `node.test.near:ed25519:3D4YudUah…`
 * - JSON as near-cli writes credentials: `{"account_id": "…", "private_key": "ed25519:…"}`
 *   (`secret_key` is accepted for `private_key`).
 *
 * The secret key is NEAR's `ed25519:` + base58 of the 64-byte (seed ‖ public key) form or the 32-byte seed.
 */
import { KeyPair, type KeyPairString } from 'near-api-js'
import { InvalidInput } from '../../src/core/errors.ts'

/** A parsed signer secret. */
export interface NearSigner {
  readonly accountId: string
  readonly secretKey: KeyPairString
}

const ACCOUNT_ID = /^(?=.{2,64}$)(([a-z\d]+[-_])*[a-z\d]+\.)*([a-z\d]+[-_])*[a-z\d]+$/

/**
 * Parses a signer secret; throws `InvalidInput` (never echoing the key) when it is malformed.
 *
 * @example
 * parseNearSecret('node.test.near:ed25519:3D4Y…') // { accountId: 'node.test.near', secretKey: 'ed25519:3D4Y…' }
 */
export function parseNearSecret(secret: string): NearSigner {
  const s = secret.trim()
  let accountId: unknown
  let secretKey: unknown
  if (s.startsWith('{')) {
    try {
      const j = JSON.parse(s) as Record<string, unknown>
      accountId = j.account_id
      secretKey = j.private_key ?? j.secret_key
    } catch {
      throw new InvalidInput('NEAR signer secret is not valid JSON')
    }
  } else {
    const i = s.indexOf(':')
    accountId = i > 0 ? s.slice(0, i) : undefined
    secretKey = i > 0 ? s.slice(i + 1) : undefined
  }
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId))
    throw new InvalidInput('NEAR signer secret: expected "<account_id>:ed25519:<key>" or credentials JSON')
  if (typeof secretKey !== 'string' || !secretKey.startsWith('ed25519:'))
    throw new InvalidInput('NEAR signer secret: the key must be ed25519:<base58>', { details: { accountId } })
  try {
    KeyPair.fromString(secretKey as KeyPairString)
  } catch {
    throw new InvalidInput('NEAR signer secret: the key does not decode', { details: { accountId } })
  }
  return { accountId, secretKey: secretKey as KeyPairString }
}
