/**
 * Benchmark 11 — membership ops admitted per second: what a node pays per op it admits (wire decode,
 * Ed25519 verify, authority check in the op's causal past, insertion into the DAG and the state at
 * the heads), on pre-signed ops, for a linear history and for concurrent branches by several admins
 * (ops that do not extend every head, DESIGN §4, docs/membership.md). Ceiling: `node:crypto`
 * Ed25519 verify of the same op ids with cached KeyObjects, the one primitive admission cannot skip.
 */
import crypto, { type KeyObject } from 'node:crypto'
import { MembershipLog } from '../src/context/membership.ts'
import {
  decodeMembershipOp,
  type MembershipKind,
  type MembershipOp,
  signMembershipOp,
  verifyMembershipOpSignature,
} from '../src/context/membership-op.ts'
import { type Ed25519KeyPair, generateKeyPair } from '../src/core/ed25519.ts'
import { type BenchResult, fmt, since } from './table.ts'

const LINEAR_OPS = 4_000
const ADMINS = 4
const BRANCH_OPS = 8
const ROUNDS = 40
const CEILING_N = 6_000
const BENCH = '11 membership'

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))

/** A context with `admins` admins (the author first), as a log and its ops. */
function context(admins: number): { log: MembershipLog; keys: Ed25519KeyPair[]; ops: MembershipOp[] } {
  const ctx = generateKeyPair()
  const keys = Array.from({ length: admins }, () => generateKeyPair())
  const log = new MembershipLog(ctx.publicKey)
  const ops: MembershipOp[] = []
  const push = (signer: Ed25519KeyPair, kind: MembershipKind, nonce = log.nextNonce(signer.publicKey)) => {
    const parents = log.heads().map(unhex)
    const op = signMembershipOp(
      { contextId: ctx.publicKey, signerId: signer.publicKey, nonce, parents, kind },
      signer.secretKey,
    )
    log.check(op)
    log.add(op)
    ops.push(op)
  }
  push(ctx, { type: 'Create', author: keys[0]!.publicKey, application: 'kv' }, 0)
  if (admins > 1) {
    const others = keys
      .slice(1)
      .map((k) => k.publicKey)
      .sort(Buffer.compare)
    push(keys[0]!, { type: 'AddMembers', members: others })
    for (const k of others) push(keys[0]!, { type: 'Grant', member: k, capability: 'ManageMembers' })
  }
  return { log, keys, ops }
}

/** The i-th op of an admin's work: add a fresh member, give it Attest, remove it again (the set stays small). */
function work(i: number, fresh: Uint8Array[]): MembershipKind {
  const m = fresh[Math.floor(i / 3)]!
  if (i % 3 === 0) return { type: 'AddMembers', members: [m] }
  if (i % 3 === 1) return { type: 'Grant', member: m, capability: 'Attest' }
  return { type: 'RemoveMembers', members: [m] }
}

/** Ops forming one chain after the setup. */
function linearHistory(): { setup: MembershipOp[]; ops: MembershipOp[] } {
  const { log, keys, ops: setup } = context(1)
  const admin = keys[0]!
  const fresh = Array.from({ length: Math.ceil(LINEAR_OPS / 3) }, () => generateKeyPair().publicKey)
  const ops: MembershipOp[] = []
  for (let i = 0; i < LINEAR_OPS; i++) {
    const op = signMembershipOp(
      {
        contextId: log.contextId,
        signerId: admin.publicKey,
        nonce: i + 1,
        parents: [i === 0 ? setup.at(-1)!.id : ops[i - 1]!.id],
        kind: work(i, fresh),
      },
      admin.secretKey,
    )
    ops.push(op)
  }
  return { setup, ops }
}

/**
 * Rounds in which every admin extends its own branch from the last merge by `BRANCH_OPS` ops; the
 * next round's first ops merge all branch tips. Delivered branch after branch, every op of the 2nd…
 * branch of a round arrives out of order (it does not extend all heads).
 */
function branchedHistory(): { setup: MembershipOp[]; ops: MembershipOp[] } {
  const { log, keys, ops: setup } = context(ADMINS)
  const fresh = Array.from(
    { length: Math.ceil((ROUNDS * BRANCH_OPS) / 3) + 1 },
    () => generateKeyPair().publicKey,
  )
  const ops: MembershipOp[] = []
  const nonce = new Map(keys.map((k) => [hex(k.publicKey), log.nextNonce(k.publicKey)]))
  for (let round = 0; round < ROUNDS; round++) {
    const base = log.heads().map(unhex)
    for (const admin of keys) {
      let parents: Uint8Array[] = base
      for (let j = 0; j < BRANCH_OPS; j++) {
        const n = nonce.get(hex(admin.publicKey))!
        nonce.set(hex(admin.publicKey), n + 1)
        const kind = work(round * BRANCH_OPS + j, fresh) // every admin works on the same keys: concurrent adds and removes
        const op = signMembershipOp(
          { contextId: log.contextId, signerId: admin.publicKey, nonce: n, parents, kind },
          admin.secretKey,
        )
        log.check(op)
        log.add(op)
        ops.push(op)
        parents = [op.id]
      }
    }
  }
  return { setup, ops }
}

