/**
 * Seeded convergence simulation (DESIGN §5): several authors on separate nodes write to one context
 * (kv sets and removes, OR-set adds and removes, counters), gossip partially with each other (so the
 * DAG has concurrent branches and merges), and an admin changes membership midway. Then fresh
 * replicas — separate ContextManagers on separate temp databases — receive the union of all deltas
 * and membership ops in random orders (children before parents, deltas before the context exists,
 * duplicates) plus a forged delta. Every replica must end with the same heads, state root, entries
 * and membership as the authors. The seed is printed; set MERO_SEED to replay or add one.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { type ContextLimits, ContextManager } from '../src/context/context-manager.ts'
import { loadConfig } from '../src/core/config.ts'
import { generateKeyPair } from '../src/core/ed25519.ts'
import type { CrdtOpIntent } from '../src/crdt/crdt-op.ts'
import { decodeDelta, signDelta } from '../src/dag/delta.ts'
import { openStore, type Store } from '../src/store/store.ts'

/** The node's default limits (the one defaults object in the config schema). */
const LIMITS: ContextLimits = loadConfig({ dataDir: '.' }).limits
const SEEDS = process.env.MERO_SEED ? [Number(process.env.MERO_SEED)] : [1, 2, 3, 20251123]
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

/** mulberry32: small, fast, good enough to drive a schedule. */
function prng(seed: number) {
  let s = seed >>> 0
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  const shuffle = <T>(xs: readonly T[]): T[] => {
    const out = [...xs]
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(i + 1)
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }
  return { next, int, pick, shuffle }
}

interface SimNode {
  store: Store
  cm: ContextManager
  identity?: Uint8Array
}

/** Everything a context consists of, as wire bytes keyed by id. */
interface Items {
  ops: Map<string, Uint8Array>
  deltas: Map<string, Uint8Array>
}

async function itemsOf(n: SimNode, contextId: Uint8Array): Promise<Items> {
  const ex = await n.cm.exportContext(contextId)
  const ops = new Map<string, Uint8Array>()
  const deltas = new Map<string, Uint8Array>()
  for (const b of ex.membershipOps) ops.set(hex(b), b)
  for (const b of ex.deltas) deltas.set(hex(decodeDelta(b, LIMITS).id), b)
  return { ops, deltas }
}

async function deliver(n: SimNode, op: Uint8Array | undefined, delta: Uint8Array | undefined): Promise<void> {
  const r = op ? await n.cm.applyRemoteMembershipOp(op) : await n.cm.applyRemoteDelta(delta!)
  assert.ok(['applied', 'pending', 'duplicate'].includes(r))
}

async function fingerprint(n: SimNode, contextId: Uint8Array) {
  const v = await n.cm.getContext(contextId)
  const snap = await n.cm.attestationSnapshot(contextId)
  return {
    heads: v.heads.map(hex),
    stateRoot: hex(v.stateRoot),
    entries: (await n.cm.stateEntries(contextId)).map(
      (e) => `${Buffer.from(e.key).toString()}=${hex(e.value)}`,
    ),
    membersRoot: hex(snap.membersRoot),
    membershipHeads: v.membershipHeads.map(hex),
    revision: v.revision,
    deltaCount: v.deltaCount,
  }
}

