/**
 * `ContextManager`: the service the node and the API use for contexts — node-held identities,
 * context creation, membership, app execution (one signed delta per mutating call), replication
 * (`applyRemoteDelta` / `applyRemoteMembershipOp`, validated before merge, pending until their
 * parents arrive), attestation snapshots and events. State is materialised in memory per context and
 * persisted incrementally: a delta, the state records it changed and the new heads go into one
 * atomic batch (group-committed with concurrent writes), and a call returns only once that batch is
 * durable. After a failed write the manager refuses further calls (reopen it to recover from disk).
 */
import type { App } from '../apps/app.ts'
import { KV_APP_ID, kvApp } from '../apps/kv-app.ts'
import { toHex } from '../core/bytes.ts'
import { generateKeyPair, verifyAsync } from '../core/ed25519.ts'
import {
  Internal,
  InvalidInput,
  InvalidOp,
  InvalidSignature,
  MissingCapability,
  NotAMember,
  UnknownApplication,
  UnknownContext,
  UnknownIdentity,
} from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import { type CrdtOpIntent, parseCrdtOp } from '../crdt/crdt-op.ts'
import type { StateEntry } from '../crdt/crdt-state.ts'
import { HlcClock } from '../crdt/hlc.ts'
import { decodeDelta, signDelta } from '../dag/delta.ts'
import type { Store } from '../store/store.ts'
import { CAPABILITY_BITS, type Capability, parseCapability } from './capabilities.ts'
import {
  ContextEvents,
  type MembershipChangeEvent,
  type StateMutationEvent,
  stateMutationEvent,
} from './context-events.ts'
import { ContextReplica, contextWait } from './context-replica.ts'
import {
  type BatchOp,
  type ContextSections,
  contextRange,
  contextSections,
  seqEntryKey,
} from './context-store.ts'
import {
  type AttestationSnapshot,
  attestationSnapshotOf,
  type ContextView,
  contextViewOf,
} from './context-view.ts'
import {
  decodeMembershipOp,
  MAX_APPLICATION_BYTES,
  type MembershipKind,
  signMembershipOp,
  verifyMembershipOpSignature,
} from './membership-op.ts'
import { type MergeWork, newMergeWork, ReplicaMerger } from './replica-merger.ts'
import { parseAccount, parseWalletProof, type WalletProof, type WalletProofCheck } from './wallet-binding.ts'
import { WriteQueue } from './write-queue.ts'

export type { MembershipChangeEvent, StateChange, StateMutationEvent } from './context-events.ts'
export type { AttestationSnapshot, ContextView } from './context-view.ts'
export type { WalletBindingClaim, WalletProof, WalletProofCheck } from './wallet-binding.ts'

/** The limits the context layer enforces (a subset of `Config['limits']`). */
export interface ContextLimits {
  deltaBytes: number
  opsPerDelta: number
  pendingDeltas: number
  keyBytes: number
  valueBytes: number
}

/** Options of {@link ContextManager.open}. */
export interface ContextManagerOptions {
  store: Store
  limits: ContextLimits
  logger?: Logger
  /** Applications to run besides the built-in `kv`. */
  apps?: readonly App[]
  /** Wall clock for HLCs (tests). */
  now?: () => number
  /**
   * fsync every write batch. Default false: an acknowledged write survives a process crash (kill -9)
   * but may be lost on power failure; true also survives power loss, at the cost of an fsync per batch
   * (amortised over concurrent writes by group commit).
   */
  sync?: boolean
  /**
   * Checks the wallet signature of every `BindWallet` op before it is admitted (local or remote).
   * Without it this node refuses BindWallet ops (`InvalidOp`), and ops built on one stay pending.
   */
  walletProofCheck?: WalletProofCheck
}

/** Outcome of a replicated delta or op. */
export type RemoteApplyResult = 'applied' | 'pending' | 'duplicate'

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))
/** A plain Uint8Array view (LevelDB hands out Buffers). */
const plain = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

