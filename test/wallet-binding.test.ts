/**
 * BindWallet end to end: a wallet signs in, creates a context, binds the context's member identity to
 * itself with a signed challenge naming the binding; another node admits the op only after checking
 * the wallet proof itself, and a node that cannot check it refuses the op.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { AuthService } from '../src/auth/auth-service.ts'
import { AuthStore } from '../src/auth/auth-store.ts'
import { testSign, testWallet, testWalletScheme } from '../src/auth/test-wallet-scheme.ts'
import { walletProofCheck } from '../src/auth/wallet-proof.ts'
import { decodeMembershipOp } from '../src/context/membership-op.ts'
import { fromBase58, fromHex, toBase58 } from '../src/core/bytes.ts'
import { loadConfig } from '../src/core/config.ts'
import { generateKeyPair } from '../src/core/ed25519.ts'
import { openStore, section } from '../src/store/store.ts'
import { startMemoryNode } from './helpers/memory-node.ts'

const schemes = new Map([['tst', async () => testWalletScheme]])

/** An auth service of its own (a temp store) to call the wallet-proof hook directly. */
async function standaloneAuth(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'mero-bind-'))
  const store = await openStore(join(dir, 'db'))
  t.after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return new AuthService({
    config: loadConfig({ dataDir: dir }),
    store: await AuthStore.open(section(store, 'auth')),
    nodeKey: generateKeyPair(),
    schemes,
    adapters: new Map(),
    origin: () => ({ domain: 'unused', uri: 'unused' }),
  })
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

test('a wallet binds its context identity; other nodes verify the proof on admission', async (t) => {
  const a = await startMemoryNode({ signInSchemes: schemes })
  const b = await startMemoryNode({ signInSchemes: schemes })
  const c = await startMemoryNode() // no `tst` scheme: cannot check such a proof
  t.after(async () => {
    await Promise.all([a.stop(), b.stop(), c.stop()])
  })
  const api = a.node.api
  const post = (url: string, headers: object, payload: object) =>
    api.inject({ method: 'POST', url, headers: headers as Record<string, string>, payload })
  const w = testWallet()
  const signed = async (resources?: string[]) => {
    const ch = await post(
      '/auth/challenge',
      {},
      { chainId: 'tst:net', account: w.account, ...(resources ? { resources } : {}) },
    )
    assert.equal(ch.statusCode, 200, ch.body)
    const { message } = ch.json().data
    return { chainId: 'tst:net', message, signature: testSign(w.key, message) }
  }
  const session = (await post('/auth/token', {}, await signed())).json().data
  await api.inject({
    method: 'PUT',
    url: `/admin-api/root-keys/${encodeURIComponent(w.account)}/permissions`,
    headers: a.auth,
    payload: { permissions: ['context:create'] },
  })
  const created = await post('/admin-api/contexts', bearer(session.accessToken), {})
  assert.equal(created.statusCode, 200, created.body)
  const { contextId, memberPublicKey } = created.json().data
  const url = `/admin-api/contexts/${contextId}/identities/${memberPublicKey}/wallet`

  // A challenge that does not name the binding is refused (and its nonce is spent).
  const unnamed = await post(url, bearer(session.accessToken), await signed())
  assert.equal(unnamed.statusCode, 401, unnamed.body)
  assert.equal(unnamed.json().error.name, 'MessageMismatch')
  // Another wallet's session cannot bind this wallet.
  const other = testWallet()
  const ch2 = (await post('/auth/challenge', {}, { chainId: 'tst:net', account: other.account })).json().data
  const otherSession = (
    await post(
      '/auth/token',
      {},
      { chainId: 'tst:net', message: ch2.message, signature: testSign(other.key, ch2.message) },
    )
  ).json().data
  const resource = `mero:bind:${contextId}:${memberPublicKey}`
  const foreign = await post(url, bearer(otherSession.accessToken), await signed([resource]))
  assert.equal(foreign.statusCode, 403, foreign.body)

  const bound = await post(url, bearer(session.accessToken), await signed([resource]))
  assert.equal(bound.statusCode, 200, bound.body)
  assert.deepEqual(
    bound.json().data.bindings.map((x: { identity: string; account: string }) => [x.identity, x.account]),
    [[memberPublicKey, w.account]],
  )

  // The evidence: the BindWallet op itself, carrying the wallet's signed message.
  const evidence = await api.inject({
    method: 'GET',
    url: `/admin-api/contexts/${contextId}/bindings`,
    headers: bearer(session.accessToken),
  })
  assert.equal(evidence.statusCode, 200, evidence.body)
  const [shown] = evidence.json().data.bindings
  assert.equal(shown.account, w.account)
  assert.equal(shown.walletProof.chainId, 'tst:net')
  assert.ok(shown.walletProof.message.includes(resource))
  const op = decodeMembershipOp(fromHex(shown.op))
  assert.equal(toBase58(op.id), shown.opId)
  assert.equal(op.kind.type, 'BindWallet')
  if (op.kind.type !== 'BindWallet') return
  // What every node's hook refuses: a proof whose signed statement is not the binding statement (a wallet
  // tricked into signing "sign in to …" with a bind resource), and an account spelled differently.
  const check = walletProofCheck(await standaloneAuth(t))
  const claim = {
    contextId: fromBase58(contextId),
    identity: fromBase58(memberPublicKey),
    account: w.account,
  }
  await check({ ...claim, walletProof: op.kind.walletProof }) // the genuine proof passes
  const challenge = op.kind.walletProof.extra!.challenge as Record<string, unknown>
  const phished = {
    ...op.kind.walletProof,
    extra: {
      ...op.kind.walletProof.extra,
      challenge: { ...challenge, statement: 'Sign in to this mero node.' },
    },
  }
  await assert.rejects(check({ ...claim, walletProof: phished }), { name: 'MessageMismatch' })
  await assert.rejects(
    check({
      ...claim,
      identity: fromBase58(created.json().data.contextId),
      walletProof: op.kind.walletProof,
    }),
    {
      name: 'MessageMismatch',
    },
  )

  // A proof whose challenge names another chain than the account's (same namespace) is refused first.
  const otherChain = {
    ...op.kind.walletProof,
    chainId: 'tst:other',
    extra: { ...op.kind.walletProof.extra, challenge: { ...challenge, chainId: 'tst:other' } },
  }
  await assert.rejects(check({ ...claim, walletProof: otherChain }), { name: 'ChainMismatch' })

  // Replicate the membership log: node b checks the wallet proof itself and shows the same binding.
  const exported = await a.node.contexts.exportContext(fromBase58(contextId))
  for (const op of exported.membershipOps) await b.node.contexts.applyRemoteMembershipOp(op)
  const onB = await b.node.contexts.getContext(fromBase58(contextId))
  assert.deepEqual(
    onB.bindings.map((x) => x.account),
    [w.account],
  )
  // Node c cannot verify a `tst` wallet proof: the op never enters its log.
  const [genesis, ...rest] = exported.membershipOps
  await c.node.contexts.applyRemoteMembershipOp(genesis!)
  let refused = 0
  for (const op of rest) {
    try {
      await c.node.contexts.applyRemoteMembershipOp(op)
    } catch (e) {
      refused++
      assert.equal((e as Error).name, 'UnsupportedChain')
    }
  }
  assert.equal(refused, 1)
  assert.deepEqual((await c.node.contexts.getContext(fromBase58(contextId))).bindings, [])
})
