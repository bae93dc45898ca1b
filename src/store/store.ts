/**
 * LevelDB storage (classic-level). One database per node; each module owns a named section
 * (a sublevel) and writes through batches. Keys are strings, values bytes. A batch that spans
 * sections stays atomic: pass `sublevel` on each operation of `store.batch([...])`.
 */

import type { AbstractSublevel } from 'abstract-level'
import { ClassicLevel } from 'classic-level'

/** The node's database. */
export type Store = ClassicLevel<string, Uint8Array>
/** One module's section of the database. */
export type Section = AbstractSublevel<Store, string | Buffer | Uint8Array, string, Uint8Array>

/** Opens (creating if needed) the database at `path`. */
export async function openStore(path: string): Promise<Store> {
  const db = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await db.open()
  return db
}

/** The section named `name` (sections may nest: `section(section(db,'a'),'b')` is not needed; use `a/b`). */
export function section(store: Store, name: string): Section {
  return store.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' }) as Section
}

/** Zero-padded decimal key so that numeric order equals byte order (u64 range). */
export function seqKey(n: number | bigint): string {
  return n.toString().padStart(20, '0')
}
