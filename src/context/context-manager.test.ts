import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { defer } from '../../test/helpers/defer.ts'
import { loadConfig } from '../core/config.ts'
import { generateKeyPair } from '../core/ed25519.ts'
import { WalletSignatureInvalid } from '../core/errors.ts'
import { decodeCanonical, encodeCanonical } from '../dag/canonical-cbor.ts'
import { type DeltaBody, decodeDelta, signDelta } from '../dag/delta.ts'
import { openStore, type Store } from '../store/store.ts'
import {
  type ContextLimits,
  ContextManager,
  type MembershipChangeEvent,
  type StateMutationEvent,
  type WalletBindingClaim,
  type WalletProofCheck,
} from './context-manager.ts'
import { headsPayloadRoot, membersRoot } from './context-roots.ts'
import { decodeMembershipOp, signMembershipOp } from './membership-op.ts'
import { bindingResource } from './wallet-binding.ts'

/** The node's default limits (the one defaults object in the config schema). */
const LIMITS: ContextLimits = loadConfig({ dataDir: '.' }).limits
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

interface Node {
  dir: string
  store: Store
  cm: ContextManager
}

async function node(
  limits: ContextLimits = LIMITS,
  dir?: string,
  walletProofCheck?: WalletProofCheck,
): Promise<Node> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'mero-ctx-')))
  const store = await openStore(join(d, 'db'))
  return { dir: d, store, cm: await ContextManager.open({ store, limits, walletProofCheck }) }
}

const closing = new WeakMap<Node, Promise<void>>()

/** Closes the node (once: a later call waits for the first close), then removes its folder unless `keep`. */
async function stop(n: Node, keep = false): Promise<void> {
  let closed = closing.get(n)
  if (!closed) {
    closed = (async () => {
      await n.cm.close()
      await n.store.close()
    })()
    closing.set(n, closed)
  }
  await closed
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
  defer(t, () => rm(n.dir, { recursive: true, force: true })) // first registered: runs after every stop
  defer(t, () => stop(n, true))
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
  defer(t, () => stop(again, true))
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

/** A stand-in for a chain's wallet-proof check: the "signature" must be `signed:<message>`, the message must name the resource. */
function walletStub() {
  const calls: WalletBindingClaim[] = []
  const check: WalletProofCheck = async (claim) => {
    calls.push(claim)
    const { walletProof: p } = claim
    if (
      !p.message.includes(bindingResource(claim.contextId, claim.identity)) ||
      p.signature !== `signed:${p.message}`
    )
      throw new WalletSignatureInvalid('the wallet signature does not verify')
  }
  return { calls, check }
}
const ACCOUNT = 'eip155:31337:0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const walletProof = (contextId: Uint8Array, identity: Uint8Array, forge = false) => {
  const message = `localhost wants you to sign in\n\nResources:\n- ${bindingResource(contextId, identity)}`
  return { chainId: 'eip155:31337', message, signature: forge ? 'signed:other' : `signed:${message}` }
}

