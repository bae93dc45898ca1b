/** The options and the handle of the ICP devnet (`startIcpDevnet`, icp-devnet.ts). */

/** Options of `startIcpDevnet` (icp-devnet.ts). */
export interface IcpDevnetOptions {
  readonly host?: string
  /** 0 = any free port. */
  readonly port?: number
  /** State folder (default: a new temp folder). */
  readonly dataDir?: string
  /** Unexpired update calls remembered against replays (default 10 000); beyond that, 503. */
  readonly maxRequestStatuses?: number
  /** Accepted for the common devnet shape; every call is certified at once (no blocks). */
  readonly blockMs?: number
  /** Canister `debug_print` and devnet notes (default: silent). */
  readonly log?: (line: string) => void
  /** Called after each executed message (bench hook). */
  readonly onExecute?: (e: {
    kind: 'update' | 'query'
    method: string
    /** Execution in the canister (including the executor's commit snapshot or rollback). */
    ms: number
    /** Writing the committed state to the data folder (0 for queries and rejected calls). */
    persistMs: number
    argBytes: number
    /** Textual principal of the caller. */
    sender: string
  }) => void
  /** Called after each answered HTTP request with its body sizes (bench hook). */
  readonly onRequest?: (e: {
    path: string
    status: number
    requestBytes: number
    responseBytes: number
  }) => void
}

/** A running devnet. */
export interface IcpDevnet {
  /** `http://host:port`, the agent's `host`. */
  readonly url: string
  /** The DER-encoded BLS root public key (what `/api/v2/status` serves). */
  readonly rootKey: Uint8Array
  readonly dataDir: string
  /** Ids (textual) of the canisters on the subnet. */
  canisterIds(): string[]
  /** Stops the HTTP server; state stays in `dataDir`. Idempotent. */
  stop(): Promise<void>
}
