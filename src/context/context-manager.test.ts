import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadConfig } from '../core/config.ts'
import { generateKeyPair } from '../core/ed25519.ts'
import { decodeCanonical, encodeCanonical } from '../dag/canonical-cbor.ts'
import { type DeltaBody, decodeDelta, signDelta } from '../dag/delta.ts'
import { openStore, type Store } from '../store/store.ts'
import {
  type ContextLimits,
  ContextManager,
  type MembershipChangeEvent,
  type StateMutationEvent,
} from './context-manager.ts'
import { headsPayloadRoot, membersRoot } from './context-roots.ts'
import { signMembershipOp } from './membership-op.ts'

/** The node's default limits (the one defaults object in the config schema). */
const LIMITS: ContextLimits = loadConfig({ dataDir: '.' }).limits
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

interface Node {
  dir: string
  store: Store
  cm: ContextManager
}

async function node(limits: ContextLimits = LIMITS, dir?: string): Promise<Node> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'mero-ctx-')))
  const store = await openStore(join(d, 'db'))
  return { dir: d, store, cm: await ContextManager.open({ store, limits }) }
}

async function stop(n: Node, keep = false): Promise<void> {
  await n.cm.close()
  await n.store.close()
  if (!keep) await rm(n.dir, { recursive: true, force: true })
}

async function dump(store: Store): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of store.iterator()) out.push(`${k}=${hex(v)}`)
  return out
}

/** A delta signed by `author` on top of the context's current heads (as a peer would build it). */
async function forge(
  cm: ContextManager,
  contextId: Uint8Array,
  author: { publicKey: Uint8Array; secretKey: Uint8Array },
  over: Partial<DeltaBody> = {},
) {
  const view = await cm.getContext(contextId)
  return signDelta(
    {
      contextId,
      parents: view.heads,
      author: author.publicKey,
      hlc: { wallMs: Date.now() + 1000, counter: 0 },
      membershipHeads: view.membershipHeads,
      ops: [{ t: 'lww.set', k: 'forged', v: true }],
      ...over,
    },
    author.secretKey,
  )
}

test('create a context, run the kv app, read it back', async (t) => {
  const n = await node()
  t.after(() => stop(n))
  const { contextId, memberPublicKey } = await n.cm.createContext({})
  const before = await n.cm.getContext(contextId)
  assert.equal(before.application, 'kv')
  assert.deepEqual(before.members, [
    { publicKey: memberPublicKey, capabilities: ['ManageMembers', 'ManageApplication', 'Attest'] },
  ])
  assert.equal(before.revision, 1)
  assert.equal(before.deltaCount, 0)
  assert.deepEqual(before.heads, [])

  const set = await n.cm.execute(
    contextId,
    memberPublicKey,
    'set',
    JSON.stringify({ key: 'greeting', value: 'hello' }),
  )
  assert.ok(set.deltaId instanceof Uint8Array && set.deltaId.length === 32)
  assert.deepEqual(await n.cm.execute(contextId, memberPublicKey, 'get', { key: 'greeting' }), {
    output: 'hello',
  })
  const after = await n.cm.getContext(contextId)
  assert.deepEqual(after.heads, [set.deltaId])
  assert.equal(after.deltaCount, 1)
  assert.notDeepEqual(after.stateRoot, before.stateRoot)
  await n.cm.execute(contextId, memberPublicKey, 'set', { key: 'other', value: { n: 1 } })
  assert.deepEqual((await n.cm.execute(contextId, memberPublicKey, 'entries', '{}')).output, [
    { key: 'greeting', value: 'hello' },
    { key: 'other', value: { n: 1 } },
  ])
  assert.deepEqual(
    await n.cm.execute(contextId, memberPublicKey, 'remove', { key: 'greeting' }).then((r) => r.output),
    'hello',
  )
  assert.deepEqual((await n.cm.execute(contextId, memberPublicKey, 'get', { key: 'greeting' })).output, null)
  assert.deepEqual(await n.cm.listContextIds(), [contextId])
  assert.equal((await n.cm.listContexts())[0]!.deltaCount, 3)
})

