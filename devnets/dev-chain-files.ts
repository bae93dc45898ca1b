/**
 * The small files a `merod dev` chain keeps in its data folder: the remembered anchor contract
 * (`<kind>.json`, `{ chainId, contract }`, so a restart reuses it instead of deploying again) and the
 * submitter's key file (the node config's `signerKeyFile`, mode 0600).
 */
import { randomBytes } from 'node:crypto'
import { link, readFile, unlink, writeFile } from 'node:fs/promises'
import { InvalidConfig } from '../src/core/errors.ts'

/**
 * The contract id remembered in `file` by {@link rememberContract}; `undefined` when there is none
 * (no file, not JSON, no string `contract`) or, with `chainId`, when it was remembered for another
 * chain. The caller still checks that it is deployed.
 *
 * @example
 * const contract = await readRememberedContract(join(dataDir, 'near.json'))
 */
export async function readRememberedContract(file: string, chainId?: string): Promise<string | undefined> {
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { chainId?: unknown; contract?: unknown }
    if (chainId !== undefined && saved.chainId !== chainId) return undefined
    return typeof saved.contract === 'string' ? saved.contract : undefined
  } catch {
    return undefined
  }
}

/** Remembers `contract` as the anchor contract of `chainId` in `file` (pretty JSON). */
export async function rememberContract(file: string, chainId: string, contract: string): Promise<void> {
  await writeFile(file, `${JSON.stringify({ chainId, contract }, null, 2)}\n`)
}

/**
 * Writes the submitter's secret (one line) to `file`, created with mode 0600. Callers never log it.
 *
 * @example
 * await writeSignerKeyFile(join(dataDir, 'near-submitter.key'), `${accountId}:${secretKey}`)
 */
export async function writeSignerKeyFile(file: string, secret: string): Promise<void> {
  await writeFile(file, `${secret}\n`, { mode: 0o600 })
}

/**
 * The signer of a data folder that creates its own key on first start: `parse` of the key in `file`,
 * or, when there is no such file, a fresh `create()`d secret. An existing file that cannot be read or
 * parsed is never replaced (that would silently change the submitter and lose the old key): it is an
 * `InvalidConfig` naming the file, never echoing its content. A new key is written to a temp file
 * (mode 0600) and linked into place, so a crash leaves no key file or a complete one, and a concurrent
 * creator's key is never overwritten.
 *
 * @example
 * const operator = await readOrCreateSigner(file, (s) => Keypair.fromSecret(s), () => Keypair.random().secret())
 */
export async function readOrCreateSigner<T>(
  file: string,
  parse: (secret: string) => T,
  create: () => string,
): Promise<T> {
  const parsed = (secret: string): T => {
    try {
      return parse(secret)
    } catch {
      throw keyFileError(file, 'exists but does not hold a signer secret of this chain')
    }
  }
  for (;;) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') throw keyFileError(file, `cannot be read (${code})`)
      const secret = create()
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
      await writeFile(tmp, `${secret}\n`, { mode: 0o600 })
      try {
        await link(tmp, file)
        return parsed(secret)
      } catch (le) {
        if ((le as NodeJS.ErrnoException).code !== 'EEXIST') throw le
        continue // created concurrently: read that one
      } finally {
        await unlink(tmp).catch(() => {})
      }
    }
    return parsed(text.trim())
  }
}

const keyFileError = (file: string, problem: string) =>
  new InvalidConfig(`${file} ${problem}; fix or remove it`, {
    details: { errors: [{ path: '/chains/signerKeyFile', message: `${file} ${problem}` }] },
  })
