/**
 * Every chain's devnet keeps what it accepted across a `kill -9` of the `merod dev` that runs it: a
 * proof made before the crash still verifies on all five chains after the restart (new ports, same data
 * folder), and the restarted node anchors new checkpoints on all of them with the same contracts.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { DEV_CHAINS } from '../bin/chain-adapters.ts'
import type { DevSummary } from '../bin/commands/dev.ts'
import { verifyWithRpcs } from '../bin/commands/verify.ts'
import { startAnvil } from '../devnets/ethereum/anvil.ts'
import type { Proof } from '../src/proof/proof-types.ts'
import { freePort, spawnNode } from './helpers/child-process.ts'
import { type MerodDev, startMerodDev } from './helpers/merod-dev.ts'

const kinds = Object.keys(DEV_CHAINS)

/** Creates a context, writes, and waits for a proof of the latest heads that is final on every chain. */
async function finalProof(merod: MerodDev, dev: DevSummary, tag: string): Promise<Proof> {
  const { data: ctx } = await merod.client.post<{ data: { contextId: string; memberPublicKey: string } }>(
    '/admin-api/contexts',
    {},
  )
  await merod.client.execute({
    contextId: ctx.contextId,
    method: 'set',
    argsJson: JSON.stringify({ key: 'k', value: tag }),
    executorPublicKey: ctx.memberPublicKey,
  })
  const deadline = Date.now() + 60_000
  let last = ''
  while (Date.now() < deadline) {
    try {
      const p = await merod.client.get<Proof>(`/v1/contexts/${ctx.contextId}/proof`)
      last = p.anchors.map((a) => `${a.chainId} ${a.status}`).join(', ')
      if (dev.chains.every((c) => p.anchors.some((a) => a.chainId === c.chainId && a.status === 'final')))
        return p
    } catch (e) {
      if ((e as { errorName?: string }).errorName !== 'ProofNotReady') throw e
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return assert.fail(`no proof final on every chain within 60 s (last: ${last})`)
}

const readDev = async (data: string): Promise<DevSummary> =>
  JSON.parse(await readFile(join(data, 'dev.json'), 'utf8'))

/** Verifies with the RPCs and contracts of a dev summary; returns the failed check names. */
async function verifyOn(proof: Proof, dev: DevSummary): Promise<string[]> {
  const rpcs = new Map(dev.chains.map((c) => [c.chainId, c.rpcUrl]))
  const contracts = new Map(dev.chains.map((c) => [c.chainId, c.contract]))
  const r = await verifyWithRpcs(proof, rpcs, contracts)
  const anchored = r.checks.filter((c) => c.name.startsWith('anchor.') && c.ok && !c.skipped)
  assert.equal(anchored.length, dev.chains.length, JSON.stringify(r.checks))
  return r.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name)
}

test('kill -9 of merod dev: every devnet keeps its anchors and contracts; anchoring resumes on all chains', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mero-chains-crash-'))
  // Ethereum's anvil is a separate process either way; the test owns it so it outlives the crash.
  const anvil = await startAnvil({ port: 0 })
  let merod: MerodDev | undefined
  t.after(async () => {
    await merod?.process.stop()
    await anvil.stop()
    await rm(dir, { recursive: true, force: true })
  })
  const data = join(dir, 'dev')
  const start = async () =>
    startMerodDev({ data, port: await freePort(), ethRpc: anvil.rpcUrl, intervalMs: 200, chains: kinds })

  merod = await start()
  const before = await readDev(data)
  assert.deepEqual(
    before.chains.map((c) => c.kind),
    kinds,
  )
  const proof = await finalProof(merod, before, 'before the crash')
  await writeFile(join(dir, 'proof.json'), JSON.stringify(proof))
  assert.deepEqual(await verifyOn(proof, before), [])

  await merod.process.kill9()
  merod = await start()
  const after = await readDev(data)
  // same contracts, new endpoints (the in-process devnets restarted from their data folders)
  assert.deepEqual(
    after.chains.map((c) => [c.chainId, c.contract]),
    before.chains.map((c) => [c.chainId, c.contract]),
  )
  assert.deepEqual(await verifyOn(proof, after), [], 'the pre-crash proof verifies on every restarted chain')

  // the restarted node anchors on every chain again (node still registered, signers' nonces recovered)
  const next = await finalProof(merod, after, 'after the crash')
  assert.ok(next.checkpoint.treeSize > proof.checkpoint.treeSize)
  assert.deepEqual(await verifyOn(next, after), [])

  // and the CLI verifier agrees, reading every chain through its own RPC
  const args = after.chains.flatMap((c) => [
    '--rpc',
    `${c.chainId}=${c.rpcUrl}`,
    '--contract',
    `${c.chainId}=${c.contract}`,
  ])
  const cli = spawnNode(['bin/meroctl.js', 'verify', join(dir, 'proof.json'), ...args])
  const exit = await cli.exited
  assert.equal(exit.code, 0, cli.output())
})
