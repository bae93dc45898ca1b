/** The options of the ICP adapter (`createIcpAdapter`, icp-adapter.ts) and their parsing. */
import { InvalidInput } from '../../src/core/errors.ts'

/** Options of `createIcpAdapter` (icp-adapter.ts). */
export interface IcpAdapterOptions {
  /** The replica / boundary node URL (the agent's `host`). */
  readonly rpcUrl: string
  /** CAIP-2 id, `icp:<network>` (e.g. `icp:local`). */
  readonly chainId: string
  /** Canister id of the deployed anchor canister (textual principal). */
  readonly contract: string
  /** Signer secret (`parseIcpSecret`, icp-secret.ts); omit for a read-only adapter. Never logged. */
  readonly secret?: string
  /** Must be 1 (a certified reply is final); accepted for the common config shape. */
  readonly confirmations?: number
  /**
   * Per-request timeout, and the longest wait for the certified outcome of a call a replica
   * accepted (202) without certifying it yet (default 30 s). Every request is also ended by its
   * call's AbortSignal and by `close()`.
   */
  readonly requestTimeoutMs?: number
  /**
   * The IC root key (DER bytes, or hex) that certificates must verify against. Without it: for
   * `icp:local` (or with `fetchRootKey`) the key `rpcUrl` serves at `/api/v2/status` — right for a
   * devnet only, since that endpoint is the one being checked; for any other chain id the mainnet
   * root key built into `@dfinity/agent` (nothing is fetched).
   */
  readonly rootKey?: Uint8Array | string
  /** Trust the root key served by `rpcUrl` (default: only when `chainId` is `icp:local`). */
  readonly fetchRootKey?: boolean
  /** Read through certified (replicated) calls; default: true when read-only. */
  readonly certifiedReads?: boolean
}

/** The chain id of a local replica / the mero devnet, whose root key is fetched from `rpcUrl`. */
export const LOCAL_CHAIN_ID = 'icp:local'

/** A root key option as bytes (hex accepted); InvalidInput when it is not a DER BLS key. */
export function parseRootKey(k: Uint8Array | string | undefined): Uint8Array | undefined {
  if (k === undefined) return undefined
  const bytes = typeof k === 'string' ? (/^([0-9a-fA-F]{2})+$/.test(k) ? Buffer.from(k, 'hex') : []) : k
  if (bytes.length !== 133)
    throw new InvalidInput('rootKey must be the DER-encoded IC root key (133 bytes, bytes or hex)')
  return new Uint8Array(bytes)
}
