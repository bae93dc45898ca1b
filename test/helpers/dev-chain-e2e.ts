/**
 * Test helper: the end-to-end check every `merod dev` chain passes — `runDev` with only that chain →
 * a context written through the API → its proof's anchor on the chain reaches `final` → the
 * independent verifier, trusting only the chain's RPC and the pinned contract, accepts it → pinning
 * another contract of the same chain (one that never held this anchor) makes it fail.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { type ApiClient, apiClient } from '../../bin/api-client.ts'
import type { DevChainKind } from '../../bin/chain-adapters.ts'
import { runDev } from '../../bin/commands/dev.ts'
import { verifyWithRpcs } from '../../bin/commands/verify.ts'
import type { RenderedChallenge, SignInProof } from '../../src/chain/sign-in-scheme.ts'
import type { Proof } from '../../src/proof/proof-types.ts'

/** The dev chain as {@link DevChainE2E.otherContract} sees it. */
export interface DevChainUnderTest {
  readonly rpcUrl: string
  /** The anchor contract `merod dev` deployed and pinned. */
  readonly contract: string
  /** The chain's folder in the dev data folder (`<data>/<kind>`: its key files, devnet state). */
  readonly dataDir: string
}

/** What differs between chains in {@link runDevChainE2E}. */
export interface DevChainE2E {
  /** `merod dev --chains` kind. */
  readonly kind: DevChainKind
  /** The CAIP-2 id the dev chain must report. */
  readonly chainId: string
  /** Human name for failure messages, e.g. `NEAR`. */
  readonly label: string
  /** Another anchor contract on the same chain (deployed for real where the chain has contracts). */
  otherContract(chain: DevChainUnderTest): Promise<string>
  /** A wallet of this chain that signs in to the node (through the node's own adapter for on-chain checks). */
  wallet?(chain: DevChainUnderTest): Promise<DevChainWallet>
}

/** A test wallet as `test/helpers/*-test-wallet.ts` make them. */
export interface DevChainWallet {
  readonly chainId: string
  readonly account: string
  sign(rendered: RenderedChallenge): Promise<SignInProof>
}

/** How long the anchor may take to become final. */
const FINAL_WITHIN_MS = 60_000

/**
 * Runs the end-to-end check (see the module comment) inside test `t`; everything it starts is stopped
 * and its data folder removed by `t.after`. Give the test a timeout of about 180 s (a loaded CI machine).
 *
 * @example
 * test('merod dev on NEAR: …', { timeout: 180_000 }, (t) =>
 *   runDevChainE2E(t, { kind: 'near', chainId: 'near:localnet', label: 'NEAR', otherContract: deployOther }))
 */
export async function runDevChainE2E(t: TestContext, e2e: DevChainE2E): Promise<void> {
  const CHAIN = e2e.chainId
  const data = await mkdtemp(join(tmpdir(), `mero-${e2e.kind}-dev-`))
  const { summary, stop } = await runDev({ data, port: 0, quiet: true, intervalMs: 200, chains: [e2e.kind] })
  t.after(async () => {
    await stop()
    await rm(data, { recursive: true, force: true })
  })
  const chain = summary.chains.find((c) => c.chainId === CHAIN)
  assert.ok(chain, JSON.stringify(summary.chains))
  assert.equal(chain.kind, e2e.kind)

  const api = apiClient(summary.api, (await readFile(summary.adminTokenFile, 'utf8')).trim())
  const { contextId, stateRoot } = await writeContext(api)
  const proof = await finalProof(api, contextId, stateRoot, CHAIN)
  assert.ok(proof, `the ${e2e.label} anchor did not become final within ${FINAL_WITHIN_MS / 1000} s`)
  assert.equal(proof.anchors.find((a) => a.chainId === CHAIN)?.contract, chain.contract)

  const rpcs = new Map([[CHAIN, chain.rpcUrl]])
  const good = await verifyWithRpcs(proof, rpcs, new Map([[CHAIN, chain.contract]]))
  const check = (r: typeof good, name: string) => r.checks.find((c) => c.name === name)
  assert.equal(good.ok, true, JSON.stringify(good.checks, null, 2))
  assert.equal(check(good, `anchor.${CHAIN}`)?.ok, true)
  assert.equal(check(good, `signer.registered.${CHAIN}`)?.ok, true)

  // Another contract on the same chain, pinned by the verifier, does not hold this anchor.
  const other = await e2e.otherContract({
    rpcUrl: chain.rpcUrl,
    contract: chain.contract,
    dataDir: join(data, e2e.kind),
  })
  assert.notEqual(other, chain.contract)
  const tampered = await verifyWithRpcs(proof, rpcs, new Map([[CHAIN, other]]))
  assert.equal(tampered.ok, false)
  assert.equal(check(tampered, `anchor.${CHAIN}`)?.ok, false)

  if (e2e.wallet) {
    // The wallet signs in to merod dev, whose sign-in checks go through the dev chain's adapter.
    const wallet = await e2e.wallet({
      rpcUrl: chain.rpcUrl,
      contract: chain.contract,
      dataDir: join(data, e2e.kind),
    })
    const post = async (path: string, body: object, headers: Record<string, string> = {}) => {
      const r = await fetch(`${summary.api}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      })
      return { status: r.status, json: (await r.json()) as { data: Record<string, unknown> } }
    }
    const ch = await post('/auth/challenge', { chainId: wallet.chainId, account: wallet.account })
    assert.equal(ch.status, 200, JSON.stringify(ch.json))
    const rendered = ch.json.data as unknown as RenderedChallenge
    const tok = await post('/auth/token', { chainId: wallet.chainId, ...(await wallet.sign(rendered)) })
    assert.equal(tok.status, 200, JSON.stringify(tok.json))
    const me = await fetch(`${summary.api}/auth/me`, {
      headers: { authorization: `Bearer ${tok.json.data.accessToken}` },
    })
    assert.equal(((await me.json()) as { data: { account: string } }).data.account, wallet.account)
  }
}

/** Creates a context and writes three keys to it; resolves with its id and resulting state root. */
async function writeContext(api: ApiClient): Promise<{ contextId: string; stateRoot: string }> {
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
  return { contextId: ctx.contextId, stateRoot: info.stateRoot }
}

/**
 * Polls the context's proof until it covers `stateRoot` with a `final` anchor on `chainId`
 * (`undefined` after {@link FINAL_WITHIN_MS}); a `failed` anchor fails at once, with its reason.
 */
async function finalProof(
  api: ApiClient,
  contextId: string,
  stateRoot: string,
  chainId: string,
): Promise<Proof | undefined> {
  const deadline = Date.now() + FINAL_WITHIN_MS
  while (Date.now() < deadline) {
    try {
      const p = await api.get<Proof>(`/v1/contexts/${contextId}/proof`)
      const anchor = p.anchors.find((a) => a.chainId === chainId)
      assert.notEqual(anchor?.status, 'failed', anchor?.reason)
      if (p.leaf.stateRoot === stateRoot && anchor?.status === 'final') return p
    } catch (e) {
      if ((e as { errorName?: string }).errorName !== 'ProofNotReady') throw e
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return undefined
}
