/**
 * The proof format v1 (DESIGN §10): what crosses from a node to a verifier. Everything here is JSON:
 * ids and keys base58, hashes `0x` hex.
 */

/** The leaf as shown in a proof. */
export interface ProofLeaf {
  kind: 'heads' | 'members'
  contextId: string
  /** Head ids (heads attestation) when the node knows them; verifiers recompute payloadRoot from them. */
  heads?: string[]
  payloadRoot: string
  stateRoot: string
  revision: number
  attester: string
  issuedAt: number
  signature: string
  /** The 224 leaf bytes, hex. */
  bytes: string
}

/** A checkpoint as shown in a proof and by `/v1/checkpoints`. */
export interface ProofCheckpoint {
  origin: string
  treeSize: number
  rootHash: string
  /** The C2SP signed note. */
  note: string
  /** Base58 Ed25519 key that signed the note. */
  signer: string
}

/** Anchor state of a checkpoint on one chain. */
export type AnchorState = 'queued' | 'submitted' | 'included' | 'final' | 'failed'

/** One anchor of a checkpoint, as the node knows it. */
export interface ProofAnchor {
  chainId: string
  contract: string
  tx?: string
  height?: number
  status: AnchorState
  confirmations?: number
  reason?: string
}

/** Proof v1. */
export interface Proof {
  version: 1
  leaf: ProofLeaf
  leafIndex: number
  leafHash: string
  checkpoint: ProofCheckpoint
  inclusion: string[]
  anchors: ProofAnchor[]
}
