/**
 * The chain interface: the one small boundary between the core and a blockchain. Adapters under
 * `adapters/<chain>/` implement it and stay thin — they translate "anchor this root" into the chain's
 * call. Policy (batching, cadence, retries, the anchor state machine, proof assembly) lives in the core.
 *
 * Every adapter runs the compliance suite in `chain-compliance.ts`.
 */

import type { ChainConfig } from '../core/config.ts'

/** CAIP-2 chain id, e.g. `eip155:31337`, `near:localnet`. */
export type ChainId = string

/** What an adapter can do, as data. */
export interface ChainCapabilities {
  /** The contract can check RFC 6962 inclusion paths on chain (`verifyInclusion`). */
  readonly verifyInclusion: boolean
  /** Confirmations after which an inclusion is reported `final` (1 = the including block). */
  readonly finalityConfirmations: number
  /** The adapter can submit transactions (false for a read-only adapter used by a verifier). */
  readonly canSubmit: boolean
  /** The adapter implements {@link ChainAdapter.verifySignIn}. */
  readonly signIn: boolean
}

/** What is anchored: a log's checkpoint root. */
export interface AnchorRequest {
  /** `sha256(origin)` of the log, 32 bytes. */
  readonly logId: Uint8Array
  readonly treeSize: number
  /** RFC 6962 root hash, 32 bytes. */
  readonly root: Uint8Array
}

/** An anchor as stored on chain (DESIGN §7 `anchorOf`). */
export interface OnChainAnchor {
  readonly logId: Uint8Array
  readonly treeSize: number
  /** Block / ledger height of the including block. */
  readonly height: number
  /** Chain time of the including block, ms since epoch. */
  readonly timestamp: number
  /** Chain account (chain-native notation) that submitted it. */
  readonly submitter: string
}

/** Result of {@link ChainAdapter.submitAnchor}. */
export type SubmitAnchorResult =
  /** A transaction was broadcast; follow it with {@link ChainAdapter.anchorStatus}. */
  | { readonly kind: 'submitted'; readonly tx: string }
  /** The root was already on chain (first write wins): nothing was sent. */
  | { readonly kind: 'already-anchored'; readonly anchor: OnChainAnchor }

/**
 * Where an anchor stands on chain right now. `missing` after an earlier `included` means a reorg
 * removed it; `reverted` means the transaction was mined and failed.
 */
export type ChainAnchorStatus =
  | { readonly state: 'pending'; readonly tx?: string }
  | { readonly state: 'missing' }
  | { readonly state: 'reverted'; readonly tx: string; readonly reason: string }
  | {
      readonly state: 'included' | 'final'
      readonly tx?: string
      readonly height: number
      readonly confirmations: number
      readonly anchor: OnChainAnchor
    }

/** Per-call options: every async operation can be aborted. */
export interface CallOptions {
  readonly signal?: AbortSignal
}

/** Options of {@link ChainAdapter.registerNode}. */
export interface RegisterNodeOptions extends CallOptions {
  /**
   * Chain account (chain-native notation: address, account id, principal, `G…` key) allowed to anchor
   * for the node (DESIGN §7 `registerNode(nodeKey, submitter, metadata)`); default: the adapter's own.
   */
  readonly submitter?: string
}

/** Sign-in verification request (the identity layer fills it per chain; see DESIGN §8). */
export interface SignInCheck {
  /** CAIP-10 account. */
  readonly account: string
  /** The exact message bytes the wallet signed. */
  readonly message: Uint8Array
  readonly signature: Uint8Array
  /** Chain-specific extras (public key, delegation chain, typed data…). */
  readonly extra?: Readonly<Record<string, unknown>>
  /**
   * Verify as of this time, ms since epoch (default: now): what time-bound parts of the proof (a
   * delegation's expiry, a certificate's age) are judged at — the sign-in's `context.now()`, so a
   * proof re-checked later (a wallet proof, at its challenge's issue time) gets the same answer.
   */
  readonly atMs?: number
}

/** The adapter contract. Implementations must be safe under concurrent calls. */
export interface ChainAdapter {
  /** CAIP-2 id of the chain this adapter talks to. */
  readonly chainId: ChainId
  /** The anchor contract (contract address, canister id, account…), chain-native notation. */
  readonly contract: string
  readonly capabilities: ChainCapabilities

  /**
   * Anchors `root` for `logId` at `treeSize`. Idempotent: when the root is already on chain it
   * returns `already-anchored` and sends nothing. Throws `ChainUnavailable` (retryable) or
   * `ChainRejected` / `NotRegisteredSubmitter` (permanent).
   */
  submitAnchor(request: AnchorRequest, options?: CallOptions): Promise<SubmitAnchorResult>

  /** Reads the anchor of `root` from chain state; `null` when none. Read-only. */
  anchorOf(root: Uint8Array, options?: CallOptions): Promise<OnChainAnchor | null>

  /** Current status of the anchor of `root`, following `tx` when known. Read-only. */
  anchorStatus(root: Uint8Array, tx: string | undefined, options?: CallOptions): Promise<ChainAnchorStatus>

  /** Registers an attested node's Ed25519 key with its submitter (owner only); idempotent. */
  registerNode(nodeKey: Uint8Array, metadata: string, options?: RegisterNodeOptions): Promise<void>
  /** Revokes a node key (owner only); idempotent. */
  revokeNode(nodeKey: Uint8Array, options?: CallOptions): Promise<void>
  /** Whether `nodeKey` is a registered node. Read-only. */
  isNode(nodeKey: Uint8Array, options?: CallOptions): Promise<boolean>

  /**
   * Optional sign-in hook for the identity layer: checks on chain that `signature` over `message`
   * is valid for `account` (e.g. EIP-1271, NEAR FullAccess key). Resolves false when it is not.
   */
  verifySignIn?(check: SignInCheck, options?: CallOptions): Promise<boolean>

  /** Releases connections and timers. Idempotent. */
  close(): Promise<void>
}

/** Adapters whose registry can say whether an account submits for a node (all five chains). */
export interface SubmitterCheck {
  /** Whether `account` (chain-native notation; default: the adapter's own) submits for an active node. */
  isSubmitter(account?: string, options?: CallOptions): Promise<boolean>
}

/** Adapters whose contract checks RFC 9162 inclusion on chain (`capabilities.verifyInclusion`). */
export interface InclusionCheck {
  /** Runs the contract's inclusion check of `leafHash` at `index` in the tree of `root` (read-only). */
  verifyInclusion(
    root: Uint8Array,
    leafHash: Uint8Array,
    index: number,
    treeSize: number,
    path: readonly Uint8Array[],
    options?: CallOptions,
  ): Promise<boolean>
}

/**
 * Builds a chain's adapter from its config entry. `secret` is the trimmed content of the chain's
 * `signerKeyFile` (format defined by the adapter: a hex key, `account:ed25519:…`, a PEM, a seed);
 * `undefined` gives a read-only adapter. Every `adapters/<chain>` exports one; the CLI maps `kind`s
 * to them.
 */
export type AdapterFactory = (chain: ChainConfig, secret: string | undefined) => Promise<ChainAdapter>
