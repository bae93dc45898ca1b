/**
 * The `merod dev` ICP signer key file (`icp-signer.key`, one line: a 32-byte Ed25519 seed in hex,
 * mode 0600). Unlike the shared `readOrCreateSigner`, an existing file that cannot be read or parsed
 * is never replaced (that would silently change the submitter, and lose the old key): it is an
 * error naming the file. A new key is written to a temp file and linked into place, so a crash
 * leaves either no key file or a complete one, and a concurrent creator's key is never overwritten.
 */
import { randomBytes } from 'node:crypto'
import { link, readFile, unlink, writeFile } from 'node:fs/promises'
import type { Ed25519KeyIdentity } from '@dfinity/identity'
import { parseIcpSecret } from '../../adapters/icp/icp-secret.ts'
import { InvalidConfig } from '../../src/core/errors.ts'

/** The dev signer: its secret (never logged) and identity. */
export interface IcpDevSigner {
  readonly secret: string
  readonly identity: Ed25519KeyIdentity
}

const keyFileError = (file: string, problem: string) =>
  new InvalidConfig(`${file} ${problem}; fix or remove it`, {
    details: { errors: [{ path: '/chains/signerKeyFile', message: `${file} ${problem}` }] },
  })

const parse = (file: string, secret: string): IcpDevSigner => {
  try {
    return { secret, identity: parseIcpSecret(secret) }
  } catch {
    throw keyFileError(
      file,
      'exists but does not hold an ICP signer secret (a 32-byte Ed25519 seed, 64 hex characters)',
    )
  }
}

/**
 * Reads the signer in `file`, creating it when there is no such file.
 *
 * @example
 * const { secret, identity } = await readOrCreateIcpSigner(join(dataDir, 'icp-signer.key'))
 */
export async function readOrCreateIcpSigner(file: string): Promise<IcpDevSigner> {
  for (;;) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new InvalidConfig(
          `${file} cannot be read (${(e as NodeJS.ErrnoException).code}); fix or remove it`,
        )
      const secret = randomBytes(32).toString('hex')
      const tmp = `${file}.${process.pid}.tmp`
      await writeFile(tmp, `${secret}\n`, { mode: 0o600 })
      try {
        await link(tmp, file)
        return parse(file, secret)
      } catch (le) {
        if ((le as NodeJS.ErrnoException).code !== 'EEXIST') throw le
        continue // created concurrently: read that one
      } finally {
        await unlink(tmp).catch(() => {})
      }
    }
    return parse(file, text.trim())
  }
}