/** Admits `ops` into a log holding `setup`: decode, verify, check, add — what a node does per op. */
function admit(
  setup: readonly MembershipOp[],
  ops: readonly MembershipOp[],
  verifyAndDecode: boolean,
): number {
  const log = new MembershipLog(setup[0]!.contextId)
  for (const op of setup) log.add(op)
  const wire = ops.map((o) => o.bytes)
  const t0 = performance.now()
  for (let i = 0; i < ops.length; i++) {
    const op = verifyAndDecode ? decodeMembershipOp(wire[i]!) : ops[i]!
    if (verifyAndDecode && !verifyMembershipOpSignature(op)) throw new Error('bench: an op did not verify')
    log.check(op)
    log.add(op)
  }
  const rate = ops.length / (since(t0) / 1000)
  if (log.size !== setup.length + ops.length) throw new Error(`bench: log holds ${log.size} ops`)
  return rate
}

/** Ed25519 verify/s of the ops' signatures with cached KeyObjects (sync loop, one core). */
function verifyCeiling(ops: readonly MembershipOp[]): number {
  const keys = new Map<string, KeyObject>()
  const inputs = ops.slice(0, CEILING_N).map((op) => {
    const x = Buffer.from(op.signerId).toString('base64url')
    let key = keys.get(x)
    if (!key) {
      key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
      keys.set(x, key)
    }
    return { id: op.id, key, sig: op.signature }
  })
  const t0 = performance.now()
  for (const it of inputs)
    if (!crypto.verify(null, it.id, it.key, it.sig)) throw new Error('ceiling: bad signature')
  return inputs.length / (since(t0) / 1000)
}

/** Runs benchmark 11. */
export async function membershipBench(): Promise<BenchResult> {
  const linear = linearHistory()
  const branched = branchedHistory()
  const all = [...linear.ops, ...branched.ops]
  verifyCeiling(all.slice(0, 500)) // warm-up
  admit(linear.setup, linear.ops.slice(0, 300), true)
  const before = verifyCeiling(all)
  const linearRate = admit(linear.setup, linear.ops, true)
  const linearLogOnly = admit(linear.setup, linear.ops, false)
  const branchedRate = admit(branched.setup, branched.ops, true)
  const branchedLogOnly = admit(branched.setup, branched.ops, false)
  const after = verifyCeiling(all)
  const ceiling = (before + after) / 2
  const ceilingOf = { name: 'node:crypto Ed25519 verify, 1 core', value: ceiling, unit: 'verify/s' }
  const branchedName = `${ADMINS} admins, ${BRANCH_OPS}-op branches × ${ROUNDS} rounds`
  return {
    figures: [
      {
        bench: BENCH,
        name: `linear history (${LINEAR_OPS} ops): decode + verify + check + add`,
        value: linearRate,
        unit: 'ops/s',
        ceiling: ceilingOf,
        ratio: linearRate / ceiling,
      },
      {
        bench: BENCH,
        name: `concurrent branches (${branchedName}): decode + verify + check + add`,
        value: branchedRate,
        unit: 'ops/s',
        ceiling: ceilingOf,
        ratio: branchedRate / ceiling,
      },
    ],
    notes: [
      `check + add alone (no decode, no verify): linear ${fmt(linearLogOnly)} ops/s, concurrent ${fmt(branchedLogOnly)} ops/s`,
      'an op that extends every head is applied on top; any other is checked against the state at its parents (a walk of its causal past) and inserted into the order, re-applying the ops from the last 64-op checkpoint before it',
      `ceiling = mean of runs before and after (${fmt(before)} → ${fmt(after)} verify/s), same op signatures`,
    ],
    details: {
      linearOps: LINEAR_OPS,
      branchedOps: branched.ops.length,
      admins: ADMINS,
      branchOps: BRANCH_OPS,
      rounds: ROUNDS,
      linearOpsPerSecond: linearRate,
      linearLogOnlyOpsPerSecond: linearLogOnly,
      branchedOpsPerSecond: branchedRate,
      branchedLogOnlyOpsPerSecond: branchedLogOnly,
      ceilingVerifyPerSecond: ceiling,
      ceilingsBefore: before,
      ceilingsAfter: after,
    },
  }
}
