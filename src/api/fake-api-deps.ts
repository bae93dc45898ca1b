/**
 * In-memory fakes of {@link ContextsApi} and {@link ProofsApi} for API tests. They keep the contracts of
 * the real services that the API relies on: the same error names for unknown ids, missing membership or
 * capabilities, bad leaves and bad tree ranges, and a StateMutation event for every write.
 */
import { randomBytes } from 'node:crypto'
import { Registry } from 'prom-client'
import { concatBytes, fromBase58, toBase58, toHex } from '../core/bytes.ts'
import { type Config, loadConfig } from '../core/config.ts'
import {
  InvalidInput,
  InvalidLeaf,
  InvalidOp,
  InvalidTreeRange,
  MissingCapability,
  NotAMember,
  UnknownCheckpoint,
  UnknownContext,
  UnknownIdentity,
  UnknownLeaf,
  UnknownMethod,
} from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import { silentLogger } from '../core/logger.ts'
import type { Proof, ProofAnchor, ProofCheckpoint } from '../proof/proof-types.ts'
import type {
  ApiDeps,
  Capability,
  ContextsApi,
  ContextView,
  ProofsApi,
  StateMutationEvent,
  VerificationReport,
} from './api-deps.ts'

const ALL_CAPABILITIES: Capability[] = ['ManageMembers', 'ManageApplication', 'Attest']

interface FakeContext {
  id: Uint8Array
  application: string
  members: Map<string, Set<Capability>>
  /** identity (base58) → CAIP-10 account. */
  bindings: Map<string, string>
  heads: Uint8Array[]
  membershipHeads: Uint8Array[]
  state: Map<string, unknown>
  revision: number
  deltaCount: number
}

/** A fake of the node's context operations (kv application: `set {key,value}`, `get {key}`, `fail`). */
export class FakeContexts implements ContextsApi {
  readonly identities = new Set<string>()
  readonly contexts = new Map<string, FakeContext>()
  private readonly listeners = new Set<(e: StateMutationEvent) => void>()

  async createIdentity(): Promise<Uint8Array> {
    const key = new Uint8Array(randomBytes(32))
    this.identities.add(toBase58(key))
    return key
  }

  async createContext(options: { application?: string }) {
    const member = await this.createIdentity()
    const id = new Uint8Array(randomBytes(32))
    const ctx: FakeContext = {
      id,
      application: options.application ?? 'kv',
      members: new Map([[toBase58(member), new Set(ALL_CAPABILITIES)]]),
      bindings: new Map(),
      heads: [],
      membershipHeads: [new Uint8Array(randomBytes(32))],
      state: new Map(),
      revision: 0,
      deltaCount: 0,
    }
    this.contexts.set(toBase58(id), ctx)
    return { contextId: id, memberPublicKey: member }
  }

  async listContexts(): Promise<ContextView[]> {
    return [...this.contexts.values()].map((c) => this.view(c))
  }

  async getContext(contextId: Uint8Array): Promise<ContextView> {
    return this.view(this.context(contextId))
  }

  async addMembers(contextId: Uint8Array, signer: Uint8Array, members: Uint8Array[]) {
    const ctx = this.authorise(contextId, signer, 'ManageMembers')
    for (const m of members) if (!ctx.members.has(toBase58(m))) ctx.members.set(toBase58(m), new Set())
    this.membershipChanged(ctx)
  }

  async removeMembers(contextId: Uint8Array, signer: Uint8Array, members: Uint8Array[]) {
    const ctx = this.authorise(contextId, signer, 'ManageMembers')
    for (const m of members) {
      if (!ctx.members.has(toBase58(m)))
        throw new InvalidOp('not a member', { details: { member: toBase58(m) } })
      ctx.members.delete(toBase58(m))
    }
    this.membershipChanged(ctx)
  }

  async grant(contextId: Uint8Array, signer: Uint8Array, member: Uint8Array, capability: Capability) {
    const ctx = this.authorise(contextId, signer, 'ManageMembers')
    const caps = ctx.members.get(toBase58(member))
    if (!caps) throw new InvalidOp('not a member', { details: { member: toBase58(member) } })
    caps.add(capability)
    this.membershipChanged(ctx)
  }

  async revoke(contextId: Uint8Array, signer: Uint8Array, member: Uint8Array, capability: Capability) {
    const ctx = this.authorise(contextId, signer, 'ManageMembers')
    const caps = ctx.members.get(toBase58(member))
    if (!caps) throw new InvalidOp('not a member', { details: { member: toBase58(member) } })
    caps.delete(capability)
    this.membershipChanged(ctx)
  }

