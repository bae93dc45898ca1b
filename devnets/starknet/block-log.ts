/**
 * An append-only log of JSON records, one per line: what the devnet writes once per block instead of
 * rewriting its whole state. Writes are synchronous and ordered at an explicit file offset, so a
 * write that failed half-way is overwritten by the retry; on open, a torn last line (a crash mid-write)
 * is dropped and cut off, any other unreadable line is an error naming the file and line.
 */
import { closeSync, constants, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs'

/** An open log. */
export class BlockLog {
  private unwritten: Buffer[] = []
  private constructor(
    /** Path of the log file. */
    readonly file: string,
    private readonly fd: number,
    private size: number,
    /** The records read at open, in order. */
    readonly records: readonly unknown[],
  ) {}

  /** Opens (creating when absent) the log at `file` and reads its records. */
  static open(file: string): BlockLog {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    const records: unknown[] = []
    let good = 0
    const lines = text.split('\n')
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      const last = i === lines.length - 1 // text after the final newline
      if (line === '' && last) break
      if (last) break // no newline after it: a torn tail, the crash came mid-write
      try {
        records.push(JSON.parse(line))
      } catch {
        throw new Error(
          `${file}: line ${i + 1} is not a JSON record; the devnet state is corrupt (move the folder away to start over)`,
        )
      }
      good += Buffer.byteLength(line, 'utf8') + 1
    }
    // Not O_APPEND: positional writes must land at `size` (Linux ignores the offset under O_APPEND).
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644)
    if (good !== Buffer.byteLength(text, 'utf8')) ftruncateSync(fd, good)
    return new BlockLog(file, fd, good, records)
  }

  /** Appends records (each one line); on a write failure they stay queued for the next call. */
  append(...records: unknown[]): void {
    for (const r of records) this.unwritten.push(Buffer.from(`${JSON.stringify(r)}\n`, 'utf8'))
    if (this.unwritten.length === 0) return
    const buf = Buffer.concat(this.unwritten)
    let off = 0
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, this.size + off)
    fsyncSync(this.fd)
    this.size += buf.length
    this.unwritten = []
  }

  /** Bytes in the log file. */
  get bytes(): number {
    return this.size
  }

  /** Closes the file. */
  close(): void {
    closeSync(this.fd)
  }
}
