/**
 * What the HTTP API needs from the node: small structural interfaces, implemented in the
 * composition root (src/node). Bytes in, bytes out; the API layer does all JSON encoding.
 */
import type { Registry } from 'prom-client'
import type { AuthService } from '../auth/auth-service.ts'
import type { Capability } from '../context/capabilities.ts'
import type { ContextView } from '../context/context-view.ts'
import type { WalletProof } from '../context/wallet-binding.ts'
import type { Config } from '../core/config.ts'
import type { Logger } from '../core/logger.ts'
import type { Proof, ProofAnchor, ProofCheckpoint } from '../proof/proof-types.ts'
import type { VerificationResult } from '../proof/verify-proof.ts'

export type { Capability, ContextView }

/** A state change pushed to `/ws` subscribers (DESIGN §5). */
export interface StateMutationEvent {
  contextId: Uint8Array
  newRoot: Uint8Array
  heads: Uint8Array[]
  events: unknown[]
}

/** The context operations the admin API and JSON-RPC use. */
export interface ContextsApi {
  createIdentity(): Promise<Uint8Array>
  createContext(options: {
    application?: string
  }): Promise<{ contextId: Uint8Array; memberPublicKey: Uint8Array }>
  listContexts(): Promise<ContextView[]>
  getContext(contextId: Uint8Array): Promise<ContextView>
  addMembers(contextId: Uint8Array, signer: Uint8Array, members: Uint8Array[]): Promise<void>
  removeMembers(contextId: Uint8Array, signer: Uint8Array, members: Uint8Array[]): Promise<void>
  grant(contextId: Uint8Array, signer: Uint8Array, member: Uint8Array, capability: Capability): Promise<void>
  revoke(contextId: Uint8Array, signer: Uint8Array, member: Uint8Array, capability: Capability): Promise<void>
  /** A membership op's wire bytes (canonical CBOR), `undefined` when this node does not have it. */
  getMembershipOp(contextId: Uint8Array, id: Uint8Array): Promise<Uint8Array | undefined>
  /** Binds a node-held member identity to a wallet account with the wallet's proof (a `BindWallet` op). */
  bindWallet(
    contextId: Uint8Array,
    identity: Uint8Array,
    account: string,
    walletProof: WalletProof,
  ): Promise<void>
  execute(
    contextId: Uint8Array,
    executor: Uint8Array,
    method: string,
    argsJson: string,
  ): Promise<{ output: unknown; deltaId?: Uint8Array }>
  onStateMutation(listener: (event: StateMutationEvent) => void): () => void
}

/** Result of a server-side proof verification (`POST /v1/verify`): the verifier's own result, as `meroctl verify --json` prints it. */
export type VerificationReport = VerificationResult

/** The proof, log and anchor reads of `/v1`, plus attestation ingest. */
export interface ProofsApi {
  /** Proof v1 of a leaf as JSON text (the hot read path: finished proofs are served from memory). */
  proofJsonForLeaf(leafHash: Uint8Array): Promise<string>
  /** Proof v1 of a context's latest heads attestation, as JSON text. */
  latestProofJsonForContext(contextId: Uint8Array): Promise<string>
  latestCheckpoint(): Promise<ProofCheckpoint>
  checkpoint(treeSize: number): Promise<ProofCheckpoint>
  consistency(first: number, second: number): Promise<Uint8Array[]>
  anchorsOf(rootHash: Uint8Array): Promise<ProofAnchor[]>
  verify(proof: Proof): Promise<VerificationReport>
  /** Verifies and appends attestation leaves (224 bytes each); resolves once they are persisted in the log. */
  ingest(leaves: Uint8Array[]): Promise<{ leafHash: Uint8Array; index: number }[]>
}

/** Everything the API is built from. */
export interface ApiDeps {
  config: Config
  logger: Logger
  /** Bearer token for `/admin-api` (and `/v1` when `api.protectProofs`). */
  adminToken: string
  nodeKey: Uint8Array
  /** Wallet sign-in, keys and tokens (`/auth`); absent: only the admin token is accepted. */
  auth?: AuthService
  contexts: ContextsApi
  proofs: ProofsApi
  metrics: Registry
  health(): Promise<{ ok: boolean; details: Record<string, unknown> }>
}