for (const seed of SEEDS) {
  test(`replicas converge under random delivery (seed ${seed})`, async (t) => {
    t.diagnostic(`seed ${seed} (replay with MERO_SEED=${seed})`)
    console.log(`convergence seed ${seed}`)
    const rnd = prng(seed)
    const dir = await mkdtemp(join(tmpdir(), 'mero-conv-'))
    const all: SimNode[] = []
    t.after(async () => {
      for (const n of all) {
        await n.cm.close()
        await n.store.close()
      }
      await rm(dir, { recursive: true, force: true })
    })
    let clock = 1_763_900_000_000
    const open = async (name: string, skew: number): Promise<SimNode> => {
      const store = await openStore(join(dir, name))
      const n: SimNode = {
        store,
        cm: await ContextManager.open({ store, limits: LIMITS, now: () => clock + skew }),
      }
      all.push(n)
      return n
    }

    // Four authors on four nodes; node 0 holds the admin.
    const authors: SimNode[] = []
    for (let i = 0; i < 4; i++) authors.push(await open(`author${i}`, rnd.int(2000) - 1000))
    const admin = authors[0]!
    const { contextId, memberPublicKey } = await admin.cm.createContext()
    admin.identity = memberPublicKey
    for (const a of authors.slice(1)) a.identity = await a.cm.createIdentity()
    await admin.cm.addMembers(
      contextId,
      memberPublicKey,
      authors.slice(1).map((a) => a.identity!),
    )
    const genesisItems = await itemsOf(admin, contextId)
    for (const a of authors.slice(1))
      for (const op of genesisItems.ops.values()) await deliver(a, op, undefined)

    const keys = ['a', 'b', 'c', 'd']
    const removed = new Set<SimNode>()
    let writes = 0
    for (let step = 0; step < 160; step++) {
      clock += rnd.int(3) // often the same millisecond: HLC counters and tie-breaks matter
      const a = rnd.pick(authors)
      const roll = rnd.next()
      if (roll < 0.62) {
        if (removed.has(a)) continue
        const k = rnd.pick(keys)
        const choice = rnd.int(5)
        try {
          if (choice === 0) await a.cm.execute(contextId, a.identity!, 'set', { key: k, value: `${step}` })
          else if (choice === 1) await a.cm.execute(contextId, a.identity!, 'remove', { key: k })
          else {
            const op: CrdtOpIntent =
              choice === 2
                ? { t: 'set.add', k, e: rnd.int(4) }
                : choice === 3
                  ? { t: 'set.rm', k, e: rnd.int(4) }
                  : { t: 'ctr.add', k, n: rnd.int(11) - 5 }
            await a.cm.commit(contextId, a.identity!, [op])
          }
          writes++
        } catch (e) {
          // An author that learnt of its own removal may no longer write.
          assert.equal((e as Error).name, 'NotAMember')
        }
      } else if (roll < 0.97) {
        // Partial gossip: some of what one node has, in a random order, to another.
        const from = rnd.pick(authors)
        const to = rnd.pick(authors)
        if (from === to) continue
        const items = await itemsOf(from, contextId)
        const batch: [Uint8Array | undefined, Uint8Array | undefined][] = [
          ...[...items.ops.values()].map((b) => [b, undefined] as [Uint8Array, undefined]),
          ...[...items.deltas.values()].map((b) => [undefined, b] as [undefined, Uint8Array]),
        ]
        for (const [op, d] of rnd.shuffle(batch)) if (rnd.next() < 0.6) await deliver(to, op, d)
      } else if (removed.size === 0 && step > 40) {
        // The admin removes one author midway; that author may keep writing until it hears of it.
        const victim = authors[3]!
        await admin.cm.removeMembers(contextId, memberPublicKey, [victim.identity!])
        removed.add(victim)
      }
    }
    assert.ok(writes > 40, `only ${writes} writes happened`)

    // The union of everything the authors made, plus a forged delta from an outsider.
    const union: Items = { ops: new Map(), deltas: new Map() }
    for (const a of authors) {
      const it = await itemsOf(a, contextId)
      for (const [k, v] of it.ops) union.ops.set(k, v)
      for (const [k, v] of it.deltas) union.deltas.set(k, v)
    }
    const view = await admin.cm.getContext(contextId)
    const forged = signDelta(
      {
        contextId,
        parents: view.heads,
        author: generateKeyPair().publicKey,
        hlc: { wallMs: clock + 10_000, counter: 0 },
        membershipHeads: view.membershipHeads,
        ops: [{ t: 'lww.set', k: 'a', v: 'forged' }],
      },
      generateKeyPair().secretKey,
    )

    // Authors sync fully; fresh replicas get everything in random orders.
    const replicas: SimNode[] = []
    for (let i = 0; i < 3; i++) replicas.push(await open(`replica${i}`, 0))
    const everything: [Uint8Array | undefined, Uint8Array | undefined][] = [
      ...[...union.ops.values()].map((b) => [b, undefined] as [Uint8Array, undefined]),
      ...[...union.deltas.values()].map((b) => [undefined, b] as [undefined, Uint8Array]),
    ]
    for (const n of [...authors, ...replicas]) {
      const order = rnd.shuffle(everything)
      if (n === replicas[0]) order.reverse() // one replica sees every child before its parents
      for (const [op, d] of order) {
        await deliver(n, op, d)
        if (rnd.next() < 0.1) await deliver(n, op, d) // duplicates
      }
      await assert.rejects(n.cm.applyRemoteDelta(forged.bytes), (e: Error) =>
        ['InvalidSignature', 'NotAMember'].includes(e.name),
      )
      assert.deepEqual(n.cm.pendingCount(), { deltas: 0, membershipOps: 0 })
    }

    const expected = await fingerprint(replicas[0]!, contextId)
    assert.equal(expected.deltaCount, union.deltas.size)
    assert.ok(expected.heads.length >= 1)
    for (const n of [...replicas, ...authors]) assert.deepEqual(await fingerprint(n, contextId), expected)
    t.diagnostic(
      `${union.deltas.size} deltas, ${union.ops.size} membership ops, ${expected.heads.length} heads, ${expected.entries.length} entries`,
    )
  })
}
