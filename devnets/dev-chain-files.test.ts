import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  readOrCreateSigner,
  readRememberedContract,
  rememberContract,
  writeSignerKeyFile,
} from './dev-chain-files.ts'

describe('dev chain files', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mero-dev-files-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('remembers a contract across reads; another chain id or a broken file gives none', async () => {
    const file = join(dir, 'near.json')
    assert.equal(await readRememberedContract(file), undefined)
    await rememberContract(file, 'near:localnet', 'anchor.test.near')
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
      chainId: 'near:localnet',
      contract: 'anchor.test.near',
    })
    assert.equal(await readRememberedContract(file), 'anchor.test.near')
    assert.equal(await readRememberedContract(file, 'near:localnet'), 'anchor.test.near')
    assert.equal(await readRememberedContract(file, 'near:testnet'), undefined)
    for (const broken of ['{', 'null', '{"contract": 7}']) {
      await writeFile(file, broken)
      assert.equal(await readRememberedContract(file), undefined, broken)
    }
  })

  it('writes the signer key as one line with mode 0600', async () => {
    const file = join(dir, 'x-submitter.key')
    await writeSignerKeyFile(file, 'test.near:ed25519:secret')
    assert.equal(await readFile(file, 'utf8'), 'test.near:ed25519:secret\n')
    assert.equal((await stat(file)).mode & 0o777, 0o600)
  })

  it('creates a signer once, then reads the same one back; an unparsable key is an error, never replaced', async () => {
    const file = join(dir, 'own-signer.key')
    let created = 0
    const parse = (s: string) => {
      if (!/^[0-9a-f]{8}$/.test(s)) throw new Error('not a key')
      return { key: s }
    }
    const create = () => `${++created}`.padStart(8, 'a')
    const first = await readOrCreateSigner(file, parse, create)
    assert.deepEqual(first, { key: 'aaaaaaa1' })
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.deepEqual(await readOrCreateSigner(file, parse, create), first)
    assert.equal(created, 1)
    await writeFile(file, 'garbage-secret\n')
    await assert.rejects(readOrCreateSigner(file, parse, create), (e: Error) => {
      assert.equal(e.name, 'InvalidConfig')
      assert.match(e.message, /own-signer\.key exists but does not hold a signer secret/)
      assert.doesNotMatch(e.message, /garbage-secret/)
      return true
    })
    assert.equal(await readFile(file, 'utf8'), 'garbage-secret\n', 'the old key file is kept')
    assert.equal(created, 1)
    // concurrent first starts agree on one key
    const fresh = join(dir, 'race.key')
    const keys = await Promise.all([1, 2, 3, 4].map(() => readOrCreateSigner(fresh, parse, create)))
    assert.equal(new Set(keys.map((k) => k.key)).size, 1)
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.tmp')).length, 0)
  })
})