test('execute refuses unknown contexts, identities, non-members, bad args and unknown methods, storing nothing', async (t) => {
  const n = await node()
  t.after(() => stop(n))
  const { contextId, memberPublicKey } = await n.cm.createContext()
  const stranger = await n.cm.createIdentity()
  const before = await dump(n.store)
  await assert.rejects(n.cm.execute(new Uint8Array(32), memberPublicKey, 'get', { key: 'a' }), {
    name: 'UnknownContext',
  })
  await assert.rejects(n.cm.execute(contextId, generateKeyPair().publicKey, 'set', { key: 'a', value: 1 }), {
    name: 'UnknownIdentity',
  })
  await assert.rejects(n.cm.execute(contextId, stranger, 'set', { key: 'a', value: 1 }), {
    name: 'NotAMember',
  })
  await assert.rejects(n.cm.execute(contextId, memberPublicKey, 'set', '{not json'), { name: 'InvalidInput' })
  await assert.rejects(n.cm.execute(contextId, memberPublicKey, 'set', { key: 'a' }), {
    name: 'InvalidInput',
  })
  await assert.rejects(n.cm.execute(contextId, memberPublicKey, 'launch', {}), { name: 'UnknownMethod' })
  await assert.rejects(
    n.cm.execute(contextId, memberPublicKey, 'set', { key: 'a', value: 'x'.repeat(40_000) }),
    { name: 'PayloadTooLarge' },
  )
  await assert.rejects(n.cm.getContext(generateKeyPair().publicKey), { name: 'UnknownContext' })
  assert.deepEqual(await dump(n.store), before)
})

test('membership: capabilities are enforced for local ops', async (t) => {
  const n = await node()
  t.after(() => stop(n))
  const { contextId, memberPublicKey: admin } = await n.cm.createContext()
  const bob = await n.cm.createIdentity()
  const carol = await n.cm.createIdentity()
  await assert.rejects(n.cm.addMembers(contextId, generateKeyPair().publicKey, [bob]), {
    name: 'UnknownIdentity',
  })
  await assert.rejects(n.cm.addMembers(contextId, bob, [carol]), { name: 'MissingCapability' })
  await n.cm.addMembers(contextId, admin, [bob])
  await assert.rejects(n.cm.addMembers(contextId, bob, [carol]), { name: 'MissingCapability' })
  assert.equal(await n.cm.hasCapability(contextId, bob, 'ManageMembers'), false)
  await n.cm.grant(contextId, admin, bob, 'ManageMembers')
  assert.equal(await n.cm.hasCapability(contextId, bob, 'ManageMembers'), true)
  await n.cm.addMembers(contextId, bob, [carol])
  await assert.rejects(n.cm.grant(contextId, admin, generateKeyPair().publicKey, 'Attest'), {
    name: 'NotAMember',
  })
  await assert.rejects(n.cm.grant(contextId, admin, carol, 'Root' as never), { name: 'InvalidInput' })
  await n.cm.revoke(contextId, admin, bob, 'ManageMembers')
  await assert.rejects(n.cm.removeMembers(contextId, bob, [carol]), { name: 'MissingCapability' })
  await assert.rejects(n.cm.updateApplication(contextId, bob, 'other'), { name: 'MissingCapability' })
  const view = await n.cm.getContext(contextId)
  assert.equal(view.revision, 5)
  assert.equal(view.members.length, 3)
  assert.equal(await n.cm.hasCapability(generateKeyPair().publicKey, bob, 'Attest'), false)
})