  async execute(contextId: Uint8Array, executor: Uint8Array, method: string, argsJson: string) {
    const ctx = this.authorise(contextId, executor)
    let args: Record<string, unknown>
    try {
      args = JSON.parse(argsJson) as Record<string, unknown>
    } catch {
      throw new InvalidInput('argsJson is not valid JSON')
    }
    if (method === 'get') return { output: ctx.state.get(String(args.key)) ?? null }
    if (method === 'fail') throw new Error('secret-internal-detail')
    if (method !== 'set') throw new UnknownMethod(`no method ${method}`, { details: { method } })
    ctx.state.set(String(args.key), args.value)
    const deltaId = new Uint8Array(randomBytes(32))
    ctx.heads = [deltaId]
    ctx.revision++
    ctx.deltaCount++
    const event: StateMutationEvent = {
      contextId: ctx.id,
      newRoot: sha256(new TextEncoder().encode(JSON.stringify([...ctx.state]))),
      heads: ctx.heads,
      events: [{ kind: 'set', key: args.key }],
    }
    for (const l of this.listeners) l(event)
    return { output: null, deltaId }
  }

  onStateMutation(listener: (event: StateMutationEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Number of registered state-mutation listeners (tests check the API unsubscribes on close). */
  get listenerCount(): number {
    return this.listeners.size
  }

  private context(contextId: Uint8Array): FakeContext {
    const ctx = this.contexts.get(toBase58(contextId))
    if (!ctx) throw new UnknownContext('no such context', { details: { contextId: toBase58(contextId) } })
    return ctx
  }

  private authorise(contextId: Uint8Array, signer: Uint8Array, capability?: Capability): FakeContext {
    const ctx = this.context(contextId)
    const key = toBase58(signer)
    if (!this.identities.has(key))
      throw new UnknownIdentity('node holds no such identity', { details: { publicKey: key } })
    const caps = ctx.members.get(key)
    if (!caps) throw new NotAMember('signer is not a member', { details: { publicKey: key } })
    if (capability && !caps.has(capability))
      throw new MissingCapability(`needs ${capability}`, { details: { capability } })
    return ctx
  }

  async getMembershipOp(): Promise<Uint8Array | undefined> {
    return undefined
  }

  async bindWallet(contextId: Uint8Array, identity: Uint8Array, account: string): Promise<void> {
    const ctx = this.context(contextId)
    if (!ctx.members.has(toBase58(identity))) throw new NotAMember('identity is not a member')
    ctx.bindings.set(toBase58(identity), account)
    this.membershipChanged(ctx)
  }

  private membershipChanged(ctx: FakeContext) {
    ctx.membershipHeads = [new Uint8Array(randomBytes(32))]
    ctx.deltaCount++
  }

  private view(c: FakeContext): ContextView {
    return {
      contextId: c.id,
      application: c.application,
      members: [...c.members].map(([k, caps]) => ({ publicKey: fromBase58(k), capabilities: [...caps] })),
      bindings: [...c.bindings].map(([k, account]) => ({
        identity: fromBase58(k),
        account,
        opId: c.membershipHeads[0]!,
      })),
      heads: c.heads,
      membershipHeads: c.membershipHeads,
      stateRoot: sha256(new TextEncoder().encode(JSON.stringify([...c.state]))),
      revision: c.revision,
      deltaCount: c.deltaCount,
    }
  }
}

/** A fake log: leaves are ingested in order; one checkpoint is cut per ingest call. */
export class FakeProofs implements ProofsApi {
  readonly leaves: { bytes: Uint8Array; hash: Uint8Array }[] = []
  readonly checkpoints: ProofCheckpoint[] = []
  readonly anchors = new Map<string, ProofAnchor[]>()
  readonly signer = toBase58(new Uint8Array(randomBytes(32)))

  async ingest(leaves: Uint8Array[]) {
    for (const [i, l] of leaves.entries()) {
      if (l.length !== 224) throw new InvalidLeaf('leaf must be 224 bytes', { details: { index: i } })
      if (l[0] !== 1 && l[0] !== 2)
        throw new InvalidLeaf('unknown leaf tag', { details: { index: i, tag: l[0] } })
    }
    const accepted = leaves.map((bytes) => {
      const hash = sha256(concatBytes(new Uint8Array([0]), bytes))
      this.leaves.push({ bytes, hash })
      return { leafHash: hash, index: this.leaves.length - 1 }
    })
    const treeSize = this.leaves.length
    const rootHash = toHex(sha256(concatBytes(...this.leaves.map((l) => l.hash))))
    this.checkpoints.push({
      origin: 'mero/fake',
      treeSize,
      rootHash,
      note: `mero/fake\n${treeSize}\n`,
      signer: this.signer,
    })
    this.anchors.set(rootHash, [
      { chainId: 'eip155:31337', contract: `0x${'11'.repeat(20)}`, status: 'queued' },
    ])
    return accepted
  }

  async proofForLeaf(leafHash: Uint8Array): Promise<Proof> {
    const index = this.leaves.findIndex((l) => toHex(l.hash) === toHex(leafHash))
    if (index < 0) throw new UnknownLeaf('no such leaf', { details: { leafHash: toHex(leafHash) } })
    return this.proofAt(index)
  }

  async proofJsonForLeaf(leafHash: Uint8Array): Promise<string> {
    return JSON.stringify(await this.proofForLeaf(leafHash))
  }

  async latestProofJsonForContext(contextId: Uint8Array): Promise<string> {
    return JSON.stringify(await this.latestProofForContext(contextId))
  }

  async latestProofForContext(contextId: Uint8Array): Promise<Proof> {
    const key = toHex(contextId)
    for (let i = this.leaves.length - 1; i >= 0; i--)
      if (toHex(this.leaves[i]!.bytes.subarray(1, 33)) === key) return this.proofAt(i)
    throw new UnknownContext('no attestation for that context', {
      details: { contextId: toBase58(contextId) },
    })
  }

  async latestCheckpoint(): Promise<ProofCheckpoint> {
    const c = this.checkpoints.at(-1)
    if (!c) throw new UnknownCheckpoint('no checkpoint cut yet')
    return c
  }

  async checkpoint(treeSize: number): Promise<ProofCheckpoint> {
    const c = this.checkpoints.find((x) => x.treeSize === treeSize)
    if (!c) throw new UnknownCheckpoint(`no checkpoint of size ${treeSize}`, { details: { treeSize } })
    return c
  }

  async consistency(first: number, second: number): Promise<Uint8Array[]> {
    if (first < 1 || first > second || second > this.leaves.length)
      throw new InvalidTreeRange('bad range', { details: { first, second, size: this.leaves.length } })
    return first === second ? [] : [sha256(new Uint8Array([first, second]))]
  }

  async anchorsOf(rootHash: Uint8Array): Promise<ProofAnchor[]> {
    const a = this.anchors.get(toHex(rootHash))
    if (!a)
      throw new UnknownCheckpoint('no checkpoint with that root', { details: { rootHash: toHex(rootHash) } })
    return a
  }

  async verify(proof: Proof): Promise<VerificationReport> {
    const known = this.leaves[proof.leafIndex]
    const leafOk = known !== undefined && toHex(known.hash) === proof.leafHash
    return {
      ok: leafOk,
      checks: [{ name: 'leaf-hash', ok: leafOk, detail: leafOk ? 'leaf hash matches' : 'unknown leaf' }],
    }
  }

  private proofAt(index: number): Proof {
    const leaf = this.leaves[index]!
    const checkpoint = this.checkpoints.find((c) => c.treeSize > index)!
    return {
      version: 1,
      leaf: {
        kind: leaf.bytes[0] === 1 ? 'heads' : 'members',
        contextId: toBase58(leaf.bytes.subarray(1, 33)),
        payloadRoot: toHex(leaf.bytes.subarray(33, 65)),
        stateRoot: toHex(leaf.bytes.subarray(65, 97)),
        revision: 1,
        attester: toBase58(leaf.bytes.subarray(97, 129)),
        issuedAt: 1_763_900_000_000,
        signature: toHex(leaf.bytes.subarray(160, 224)),
        bytes: toHex(leaf.bytes),
      },
      leafIndex: index,
      leafHash: toHex(leaf.hash),
      checkpoint,
      inclusion: [toHex(sha256(leaf.hash))],
      anchors: this.anchors.get(checkpoint.rootHash) ?? [],
    }
  }
}

/** A fake leaf: tag 1 (heads), the given context id, random rest. */
export function fakeLeaf(contextId: Uint8Array = new Uint8Array(randomBytes(32))): Uint8Array {
  const leaf = new Uint8Array(randomBytes(224))
  leaf[0] = 1
  leaf.set(contextId, 1)
  return leaf
}

/** What {@link fakeApiDeps} returns: the deps plus the fakes behind them. */
export interface FakeApi {
  deps: ApiDeps
  contexts: FakeContexts
  proofs: FakeProofs
  /** Set to make `/health` report not ok. */
  health: { ok: boolean }
}

/** The admin token the fake deps use. */
export const FAKE_ADMIN_TOKEN = 'test-admin-token-0123456789'

/**
 * API deps over fresh fakes.
 *
 * @example
 * const { deps, contexts } = fakeApiDeps({ api: { bodyLimit: 4096 } })
 * const app = await buildApi(deps)
 */
export function fakeApiDeps(configInput: Record<string, unknown> = {}): FakeApi {
  const config: Config = loadConfig({ dataDir: '/nonexistent', ...configInput })
  const contexts = new FakeContexts()
  const proofs = new FakeProofs()
  const health = { ok: true }
  const metrics = new Registry()
  const deps: ApiDeps = {
    config,
    logger: silentLogger(),
    adminToken: FAKE_ADMIN_TOKEN,
    nodeKey: new Uint8Array(randomBytes(32)),
    contexts,
    proofs,
    metrics,
    health: async () => ({ ok: health.ok, details: { store: health.ok ? 'ok' : 'down' } }),
  }
  return { deps, contexts, proofs, health }
}
