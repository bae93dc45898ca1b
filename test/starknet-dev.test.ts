/**
 * End to end on Starknet: `merod dev` with only the Starknet devnet → a context and writes through
 * the API → the proof's Starknet anchor reaches `final` → the independent verifier accepts it with
 * the chain RPC → pinning another (real, deployed) anchor contract makes it fail.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parseStarknetSecret } from '../adapters/starknet/starknet-secret.ts'
import { apiClient } from '../bin/api-client.ts'
import { runDev } from '../bin/commands/dev.ts'
import { verifyWithRpcs } from '../bin/commands/verify.ts'
import { deployStarknetAnchor } from '../devnets/starknet/deploy-anchor.ts'
import { MODEL_CLASS_HASHES } from '../devnets/starknet/devnet-accounts.ts'

interface ProofLike {
  leaf: { stateRoot: string }
  anchors: { chainId: string; status: string; contract: string }[]
}

describe('merod dev on Starknet (end to end)', { timeout: 90_000 }, () => {
  let data: string
  let dev: Awaited<ReturnType<typeof runDev>>
  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'mero-sn-e2e-'))
    dev = await runDev({ data, port: 0, quiet: true, intervalMs: 200, chains: ['starknet'] })
  })
  after(async () => {
    await dev?.stop()
    await rm(data, { recursive: true, force: true })
  })

  it('anchors a context proof on Starknet, verifies it, and refuses it against another contract', async () => {
    const chain = dev.summary.chains.find((c) => c.kind === 'starknet')
    assert.ok(chain, 'starknet chain in the summary')
    assert.equal(chain.chainId, 'starknet:SN_DEVNET')
    const token = (await readFile(dev.summary.adminTokenFile, 'utf8')).trim()
    const api = apiClient(dev.summary.api, token)
    const { data: ctx } = await api.post<{ data: { contextId: string; memberPublicKey: string } }>(
      '/admin-api/contexts',
      {},
    )
    await api.execute({
      contextId: ctx.contextId,
      method: 'set',
      argsJson: JSON.stringify({ key: 'k', value: 'starknet e2e' }),
      executorPublicKey: ctx.memberPublicKey,
    })
    const { data: info } = await api.get<{ data: { stateRoot: string } }>(
      `/admin-api/contexts/${ctx.contextId}`,
    )

    let proof: ProofLike | undefined
    const deadline = Date.now() + 60_000
    while (!proof && Date.now() < deadline) {
      try {
        const p = await api.get<ProofLike>(`/v1/contexts/${ctx.contextId}/proof`)
        const a = p.anchors.find((x) => x.chainId === chain.chainId)
        assert.notEqual(a?.status, 'failed')
        if (p.leaf.stateRoot === info.stateRoot && a?.status === 'final') proof = p
      } catch (e) {
        if ((e as { errorName?: string }).errorName !== 'ProofNotReady') throw e
      }
      if (!proof) await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(proof, 'the Starknet anchor became final')
    assert.equal(proof.anchors.find((a) => a.chainId === chain.chainId)?.contract, chain.contract)

    const rpcs = new Map([[chain.chainId, chain.rpcUrl]])
    const good = await verifyWithRpcs(proof, rpcs, new Map([[chain.chainId, chain.contract]]))
    const check = (name: string) => good.checks.find((c) => c.name === name)
    assert.equal(good.ok, true, JSON.stringify(good.checks.filter((c) => !c.ok)))
    assert.equal(check(`anchor.${chain.chainId}`)?.ok, true)
    assert.equal(check(`signer.registered.${chain.chainId}`)?.ok, true)

    // Another anchor contract on the same chain (deployed for real, empty): the proof must not verify.
    const secret = parseStarknetSecret(
      await readFile(join(data, 'starknet', 'starknet-submitter.key'), 'utf8'),
    )
    const other = await deployStarknetAnchor(chain.rpcUrl, secret, MODEL_CLASS_HASHES.anchor, '0x07e57')
    assert.notEqual(other, chain.contract)
    const bad = await verifyWithRpcs(proof, rpcs, new Map([[chain.chainId, other]]))
    assert.equal(bad.ok, false)
    assert.equal(bad.checks.find((c) => c.name === `anchor.${chain.chainId}`)?.ok, false)
  })
})
