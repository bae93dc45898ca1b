/**
 * Crash safety of the whole node (DESIGN durability; docs/ARCHITECTURE.md "Durability (kill -9)"): a real
 * `merod dev` process is SIGKILLed while writes, attestations and anchoring are in flight, then restarted
 * on the same data folder. The chain (anvil) belongs to the test, so it outlives every crash.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Contract, JsonRpcProvider } from 'ethers'
import { ANCHOR_ABI } from '../adapters/ethereum/anchor-abi.ts'
import { createEthereumAdapter } from '../adapters/ethereum/ethereum-adapter.ts'
import { type ApiClient, ApiError } from '../bin/api-client.ts'
import { startAnvil } from '../devnets/ethereum/anvil.ts'
import { signLeaf } from '../src/attest/leaf.ts'
import { createMemoryChain } from '../src/chain/memory-chain-adapter.ts'
import { fromBase58, fromHex, toBase58, toHex } from '../src/core/bytes.ts'
import { generateKeyPair } from '../src/core/ed25519.ts'
import { verifyConsistency } from '../src/core/merkle.ts'
import type { Proof, ProofAnchor, ProofCheckpoint } from '../src/proof/proof-types.ts'
import { verifyProof } from '../src/proof/verify-proof.ts'
import { openStore, section } from '../src/store/store.ts'
import { freePort, waitFor } from './helpers/child-process.ts'
import { defer } from './helpers/defer.ts'
import { startMemoryNode } from './helpers/memory-node.ts'
import { type MerodDev, startMerodDev } from './helpers/merod-dev.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** A fetch that failed because the node went away (as opposed to an answer we did not expect). */
const isConnectionError = (e: unknown) => e instanceof TypeError && /fetch failed/.test(e.message)

/** Anchor counts by status from `/metrics` (`mero_anchors{chain,status}`). */
async function anchorCounts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^mero_anchors\{[^}]*status="(\w+)"[^}]*\} (\d+)$/gm))
    out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2])
  return out
}

/**
 * Load on a running node until it dies: writers setting unique keys over JSON-RPC, an attester posting
 * signed leaves to `/v1/attestations`, and a watcher remembering every checkpoint it sees. Only what
 * the node answered with success is recorded as acknowledged.
 */
function startLoad(
  client: ApiClient,
  ctx: {
    contextId: string
    memberPublicKey: string
    attester: { publicKey: Uint8Array; secretKey: Uint8Array }
  },
  round: number,
  acked: {
    writes: Map<string, string>
    leaves: Set<string>
    checkpoints: Map<number, string>
    errors: unknown[]
  },
) {
  let stopped = false
  const contextId = fromBase58(ctx.contextId, 32)
  const writer = async (w: number) => {
    for (let i = 0; !stopped; i++) {
      const key = `r${round}-w${w}-${i}`
      const value = `${key}:${i * 7}`
      try {
        const r = await client.execute({
          contextId: ctx.contextId,
          method: 'set',
          argsJson: JSON.stringify({ key, value }),
          executorPublicKey: ctx.memberPublicKey,
        })
        if (r.deltaId) acked.writes.set(key, value)
      } catch (e) {
        if (!isConnectionError(e)) acked.errors.push(e)
        return
      }
    }
  }
  const attester = async () => {
    for (let i = 0; !stopped; i++) {
      const leaves = [0, 1].map((k) =>
        toHex(
          signLeaf(
            {
              kind: 'heads',
              contextId,
              payloadRoot: crypto.getRandomValues(new Uint8Array(32)),
              stateRoot: crypto.getRandomValues(new Uint8Array(32)),
              revision: round * 100_000 + i * 2 + k,
              attester: ctx.attester.publicKey,
              issuedAt: Date.now(),
            },
            ctx.attester.secretKey,
          ),
        ),
      )
      try {
        const r = await client.post<{ accepted: { leafHash: string }[] }>('/v1/attestations', { leaves })
        for (const a of r.accepted) acked.leaves.add(a.leafHash)
      } catch (e) {
        if (!isConnectionError(e)) acked.errors.push(e)
        return
      }
      await sleep(15)
    }
  }
  const watcher = async () => {
    while (!stopped) {
      try {
        const cp = await client.get<ProofCheckpoint>('/v1/checkpoints/latest')
        acked.checkpoints.set(cp.treeSize, cp.rootHash)
      } catch (e) {
        if (isConnectionError(e)) return
        if (!(e instanceof ApiError && e.errorName === 'UnknownCheckpoint')) acked.errors.push(e)
      }
      await sleep(40)
    }
  }
  const all = Promise.all([writer(0), writer(1), writer(2), attester(), watcher()])
  return {
    /** Stops issuing new requests and waits for the loops (after a crash they end on their own). */
    async stop() {
      stopped = true
      await all
    },
  }
}

