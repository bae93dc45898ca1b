/**
 * Out-of-order delivery for the seeded membership simulator (`membership-simulator.test.ts`): fresh
 * `ContextManager`s on temporary LevelDB stores receive every op ever signed — refused ones included —
 * through `applyRemoteMembershipOp`, one children-first (reverse of the signing order) and one in a
 * random order, so ops wait in the manager's pending pool until their parents (and the context's
 * genesis) arrive, and refused ops are dropped from the pool when they turn out invalid. Each manager
 * must store exactly the ops the rule admits, hold nothing at the end, and show the expected state.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../core/config.ts'
import { isMeroError } from '../core/errors.ts'
import { openStore } from '../store/store.ts'
import { ContextManager, type WalletProofCheck } from './context-manager.ts'
import { decodeMembershipOp } from './membership-op.ts'

const LIMITS = loadConfig({ dataDir: '.' }).limits
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/** What a manager must show at the end (as the naive rule computes it). */
export interface ExpectedManagerState {
  /** Every op ever signed (wire bytes), in signing order — a topological order. */
  universe: readonly Uint8Array[]
  /** op id (hex) → whether the rule admits it. */
  admitted: ReadonlyMap<string, boolean>
  members: [string, number][]
  bindings: [string, { account: string; opId: string }][]
  application: string
  revision: number
  membershipHeads: string[]
  membersRoot: string
}

/** How often the pending path was taken. */
export interface DeliveryCounts {
  /** Ops a manager answered `pending` (held). */
  held: number
  /** Refused ops that were held first and dropped when their parents arrived. */
  refusedWhileHeld: number
  /** Refused ops the manager refused on arrival (their past known, or a bad wallet proof). */
  refusedOnArrival: number
}

/**
 * Delivers `expected.universe` children-first to one manager and in the order `shuffle` gives to
 * another, and asserts admission, an empty pending pool and the final state of each.
 *
 * @example
 * const counts = await deliverToManagers(contextId, expected, walletCheck, (xs) => shuffled(xs))
 */
export async function deliverToManagers(
  contextId: Uint8Array,
  expected: ExpectedManagerState,
  walletProofCheck: WalletProofCheck,
  shuffle: <T>(xs: readonly T[]) => T[],
): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { held: 0, refusedWhileHeld: 0, refusedOnArrival: 0 }
  const orders = { 'children-first': [...expected.universe].reverse(), random: shuffle(expected.universe) }
  const dir = await mkdtemp(join(tmpdir(), 'mero-msim-'))
  try {
    for (const [mode, order] of Object.entries(orders)) {
      const store = await openStore(join(dir, mode))
      const cm = await ContextManager.open({ store, limits: LIMITS, walletProofCheck })
      try {
        const held = new Set<string>()
        for (const bytes of order) {
          const id = hex(decodeMembershipOp(bytes).id)
          try {
            const result = await cm.applyRemoteMembershipOp(bytes)
            assert.notEqual(result, 'duplicate', `${mode}: op ${id} delivered once`)
            if (result === 'pending') held.add(id)
          } catch (e) {
            if (!isMeroError(e)) throw e
            assert.equal(
              expected.admitted.get(id),
              false,
              `${mode}: refused ${id}, which the rule admits: ${e}`,
            )
            counts.refusedOnArrival++
          }
        }
        if (mode === 'children-first') assert.ok(held.size > 0, 'children-first delivery holds ops')
        counts.held += held.size
        assert.equal(cm.pendingCount().membershipOps, 0, `${mode}: nothing stays pending`)
        for (const bytes of expected.universe) {
          const id = decodeMembershipOp(bytes).id
          const want = expected.admitted.get(hex(id))
          const stored = (await cm.getMembershipOp(contextId, id)) !== undefined
          assert.equal(stored, want, `${mode}: op ${hex(id)} stored iff the rule admits it`)
          if (!want && held.has(hex(id))) counts.refusedWhileHeld++
        }
        const snap = await cm.attestationSnapshot(contextId)
        const view = await cm.getContext(contextId)
        assert.deepEqual(
          {
            members: snap.members.map((m) => [hex(m.key), m.capabilityBits]),
            bindings: view.bindings.map((b) => [hex(b.identity), { account: b.account, opId: hex(b.opId) }]),
            application: view.application,
            revision: snap.revision,
            membershipHeads: snap.membershipHeads.map(hex),
            membersRoot: hex(snap.membersRoot),
          },
          {
            members: expected.members,
            bindings: expected.bindings,
            application: expected.application,
            revision: expected.revision,
            membershipHeads: expected.membershipHeads,
            membersRoot: expected.membersRoot,
          },
          `${mode}: the manager's state differs from the naive rule`,
        )
      } finally {
        await cm.close()
        await store.close()
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return counts
}
