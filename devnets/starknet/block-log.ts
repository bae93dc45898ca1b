/**
 * An append-only log of JSON records, one per line: what the devnet writes once per block instead of
 * rewriting its whole state. Writes are synchronous and ordered at an explicit file offset, so a
 * write that failed half-way is overwritten by the retry; on open, a torn last line (a crash mid-write)
 * is dropped and cut off, any other unreadable line is an error naming the file and line.
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs'

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

  /**
   * Opens (creating when absent) the log at `file` and reads its records, line by line in chunks:
   * the log is never one string (V8 caps strings at ~512 MiB, which a long-lived chain passes).
   */
  static open(file: string): BlockLog {
    // Not O_APPEND: positional writes must land at `size` (Linux ignores the offset under O_APPEND).
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644)
    try {
      const records: unknown[] = []
      const size = fstatSync(fd).size
      const chunk = Buffer.alloc(4 * 1024 * 1024)
      let carry: Buffer[] = [] // bytes of a line begun in earlier chunks (a list: no quadratic concat)
      let good = 0 // bytes of complete lines
      let line = 0
      const parse = (bytes: Buffer) => {
        line++
        try {
          records.push(JSON.parse(bytes.toString('utf8')))
        } catch {
          throw new Error(
            `${file}: line ${line} is not a JSON record; the devnet state is corrupt (move the folder away to start over)`,
          )
        }
        good += bytes.length + 1
      }
      for (let pos = 0; pos < size; ) {
        const n = readSync(fd, chunk, 0, chunk.length, pos)
        if (n === 0) break
        pos += n
        const buf = chunk.subarray(0, n)
        let from = 0
        for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, from)) {
          parse(carry.length ? Buffer.concat([...carry, buf.subarray(from, nl)]) : buf.subarray(from, nl))
          carry = []
          from = nl + 1
        }
        if (from < n) carry.push(Buffer.from(buf.subarray(from))) // copy: `chunk` is reused
      }
      // Bytes after the last newline are a torn tail (the crash came mid-write): cut off.
      if (good !== size) ftruncateSync(fd, good)
      return new BlockLog(file, fd, good, records)
    } catch (e) {
      closeSync(fd)
      throw e
    }
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