test('kill -9 of merod dev while writing, attesting and anchoring: nothing acknowledged is lost, no root anchored twice', async (t) => {
  const anvil = await startAnvil({ port: 0 })
  defer(t, () => anvil.stop())
  const data = await mkdtemp(join(tmpdir(), 'mero-crash-'))
  defer(t, () => rm(data, { recursive: true, force: true }))
  const port = await freePort()
  let merod: MerodDev | undefined
  defer(t, () => merod?.process.stop())
  const start = async () => {
    merod = await startMerodDev({ data, port, ethRpc: anvil.rpcUrl, intervalMs: 200 })
    return merod
  }

  let node = await start()
  const created = await node.client.post<{ data: { contextId: string; memberPublicKey: string } }>(
    '/admin-api/contexts',
    {},
  )
  const { contextId, memberPublicKey } = created.data
  // An outside attester with the Attest capability, whose leaves the node acknowledges on ingest.
  const attesterKey = generateKeyPair()
  const attesterB58 = toBase58(attesterKey.publicKey)
  await node.client.post(`/admin-api/contexts/${contextId}/members`, {
    signer: memberPublicKey,
    members: [attesterB58],
  })
  await node.client.post(`/admin-api/contexts/${contextId}/capabilities/grant`, {
    signer: memberPublicKey,
    member: attesterB58,
    capability: 'Attest',
  })
  const ctx = { contextId, memberPublicKey, attester: attesterKey }
  const acked = {
    writes: new Map<string, string>(),
    leaves: new Set<string>(),
    checkpoints: new Map<number, string>(),
    errors: [] as unknown[],
  }

  // Crash at different moments of the 200 ms checkpoint/anchor cycle.
  const crashAfterMs = [350, 730, 1170]
  const beforeCrash: ProofCheckpoint[] = []
  const inFlight: number[] = []
  for (const [round, delay] of crashAfterMs.entries()) {
    const load = startLoad(node.client, ctx, round, acked)
    await sleep(delay)
    // On a slow machine the fixed delay may see little work: crash once this round has some acknowledged.
    await waitFor(
      'acknowledged load before the crash',
      () => acked.writes.size >= 8 * (round + 1) && acked.leaves.size >= 4 * (round + 1),
      { timeoutMs: 30_000 },
    )
    const cp = await node.client.get<ProofCheckpoint>('/v1/checkpoints/latest').catch(() => undefined)
    if (cp) beforeCrash.push(cp)
    const c = await anchorCounts(node.url)
    inFlight.push((c.queued ?? 0) + (c.submitted ?? 0) + (c.included ?? 0))
    const exit = await node.process.kill9()
    assert.equal(exit.signal, 'SIGKILL')
    await load.stop()
    node = await start()
  }
  assert.deepEqual(acked.errors, [], 'no request failed except by the crash')
  assert.ok(acked.writes.size > 20, `enough writes were acknowledged (${acked.writes.size})`)
  assert.ok(acked.leaves.size > 10, `enough attestations were acknowledged (${acked.leaves.size})`)
  assert.ok(beforeCrash.length >= 2, 'checkpoints were cut before the crashes')
  t.diagnostic(
    `acknowledged before ${crashAfterMs.length} crashes: ${acked.writes.size} writes, ${acked.leaves.size} attestations, ${acked.checkpoints.size} checkpoints seen; anchors unfinished at each crash: ${inFlight.join(', ')}`,
  )

  // 1. Every acknowledged write is there right after the restart (durable before the ack).
  const entries = await node.client.execute({
    contextId,
    method: 'entries',
    argsJson: '{}',
    executorPublicKey: memberPublicKey,
  })
  const have = new Map((entries.output as { key: string; value: string }[]).map((e) => [e.key, e.value]))
  for (const [k, v] of acked.writes) assert.equal(have.get(k), v, `acknowledged write ${k} survived`)

  // 2. The context's latest state is attested and anchored to final, without any new write.
  const contractAddress = await devContract(data)
  const reader = createEthereumAdapter({
    rpcUrl: anvil.rpcUrl,
    chainId: 'eip155:31337',
    contract: contractAddress,
  })
  t.after(() => reader.close())
  const readers = new Map([[reader.chainId, reader]])
  const info = (await node.client.get<{ data: { stateRoot: string } }>(`/admin-api/contexts/${contextId}`))
    .data
  const proof = await waitFor(
    'the final state anchored',
    async () => {
      const p = await node.client.get<Proof>(`/v1/contexts/${contextId}/proof`)
      return p.leaf.stateRoot === info.stateRoot && p.anchors[0]?.status === 'final' ? p : undefined
    },
    { timeoutMs: 30_000, alive: node.process },
  )
  const verified = await verifyProof(proof, { readers })
  assert.ok(verified.ok, JSON.stringify(verified.checks.filter((c) => !c.ok)))

  // 3. Every acknowledged attestation is in the log and covered by a final anchor.
  for (const leafHash of acked.leaves) {
    const p = await waitFor(
      `leaf ${leafHash} anchored`,
      async () => {
        const x = await node.client.get<Proof>(`/v1/proofs/${leafHash}`)
        return x.anchors[0]?.status === 'final' ? x : undefined
      },
      { timeoutMs: 20_000, alive: node.process },
    )
    const r = await verifyProof(p, { readers })
    assert.ok(r.ok, `${leafHash}: ${JSON.stringify(r.checks.filter((c) => !c.ok))}`)
  }

  // 4. Every anchor record reaches final; none failed.
  const counts = await waitFor(
    'all anchors final',
    async () => {
      const c = await anchorCounts(node.url)
      return (c.queued ?? 0) + (c.submitted ?? 0) + (c.included ?? 0) === 0 ? c : undefined
    },
    { timeoutMs: 30_000, alive: node.process },
  )
  assert.equal(counts.failed ?? 0, 0, 'no anchor failed (a duplicate would be rejected by the contract)')
  assert.ok((counts.final ?? 0) > 0)

  // 5. On chain: each root anchored at most once, each one a checkpoint of this log, final in the node.
  const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 })
  t.after(() => provider.destroy())
  const contract = new Contract(contractAddress, ANCHOR_ABI, provider)
  const events = await contract.queryFilter(contract.filters.Anchored!(), 0, 'latest')
  const perRoot = new Map<string, number>()
  for (const e of events) {
    const root = (e as unknown as { args: { root: string } }).args.root.toLowerCase()
    perRoot.set(root, (perRoot.get(root) ?? 0) + 1)
  }
  for (const [root, n] of perRoot) assert.equal(n, 1, `root ${root} anchored ${n} times`)
  assert.equal(perRoot.size, counts.final, 'one Anchored event per final anchor record')
  for (const root of perRoot.keys()) {
    const a = await node.client.get<{ anchors: ProofAnchor[] }>(`/v1/anchors/${root}`)
    assert.equal(a.anchors.length, 1)
    assert.equal(a.anchors[0]!.status, 'final', `anchor of ${root}`)
  }
  for (const [size, root] of acked.checkpoints) {
    assert.ok(perRoot.has(root.toLowerCase()), `checkpoint ${size} (${root}) was anchored`)
  }

  // 6. The log only grew: checkpoints from before each crash are unchanged and consistent with the latest.
  const latest = await node.client.get<ProofCheckpoint>('/v1/checkpoints/latest')
  for (const cp of beforeCrash) {
    const again = await node.client.get<ProofCheckpoint>(`/v1/checkpoints/${cp.treeSize}`)
    assert.equal(again.rootHash, cp.rootHash, `checkpoint ${cp.treeSize} was not rewritten`)
    const c = await node.client.get<{ proof: string[] }>(
      `/v1/consistency?first=${cp.treeSize}&second=${latest.treeSize}`,
    )
    assert.ok(
      verifyConsistency(
        cp.treeSize,
        latest.treeSize,
        fromHex(cp.rootHash, 32),
        fromHex(latest.rootHash, 32),
        c.proof.map((h) => fromHex(h, 32)),
      ),
      `consistency ${cp.treeSize} → ${latest.treeSize}`,
    )
  }
})

