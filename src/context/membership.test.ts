import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '../core/ed25519.ts'
import { encodeCanonical } from '../dag/canonical-cbor.ts'
import { MembershipLog } from './membership.ts'
import {
  decodeMembershipOp,
  type MembershipKind,
  type MembershipOp,
  signMembershipOp,
  verifyMembershipOpSignature,
} from './membership-op.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

function setup() {
  const ctx = generateKeyPair()
  const admin = generateKeyPair()
  const genesis = signMembershipOp(
    {
      contextId: ctx.publicKey,
      signerId: ctx.publicKey,
      nonce: 0,
      parents: [],
      kind: { type: 'Create', author: admin.publicKey, application: 'kv' },
    },
    ctx.secretKey,
  )
  const log = new MembershipLog(ctx.publicKey)
  log.check(genesis)
  log.add(genesis)
  const op = (
    signer: { publicKey: Uint8Array; secretKey: Uint8Array },
    kind: MembershipKind,
    parents = log.heads(),
    nonce = log.nextNonce(signer.publicKey),
  ) =>
    signMembershipOp(
      {
        contextId: ctx.publicKey,
        signerId: signer.publicKey,
        nonce,
        parents: parents.map((p) => new Uint8Array(Buffer.from(p, 'hex'))),
        kind,
      },
      signer.secretKey,
    )
  const admit = (o: MembershipOp) => {
    log.check(o)
    log.add(o)
  }
  return { ctx, admin, genesis, log, op, admit }
}

test('genesis gives the author every capability; ops round-trip through their wire bytes', () => {
  const { admin, genesis, log } = setup()
  assert.deepEqual([...log.current.members], [[hex(admin.publicKey), 7]])
  assert.equal(log.current.application, 'kv')
  assert.equal(log.current.revision, 1)
  const back = decodeMembershipOp(genesis.bytes)
  assert.deepEqual(back.id, genesis.id)
  assert.ok(verifyMembershipOpSignature(back))
})

test('authority is checked in the causal past: adds, grants, revokes and removals', () => {
  const { admin, log, op, admit } = setup()
  const bob = generateKeyPair()
  const carol = generateKeyPair()
  admit(op(admin, { type: 'AddMembers', members: [bob.publicKey] }))
  assert.equal(log.current.members.get(hex(bob.publicKey)), 0)
  assert.throws(() => log.check(op(bob, { type: 'AddMembers', members: [carol.publicKey] })), {
    name: 'MissingCapability',
  })
  admit(op(admin, { type: 'Grant', member: bob.publicKey, capability: 'ManageMembers' }))
  admit(op(bob, { type: 'AddMembers', members: [carol.publicKey] }))
  assert.ok(log.current.members.has(hex(carol.publicKey)))
  admit(op(admin, { type: 'Revoke', member: bob.publicKey, capability: 'ManageMembers' }))
  assert.throws(() => log.check(op(bob, { type: 'RemoveMembers', members: [carol.publicKey] })), {
    name: 'MissingCapability',
  })
  admit(op(admin, { type: 'RemoveMembers', members: [bob.publicKey] }))
  assert.equal(log.current.members.has(hex(bob.publicKey)), false)
  assert.throws(() => log.check(op(carol, { type: 'UpdateApplication', application: 'x' })), {
    name: 'MissingCapability',
  })
  assert.equal(log.current.revision, 6)
})

test('a nonce is single use per signer; a second Create is refused', () => {
  const { admin, ctx, log, op, admit } = setup()
  admit(op(admin, { type: 'AddMembers', members: [generateKeyPair().publicKey] }, log.heads(), 5))
  assert.throws(
    () =>
      log.check(op(admin, { type: 'AddMembers', members: [generateKeyPair().publicKey] }, log.heads(), 5)),
    { name: 'InvalidOp' },
  )
  const second = signMembershipOp(
    {
      contextId: ctx.publicKey,
      signerId: ctx.publicKey,
      nonce: 1,
      parents: [],
      kind: { type: 'Create', author: admin.publicKey, application: 'kv' },
    },
    ctx.secretKey,
  )
  assert.throws(() => log.check(second), { name: 'InvalidOp' })
})

test('concurrent ops apply in a deterministic order whatever the arrival order, re-checking authority', () => {
  const { admin, genesis, op, admit } = setup()
  const bob = generateKeyPair()
  const addBob = op(admin, { type: 'AddMembers', members: [bob.publicKey] })
  admit(addBob)
  const grant = op(admin, { type: 'Grant', member: bob.publicKey, capability: 'ManageMembers' })
  admit(grant)
  const base = [hex(grant.id)]
  // Concurrent: admin removes bob, bob (still an admin in his causal past) adds dave and revokes admin.
  const dave = generateKeyPair()
  const removeBob = op(admin, { type: 'RemoveMembers', members: [bob.publicKey] }, base, 10)
  const addDave = op(bob, { type: 'AddMembers', members: [dave.publicKey] }, base, 1)
  const revokeAdmin = op(
    bob,
    { type: 'Revoke', member: admin.publicKey, capability: 'ManageMembers' },
    [hex(addDave.id)],
    2,
  )
  const states = new Set<string>()
  for (const order of [
    [removeBob, addDave, revokeAdmin],
    [addDave, revokeAdmin, removeBob],
    [addDave, removeBob, revokeAdmin],
  ]) {
    const log = new MembershipLog(genesis.contextId)
    for (const o of [genesis, addBob, grant, ...order]) {
      log.check(o)
      log.add(o)
    }
    const view = [...log.current.members].sort()
    states.add(JSON.stringify({ view, revision: log.current.revision, heads: log.heads() }))
  }
  assert.equal(states.size, 1, [...states].join('\n'))
  // State at a past head is what its causal past says, not what the latest state says.
  const log = new MembershipLog(genesis.contextId)
  for (const o of [genesis, addBob, grant, removeBob, addDave]) {
    log.check(o)
    log.add(o)
  }
  assert.equal(log.stateAt([hex(addDave.id)]).state.members.get(hex(bob.publicKey)), 1)
  assert.equal(log.stateAt([hex(removeBob.id)]).state.members.has(hex(bob.publicKey)), false)
})

test('decodeMembershipOp rejects malformed ops and BindWallet (reserved)', () => {
  const { admin, op } = setup()
  const good = op(admin, { type: 'AddMembers', members: [generateKeyPair().publicKey] })
  const tweak = (kind: unknown) =>
    encodeCanonical({
      contextId: good.contextId,
      signerId: good.signerId,
      nonce: 1,
      parents: good.parents,
      kind,
      signature: good.signature,
    })
  assert.throws(
    () =>
      decodeMembershipOp(
        tweak({ type: 'BindWallet', identity: good.signerId, account: 'x', walletProof: 'y' }),
      ),
    { name: 'InvalidOp' },
  )
  assert.throws(() => decodeMembershipOp(tweak({ type: 'AddMembers', members: [] })), { name: 'InvalidOp' })
  assert.throws(
    () => decodeMembershipOp(tweak({ type: 'Grant', member: good.signerId, capability: 'Root' })),
    { name: 'InvalidOp' },
  )
  assert.throws(
    () => decodeMembershipOp(tweak({ type: 'Create', author: good.signerId, application: 'kv' })),
    { name: 'InvalidOp' },
  ) // Create with parents
  assert.throws(() => decodeMembershipOp(new Uint8Array([1, 2, 3])), { name: 'InvalidOp' })
})
