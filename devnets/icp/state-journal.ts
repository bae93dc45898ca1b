/**
 * A canister's committed state on disk without rewriting the whole Wasm heap per update: a base
 * file `<id>.state` (4-byte header length, header JSON, heap, stable memory) plus a journal
 * `<id>.journal` of the 64 KiB heap pages each later update changed. A journal record is
 * `u32 length ‖ u32 crc32 ‖ u32 header length ‖ header JSON ‖ u32 page count ‖ (u32 page ‖ page)*`;
 * each header carries `seq` (one more per save). Loading applies, in order, the records that follow
 * the base's `seq` and stops at the first torn or foreign one — and cuts the file there, so later
 * appends stay readable: a crash mid-append loses only that update. When the heap grows, stable memory changes, or the journal outgrows the heap, the base is
 * rewritten (temp file + rename) and the journal removed; records older than the base are skipped.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, truncateSync } from 'node:fs'
import { crc32 } from 'node:zlib'

/** Size of a journaled heap page. */
export const PAGE_BYTES = 65_536

/** One canister's serialized state as the store writes it. */
export interface StateImage {
  /** The JSON-safe header; `seq` and `heapLength` are set by the journal. */
  header: Record<string, unknown> & { seq?: number; heapLength?: number }
  heap: Uint8Array
  stable: Uint8Array
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/** The base file's bytes. */
export function encodeBase(img: StateImage): Buffer {
  const header = Buffer.from(JSON.stringify({ ...img.header, heapLength: img.heap.length }))
  return Buffer.concat([u32(header.length), header, img.heap, img.stable])
}

/** Parses a base file. */
export function decodeBase(raw: Buffer): StateImage {
  const n = raw.readUInt32BE(0)
  const header = JSON.parse(raw.subarray(4, 4 + n).toString('utf8')) as StateImage['header']
  const heapLength = Number(header.heapLength)
  return {
    header,
    heap: new Uint8Array(raw.subarray(4 + n, 4 + n + heapLength)),
    stable: new Uint8Array(raw.subarray(4 + n + heapLength)),
  }
}

/** Indices of the pages where `a` and `b` (same length) differ. */
export function changedPages(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = []
  for (let i = 0; i * PAGE_BYTES < b.length; i++) {
    const from = i * PAGE_BYTES
    const to = Math.min(from + PAGE_BYTES, b.length)
    if (Buffer.compare(a.subarray(from, to), b.subarray(from, to)) !== 0) out.push(i)
  }
  return out
}

/** A journal record: the new header and the changed pages of `heap`. */
export function encodeRecord(header: StateImage['header'], heap: Uint8Array, pages: number[]): Buffer {
  const h = Buffer.from(JSON.stringify({ ...header, heapLength: heap.length }))
  const parts: Uint8Array[] = [u32(h.length), h, u32(pages.length)]
  for (const p of pages) parts.push(u32(p), heap.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES))
  const body = Buffer.concat(parts)
  return Buffer.concat([u32(body.length), u32(crc32(body)), body])
}

/** Applies the journal at `file` (if any) to `base`; returns the state and the journal's size. */
export function replayJournal(base: StateImage, file: string): { image: StateImage; journalBytes: number } {
  if (!existsSync(file)) return { image: base, journalBytes: 0 }
  const raw = readFileSync(file)
  let img = base
  let heap: Uint8Array | undefined // copied on the first applied record
  let at = 0
  while (at + 8 <= raw.length) {
    const len = raw.readUInt32BE(at)
    const body = raw.subarray(at + 8, at + 8 + len)
    if (body.length !== len || crc32(body) !== raw.readUInt32BE(at + 4)) break // torn tail
    const hl = body.readUInt32BE(0)
    const header = JSON.parse(body.subarray(4, 4 + hl).toString('utf8')) as StateImage['header']
    const seq = Number(header.seq)
    const current = Number(img.header.seq ?? 0)
    if (seq <= current) {
      at += 8 + len
      continue // from before the base was rewritten
    }
    if (seq !== current + 1 || header.heapLength !== img.heap.length) break
    at += 8 + len
    heap ??= img.heap.slice()
    let o = 4 + hl
    const count = body.readUInt32BE(o)
    o += 4
    for (let k = 0; k < count; k++) {
      const p = body.readUInt32BE(o)
      const bytes = body.subarray(o + 4, o + 4 + Math.min(PAGE_BYTES, heap.length - p * PAGE_BYTES))
      heap.set(bytes, p * PAGE_BYTES)
      o += 4 + bytes.length
    }
    img = { header, heap, stable: img.stable }
  }
  // Cut what cannot be applied (a torn tail), or the next appends would land behind it, unreadable.
  if (at < raw.length) truncateSync(file, at)
  return { image: img, journalBytes: at }
}

/** What the writer remembers of a canister's last save. */
export interface Persisted {
  readonly seq: number
  readonly heap: Uint8Array
  readonly stable: Uint8Array
  readonly journalBytes: number
}

/**
 * Saves `img` after `prev` (undefined: nothing on disk yet): appends the changed pages to the
 * journal when it can, else rewrites the base through `writeBase` and drops the journal.
 */
export function saveImage(
  img: StateImage,
  prev: Persisted | undefined,
  journalFile: string,
  writeBase: (bytes: Buffer) => void,
): Persisted {
  const seq = (prev?.seq ?? 0) + 1
  const header = { ...img.header, seq }
  if (
    prev &&
    prev.heap.length === img.heap.length &&
    Buffer.compare(prev.stable, img.stable) === 0 &&
    prev.journalBytes < Math.max(img.heap.length, 4 * PAGE_BYTES)
  ) {
    const record = encodeRecord(header, img.heap, changedPages(prev.heap, img.heap))
    try {
      appendFileSync(journalFile, record)
    } catch (e) {
      // A partial append (disk full) is cut off again, so later records stay readable.
      try {
        truncateSync(journalFile, prev.journalBytes)
      } catch {}
      throw e
    }
    return { seq, heap: img.heap, stable: img.stable, journalBytes: prev.journalBytes + record.length }
  }
  writeBase(encodeBase({ ...img, header }))
  rmSync(journalFile, { force: true })
  return { seq, heap: img.heap, stable: img.stable, journalBytes: 0 }
}