test('a removed member can no longer write, locally or through replication', async (t) => {
  const a = await node()
  const b = await node()
  t.after(() => Promise.all([stop(a), stop(b)]))
  const { contextId, memberPublicKey: admin } = await a.cm.createContext()
  const mallory = generateKeyPair() // a member whose key lives elsewhere
  const bob = await a.cm.createIdentity()
  await a.cm.addMembers(contextId, admin, [bob, mallory.publicKey])
  await a.cm.execute(contextId, bob, 'set', { key: 'k', value: 'bob was here' })
  const early = await forge(a.cm, contextId, mallory) // built while still a member
  const stale = (await a.cm.getContext(contextId)).membershipHeads
  await a.cm.removeMembers(contextId, admin, [bob, mallory.publicKey])
  await assert.rejects(a.cm.execute(contextId, bob, 'set', { key: 'k', value: 'again' }), {
    name: 'NotAMember',
  })

  await a.cm.execute(contextId, admin, 'set', { key: 'after', value: 1 }) // its membership heads include the removal
  const before = await dump(a.store)
  // After the removal, a delta citing the current membership heads is refused.
  await assert.rejects(a.cm.applyRemoteDelta((await forge(a.cm, contextId, mallory)).bytes), {
    name: 'NotAMember',
  })
  // Citing the stale heads while building on a delta that saw the removal is refused too.
  await assert.rejects(
    a.cm.applyRemoteDelta((await forge(a.cm, contextId, mallory, { membershipHeads: stale })).bytes),
    { name: 'InvalidDelta' },
  )
  assert.deepEqual(await dump(a.store), before)
  // A delta made before the removal (concurrent with it) is still accepted: that is the documented rule.
  assert.equal(await a.cm.applyRemoteDelta(early.bytes), 'applied')

  // A fresh replica reaches the same verdicts.
  const exported = await a.cm.exportContext(contextId)
  for (const op of exported.membershipOps) assert.equal(await b.cm.applyRemoteMembershipOp(op), 'applied')
  for (const d of exported.deltas) assert.equal(await b.cm.applyRemoteDelta(d), 'applied')
  assert.deepEqual((await b.cm.getContext(contextId)).stateRoot, (await a.cm.getContext(contextId)).stateRoot)
  await assert.rejects(b.cm.applyRemoteDelta((await forge(b.cm, contextId, mallory)).bytes), {
    name: 'NotAMember',
  })
})

test('remote deltas: bad signature, non-member and oversize are rejected before anything is stored', async (t) => {
  const n = await node({ ...LIMITS, deltaBytes: 1024 })
  t.after(() => stop(n))
  const { contextId, memberPublicKey } = await n.cm.createContext()
  await n.cm.execute(contextId, memberPublicKey, 'set', { key: 'a', value: 1 })
  const outsider = generateKeyPair()
  const before = await dump(n.store)
  const viewBefore = await n.cm.getContext(contextId)

  await assert.rejects(n.cm.applyRemoteDelta((await forge(n.cm, contextId, outsider)).bytes), {
    name: 'NotAMember',
  })
  // A member's delta whose signature was made by someone else.
  const wire = decodeCanonical(
    (await forge(n.cm, contextId, outsider, { author: memberPublicKey })).bytes,
  ) as Record<string, unknown>
  await assert.rejects(n.cm.applyRemoteDelta(encodeCanonical(wire)), { name: 'InvalidSignature' })
  const big = encodeCanonical({ ...wire, ops: [{ t: 'lww.set', k: 'big', v: 'x'.repeat(2000) }] })
  await assert.rejects(n.cm.applyRemoteDelta(big), { name: 'PayloadTooLarge' })
  await assert.rejects(n.cm.applyRemoteDelta(new Uint8Array([0xa0])), { name: 'InvalidDelta' })
  // HLC must move forward along the DAG.
  const member = generateKeyPair()
  await n.cm.addMembers(contextId, memberPublicKey, [member.publicKey])
  const snapshot = await dump(n.store)
  await assert.rejects(
    n.cm.applyRemoteDelta((await forge(n.cm, contextId, member, { hlc: { wallMs: 1, counter: 0 } })).bytes),
    { name: 'InvalidDelta' },
  )
  assert.deepEqual(await dump(n.store), snapshot)
  assert.notDeepEqual(snapshot, before)
  assert.deepEqual((await n.cm.getContext(contextId)).heads, viewBefore.heads)
  assert.deepEqual(n.cm.pendingCount(), { deltas: 0, membershipOps: 0 })
})

