/**
 * What `merod dev` needs from each chain's local devnet: start it (or attach to a given RPC), make
 * sure the anchor contract / canister / account is deployed and the node key registered, and hand
 * back the chain's entry for the node config. One implementation per chain in
 * `devnets/<chain>/dev-chain.ts`; `merod dev` starts the enabled ones side by side.
 */
import type { ChainConfig } from '../src/core/config.ts'

/** Options `merod dev` passes to a chain's {@link StartDevChain}. */
export interface DevChainOptions {
  /** This chain's folder inside merod dev's data folder (exists); all state persists here across restarts. */
  readonly dataDir: string
  /** The node's Ed25519 public key (32 bytes), to register on chain as an attested node (idempotently). */
  readonly nodeKey: Uint8Array
  /** Attach to this RPC instead of starting the local devnet (e.g. a docker-compose service). */
  readonly rpcUrl?: string
}

/** The chain's entry in the node config, before defaults are applied. */
export type DevChainConfig = Pick<ChainConfig, 'chainId' | 'kind' | 'rpcUrl' | 'contract'> &
  Partial<Pick<ChainConfig, 'anchorEveryMs' | 'confirmations' | 'pollMs' | 'signerKeyFile'>>

/** A running dev chain. */
export interface DevChain {
  /** Config entry; `signerKeyFile` lives in `dataDir` with mode 0600. */
  readonly config: DevChainConfig
  /** One human line for the summary, e.g. `NEAR devnet (nearcore VM logic), state in …`. */
  readonly description: string
  /** Stops what was started (nothing when attached to an external RPC). Idempotent. */
  stop(): Promise<void>
}

/** Starts (or attaches to) one chain for `merod dev`. */
export type StartDevChain = (options: DevChainOptions) => Promise<DevChain>
