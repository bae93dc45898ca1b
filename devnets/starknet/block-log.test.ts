import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { BlockLog } from './block-log.ts'

describe('starknet devnet block log: read in chunks, never as one string', () => {
  it('records crossing the 4 MiB read boundary (multi-byte UTF-8 split there too) read back whole; a torn tail is cut', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sn-blocklog-'))
    try {
      const file = join(dir, 'log.jsonl')
      const records = [
        { n: 0, s: 'a'.repeat(4 * 1024 * 1024 - 20) }, // ends just before the boundary
        { n: 1, s: 'é€𝄞'.repeat(300_000) }, // multi-byte characters straddle it
        { n: 2, s: 'x'.repeat(9 * 1024 * 1024) }, // longer than a read chunk
        { n: 3, s: '' },
      ]
      const text = records.map((r) => `${JSON.stringify(r)}\n`).join('')
      await writeFile(file, `${text}{"n":4,"s":"tor`)
      const log = BlockLog.open(file)
      try {
        assert.deepEqual(log.records, records)
        assert.equal(log.bytes, Buffer.byteLength(text))
        assert.equal((await stat(file)).size, Buffer.byteLength(text)) // the torn tail is cut off
        log.append({ n: 4, s: 'ok' })
      } finally {
        log.close()
      }
      const again = BlockLog.open(file)
      again.close()
      assert.deepEqual(again.records, [...records, { n: 4, s: 'ok' }])
      assert.ok((await readFile(file, 'utf8')).endsWith('{"n":4,"s":"ok"}\n'))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a corrupt line in the middle is an error naming the file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sn-blocklog-'))
    try {
      const file = join(dir, 'log.jsonl')
      await writeFile(file, '{"a":1}\n{"a":\n{"a":3}\n')
      assert.throws(() => BlockLog.open(file), /log\.jsonl: line 2 is not a JSON record/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
