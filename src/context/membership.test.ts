import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '../core/ed25519.ts'
import { encodeCanonical } from '../dag/canonical-cbor.ts'
import { membersRoot } from './context-roots.ts'
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

test('a nonce must be a safe integer ≥ 0; nextNonce refuses to go past the largest one', () => {
  const { admin, log, op, admit } = setup()
  const add = (): MembershipKind => ({ type: 'AddMembers', members: [generateKeyPair().publicKey] })
  // Ops built in process skip the decoder's bounds, so check() holds the line itself.
  for (const nonce of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN])
    assert.throws(
      () => log.check(op(admin, add(), log.heads(), nonce)),
      { name: 'InvalidOp', message: /safe integer/ },
      `nonce ${nonce}`,
    )
  assert.equal(log.size, 1)
  admit(op(admin, add(), log.heads(), Number.MAX_SAFE_INTEGER - 1))
  assert.equal(log.nextNonce(admin.publicKey), Number.MAX_SAFE_INTEGER)
  admit(op(admin, add(), log.heads(), Number.MAX_SAFE_INTEGER))
  assert.throws(() => log.nextNonce(admin.publicKey), { name: 'InvalidOp', message: /largest nonce/ })
  // Another signer's nonces are unaffected.
  const bob = generateKeyPair()
  assert.equal(log.nextNonce(bob.publicKey), 1)
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

test('decodeMembershipOp rejects malformed ops', () => {
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

const proofFor = (account: string, message = 'I bind this identity') => ({
  chainId: account.split(':').slice(0, 2).join(':'),
  message,
  signature: '0x01',
})
const rootOf = (members: ReadonlyMap<string, number>) =>
  hex(
    membersRoot([...members].map(([k, capabilityBits]) => ({ key: Buffer.from(k, 'hex'), capabilityBits }))),
  )

test('BindWallet: a member binds itself; it round-trips, a later one replaces it, membersRoot ignores it, removal ends it', () => {
  const { admin, log, op, admit } = setup()
  const bob = generateKeyPair()
  admit(op(admin, { type: 'AddMembers', members: [bob.publicKey] }))
  const rootBefore = rootOf(log.current.members)
  const bind = (account: string) =>
    op(bob, { type: 'BindWallet', identity: bob.publicKey, account, walletProof: proofFor(account) })
  const first = bind('eip155:31337:0x00000000000000000000000000000000000000b0')
  const back = decodeMembershipOp(first.bytes)
  assert.deepEqual(back.id, first.id)
  assert.deepEqual(back.kind, first.kind)
  assert.ok(verifyMembershipOpSignature(back))
  admit(back)
  assert.equal(
    log.current.bindings.get(hex(bob.publicKey)),
    'eip155:31337:0x00000000000000000000000000000000000000b0',
  )
  assert.equal(log.current.bindingOps.get(hex(bob.publicKey)), hex(first.id))
  assert.equal(rootOf(log.current.members), rootBefore, 'a binding changes no membersRoot leaf')
  assert.equal(log.current.revision, 3, 'a binding is a membership op that takes effect')
  const second = bind('near:localnet:bob.test.near')
  admit(second)
  assert.deepEqual([...log.current.bindings], [[hex(bob.publicKey), 'near:localnet:bob.test.near']])
  assert.equal(log.current.bindingOps.get(hex(bob.publicKey)), hex(second.id))
  admit(op(admin, { type: 'RemoveMembers', members: [bob.publicKey] }))
  assert.equal(log.current.bindings.size, 0)
  assert.equal(log.current.bindingOps.size, 0)
  admit(op(admin, { type: 'AddMembers', members: [bob.publicKey] }))
  assert.equal(log.current.bindings.size, 0, 're-adding a member does not restore its old binding')
})

test('BindWallet is refused for another identity, by a non-member, and with a malformed account or proof', () => {
  const { admin, log, op } = setup()
  const bob = generateKeyPair()
  const account = 'eip155:31337:0x00000000000000000000000000000000000000b0'
  const forOther = op(admin, {
    type: 'BindWallet',
    identity: bob.publicKey,
    account,
    walletProof: proofFor(account),
  })
  assert.throws(() => decodeMembershipOp(forOther.bytes), {
    name: 'InvalidOp',
    message: /signed by the identity/,
  })
  assert.throws(() => log.check(forOther), { name: 'InvalidOp' })
  const byOutsider = op(bob, {
    type: 'BindWallet',
    identity: bob.publicKey,
    account,
    walletProof: proofFor(account),
  })
  assert.throws(() => log.check(decodeMembershipOp(byOutsider.bytes)), { name: 'NotAMember' })
  const wire = (kind: Record<string, unknown>) =>
    encodeCanonical({
      contextId: log.contextId,
      signerId: admin.publicKey,
      nonce: 1,
      parents: [Buffer.from(log.heads()[0]!, 'hex')],
      kind: {
        type: 'BindWallet',
        identity: admin.publicKey,
        account,
        walletProof: proofFor(account),
        ...kind,
      },
      signature: new Uint8Array(64),
    })
  assert.doesNotThrow(() => decodeMembershipOp(wire({})))
  for (const bad of [
    { account: 'not an account' },
    { walletProof: { ...proofFor(account), chainId: 'eip155:1' } },
    { walletProof: { ...proofFor(account), extra: { raw: new Uint8Array(2) } } },
    { walletProof: { ...proofFor(account), message: 'x'.repeat(8193) } },
    { walletProof: 'signed' },
    { extraField: 1 },
  ])
    assert.throws(
      () => decodeMembershipOp(wire(bad)),
      { name: 'InvalidOp' },
      JSON.stringify(Object.keys(bad)),
    )
})

// ── concurrent edge cases (docs/membership.md): outcomes follow the op-id order, on every replica ──

type Kp = { publicKey: Uint8Array; secretKey: Uint8Array }
const byHex = (xs: Kp[]) => xs.map((x) => x.publicKey).sort(Buffer.compare)

/** Admins a, b (ManageMembers) and member x (Attest); ops concurrent on `base`, replayed in every causal order. */
function race() {
  const s = setup()
  const a = s.admin
  const b = generateKeyPair()
  const x = generateKeyPair()
  s.admit(s.op(a, { type: 'AddMembers', members: byHex([b, x]) }))
  s.admit(s.op(a, { type: 'Grant', member: b.publicKey, capability: 'ManageMembers' }))
  s.admit(s.op(a, { type: 'Grant', member: x.publicKey, capability: 'Attest' }))
  const base = s.log.heads()
  const prefix = s.log.ops()
  const revision = s.log.current.revision
  let nonce = 100
  /** An op on `parents` (default: base) with a fresh nonce. */
  const on = (signer: Kp, kind: MembershipKind, parents = base) => s.op(signer, kind, parents, nonce++)
  /** `make()` re-signed (fresh nonces) until its id sorts before (or after) `other`'s. */
  const arranged = (make: () => MembershipOp, other: MembershipOp, first: boolean) => {
    for (;;) {
      const o = make()
      if (hex(o.id) < hex(other.id) === first) return o
    }
  }
  /** The state after `ops`, the same for every causal delivery order (each admitted on arrival). */
  const outcome = (...ops: MembershipOp[]) => {
    const prints = new Set<string>()
    let state: MembershipLog['current'] | undefined
    const orders = (rest: MembershipOp[], done: MembershipOp[]): MembershipOp[][] =>
      rest.length === 0
        ? [done]
        : rest
            .filter((o) => o.parents.every((p) => !rest.some((r) => hex(r.id) === hex(p))))
            .flatMap((o) =>
              orders(
                rest.filter((r) => r !== o),
                [...done, o],
              ),
            )
    for (const order of orders(ops, [])) {
      const log = new MembershipLog(s.ctx.publicKey)
      for (const o of [...prefix, ...order]) {
        log.check(o)
        log.add(o)
      }
      state = log.current
      prints.add(
        JSON.stringify([[...state.members].sort(), [...state.bindings].sort(), state.revision, log.heads()]),
      )
    }
    assert.equal(prints.size, 1, 'every delivery order gives the same state')
    return state!
  }
  return { ...s, a, b, x, base, revision, on, arranged, outcome }
}

test('concurrent add and remove of the same member: the op later in id order decides', () => {
  for (const removeFirst of [true, false]) {
    const { a, b, x, on, arranged, outcome, revision } = race()
    const add = on(b, { type: 'AddMembers', members: [x.publicKey] })
    const remove = arranged(() => on(a, { type: 'RemoveMembers', members: [x.publicKey] }), add, removeFirst)
    const s = outcome(add, remove)
    // Removed then re-added: a member again, capabilities gone. Added (no-op) then removed: gone.
    assert.equal(s.members.get(hex(x.publicKey)), removeFirst ? 0 : undefined)
    assert.equal(s.revision, revision + 2)
  }
})

test('concurrent mutual removal: the admin whose removal sorts first survives, the other op is skipped', () => {
  for (const aFirst of [true, false]) {
    const { a, b, on, arranged, outcome, revision } = race()
    const bRemovesA = on(b, { type: 'RemoveMembers', members: [a.publicKey] })
    const aRemovesB = arranged(
      () => on(a, { type: 'RemoveMembers', members: [b.publicKey] }),
      bRemovesA,
      aFirst,
    )
    const s = outcome(aRemovesB, bRemovesA)
    assert.equal(s.members.has(hex(a.publicKey)), aFirst)
    assert.equal(s.members.has(hex(b.publicKey)), !aFirst)
    assert.equal(s.revision, revision + 1, 'exactly one removal takes effect')
  }
})

test('a revoke racing a grant of the same capability: the op later in id order decides', () => {
  for (const revokeFirst of [true, false]) {
    const { a, b, x, on, arranged, outcome } = race()
    const grant = on(a, { type: 'Grant', member: x.publicKey, capability: 'ManageApplication' })
    const revoke = arranged(
      () => on(b, { type: 'Revoke', member: x.publicKey, capability: 'ManageApplication' }),
      grant,
      revokeFirst,
    )
    assert.equal(outcome(grant, revoke).members.get(hex(x.publicKey)), revokeFirst ? 2 | 4 : 4)
  }
})

test("a revocation racing the revoked admin's chain of ops cuts the chain where it lands in the order", () => {
  const seen = new Set<string>()
  for (const want of ['before both', 'between', 'after both']) {
    const { a, b, on, arranged, outcome } = race()
    const y = generateKeyPair()
    const add = on(b, { type: 'AddMembers', members: [y.publicKey] })
    const grant = arranged(
      () => on(b, { type: 'Grant', member: y.publicKey, capability: 'Attest' }, [hex(add.id)]),
      add,
      false,
    ) // the chain's ids ascend, so the revocation can land before, between or after them
    const revoke = (() => {
      for (;;) {
        const r = on(a, { type: 'Revoke', member: b.publicKey, capability: 'ManageMembers' })
        const where =
          hex(r.id) < hex(add.id) ? 'before both' : hex(r.id) < hex(grant.id) ? 'between' : 'after both'
        if (where === want) return r
      }
    })()
    const bits = outcome(add, grant, revoke).members.get(hex(y.publicKey))
    seen.add(want)
    assert.equal(bits, { 'before both': undefined, between: 0, 'after both': 4 }[want], want)
  }
  assert.equal(seen.size, 3)
})

test("a removed member's ops: concurrent with the removal they are admitted and ordered; after it they are refused", () => {
  for (const removalFirst of [true, false]) {
    const { a, b, x, on, arranged, outcome, log } = race()
    const y = generateKeyPair()
    const account = 'near:localnet:b.test.near'
    const concurrentAdd = on(b, { type: 'AddMembers', members: [y.publicKey] })
    const bind = on(b, { type: 'BindWallet', identity: b.publicKey, account, walletProof: proofFor(account) })
    const removal = arranged(
      () => on(a, { type: 'RemoveMembers', members: [b.publicKey] }),
      concurrentAdd,
      removalFirst,
    )
    const s = outcome(concurrentAdd, bind, removal)
    assert.equal(
      s.members.has(hex(y.publicKey)),
      !removalFirst,
      'the concurrent op counts only if it sorts first',
    )
    assert.equal(s.bindings.size, 0, 'a binding never outlives the removal, whichever sorts first')
    // Once the removal is in an op's causal past, the removed member's ops are refused on admission.
    log.check(removal)
    log.add(removal)
    const after = [hex(removal.id)]
    assert.throws(() => log.check(on(b, { type: 'AddMembers', members: [y.publicKey] }, after)), {
      name: 'MissingCapability',
    })
    assert.throws(
      () =>
        log.check(
          on(
            b,
            { type: 'BindWallet', identity: b.publicKey, account, walletProof: proofFor(account) },
            after,
          ),
        ),
      { name: 'NotAMember' },
    )
    assert.doesNotThrow(() =>
      log.check(
        on(x, { type: 'BindWallet', identity: x.publicKey, account, walletProof: proofFor(account) }, after),
      ),
    )
  }
})
