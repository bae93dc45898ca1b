/**
 * The ICP devnet's data folder: the BLS root key secret (`root-key.hex`, 0600), the subnet's
 * counters (`subnet.json`), canister modules by hash (`modules/<sha256>.wasm`) and each canister's
 * committed state (`canisters/<id>.state`: header JSON, Wasm memory, stable memory, plus
 * `canisters/<id>.journal`, the heap pages later updates changed — `state-journal.ts`). Whole files
 * are written to a temp file and renamed and journal records are checksummed, so a crash leaves
 * either the old or the new state.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type CanisterExecutor, type CanisterHeader, restoreCanister } from './canister-executor.ts'
import { randomRootSecret } from './certification.ts'
import { decodeBase, type Persisted, replayJournal, saveImage } from './state-journal.ts'

/** Writes `data` to a temp file and renames it over `path`. */
export function writeAtomic(path: string, data: Uint8Array | string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, data, { mode })
  renameSync(tmp, path)
}

/** The persisted subnet counters. */
export interface SubnetMeta {
  nextCanisterIndex: number
}

/** Opens (creating when needed) a data folder. */
export function openDevnetStore(dataDir: string) {
  for (const d of ['', 'modules', 'canisters']) mkdirSync(join(dataDir, d), { recursive: true })
  const keyFile = join(dataDir, 'root-key.hex')
  const metaFile = join(dataDir, 'subnet.json')
  /** What was last written per canister (hex id): the journal appends the pages changed since. */
  const persisted = new Map<string, Persisted>()
  return {
    /** The root key secret, created on first use. */
    rootSecret(): Uint8Array {
      if (existsSync(keyFile)) return new Uint8Array(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex'))
      const s = randomRootSecret()
      writeAtomic(keyFile, `${Buffer.from(s).toString('hex')}\n`, 0o600)
      return s
    },
    meta(): SubnetMeta {
      try {
        return JSON.parse(readFileSync(metaFile, 'utf8')) as SubnetMeta
      } catch {
        return { nextCanisterIndex: 0 }
      }
    },
    saveMeta(m: SubnetMeta): void {
      writeAtomic(metaFile, `${JSON.stringify(m)}\n`)
    },
    saveModule(wasm: Uint8Array): void {
      const path = join(dataDir, 'modules', `${createHash('sha256').update(wasm).digest('hex')}.wasm`)
      if (!existsSync(path)) writeAtomic(path, wasm)
    },
    /** Persists a canister's committed state: changed heap pages journaled, else a new base. */
    saveCanister(c: CanisterExecutor): void {
      const s = c.serialize()
      const key = Buffer.from(c.id).toString('hex')
      const base = join(dataDir, 'canisters', `${key}.state`)
      const next = saveImage(
        { header: { ...s.header }, heap: s.heap, stable: s.stable },
        persisted.get(key),
        join(dataDir, 'canisters', `${key}.journal`),
        (bytes) => writeAtomic(base, bytes),
      )
      persisted.set(key, next)
    },
    /** Whether a state file exists for this canister id. */
    hasCanister(id: Uint8Array): boolean {
      return existsSync(join(dataDir, 'canisters', `${Buffer.from(id).toString('hex')}.state`))
    },
    loadCanisters(log: (s: string) => void): CanisterExecutor[] {
      const out: CanisterExecutor[] = []
      for (const f of readdirSync(join(dataDir, 'canisters'))) {
        if (!f.endsWith('.state')) continue
        try {
          const key = f.slice(0, -'.state'.length)
          const { image, journalBytes } = replayJournal(
            decodeBase(readFileSync(join(dataDir, 'canisters', f))),
            join(dataDir, 'canisters', `${key}.journal`),
          )
          const header = image.header as unknown as CanisterHeader
          const { heap, stable } = image
          const wasm = header.moduleHash
            ? new Uint8Array(readFileSync(join(dataDir, 'modules', `${header.moduleHash}.wasm`)))
            : undefined
          const id = new Uint8Array(Buffer.from(key, 'hex'))
          persisted.set(key, { seq: Number(image.header.seq ?? 0), heap, stable, journalBytes })
          out.push(restoreCanister(id, { header, heap, stable }, wasm, log))
        } catch (e) {
          // One unreadable canister (e.g. its module file missing) must not keep the subnet down.
          log(`skipping canister ${f.slice(0, -'.state'.length)}: ${(e as Error).message}`)
        }
      }
      return out
    },
  }
}
