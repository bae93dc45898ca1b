/**
 * The node's own attester: watches contexts, and before each checkpoint cut signs a heads
 * attestation for every context whose heads changed (coalesced per batch) and a membership
 * attestation whenever the membership heads changed (DESIGN §4, §6). What it attested is
 * remembered per context, so after a crash the node re-attests whatever changed since.
 */

import { headsPayloadRoot } from '../context/context-roots.ts'
import { fromBase58, toBase58, toHex } from '../core/bytes.ts'
import type { Ed25519KeyPair } from '../core/ed25519.ts'
import type { Logger } from '../core/logger.ts'
import type { IngestResult } from '../log/log-service.ts'
import { type Section, type Store, section } from '../store/store.ts'
import { attestationLeafHash, signLeaf } from './leaf.ts'

/** What the attester reads from the contexts. */
export interface AttestationSource {
  listContextIds(): Promise<Uint8Array[]>
  attestationSnapshot(contextId: Uint8Array): Promise<{
    heads: Uint8Array[]
    stateRoot: Uint8Array
    revision: number
    membersRoot: Uint8Array
    membershipHeads: Uint8Array[]
  }>
  onStateMutation(listener: (e: { contextId: Uint8Array }) => void): () => void
  onMembershipChange(listener: (e: { contextId: Uint8Array }) => void): () => void
}

/** What the attester remembers of one context. */
export interface AttestedRecord {
  /** payloadRoot ‖ stateRoot of the last heads attestation, hex. */
  headsKey?: string
  headsLeafHash?: string
  /** membersRoot ‖ membership heads root of the last membership attestation, hex. */
  membersKey?: string
  membersLeafHash?: string
}

/** Extra facts about a leaf the node attested itself (the heads behind payloadRoot). */
export interface LeafMeta {
  heads: string[]
}

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Options of {@link Attester.open}. */
export interface AttesterOptions {
  store: Store
  source: AttestationSource
  nodeKey: Ed25519KeyPair
  ingest: (leaves: Uint8Array[]) => Promise<IngestResult[]>
  logger: Logger
  now?: () => number
}

/** Signs and appends attestations for the node's contexts. */
export class Attester {
  private readonly records: Section
  private readonly meta: Section
  private readonly dirty = new Set<string>()
  private readonly unsubscribe: (() => void)[] = []
  private readonly opts: AttesterOptions
  private flushing: Promise<void> = Promise.resolve()

  private constructor(opts: AttesterOptions) {
    this.opts = opts
    this.records = section(opts.store, 'attested')
    this.meta = section(opts.store, 'leafmeta')
  }

  /** Starts watching; every known context is checked at the first flush (crash recovery). */
  static async open(opts: AttesterOptions): Promise<Attester> {
    const a = new Attester(opts)
    const mark = (e: { contextId: Uint8Array }) => a.dirty.add(toBase58(e.contextId))
    a.unsubscribe.push(opts.source.onStateMutation(mark), opts.source.onMembershipChange(mark))
    for (const id of await opts.source.listContextIds()) a.dirty.add(toBase58(id))
    return a
  }

  /** Number of contexts waiting to be attested. */
  get pending(): number {
    return this.dirty.size
  }

  /** Attests every dirty context now (called before each checkpoint cut); concurrent calls run one after another. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushDirty())
    this.flushing = run.catch(() => {})
    return run
  }

  private async flushDirty(): Promise<void> {
    if (this.dirty.size === 0) return
    const ids = [...this.dirty]
    this.dirty.clear()
    const leaves: Uint8Array[] = []
    const updates: { id: string; record: AttestedRecord; metaFor?: { leaf: Uint8Array; heads: string[] } }[] =
      []
    const now = (this.opts.now ?? Date.now)()
    for (const id of ids) {
      const contextId = fromBase58(id, 32)
      let snap: Awaited<ReturnType<AttestationSource['attestationSnapshot']>>
      try {
        snap = await this.opts.source.attestationSnapshot(contextId)
      } catch (e) {
        this.opts.logger.warn({ err: e, contextId: id }, 'cannot snapshot context for attestation')
        continue
      }
      const record = await this.record(id)
      const base = {
        contextId,
        revision: snap.revision,
        attester: this.opts.nodeKey.publicKey,
        issuedAt: now,
      }
      const payloadRoot = headsPayloadRoot(snap.heads)
      const headsKey = toHex(payloadRoot) + toHex(snap.stateRoot).slice(2)
      const next: AttestedRecord = { ...record }
      let metaFor: { leaf: Uint8Array; heads: string[] } | undefined
      if (snap.heads.length > 0 && headsKey !== record.headsKey) {
        const leaf = signLeaf(
          { kind: 'heads', ...base, payloadRoot, stateRoot: snap.stateRoot },
          this.opts.nodeKey.secretKey,
        )
        leaves.push(leaf)
        next.headsKey = headsKey
        next.headsLeafHash = toHex(attestationLeafHash(leaf))
        metaFor = { leaf, heads: snap.heads.map(toBase58) }
      }
      const membershipHeadsRoot = headsPayloadRoot(snap.membershipHeads)
      const membersKey = toHex(snap.membersRoot) + toHex(membershipHeadsRoot).slice(2)
      if (membersKey !== record.membersKey) {
        const leaf = signLeaf(
          { kind: 'members', ...base, payloadRoot: snap.membersRoot, stateRoot: membershipHeadsRoot },
          this.opts.nodeKey.secretKey,
        )
        leaves.push(leaf)
        next.membersKey = membersKey
        next.membersLeafHash = toHex(attestationLeafHash(leaf))
      }
      if (next.headsKey !== record.headsKey || next.membersKey !== record.membersKey)
        updates.push({ id, record: next, metaFor })
    }
    if (leaves.length === 0) return
    try {
      await this.opts.ingest(leaves)
    } catch (e) {
      for (const u of updates) this.dirty.add(u.id)
      throw e
    }
    const ops = []
    for (const u of updates) {
      ops.push({
        type: 'put' as const,
        sublevel: this.records,
        key: u.id,
        value: enc.encode(JSON.stringify(u.record)),
      })
      if (u.metaFor) {
        const m: LeafMeta = { heads: u.metaFor.heads }
        ops.push({
          type: 'put' as const,
          sublevel: this.meta,
          key: u.record.headsLeafHash!,
          value: enc.encode(JSON.stringify(m)),
        })
      }
    }
    await this.opts.store.batch(ops)
  }

  /** The attestation record of a context (empty when never attested). */
  async record(contextB58: string): Promise<AttestedRecord> {
    const v = await this.records.get(contextB58)
    return v ? (JSON.parse(dec.decode(v)) as AttestedRecord) : {}
  }

  /** The heads behind a heads leaf this node attested, if it did. */
  leafMeta(leafHash: Uint8Array): LeafMeta | undefined {
    const v = this.meta.getSync(toHex(leafHash))
    return v ? (JSON.parse(dec.decode(v)) as LeafMeta) : undefined
  }

  /** Stops watching. */
  close(): void {
    for (const u of this.unsubscribe.splice(0)) u()
  }
}