test('bindWallet: the hook checks the proof first; the binding shows in the view, survives a reopen and replicates', async (t) => {
  const wallet = walletStub()
  const a = await node(LIMITS, undefined, wallet.check)
  defer(t, () => rm(a.dir, { recursive: true, force: true })) // first registered: runs after every stop
  defer(t, () => stop(a, true))
  const { contextId, memberPublicKey: admin } = await a.cm.createContext()
  const bob = await a.cm.createIdentity()
  await a.cm.addMembers(contextId, admin, [bob])
  const before = await a.cm.getContext(contextId)

  await assert.rejects(a.cm.bindWallet(contextId, bob, ACCOUNT, walletProof(contextId, bob, true)), {
    name: 'WalletSignatureInvalid',
  })
  await assert.rejects(a.cm.bindWallet(contextId, bob, 'eip155:31337', walletProof(contextId, bob)), {
    name: 'InvalidInput',
  })
  const outsider = await a.cm.createIdentity()
  await assert.rejects(a.cm.bindWallet(contextId, outsider, ACCOUNT, walletProof(contextId, outsider)), {
    name: 'NotAMember',
  })
  assert.deepEqual(await a.cm.getContext(contextId), before, 'refused bindings change nothing')
  assert.equal(wallet.calls.length, 1, 'the hook runs only for well-formed bindings of members')

  const unbound = await a.cm.attestationSnapshot(contextId)
  await a.cm.bindWallet(contextId, bob, ACCOUNT, walletProof(contextId, bob))
  assert.deepEqual(wallet.calls[1], {
    contextId,
    identity: bob,
    account: ACCOUNT,
    walletProof: walletProof(contextId, bob),
  })
  const view = await a.cm.getContext(contextId)
  assert.equal(view.revision, before.revision + 1)
  assert.equal(view.bindings.length, 1)
  assert.deepEqual(view.bindings[0]!.identity, bob)
  assert.equal(view.bindings[0]!.account, ACCOUNT)
  assert.deepEqual(view.membershipHeads, [view.bindings[0]!.opId])
  // The op is the evidence: signed by bob, carrying the wallet's proof.
  const op = decodeMembershipOp((await a.cm.getMembershipOp(contextId, view.bindings[0]!.opId))!)
  assert.deepEqual(op.signerId, bob)
  assert.deepEqual(op.kind, {
    type: 'BindWallet',
    identity: bob,
    account: ACCOUNT,
    walletProof: walletProof(contextId, bob),
  })
  // Not a membersRoot leaf, but new membership heads (so a membership attestation covers the op).
  const bound = await a.cm.attestationSnapshot(contextId)
  assert.deepEqual(bound.membersRoot, unbound.membersRoot)
  assert.notDeepEqual(bound.membershipHeadsRoot, unbound.membershipHeadsRoot)
  await stop(a, true)

  const reopened = await node(LIMITS, a.dir, wallet.check)
  defer(t, () => stop(reopened, true))
  assert.deepEqual(await reopened.cm.getContext(contextId), view)
  assert.equal(wallet.calls.length, 2, 'stored ops are not re-checked on load')

  const peerWallet = walletStub()
  const peer = await node(LIMITS, undefined, peerWallet.check)
  defer(t, () => stop(peer))
  for (const bytes of (await reopened.cm.exportContext(contextId)).membershipOps)
    assert.equal(await peer.cm.applyRemoteMembershipOp(bytes), 'applied')
  assert.equal(peerWallet.calls.length, 1, 'a remote BindWallet is checked on admission')
  assert.deepEqual((await peer.cm.getContext(contextId)).bindings, view.bindings)
})

test('BindWallet ops are refused without a hook, and a bad proof is refused before the op is held or stored', async (t) => {
  const wallet = walletStub()
  const a = await node(LIMITS, undefined, wallet.check)
  const plainNode = await node()
  const b = await node(LIMITS, undefined, wallet.check)
  t.after(() => Promise.all([stop(a), stop(plainNode), stop(b)]))
  const own = await plainNode.cm.createContext()
  await assert.rejects(
    plainNode.cm.bindWallet(
      own.contextId,
      own.memberPublicKey,
      ACCOUNT,
      walletProof(own.contextId, own.memberPublicKey),
    ),
    { name: 'InvalidOp', message: 'wallet binding is not enabled on this node' },
  )
  const { contextId, memberPublicKey: admin } = await a.cm.createContext()
  const [genesis] = (await a.cm.exportContext(contextId)).membershipOps
  await plainNode.cm.applyRemoteMembershipOp(genesis!)
  await a.cm.bindWallet(contextId, admin, ACCOUNT, walletProof(contextId, admin))
  const [, bind] = (await a.cm.exportContext(contextId)).membershipOps
  const before = await dump(plainNode.store)
  await assert.rejects(plainNode.cm.applyRemoteMembershipOp(bind!), {
    name: 'InvalidOp',
    message: 'wallet binding is not enabled on this node',
  })
  assert.deepEqual(await dump(plainNode.store), before)

  // A forged proof on an op whose parents b lacks: refused at once, never held as pending.
  const key = generateKeyPair()
  const forged = signMembershipOp(
    {
      contextId,
      signerId: key.publicKey,
      nonce: 1,
      parents: [generateKeyPair().publicKey],
      kind: {
        type: 'BindWallet',
        identity: key.publicKey,
        account: ACCOUNT,
        walletProof: walletProof(contextId, key.publicKey, true),
      },
    },
    key.secretKey,
  )
  await assert.rejects(b.cm.applyRemoteMembershipOp(forged.bytes), { name: 'WalletSignatureInvalid' })
  assert.equal(b.cm.pendingCount().membershipOps, 0)

  // A binding by a non-member whose causal past b has is refused without asking the hook.
  for (const bytes of (await a.cm.exportContext(contextId)).membershipOps)
    await b.cm.applyRemoteMembershipOp(bytes)
  const asked = wallet.calls.length
  const outsider = signMembershipOp(
    {
      contextId,
      signerId: key.publicKey,
      nonce: 2,
      parents: (await b.cm.getContext(contextId)).membershipHeads,
      kind: {
        type: 'BindWallet',
        identity: key.publicKey,
        account: ACCOUNT,
        walletProof: walletProof(contextId, key.publicKey),
      },
    },
    key.secretKey,
  )
  await assert.rejects(b.cm.applyRemoteMembershipOp(outsider.bytes), { name: 'NotAMember' })
  assert.equal(wallet.calls.length, asked)
})
