/**
 * Assembles proofs (DESIGN §10) from the log, the checkpoints and the anchor records, and serves
 * the reads of `/v1`. A leaf's proof uses the first checkpoint containing it that was queued for
 * anchoring; until one exists it falls back to the first checkpoint containing it (no anchors yet).
 */

import type { AnchorScheduler } from '../anchor/anchor-scheduler.ts'
import type { Attester } from '../attest/attester.ts'
import { decodeLeaf } from '../attest/leaf.ts'
import { fromHex, toBase58, toHex } from '../core/bytes.ts'
import { ProofNotReady, UnknownContext, UnknownLeaf } from '../core/errors.ts'
import type { LogService, StoredCheckpoint } from '../log/log-service.ts'
import type { Proof, ProofAnchor, ProofCheckpoint } from './proof-types.ts'
import { type AnchorReader, type VerificationResult, verifyProof } from './verify-proof.ts'

/** Options of {@link ProofService}. */
export interface ProofServiceOptions {
  log: LogService
  anchors: AnchorScheduler
  attester: Attester
  /** Whether a context id is known on this node (for a 404 that names the right thing). */
  hasContext: (contextId: Uint8Array) => Promise<boolean>
  /** Chain readers for server-side verification (`POST /v1/verify`). */
  readers: ReadonlyMap<string, AnchorReader>
  /** Number of configured chains: a proof is immutable once anchored and final on all of them. */
  chainCount: number
  /** Finished proofs kept serialised in memory (default 10 000, ~2.5 KB each). */
  cacheSize?: number
}

const publicCheckpoint = (cp: StoredCheckpoint): ProofCheckpoint => ({
  origin: cp.origin,
  treeSize: cp.treeSize,
  rootHash: cp.rootHash,
  note: cp.note,
  signer: cp.signer,
})

/** Proof assembly and the `/v1` reads. */
export class ProofService {
  /** leafHash hex → serialised proof, for proofs final on every chain (immutable unless a reorg). */
  private readonly cache = new Map<string, { json: string; root: string }>()

  constructor(private readonly opts: ProofServiceOptions) {}

  /**
   * The proof of a leaf as JSON text. Proofs final on every configured chain are served from memory;
   * others are assembled on each call (their anchor status moves).
   */
  async proofJsonForLeaf(leafHash: Uint8Array): Promise<string> {
    const key = toHex(leafHash)
    const hit = this.cache.get(key)
    if (hit) return hit.json
    const proof = await this.proofForLeaf(leafHash)
    const json = JSON.stringify(proof)
    if (proof.anchors.length === this.opts.chainCount && proof.anchors.every((a) => a.status === 'final')) {
      if (this.cache.size >= (this.opts.cacheSize ?? 10_000))
        this.cache.delete(this.cache.keys().next().value as string)
      this.cache.set(key, { json, root: proof.checkpoint.rootHash })
    }
    return json
  }

  /** The latest heads proof of a context as JSON text (see {@link proofJsonForLeaf}). */
  async latestProofJsonForContext(contextId: Uint8Array): Promise<string> {
    return this.proofJsonForLeaf(await this.latestLeafOf(contextId))
  }

  /** Drops cached proofs of a checkpoint root whose anchor left `final` (a reorg). */
  anchorChanged(root: string, state: string): void {
    if (state === 'final') return
    for (const [k, v] of this.cache) if (v.root === root) this.cache.delete(k)
  }

  /** The proof of the leaf with this hash. */
  async proofForLeaf(leafHash: Uint8Array): Promise<Proof> {
    const { log, anchors, attester } = this.opts
    const index = await log.merkleLog.indexOf(leafHash)
    if (index === undefined)
      throw new UnknownLeaf(`no leaf ${toHex(leafHash)} in this log`, {
        details: { leafHash: toHex(leafHash) },
      })
    const cp = await this.checkpointFor(index)
    const bytes = await log.merkleLog.leafAt(index)
    const inclusion = await log.merkleLog.inclusionProof(index, cp.treeSize)
    const anchorList = anchors.anchorsOf(cp.rootHash)
    const meta = attester.leafMeta(leafHash)
    const f = decodeLeaf(bytes)
    return {
      version: 1,
      leaf: {
        kind: f.kind,
        contextId: toBase58(f.contextId),
        ...(meta ? { heads: meta.heads } : {}),
        payloadRoot: toHex(f.payloadRoot),
        stateRoot: toHex(f.stateRoot),
        revision: Number(f.revision),
        attester: toBase58(f.attester),
        issuedAt: Number(f.issuedAt),
        signature: toHex(f.signature),
        bytes: toHex(bytes),
      },
      leafIndex: index,
      leafHash: toHex(leafHash),
      checkpoint: publicCheckpoint(cp),
      inclusion: inclusion.map(toHex),
      anchors: anchorList,
    }
  }

  private async checkpointFor(index: number): Promise<StoredCheckpoint> {
    const { log, anchors } = this.opts
    for (const size of anchors.anchoredSizesFrom(index + 1)) {
      const cp = log.checkpointSync(size)
      if (anchors.anchorsOf(cp.rootHash).some((a) => a.status !== 'failed')) return cp
    }
    for await (const cp of log.checkpointsFrom(index + 1)) return cp
    throw new ProofNotReady(`leaf ${index} is not covered by a checkpoint yet; retry after the next batch`, {
      details: { leafIndex: index },
    })
  }

  /** The proof of the latest heads attestation of a context. */
  async latestProofForContext(contextId: Uint8Array): Promise<Proof> {
    return this.proofForLeaf(await this.latestLeafOf(contextId))
  }

  private async latestLeafOf(contextId: Uint8Array): Promise<Uint8Array> {
    const record = await this.opts.attester.record(toBase58(contextId))
    if (!record.headsLeafHash) {
      if (!(await this.opts.hasContext(contextId)))
        throw new UnknownContext(`no context ${toBase58(contextId)}`, {
          details: { contextId: toBase58(contextId) },
        })
      throw new ProofNotReady('the context has not been attested yet; retry after the next batch')
    }
    return fromHex(record.headsLeafHash, 32)
  }

  /** The latest checkpoint. */
  async latestCheckpoint(): Promise<ProofCheckpoint> {
    return publicCheckpoint(this.opts.log.latestCheckpoint())
  }

  /** The checkpoint of tree size `treeSize`. */
  async checkpoint(treeSize: number): Promise<ProofCheckpoint> {
    return publicCheckpoint(await this.opts.log.checkpoint(treeSize))
  }

  /** RFC 6962 consistency proof between two tree sizes. */
  consistency(first: number, second: number): Promise<Uint8Array[]> {
    return this.opts.log.merkleLog.consistencyProof(first, second)
  }

  /** Anchors of a checkpoint root on every configured chain. */
  async anchorsOf(rootHash: Uint8Array): Promise<ProofAnchor[]> {
    return this.opts.anchors.anchorsOf(toHex(rootHash))
  }

  /** Server-side verification with this node's chain readers. */
  verify(proof: unknown): Promise<VerificationResult> {
    return verifyProof(proof, { readers: this.opts.readers })
  }

  /** Verifies and appends attestation leaves. */
  ingest(leaves: Uint8Array[]) {
    return this.opts.log.ingest(leaves)
  }
}
