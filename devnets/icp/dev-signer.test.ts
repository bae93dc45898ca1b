import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, it } from 'node:test'
import { readOrCreateIcpSigner } from './dev-signer.ts'

describe('ICP dev signer key file', () => {
  const dirs: string[] = []
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'mero-icp-signer-'))
    dirs.push(d)
    return d
  }
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('creates a 0600 key once (no temp file left) and reads the same signer back', async () => {
    const d = dir()
    const file = join(d, 'icp-signer.key')
    const a = await readOrCreateIcpSigner(file)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.deepEqual(readdirSync(d), ['icp-signer.key'])
    const b = await readOrCreateIcpSigner(file)
    assert.equal(b.identity.getPrincipal().toText(), a.identity.getPrincipal().toText())
  })

  it('never overwrites an existing key it cannot parse: a clear error, the file unchanged, not echoed', async () => {
    const file = join(dir(), 'icp-signer.key')
    writeFileSync(file, 'not-a-seed-but-maybe-a-secret\n')
    await assert.rejects(readOrCreateIcpSigner(file), (e: Error) => {
      assert.equal(e.name, 'InvalidConfig')
      assert.match(e.message, /icp-signer\.key exists but does not hold a signer secret/)
      assert.doesNotMatch(e.message, /maybe-a-secret/)
      return true
    })
    assert.equal(readFileSync(file, 'utf8'), 'not-a-seed-but-maybe-a-secret\n')
  })
})
