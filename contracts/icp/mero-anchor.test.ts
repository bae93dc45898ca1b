// The anchor canister, executed by the devnet's IC System API executor (no HTTP): DESIGN §7 behaviour.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { beforeEach, describe, it } from 'node:test'
import { IDL } from '@dfinity/candid'
import { Principal } from '@dfinity/principal'
import {
  type CanisterExecutor,
  createCanister,
  type MessageResult,
  restoreCanister,
} from '../../devnets/icp/canister-executor.ts'
import { anchorCanisterWasm, anchorIdlFactory, anchorInitArg } from './anchor-canister.ts'

const service = anchorIdlFactory({ IDL })
const fn = (m: string) => {
  const f = service._fields.find(([n]) => n === m)?.[1]
  assert.ok(f, `no method ${m}`)
  return f as IDL.FuncClass
}
const principal = (n: number) => new Uint8Array(29).fill(n)
const OWNER = principal(1)
const SUBMITTER = principal(2)
const STRANGER = principal(3)
const bytes32 = () => new Uint8Array(randomBytes(32))
let clock = BigInt(Date.now()) * 1_000_000n

function send(
  c: CanisterExecutor,
  kind: 'update' | 'query',
  method: string,
  args: unknown[],
  caller = OWNER,
) {
  const f = fn(method)
  const r = c[kind](method, new Uint8Array(IDL.encode(f.argTypes, args)), { caller, time: clock++ })
  return { r, value: r.kind === 'reply' ? IDL.decode(f.retTypes, r.data) : undefined }
}
const ok = (x: { r: MessageResult; value: unknown }) => {
  assert.equal(x.r.kind, 'reply', x.r.kind === 'reject' ? x.r.message : '')
  return x.value as unknown[]
}
const trapped = (x: { r: MessageResult }, text: RegExp) => {
  assert.equal(x.r.kind, 'reject')
  if (x.r.kind === 'reject') {
    assert.equal(x.r.code, 5)
    assert.match(x.r.message, text)
  }
}

/** An empty canister controlled by OWNER. */
const installed = (): CanisterExecutor =>
  createCanister(Principal.fromText('rwlgt-iiaaa-aaaaa-aaaaa-cai').toUint8Array(), [OWNER])