/** The contract `merod dev` deployed (it writes `<data>/ethereum/ethereum.json`). */
async function devContract(data: string): Promise<string> {
  return JSON.parse(await readFile(join(data, 'ethereum', 'ethereum.json'), 'utf8')).contract
}

test('a checkpoint cut just before a crash (no anchor record yet) is anchored after the restart, with no new write', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mero-crash-window-'))
  defer(t, () => rm(dataDir, { recursive: true, force: true }))
  // First life: one write, attested and cut into a checkpoint.
  const first = await startMemoryNode({ dataDir, intervalMs: 60_000 })
  let contextId: string
  try {
    const api = first.node.api
    const created = await api.inject({
      method: 'POST',
      url: '/admin-api/contexts',
      headers: first.auth,
      payload: {},
    })
    const c = created.json().data as { contextId: string; memberPublicKey: string }
    contextId = c.contextId
    const w = await api.inject({
      method: 'POST',
      url: '/jsonrpc',
      headers: first.auth,
      payload: {
        jsonrpc: '2.0',
        id: 1,
        method: 'execute',
        params: {
          contextId,
          method: 'set',
          argsJson: '{"key":"a","value":"1"}',
          executorPublicKey: c.memberPublicKey,
        },
      },
    })
    assert.ok(w.json().result.deltaId, w.body)
    await first.node.flush()
  } finally {
    await first.stop()
  }
  // What a kill -9 between the checkpoint write and the anchor record write leaves behind: the
  // checkpoint is on disk, but no anchor record, no job, and nothing on chain.
  const store = await openStore(join(dataDir, 'db'))
  try {
    for (const name of ['anchors', 'anchored', 'jobs']) await section(store, name).clear()
  } finally {
    await store.close()
  }
  const second = await startMemoryNode({ dataDir, intervalMs: 50, chain: createMemoryChain() })
  defer(t, () => second.stop())
  const size = second.node.log.size
  const proof = await waitFor('the pre-crash checkpoint anchored', async () => {
    const r = await second.node.api.inject({ method: 'GET', url: `/v1/contexts/${contextId}/proof` })
    const p = r.json() as Proof
    return r.statusCode === 200 && p.anchors[0]?.status === 'final' ? p : undefined
  })
  assert.equal(second.node.log.size, size, 'nothing new was attested')
  assert.equal(proof.checkpoint.treeSize, size)
  const reader = second.chain.adapter({ account: null })
  const r = await verifyProof(proof, { readers: new Map([[reader.chainId, reader]]) })
  assert.ok(r.ok, JSON.stringify(r.checks.filter((c) => !c.ok)))
})