function key32(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== 32)
    throw new InvalidInput(`${what} must be a 32-byte public key`)
  return v
}

function checkApplication(application: unknown): string {
  if (
    typeof application !== 'string' ||
    application.length === 0 ||
    Buffer.byteLength(application) > MAX_APPLICATION_BYTES
  )
    throw new InvalidInput('application must be a non-empty string of at most 256 bytes')
  return application
}

/**
 * The context service.
 *
 * @example
 * const contexts = await ContextManager.open({ store, limits: config.limits })
 * const { contextId, memberPublicKey } = await contexts.createContext({})
 * await contexts.execute(contextId, memberPublicKey, 'set', { key: 'a', value: 'b' })
 */
export class ContextManager {
  readonly #s: ContextSections
  readonly #limits: ContextLimits
  readonly #log: Logger
  readonly #apps = new Map<string, App>()
  readonly #clock: HlcClock
  readonly #queue: WriteQueue
  readonly #events: ContextEvents
  readonly #merger: ReplicaMerger
  readonly #identities = new Map<string, Uint8Array>()
  readonly #contextIds = new Set<string>()
  readonly #replicas = new Map<string, ContextReplica>()
  readonly #loading = new Map<string, Promise<ContextReplica>>()
  readonly #walletProofCheck: WalletProofCheck | undefined
  #failed: unknown
  #closed = false