test('a delta waits as pending until its parents arrive, then both merge', async (t) => {
  const a = await node()
  const b = await node({ ...LIMITS, pendingDeltas: 2 })
  t.after(() => Promise.all([stop(a), stop(b)]))
  const { contextId, memberPublicKey } = await a.cm.createContext()
  const d1 = await a.cm.execute(contextId, memberPublicKey, 'set', { key: 'a', value: 1 })
  const d2 = await a.cm.execute(contextId, memberPublicKey, 'set', { key: 'b', value: 2 })
  const d3 = await a.cm.execute(contextId, memberPublicKey, 'set', { key: 'c', value: 3 })
  const bytes = async (id: Uint8Array) => (await a.cm.getDelta(contextId, id))!
  const exported = await a.cm.exportContext(contextId)

  // Deltas before the context itself, children before parents.
  assert.equal(await b.cm.applyRemoteDelta(await bytes(d3.deltaId!)), 'pending')
  assert.equal(await b.cm.applyRemoteDelta(await bytes(d3.deltaId!)), 'pending')
  assert.equal(await b.cm.applyRemoteDelta(await bytes(d2.deltaId!)), 'pending')
  await assert.rejects(b.cm.applyRemoteDelta(await bytes(d1.deltaId!)), { name: 'PendingLimitReached' })
  assert.deepEqual(await b.cm.listContextIds(), [])
  assert.equal(await b.cm.applyRemoteMembershipOp(exported.membershipOps[0]!), 'applied')
  const view = await b.cm.getContext(contextId)
  assert.equal(view.deltaCount, 0)
  assert.deepEqual(b.cm.missing(contextId).deltas, [d1.deltaId])
  assert.equal(await b.cm.applyRemoteDelta(await bytes(d1.deltaId!)), 'applied')
  const merged = await b.cm.getContext(contextId)
  assert.equal(merged.deltaCount, 3)
  assert.deepEqual(merged.heads, [d3.deltaId])
  assert.deepEqual(merged.stateRoot, (await a.cm.getContext(contextId)).stateRoot)
  assert.equal(await b.cm.applyRemoteDelta(await bytes(d2.deltaId!)), 'duplicate')
  assert.deepEqual(b.cm.pendingCount(), { deltas: 0, membershipOps: 0 })
})

test('state survives a reopen: contexts, identities, members, deltas and state root', async (t) => {
  const n = await node()
  t.after(() => rm(n.dir, { recursive: true, force: true }))
  const { contextId, memberPublicKey } = await n.cm.createContext()
  const bob = await n.cm.createIdentity()
  await n.cm.addMembers(contextId, memberPublicKey, [bob])
  for (let i = 0; i < 20; i++)
    await n.cm.execute(contextId, i % 2 ? bob : memberPublicKey, 'set', { key: `k${i % 7}`, value: i })
  await n.cm.commit(contextId, bob, [
    { t: 'set.add', k: 'tags', e: 'x' },
    { t: 'ctr.add', k: 'hits', n: 3 },
  ])
  await n.cm.commit(contextId, bob, [{ t: 'set.rm', k: 'tags', e: 'x' }])
  const view = await n.cm.getContext(contextId)
  const entries = await n.cm.stateEntries(contextId)
  await stop(n, true)

  const again = await node(LIMITS, n.dir)
  t.after(() => stop(again, true))
  assert.deepEqual(await again.cm.getContext(contextId), view)
  assert.deepEqual(await again.cm.stateEntries(contextId), entries)
  const next = await again.cm.execute(contextId, bob, 'set', { key: 'k0', value: 'after reopen' })
  assert.deepEqual((await again.cm.getContext(contextId)).heads, [next.deltaId])
  assert.equal(
    (await again.cm.execute(contextId, memberPublicKey, 'get', { key: 'k0' })).output,
    'after reopen',
  )
})

