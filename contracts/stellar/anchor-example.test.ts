import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createStellarAdapter } from '../../adapters/stellar/stellar-adapter.ts'
import { startStellarDevnet } from '../../devnets/stellar/stellar-devnet.ts'
import { reencodesIdentically } from '../../devnets/stellar/stellar-xdr.ts'
import { anchorExample } from './anchor-example.ts'

describe('stellar anchor format: the README worked example', { timeout: 30_000 }, () => {
  const ex = anchorExample()

  it('README shows exactly what the generator produces', async () => {
    const readme = await readFile(new URL('./README.md', import.meta.url), 'utf8')
    for (const v of [
      ex.operator,
      ex.logId,
      ex.root,
      ex.dataName,
      ex.dataValue,
      ex.envelopeXdr,
      ex.txHash,
      ex.nodeDataName,
      ex.nodeDataValue,
    ])
      assert.ok(readme.includes(v), `README lacks ${v}`)
    assert.ok(readme.includes(JSON.stringify(ex.envelopeJson, null, 2)))
    assert.ok(readme.includes(`(base64 XDR, ${Buffer.from(ex.envelopeXdr, 'base64').length} bytes)`))
    assert.ok(reencodesIdentically('TransactionEnvelope', ex.envelopeXdr))
  })

  it('the example envelope is accepted by the devnet and reads back as the anchor', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stellar-example-'))
    const net = await startStellarDevnet({ dataDir: dir, blockMs: 50 })
    try {
      await net.fund(ex.operator) // lands in ledger 2: sequence 2 << 32, as the example assumes
      const res = await fetch(`${net.url}/transactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `tx=${encodeURIComponent(ex.envelopeXdr)}`,
      })
      const body = (await res.json()) as { hash: string }
      assert.equal(res.status, 200, JSON.stringify(body))
      assert.equal(body.hash, ex.txHash)
      const reader = await createStellarAdapter({
        rpcUrl: net.url,
        chainId: 'stellar:standalone',
        contract: ex.operator,
      })
      const anchor = await reader.anchorOf(Buffer.from(ex.root, 'hex'))
      assert.equal(anchor?.treeSize, ex.treeSize)
      assert.equal(Buffer.from(anchor!.logId).toString('hex'), ex.logId)
      assert.equal(anchor?.submitter, ex.operator)
      await reader.close()
    } finally {
      await net.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
