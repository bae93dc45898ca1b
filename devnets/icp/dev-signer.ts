/**
 * The `merod dev` ICP signer key file (`icp-signer.key`, one line: a 32-byte Ed25519 seed in hex,
 * mode 0600), through the shared {@link readOrCreateSigner}: created once, never replaced when it
 * exists but cannot be parsed.
 */
import { randomBytes } from 'node:crypto'
import type { Ed25519KeyIdentity } from '@dfinity/identity'
import { parseIcpSecret } from '../../adapters/icp/icp-secret.ts'
import { readOrCreateSigner } from '../dev-chain-files.ts'

/** The dev signer: its secret (never logged) and identity. */
export interface IcpDevSigner {
  readonly secret: string
  readonly identity: Ed25519KeyIdentity
}

/**
 * Reads the signer in `file`, creating it when there is no such file.
 *
 * @example
 * const { secret, identity } = await readOrCreateIcpSigner(join(dataDir, 'icp-signer.key'))
 */
export function readOrCreateIcpSigner(file: string): Promise<IcpDevSigner> {
  return readOrCreateSigner(
    file,
    (secret) => ({ secret, identity: parseIcpSecret(secret) }),
    () => randomBytes(32).toString('hex'),
  )
}