test('events and the attestation snapshot reflect applied, durable changes', async (t) => {
  const n = await node()
  t.after(() => stop(n))
  const states: StateMutationEvent[] = []
  const members: MembershipChangeEvent[] = []
  const offState = n.cm.onStateMutation((e) => states.push(e))
  n.cm.onMembershipChange((e) => members.push(e))
  const { contextId, memberPublicKey } = await n.cm.createContext()
  const bob = await n.cm.createIdentity()
  await n.cm.addMembers(contextId, memberPublicKey, [bob])
  const { deltaId } = await n.cm.execute(contextId, bob, 'set', { key: 'a', value: 'b' })
  const view = await n.cm.getContext(contextId)
  assert.deepEqual(
    members.map((e) => [e.kind, e.revision]),
    [
      ['Create', 1],
      ['AddMembers', 2],
    ],
  )
  assert.equal(states.length, 1)
  assert.deepEqual(states[0]!.newRoot, view.stateRoot)
  assert.deepEqual(states[0]!.heads, [deltaId])
  assert.deepEqual(states[0]!.events, [{ t: 'lww.set', k: 'a', v: 'b' }])
  offState()
  await n.cm.execute(contextId, bob, 'set', { key: 'a', value: 'c' })
  assert.equal(states.length, 1)

  const snap = await n.cm.attestationSnapshot(contextId)
  const now = await n.cm.getContext(contextId)
  assert.deepEqual(snap.heads, now.heads)
  assert.deepEqual(snap.payloadRoot, headsPayloadRoot(now.heads))
  assert.deepEqual(snap.stateRoot, now.stateRoot)
  assert.equal(snap.revision, 2)
  assert.deepEqual(snap.membershipHeads, now.membershipHeads)
  const bits = new Map([
    [hex(memberPublicKey), 7],
    [hex(bob), 0],
  ])
  assert.deepEqual(
    snap.membersRoot,
    membersRoot([...bits].map(([k, capabilityBits]) => ({ key: Buffer.from(k, 'hex'), capabilityBits }))),
  )
})

test('concurrent executes group-commit into a linear history, one delta each', async (t) => {
  const n = await node()
  t.after(() => stop(n))
  const { contextId, memberPublicKey } = await n.cm.createContext()
  const results = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      n.cm.execute(contextId, memberPublicKey, 'set', { key: `k${i}`, value: i }),
    ),
  )
  const view = await n.cm.getContext(contextId)
  assert.equal(view.deltaCount, 300)
  assert.deepEqual(view.heads, [results[299]!.deltaId])
  assert.equal(new Set(results.map((r) => hex(r.deltaId!))).size, 300)
  // Each delta names the previous one as its only parent.
  const exported = await n.cm.exportContext(contextId)
  for (let i = 1; i < exported.deltas.length; i++) {
    const d = decodeDelta(exported.deltas[i]!, LIMITS)
    assert.deepEqual(d.parents, [results[i - 1]!.deltaId])
  }
})

test('remote membership ops: authority, signature and parents are checked before they merge', async (t) => {
  const a = await node()
  const b = await node()
  t.after(() => Promise.all([stop(a), stop(b)]))
  const { contextId, memberPublicKey: admin } = await a.cm.createContext()
  const bob = generateKeyPair()
  await a.cm.addMembers(contextId, admin, [bob.publicKey])
  const [genesis, addBob] = (await a.cm.exportContext(contextId)).membershipOps
  // Children first: the add waits for the genesis, then both merge.
  assert.equal(await b.cm.applyRemoteMembershipOp(addBob!), 'pending')
  assert.equal(await b.cm.applyRemoteMembershipOp(genesis!), 'applied')
  assert.equal(b.cm.pendingCount().membershipOps, 0)
  assert.equal((await b.cm.getContext(contextId)).revision, 2)
  assert.equal(await b.cm.applyRemoteMembershipOp(addBob!), 'duplicate')

  const before = await dump(b.store)
  const heads = (await b.cm.getContext(contextId)).membershipHeads
  // bob is a member without ManageMembers: his add is refused.
  const byBob = signMembershipOp(
    {
      contextId,
      signerId: bob.publicKey,
      nonce: 1,
      parents: heads,
      kind: { type: 'AddMembers', members: [generateKeyPair().publicKey] },
    },
    bob.secretKey,
  )
  await assert.rejects(b.cm.applyRemoteMembershipOp(byBob.bytes), { name: 'MissingCapability' })
  // An op claiming the admin as signer but signed by bob.
  const forged = signMembershipOp(
    {
      contextId,
      signerId: admin,
      nonce: 9,
      parents: heads,
      kind: { type: 'RemoveMembers', members: [admin] },
    },
    bob.secretKey,
  )
  await assert.rejects(b.cm.applyRemoteMembershipOp(forged.bytes), { name: 'InvalidSignature' })
  await assert.rejects(b.cm.applyRemoteMembershipOp(new Uint8Array([0x80])), { name: 'InvalidOp' })
  assert.deepEqual(await dump(b.store), before)
  assert.deepEqual(await b.cm.getMembershipOp(contextId, byBob.id), undefined)
})
