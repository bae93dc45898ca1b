/**
 * End to end on ICP: `merod dev` with only the ICP devnet → a context written through the API → its
 * proof's ICP anchor reaches `final` (a certified reply) → the independent verifier, trusting only the
 * devnet's root key and the pinned anchor canister, accepts it; pinning another anchor canister fails.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Ed25519KeyIdentity } from '@dfinity/identity'
import { apiClient } from '../bin/api-client.ts'
import { DEV_CHAINS } from '../bin/chain-adapters.ts'
import { runDev } from '../bin/commands/dev.ts'
import { verifyWithRpcs } from '../bin/commands/verify.ts'
import { deployAnchorCanister } from '../devnets/icp/deploy-anchor.ts'
import type { Proof } from '../src/proof/proof-types.ts'

const CHAIN = 'icp:local'
const wired = Object.hasOwn(DEV_CHAINS, 'icp')

test('merod dev on ICP: write → anchored final → verified against the devnet root key; wrong canister fails', {
  timeout: 90_000,
  skip: wired ? false : 'icp is not registered in bin/chain-adapters.ts yet',
}, async (t) => {
  const data = await mkdtemp(join(tmpdir(), 'mero-icp-dev-'))
  const { summary, stop } = await runDev({ data, port: 0, quiet: true, intervalMs: 200, chains: ['icp'] })
  t.after(async () => {
    await stop()
    await rm(data, { recursive: true, force: true })
  })
  const chain = summary.chains.find((c) => c.chainId === CHAIN)
  assert.ok(chain, JSON.stringify(summary.chains))
  assert.equal(chain.kind, 'icp')

  const api = apiClient(summary.api, (await readFile(summary.adminTokenFile, 'utf8')).trim())
  const { data: ctx } = await api.post<{ data: { contextId: string; memberPublicKey: string } }>(
    '/admin-api/contexts',
    {},
  )
  for (let i = 0; i < 3; i++)
    await api.execute({
      contextId: ctx.contextId,
      method: 'set',
      argsJson: JSON.stringify({ key: `k${i}`, value: `v${i}` }),
      executorPublicKey: ctx.memberPublicKey,
    })
  const { data: info } = await api.get<{ data: { stateRoot: string } }>(
    `/admin-api/contexts/${ctx.contextId}`,
  )

  let proof: Proof | undefined
  const deadline = Date.now() + 60_000
  while (!proof && Date.now() < deadline) {
    try {
      const p = await api.get<Proof>(`/v1/contexts/${ctx.contextId}/proof`)
      const anchor = p.anchors.find((a) => a.chainId === CHAIN)
      assert.notEqual(anchor?.status, 'failed', anchor?.reason)
      if (p.leaf.stateRoot === info.stateRoot && anchor?.status === 'final') proof = p
    } catch (e) {
      if ((e as { errorName?: string }).errorName !== 'ProofNotReady') throw e
    }
    if (!proof) await new Promise((r) => setTimeout(r, 100))
  }
  assert.ok(proof, 'the ICP anchor did not become final within 60 s')

  const rpcs = new Map([[CHAIN, chain.rpcUrl]])
  const good = await verifyWithRpcs(proof, rpcs, new Map([[CHAIN, chain.contract]]))
  const check = (r: typeof good, name: string) => r.checks.find((c) => c.name === name)
  assert.equal(good.ok, true, JSON.stringify(good.checks, null, 2))
  assert.equal(check(good, `anchor.${CHAIN}`)?.ok, true)
  assert.equal(check(good, `signer.registered.${CHAIN}`)?.ok, true)

  // Another anchor canister on the same replica (pinned by the verifier) does not hold this anchor.
  const other = await deployAnchorCanister(chain.rpcUrl, Ed25519KeyIdentity.generate())
  const tampered = await verifyWithRpcs(proof, rpcs, new Map([[CHAIN, other]]))
  assert.equal(tampered.ok, false)
  assert.equal(check(tampered, `anchor.${CHAIN}`)?.ok, false)
})
