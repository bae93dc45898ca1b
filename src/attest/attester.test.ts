import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ContextManager } from '../context/context-manager.ts'
import { headsPayloadRoot } from '../context/context-roots.ts'
import { signMembershipOp } from '../context/membership-op.ts'
import { loadConfig } from '../core/config.ts'
import { generateKeyPair } from '../core/ed25519.ts'
import { silentLogger } from '../core/logger.ts'
import { openStore, type Store } from '../store/store.ts'
import { Attester } from './attester.ts'
import { attestationLeafHash, type DecodedLeaf, decodeLeaf, verifyLeafSignature } from './leaf.ts'

const LIMITS = loadConfig({ dataDir: '.' }).limits
const NOW = 1_763_900_000_000
const ACCOUNT = 'eip155:31337:0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

interface Rig {
  store: Store
  cm: ContextManager
  nodeKey: ReturnType<typeof generateKeyPair>
  /** Leaves ingested since the last `take()`. */
  take(): DecodedLeaf[]
  attester(): Promise<Attester>
}

async function rig(t: { after(fn: () => Promise<void>): void }): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'mero-attester-'))
  const store = await openStore(join(dir, 'db'))
  // The hook accepts every proof: what is under test here is the attestation, not the wallet.
  const cm = await ContextManager.open({ store, limits: LIMITS, walletProofCheck: async () => {} })
  const nodeKey = generateKeyPair()
  let ingested: Uint8Array[] = []
  let index = 0
  const opened: Attester[] = []
  t.after(async () => {
    for (const a of opened) a.close()
    await cm.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return {
    store,
    cm,
    nodeKey,
    take() {
      const out = ingested.map((leaf) => {
        assert.ok(verifyLeafSignature(leaf))
        return decodeLeaf(leaf)
      })
      ingested = []
      return out
    },
    async attester() {
      const a = await Attester.open({
        store,
        source: cm,
        nodeKey,
        logger: silentLogger(),
        now: () => NOW,
        ingest: async (leaves) => {
          ingested.push(...leaves)
          return leaves.map((leaf) => ({ leafHash: attestationLeafHash(leaf), index: index++ }))
        },
      })
      opened.push(a)
      return a
    },
  }
}

/** Asserts `leaf` is a membership attestation of the context's current membership. */
async function assertMembersLeaf(r: Rig, leaf: DecodedLeaf | undefined, contextId: Uint8Array) {
  const snap = await r.cm.attestationSnapshot(contextId)
  assert.equal(leaf?.kind, 'members')
  assert.deepEqual(leaf.contextId, contextId)
  assert.deepEqual(leaf.payloadRoot, snap.membersRoot)
  assert.deepEqual(leaf.stateRoot, headsPayloadRoot(snap.membershipHeads))
  assert.equal(leaf.revision, BigInt(snap.revision))
  assert.deepEqual(leaf.attester, r.nodeKey.publicKey)
  assert.equal(leaf.issuedAt, NOW)
}

test('a membership attestation is appended whenever the membership heads change, and only then', async (t) => {
  const r = await rig(t)
  const attester = await r.attester()
  const { contextId, memberPublicKey: admin } = await r.cm.createContext()
  await attester.flush()
  const [genesisLeaf, ...none] = r.take()
  assert.equal(none.length, 0, 'no deltas yet: no heads leaf')
  await assertMembersLeaf(r, genesisLeaf, contextId)
  assert.equal(genesisLeaf!.revision, 1n)

  await attester.flush()
  assert.deepEqual(r.take(), [], 'nothing changed, nothing attested')

  await r.cm.execute(contextId, admin, 'set', { key: 'k', value: 'v' })
  await attester.flush()
  assert.deepEqual(
    r.take().map((l) => l.kind),
    ['heads'],
    'a state change alone gives no membership leaf',
  )

  const bob = await r.cm.createIdentity()
  await r.cm.addMembers(contextId, admin, [bob])
  await attester.flush()
  const [added, ...rest] = r.take()
  assert.equal(rest.length, 0)
  await assertMembersLeaf(r, added, contextId)
  assert.notDeepEqual(added!.payloadRoot, genesisLeaf!.payloadRoot)

  // Ops that leave membersRoot as it is still move the membership heads: each is attested.
  await r.cm.updateApplication(contextId, admin, 'kv')
  await attester.flush()
  const [updated] = r.take()
  await assertMembersLeaf(r, updated, contextId)
  assert.deepEqual(updated!.payloadRoot, added!.payloadRoot)
  assert.notDeepEqual(updated!.stateRoot, added!.stateRoot)

  await r.cm.bindWallet(contextId, bob, ACCOUNT, {
    chainId: 'eip155:31337',
    message: 'bind',
    signature: '0x1',
  })
  await attester.flush()
  const [bound] = r.take()
  await assertMembersLeaf(r, bound, contextId)
  assert.deepEqual(bound!.payloadRoot, added!.payloadRoot)
  assert.equal(bound!.revision, updated!.revision + 1n)

  // A membership op arriving from a peer (signed by an admin whose key lives elsewhere) is attested too.
  const carol = generateKeyPair()
  await r.cm.addMembers(contextId, admin, [carol.publicKey])
  await r.cm.grant(contextId, admin, carol.publicKey, 'ManageMembers')
  await attester.flush()
  assert.equal(r.take().length, 1, 'two ops between flushes: one leaf for the heads reached')
  const remote = signMembershipOp(
    {
      contextId,
      signerId: carol.publicKey,
      nonce: 1,
      parents: (await r.cm.getContext(contextId)).membershipHeads,
      kind: { type: 'AddMembers', members: [generateKeyPair().publicKey] },
    },
    carol.secretKey,
  )
  assert.equal(await r.cm.applyRemoteMembershipOp(remote.bytes), 'applied')
  await attester.flush()
  const [fromPeer, ...more] = r.take()
  assert.equal(more.length, 0)
  await assertMembersLeaf(r, fromPeer, contextId)
  assert.deepEqual(fromPeer!.stateRoot, headsPayloadRoot([remote.id]))
})

test('after a restart the attester attests membership that changed while it was down', async (t) => {
  const r = await rig(t)
  const first = await r.attester()
  const { contextId, memberPublicKey: admin } = await r.cm.createContext()
  await first.flush()
  assert.equal(r.take().length, 1)
  first.close()

  await r.cm.addMembers(contextId, admin, [generateKeyPair().publicKey])
  const second = await r.attester()
  await second.flush()
  const [leaf, ...rest] = r.take()
  assert.equal(rest.length, 0)
  await assertMembersLeaf(r, leaf, contextId)
  await second.flush()
  assert.deepEqual(r.take(), [], 'what was attested before the restart is remembered')
})
