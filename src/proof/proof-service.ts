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
  constructor(private readonly opts: ProofServiceOptions) {}

  /** The proof of the leaf with this hash. */
  async proofForLeaf(leafHash: Uint8Array): Promise<Proof> {
    const { log, anchors, attester } = this.opts
    const index = await log.merkleLog.indexOf(leafHash)
    if (index === undefined)
      throw new UnknownLeaf(`no leaf ${toHex(leafHash)} in this log`, {
        details: { leafHash: toHex(leafHash) },
      })
    const cp = await this.checkpointFor(index)
    const [bytes, inclusion, anchorList, meta] = await Promise.all([
      log.merkleLog.leafAt(index),
      log.merkleLog.inclusionProof(index, cp.treeSize),
      anchors.anchorsOf(cp.rootHash),
      attester.leafMeta(leafHash),
    ])
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
    for await (const a of anchors.anchoredCheckpointsFrom(index + 1)) {
      const rec = await anchors.get(a.chainId, a.root)
      if (rec && rec.state !== 'failed') return log.checkpoint(a.treeSize)
    }
    for await (const cp of log.checkpointsFrom(index + 1)) return cp
    throw new ProofNotReady(`leaf ${index} is not covered by a checkpoint yet; retry after the next batch`, {
      details: { leafIndex: index },
    })
  }

  /** The proof of the latest heads attestation of a context. */
  async latestProofForContext(contextId: Uint8Array): Promise<Proof> {
    const record = await this.opts.attester.record(toBase58(contextId))
    if (!record.headsLeafHash) {
      if (!(await this.opts.hasContext(contextId)))
        throw new UnknownContext(`no context ${toBase58(contextId)}`, {
          details: { contextId: toBase58(contextId) },
        })
      throw new ProofNotReady('the context has not been attested yet; retry after the next batch')
    }
    return this.proofForLeaf(fromHex(record.headsLeafHash, 32))
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
  anchorsOf(rootHash: Uint8Array): Promise<ProofAnchor[]> {
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
