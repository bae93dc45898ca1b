/**
 * The small files a `merod dev` chain keeps in its data folder: the remembered anchor contract
 * (`<kind>.json`, `{ chainId, contract }`, so a restart reuses it instead of deploying again) and the
 * submitter's key file (the node config's `signerKeyFile`, mode 0600).
 */
import { readFile, writeFile } from 'node:fs/promises'

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
 * or, when there is none that parses, a fresh `create()`d secret written there with
 * {@link writeSignerKeyFile} (replacing the unreadable one) and parsed.
 *
 * @example
 * const operator = await readOrCreateSigner(file, (s) => Keypair.fromSecret(s), () => Keypair.random().secret())
 */
export async function readOrCreateSigner<T>(
  file: string,
  parse: (secret: string) => T,
  create: () => string,
): Promise<T> {
  try {
    return parse((await readFile(file, 'utf8')).trim())
  } catch {
    const secret = create()
    await writeSignerKeyFile(file, secret)
    return parse(secret)
  }
}