  private constructor(opts: ContextManagerOptions) {
    this.#s = contextSections(opts.store)
    this.#limits = { ...opts.limits }
    this.#walletProofCheck = opts.walletProofCheck
    this.#log = opts.logger ?? silentLogger()
    this.#clock = new HlcClock(new Uint8Array(32), opts.now)
    this.#events = new ContextEvents(this.#log)
    for (const app of [kvApp(), ...(opts.apps ?? [])]) this.#apps.set(app.id, app)
    this.#merger = new ReplicaMerger({
      sections: this.#s,
      pendingLimit: opts.limits.pendingDeltas,
      logger: this.#log,
      replicaOf: (ctxHex) => this.#replicas.get(ctxHex),
      observe: (hlc) => this.#clock.observe(hlc),
      wantsStateEvents: () => this.#events.hasStateListeners,
      wantsMembershipEvents: () => this.#events.hasMembershipListeners,
    })
    const onFailure = (e: unknown) => {
      this.#failed = e
      this.#replicas.clear()
      this.#log.error({ err: e }, 'context write failed; the context manager stops accepting calls')
    }
    this.#queue = new WriteQueue(opts.store, onFailure, { sync: opts.sync === true })
  }

  /** Opens the context layer on `store` (which the caller keeps owning and closes). */
  static async open(opts: ContextManagerOptions): Promise<ContextManager> {
    const m = new ContextManager(opts)
    for await (const [k, v] of m.#s.key.iterator()) m.#identities.set(k, plain(v))
    for await (const k of m.#s.ctx.keys()) m.#contextIds.add(k)
    return m
  }

  /** Waits for queued writes, then refuses further calls. Does not close the store. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#queue.drain()
  }

  // ── identities ──────────────────────────────────────────────────────────────────────────────

  /** Creates a node-held Ed25519 identity (its secret stays in the database) and returns its public key. */
  async createIdentity(): Promise<Uint8Array> {
    this.#assertOpen()
    const kp = generateKeyPair()
    const work = newMergeWork()
    work.ops.push(this.#identityOp(kp.publicKey, kp.secretKey))
    await this.#commit(work)
    return kp.publicKey
  }

  /** Public keys of the node-held identities. */
  async listIdentities(): Promise<Uint8Array[]> {
    return [...this.#identities.keys()].sort().map(unhex)
  }

  #identityOp(publicKey: Uint8Array, secretKey: Uint8Array): BatchOp {
    this.#identities.set(hex(publicKey), secretKey)
    return { type: 'put', sublevel: this.#s.key, key: hex(publicKey), value: secretKey }
  }

  #secretOf(publicKey: Uint8Array, what: string): Uint8Array {
    const secret = this.#identities.get(hex(key32(publicKey, what)))
    if (!secret)
      throw new UnknownIdentity(`the node holds no identity ${toHex(publicKey)}`, {
        details: { [what]: toHex(publicKey) },
      })
    return secret
  }

  // ── contexts ────────────────────────────────────────────────────────────────────────────────

  /**
   * Creates a context: a one-time context key signs the genesis op (then is discarded) naming a fresh
   * node-held identity as author, who gets every capability. The application defaults to `kv`.
   */
  async createContext(
    options: { application?: string } = {},
  ): Promise<{ contextId: Uint8Array; memberPublicKey: Uint8Array }> {
    this.#assertOpen()
    const application = checkApplication(options.application ?? KV_APP_ID)
    const author = generateKeyPair()
    const contextKey = generateKeyPair() // one-time: it signs the genesis op and goes out of scope
    const genesis = signMembershipOp(
      {
        contextId: contextKey.publicKey,
        signerId: contextKey.publicKey,
        nonce: 0,
        parents: [],
        kind: { type: 'Create', author: author.publicKey, application },
      },
      contextKey.secretKey,
    )
    const work = newMergeWork()
    work.ops.push(this.#identityOp(author.publicKey, author.secretKey))
    const replica = ContextReplica.empty(genesis.contextId)
    replica.checkOp(genesis)
    this.#replicas.set(replica.idHex, replica)
    this.#contextIds.add(replica.idHex)
    this.#merger.applyOp(replica, genesis, work)
    this.#merger.drain(work)
    await this.#commit(work)
    return { contextId: genesis.contextId, memberPublicKey: author.publicKey }
  }

  /** Ids of every context this node stores, sorted. */
  async listContextIds(): Promise<Uint8Array[]> {
    this.#assertOpen()
    return [...this.#contextIds].sort().map(unhex)
  }

  /** Every context this node stores. */
  async listContexts(): Promise<ContextView[]> {
    const ids = await this.listContextIds()
    return Promise.all(ids.map((id) => this.getContext(id)))
  }

  /** One context; throws `UnknownContext`. */
  async getContext(contextId: Uint8Array): Promise<ContextView> {
    return contextViewOf(await this.#mustReplica(contextId))
  }

  /** Whether `member` currently holds `capability` in the context (false for unknown contexts). */
  async hasCapability(contextId: Uint8Array, member: Uint8Array, capability: Capability): Promise<boolean> {
    const r = await this.#replica(contextId)
    if (!r) return false
    const bits = r.membership.current.members.get(hex(member))
    return bits !== undefined && (bits & CAPABILITY_BITS[parseCapability(capability)]) !== 0
  }

  /** The context's heads, roots and membership, returned once every write it reflects is durable. */
  async attestationSnapshot(contextId: Uint8Array): Promise<AttestationSnapshot> {
    const snapshot = attestationSnapshotOf(await this.#mustReplica(contextId))
    await this.#queue.enqueue([]) // resolves once everything queued before it is durable
    return snapshot
  }

  /** The materialised state entries (what the state root commits to), in key byte order. */
  async stateEntries(contextId: Uint8Array): Promise<StateEntry[]> {
    return (await this.#mustReplica(contextId)).crdt.entries()
  }

  // ── membership ──────────────────────────────────────────────────────────────────────────────

  /** Adds members (signer needs ManageMembers). */
  async addMembers(contextId: Uint8Array, signer: Uint8Array, members: Uint8Array[]): Promise<void> {
    await this.#localOp(contextId, signer, { type: 'AddMembers', members: memberList(members) })
  }

  /** Removes members (signer needs ManageMembers); each must be a member. */
  async removeMembers(contextId: Uint8Array, signer: Uint8Array, members: Uint8Array[]): Promise<void> {
    await this.#localOp(contextId, signer, { type: 'RemoveMembers', members: memberList(members) })
  }

  /** Grants a capability to a member (signer needs ManageMembers). */
  async grant(
    contextId: Uint8Array,
    signer: Uint8Array,
    member: Uint8Array,
    capability: Capability,
  ): Promise<void> {
    await this.#localOp(contextId, signer, {
      type: 'Grant',
      member: key32(member, 'member'),
      capability: parseCapability(capability),
    })
  }

  /** Revokes a capability from a member (signer needs ManageMembers). */
  async revoke(
    contextId: Uint8Array,
    signer: Uint8Array,
    member: Uint8Array,
    capability: Capability,
  ): Promise<void> {
    await this.#localOp(contextId, signer, {
      type: 'Revoke',
      member: key32(member, 'member'),
      capability: parseCapability(capability),
    })
  }

  /** Switches the context's application (signer needs ManageApplication). */
  async updateApplication(contextId: Uint8Array, signer: Uint8Array, application: string): Promise<void> {
    await this.#localOp(contextId, signer, {
      type: 'UpdateApplication',
      application: checkApplication(application),
    })
  }

  /**
   * Binds the node-held `identity` (a member; it signs the op) to the wallet `account` (CAIP-10) whose
   * signature `walletProof` carries — over a CAIP-122 message naming `bindingResource(contextId,
   * identity)`. The wallet proof is checked by the node's `walletProofCheck` first (`InvalidOp` when
   * the node has none). A later binding of the same identity replaces this one.
   */
  async bindWallet(
    contextId: Uint8Array,
    identity: Uint8Array,
    account: string,
    walletProof: WalletProof,
  ): Promise<void> {
    const fail = (m: string): never => {
      throw new InvalidInput(m)
    }
    const acc = parseAccount(account, fail).account
    const kind: MembershipKind = {
      type: 'BindWallet',
      identity: key32(identity, 'identity'),
      account: acc,
      walletProof: parseWalletProof(walletProof, acc, fail),
    }
    const r = await this.#mustReplica(contextId)
    const secret = this.#secretOf(identity, 'identity')
    this.#assertMember(r, identity)
    await this.#checkWalletProof(contextId, kind)
    await this.#signAndApply(await this.#mustReplica(contextId), identity, secret, kind)
  }

  /** Runs the wallet-proof hook on a BindWallet op (other kinds pass). */
  async #checkWalletProof(contextId: Uint8Array, kind: MembershipKind): Promise<void> {
    if (kind.type !== 'BindWallet') return
    if (!this.#walletProofCheck) throw new InvalidOp('wallet binding is not enabled on this node')
    const { identity, account, walletProof } = kind
    await this.#walletProofCheck({ contextId, identity, account, walletProof })
  }

  async #localOp(contextId: Uint8Array, signer: Uint8Array, kind: MembershipKind): Promise<void> {
    const r = await this.#mustReplica(contextId)
    const secret = this.#secretOf(signer, 'signer')
    const state = r.membership.current
    const need = kind.type === 'UpdateApplication' ? 'ManageApplication' : 'ManageMembers'
    const bits = state.members.get(hex(signer))
    if (bits === undefined || (bits & CAPABILITY_BITS[need]) === 0)
      throw new MissingCapability(`${kind.type} needs ${need}`, {
        details: { capability: need, signer: toHex(signer) },
      })
    const targets =
      kind.type === 'RemoveMembers'
        ? kind.members
        : kind.type === 'Grant' || kind.type === 'Revoke'
          ? [kind.member]
          : []
    for (const t of targets)
      if (!state.members.has(hex(t)))
        throw new NotAMember(`${toHex(t)} is not a member of the context`, { details: { member: toHex(t) } })
    await this.#signAndApply(r, signer, secret, kind)
  }

  /** Signs `kind` by `signer` on top of the current membership heads, checks it and commits it. */
  async #signAndApply(
    r: ContextReplica,
    signer: Uint8Array,
    secret: Uint8Array,
    kind: MembershipKind,
  ): Promise<void> {
    const parents = r.membership.heads().map(unhex)
    const op = signMembershipOp(
      { contextId: r.id, signerId: signer, nonce: r.membership.nextNonce(signer), parents, kind },
      secret,
    )
    r.checkOp(op)
    const work = newMergeWork()
    this.#merger.applyOp(r, op, work)
    this.#merger.drain(work)
    await this.#commit(work)
  }

  // ── execution ───────────────────────────────────────────────────────────────────────────────

  /**
   * Runs `method` of the context's application as `executor` (a node-held identity and a member).
   * `args` is a JSON text or an already parsed value. A mutating call commits exactly one signed delta.
   */
  async execute(
    contextId: Uint8Array,
    executor: Uint8Array,
    method: string,
    args: unknown,
  ): Promise<{ output: unknown; deltaId?: Uint8Array }> {
    const r = await this.#mustReplica(contextId)
    const secret = this.#secretOf(executor, 'executor')
    this.#assertMember(r, executor)
    let parsed = args
    if (typeof args === 'string') {
      try {
        parsed = args.length === 0 ? {} : JSON.parse(args)
      } catch {
        throw new InvalidInput('argsJson is not valid JSON')
      }
    }
    if (typeof method !== 'string' || method.length === 0)
      throw new InvalidInput('method must be a non-empty string')
    const application = r.membership.current.application
    const app = this.#apps.get(application)
    if (!app)
      throw new UnknownApplication(`this node does not run application ${JSON.stringify(application)}`, {
        details: { application },
      })
    const result = app.call(
      { contextId: r.id, executor, state: r.crdt, limits: this.#limits },
      method,
      parsed,
    )
    if (!result.ops || result.ops.length === 0) return { output: result.output }
    const deltaId = await this.#commitOps(r, executor, secret, result.ops)
    return deltaId ? { output: result.output, deltaId } : { output: result.output }
  }

  /**
   * Commits CRDT ops directly as one delta by `executor` (for apps and tools; `set.rm` without tags
   * removes what is observed now). Returns the delta id, or `undefined` when nothing would change.
   */
  async commit(
    contextId: Uint8Array,
    executor: Uint8Array,
    ops: CrdtOpIntent[],
  ): Promise<Uint8Array | undefined> {
    const r = await this.#mustReplica(contextId)
    const secret = this.#secretOf(executor, 'executor')
    this.#assertMember(r, executor)
    if (!Array.isArray(ops)) throw new InvalidInput('ops must be an array')
    return this.#commitOps(r, executor, secret, ops)
  }

  #assertMember(r: ContextReplica, who: Uint8Array): void {
    if (!r.membership.current.members.has(hex(who)))
      throw new NotAMember(`${toHex(who)} is not a member of the context`, {
        details: { member: toHex(who) },
      })
  }

  async #commitOps(
    r: ContextReplica,
    executor: Uint8Array,
    secret: Uint8Array,
    intents: readonly CrdtOpIntent[],
  ): Promise<Uint8Array | undefined> {
    const ops = r.crdt.prepare(intents).map((op) => parseCrdtOp(op, this.#limits))
    if (ops.length === 0) return undefined
    const heads = r.dag.heads()
    const hlc = this.#clock.now(
      heads.map((h) => r.dag.get(h)!),
      executor,
    )
    const body = {
      contextId: r.id,
      parents: heads.map(unhex),
      author: executor,
      hlc: { wallMs: hlc.wallMs, counter: hlc.counter },
      membershipHeads: r.membership.heads().map(unhex),
      ops,
    }
    const delta = signDelta(body, secret, this.#limits)
    r.checkDelta(delta)
    const work = newMergeWork()
    this.#merger.applyDelta(r, delta, work)
    this.#merger.drain(work)
    await this.#commit(work)
    return delta.id
  }

  // ── replication ─────────────────────────────────────────────────────────────────────────────

  /**
   * Validates and merges a delta from a peer: size limits, encoding, signature, membership of its
   * author at its membership heads, parents. Unknown parents (or context, or membership heads) →
   * held as pending and merged when they arrive. Invalid → throws and nothing is stored.
   */
  async applyRemoteDelta(bytes: Uint8Array): Promise<RemoteApplyResult> {
    this.#assertOpen()
    const delta = decodeDelta(bytes, this.#limits)
    const idHex = hex(delta.id)
    if (this.#replicas.get(hex(delta.contextId))?.dag.has(idHex)) return 'duplicate'
    if (this.#merger.hasPendingDelta(idHex)) return 'pending'
    if (!(await verifyAsync(delta.author, delta.id, delta.signature)))
      throw new InvalidSignature('delta signature does not verify')
    const r = await this.#replica(delta.contextId)
    if (!r) return this.#merger.holdDelta(delta, [contextWait(hex(delta.contextId))])
    if (r.dag.has(idHex)) return 'duplicate'
    const waits = r.deltaWaits(delta)
    if (waits.length > 0) return this.#merger.holdDelta(delta, waits)
    r.checkDelta(delta)
    const work = newMergeWork()
    this.#merger.applyDelta(r, delta, work)
    this.#merger.drain(work)
    await this.#commit(work)
    return 'applied'
  }

  /**
   * Validates and merges a membership op from a peer; a genesis op creates the context on this node
   * (whether to sync a context at all is the caller's policy). Unknown parents or context → pending.
   * Invalid → throws and nothing is stored.
   */
  async applyRemoteMembershipOp(bytes: Uint8Array): Promise<RemoteApplyResult> {
    this.#assertOpen()
    const op = decodeMembershipOp(bytes)
    const idHex = hex(op.id)
    const ctxHex = hex(op.contextId)
    if (this.#replicas.get(ctxHex)?.membership.has(idHex)) return 'duplicate'
    if (this.#merger.hasPendingOp(idHex)) return 'pending'
    if (!verifyMembershipOpSignature(op))
      throw new InvalidSignature('membership op signature does not verify')
    if (op.kind.type === 'BindWallet') {
      // The wallet proof is checked before the op is held or merged. When its causal past is here, a
      // binding by a non-member is refused first, without asking the (possibly remote) hook.
      const known = await this.#replica(op.contextId)
      if (known && known.opWaits(op).length === 0) known.checkOp(op)
      await this.#checkWalletProof(op.contextId, op.kind)
    }
    let r = await this.#replica(op.contextId)
    if (r?.membership.has(idHex)) return 'duplicate'
    if (!r) {
      if (op.kind.type !== 'Create') return this.#merger.holdOp(op, [contextWait(ctxHex)])
      r = ContextReplica.empty(op.contextId)
      r.checkOp(op)
      this.#replicas.set(ctxHex, r)
      this.#contextIds.add(ctxHex)
    } else {
      const waits = r.opWaits(op)
      if (waits.length > 0) return this.#merger.holdOp(op, waits)
      r.checkOp(op)
    }
    const work = newMergeWork()
    this.#merger.applyOp(r, op, work)
    this.#merger.drain(work)
    await this.#commit(work)
    return 'applied'
  }

  /** A stored delta's wire bytes (`undefined` when this node does not have it). */
  async getDelta(contextId: Uint8Array, id: Uint8Array): Promise<Uint8Array | undefined> {
    const r = await this.#mustReplica(contextId)
    const meta = r.dag.get(hex(id))
    if (!meta) return undefined
    await this.#queue.enqueue([])
    const bytes = await this.#s.dlt.get(seqEntryKey(r.idHex, meta.seq))
    return bytes && plain(bytes)
  }

  /** A membership op's wire bytes (`undefined` when this node does not have it). */
  async getMembershipOp(contextId: Uint8Array, id: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.#mustReplica(contextId)).membership.get(hex(id))?.bytes
  }

  /** Everything needed to replicate a context: membership ops and deltas, each parents first. */
  async exportContext(contextId: Uint8Array): Promise<{ membershipOps: Uint8Array[]; deltas: Uint8Array[] }> {
    const r = await this.#mustReplica(contextId)
    const membershipOps = r.membership.ops().map((op) => op.bytes)
    await this.#queue.enqueue([])
    const deltas: Uint8Array[] = []
    for await (const v of this.#s.dlt.values(contextRange(r.idHex))) deltas.push(plain(v))
    return { membershipOps, deltas }
  }

  /** Ids that pending items of a context wait for and that this node lacks (what to fetch). */
  missing(contextId: Uint8Array): { deltas: Uint8Array[]; membershipOps: Uint8Array[] } {
    const m = this.#merger.missing(hex(contextId))
    return { deltas: m.deltas.map(unhex), membershipOps: m.membershipOps.map(unhex) }
  }

  /** Number of deltas and ops held pending. */
  pendingCount(): { deltas: number; membershipOps: number } {
    return this.#merger.pendingCount()
  }

  // ── events ──────────────────────────────────────────────────────────────────────────────────

  /** Subscribes to applied deltas (after they are durable); returns the unsubscribe function. */
  onStateMutation(listener: (e: StateMutationEvent) => void): () => void {
    return this.#events.onState(listener)
  }

  /** Subscribes to applied membership ops (after they are durable); returns the unsubscribe function. */
  onMembershipChange(listener: (e: MembershipChangeEvent) => void): () => void {
    return this.#events.onMembership(listener)
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  #assertOpen(): void {
    if (this.#closed) throw new Internal('the context manager is closed')
    if (this.#failed !== undefined)
      throw new Internal('a context write failed; reopen the node', { cause: this.#failed })
  }

  async #replica(contextId: Uint8Array): Promise<ContextReplica | undefined> {
    this.#assertOpen()
    const ctxHex = hex(key32(contextId, 'contextId'))
    const r = this.#replicas.get(ctxHex)
    if (r) return r
    if (!this.#contextIds.has(ctxHex)) return undefined
    let loading = this.#loading.get(ctxHex)
    if (!loading) {
      loading = ContextReplica.load(contextId, this.#s).then(
        (loaded) => {
          this.#loading.delete(ctxHex)
          const current = this.#replicas.get(ctxHex) ?? loaded
          this.#replicas.set(ctxHex, current)
          return current
        },
        (e) => {
          this.#loading.delete(ctxHex)
          throw e
        },
      )
      this.#loading.set(ctxHex, loading)
    }
    return loading
  }

  async #mustReplica(contextId: Uint8Array): Promise<ContextReplica> {
    const r = await this.#replica(contextId)
    if (!r)
      throw new UnknownContext(`no context ${toHex(contextId)} on this node`, {
        details: { contextId: toHex(contextId) },
      })
    return r
  }

  /** Waits until the work's batch is durable, then emits its events. */
  async #commit(work: MergeWork): Promise<void> {
    await this.#queue.enqueue(work.ops)
    for (const e of work.membership) this.#events.emitMembership(e)
    for (const { replica, delta } of work.applied) {
      if (!this.#events.hasStateListeners) break
      this.#events.emitState(stateMutationEvent(replica, delta))
    }
  }
}

function memberList(members: Uint8Array[]): Uint8Array[] {
  if (!Array.isArray(members) || members.length === 0)
    throw new InvalidInput('members must be a non-empty array')
  const byHex = new Set(members.map((m, i) => hex(key32(m, `members[${i}]`))))
  return [...byHex].sort().map(unhex)
}