describe('mero_anchor canister (executed by the IC System API executor)', () => {
  let c: CanisterExecutor
  beforeEach(async () => {
    c = installed()
    const r = c.install('install', anchorCanisterWasm(), await anchorInitArg(), {
      caller: OWNER,
      time: clock++,
    })
    assert.equal(r.kind, 'reply')
    ok(send(c, 'update', 'register_node', [bytes32(), Principal.fromUint8Array(SUBMITTER), 'node A']))
  })

  it('the installer is the controller unless an owner init argument is given', async () => {
    assert.equal(
      (ok(send(c, 'query', 'owner', []))[0] as Principal).toText(),
      Principal.fromUint8Array(OWNER).toText(),
    )
    const d = installed()
    d.install('install', anchorCanisterWasm(), await anchorInitArg(Principal.fromUint8Array(STRANGER)), {
      caller: OWNER,
      time: clock++,
    })
    assert.equal(
      (ok(send(d, 'query', 'owner', []))[0] as Principal).toText(),
      Principal.fromUint8Array(STRANGER).toText(),
    )
  })

  it('anchors: a registered submitter stores {log_id, tree_size, height, timestamp(ns), submitter}', () => {
    const [logId, root] = [bytes32(), bytes32()]
    const t = clock
    ok(send(c, 'update', 'anchor', [logId, 12n, root], SUBMITTER))
    const [got] = ok(send(c, 'query', 'anchor_of', [root])) as [
      [{ log_id: Uint8Array; tree_size: bigint; height: bigint; timestamp: bigint; submitter: Principal }],
    ]
    const a = got[0]
    assert.ok(a)
    assert.deepEqual(new Uint8Array(a.log_id), logId)
    assert.equal(a.tree_size, 12n)
    assert.equal(a.height, 1n)
    assert.ok(a.timestamp >= t && a.timestamp < clock)
    assert.equal(a.submitter.toText(), Principal.fromUint8Array(SUBMITTER).toText())
  })

  it('anchor_of an unknown root is null', () => {
    assert.deepEqual(ok(send(c, 'query', 'anchor_of', [bytes32()])), [[]])
  })

  it('a duplicate root is rejected (first write wins)', () => {
    const root = bytes32()
    ok(send(c, 'update', 'anchor', [bytes32(), 1n, root], SUBMITTER))
    trapped(send(c, 'update', 'anchor', [bytes32(), 2n, root], SUBMITTER), /already anchored/)
    const [[a]] = ok(send(c, 'query', 'anchor_of', [root])) as [[{ tree_size: bigint }]]
    assert.equal(a.tree_size, 1n)
  })

  it('an unauthorised caller is rejected: anchor needs a registered submitter, the registry the controller', () => {
    const root = bytes32()
    trapped(send(c, 'update', 'anchor', [bytes32(), 1n, root], STRANGER), /not a registered submitter/)
    trapped(
      send(c, 'update', 'register_node', [bytes32(), Principal.fromUint8Array(STRANGER), 'x'], STRANGER),
      /not the controller/,
    )
    trapped(send(c, 'update', 'revoke_node', [bytes32()], SUBMITTER), /not the controller/)
    assert.deepEqual(ok(send(c, 'query', 'anchor_of', [root])), [[]])
  })

  it('bad inputs trap: zero tree size, short root', () => {
    trapped(send(c, 'update', 'anchor', [bytes32(), 0n, bytes32()], SUBMITTER), /tree_size must be positive/)
    trapped(
      send(c, 'update', 'anchor', [bytes32(), 1n, new Uint8Array(31)], SUBMITTER),
      /root must be 32 bytes/,
    )
  })

  it('node registry: register, is_node, is_submitter, revoke (idempotent)', () => {
    const key = bytes32()
    const who = Principal.fromUint8Array(STRANGER)
    assert.deepEqual(ok(send(c, 'query', 'is_node', [key])), [false])
    ok(send(c, 'update', 'register_node', [key, who, 'meta']))
    assert.deepEqual(ok(send(c, 'query', 'is_node', [key])), [true])
    assert.deepEqual(ok(send(c, 'query', 'is_submitter', [who])), [true])
    ok(send(c, 'update', 'revoke_node', [key]))
    ok(send(c, 'update', 'revoke_node', [key]))
    assert.deepEqual(ok(send(c, 'query', 'is_node', [key])), [false])
    assert.deepEqual(ok(send(c, 'query', 'is_submitter', [who])), [false])
    trapped(send(c, 'update', 'anchor', [bytes32(), 1n, bytes32()], STRANGER), /not a registered submitter/)
  })

  it('an upgrade keeps the state (stable variables through pre/post-upgrade)', () => {
    const root = bytes32()
    ok(send(c, 'update', 'anchor', [bytes32(), 9n, root], SUBMITTER))
    const r = c.install(
      'upgrade',
      anchorCanisterWasm(),
      new Uint8Array(IDL.encode([IDL.Opt(IDL.Principal)], [[]])),
      { caller: OWNER, time: clock++ },
    )
    assert.equal(r.kind, 'reply')
    const [[a]] = ok(send(c, 'query', 'anchor_of', [root])) as [[{ tree_size: bigint; height: bigint }]]
    assert.equal(a.tree_size, 9n)
    assert.deepEqual(ok(send(c, 'query', 'is_submitter', [Principal.fromUint8Array(SUBMITTER)])), [true])
    assert.equal(
      (ok(send(c, 'query', 'owner', []))[0] as Principal).toText(),
      Principal.fromUint8Array(OWNER).toText(),
    )
    ok(send(c, 'update', 'anchor', [bytes32(), 1n, bytes32()], SUBMITTER))
    assert.deepEqual(ok(send(c, 'query', 'anchor_count', [])), [2n])
  })

  it('a trapping call changes nothing (memory, globals and stable memory roll back)', () => {
    ok(send(c, 'update', 'anchor', [bytes32(), 1n, bytes32()], SUBMITTER))
    const before = c.serialize()
    for (let i = 0; i < 3; i++)
      trapped(send(c, 'update', 'anchor', [bytes32(), 1n, bytes32()], STRANGER), /not a registered submitter/)
    const after = c.serialize()
    assert.deepEqual(after.header, before.header)
    assert.ok(Buffer.from(after.heap).equals(Buffer.from(before.heap)))
    assert.deepEqual(ok(send(c, 'query', 'anchor_count', [])), [1n])
  })

  it('a query changes nothing, and the committed state restores after a restart', () => {
    const root = bytes32()
    ok(send(c, 'update', 'anchor', [bytes32(), 4n, root], SUBMITTER))
    const before = c.serialize()
    send(c, 'query', 'anchor_of', [root])
    assert.ok(Buffer.from(c.serialize().heap).equals(Buffer.from(before.heap)))
    const copy = restoreCanister(c.id, before, anchorCanisterWasm())
    const [[a]] = ok(send(copy, 'query', 'anchor_of', [root])) as [[{ tree_size: bigint }]]
    assert.equal(a.tree_size, 4n)
    ok(send(copy, 'update', 'anchor', [bytes32(), 1n, bytes32()], SUBMITTER))
  })

  it('a failed upgrade (trapping post_upgrade) leaves the canister as it was', () => {
    const root = bytes32()
    ok(send(c, 'update', 'anchor', [bytes32(), 4n, root], SUBMITTER))
    const r = c.install('upgrade', anchorCanisterWasm(), new Uint8Array([1, 2, 3]), {
      caller: OWNER,
      time: clock++,
    })
    assert.equal(r.kind, 'reject')
    const [[a]] = ok(send(c, 'query', 'anchor_of', [root])) as [[{ tree_size: bigint }]]
    assert.equal(a.tree_size, 4n)
  })

  it('unknown methods are rejected with destination-invalid', () => {
    const r = c.update('nope', new Uint8Array(), { caller: OWNER, time: clock++ })
    assert.equal(r.kind === 'reject' && r.code, 3)
  })
})
