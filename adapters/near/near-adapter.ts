/**
 * The NEAR chain adapter: `ChainAdapter` over the mero anchor registry contract (contracts/near) with
 * near-api-js v7 (`JsonRpcProvider`, `Account`, `KeyPairSigner`, `actions.functionCall`). Thin: an
 * anchor is a function call `anchor({log_id, tree_size, root})`, reads are `anchor_of` views.
 *
 * Finality: an anchor visible in optimistic state is `included`; once its block is at or below the
 * latest *final* block it counts `final block height − anchor height + 1` confirmations and is `final`
 * when that reaches `confirmations` (default 1: NEAR's own finality is the guarantee).
 *
 * Concurrency: one serialized send path per adapter owns the key's nonce; concurrent submissions of
 * the same root share one transaction; a root already on chain is never sent again.
 *
 * Failures: every JSON-RPC request is bounded (`requestTimeoutMs`, default 30 s) and `close()` ends
 * the ones still waiting; an anchor transaction the node never executed (dropped for a reused nonce,
 * or lost from the pool of a node that restarted) is resent once it has been unknown for a few blocks.
 */
import { Account, actions, KeyPairSigner } from 'near-api-js'
import { checkBytes32, validateAnchorRequest } from '../../src/chain/anchor-request.ts'
import { anchoredStatus } from '../../src/chain/anchored-status.ts'
import type {
  AdapterFactory,
  AnchorRequest,
  CallOptions,
  ChainAdapter,
  ChainAnchorStatus,
  ChainCapabilities,
  InclusionCheck,
  RegisterNodeOptions,
  SignInCheck,
  SubmitAnchorResult,
  SubmitterCheck,
} from '../../src/chain/chain-adapter.ts'
import { recoverAlreadyAnchored } from '../../src/chain/recover-already-anchored.ts'
import { createSingleFlight } from '../../src/chain/single-flight.ts'
import { toHex } from '../../src/core/bytes.ts'
import { InvalidInput, isMeroError, NotRegisteredSubmitter } from '../../src/core/errors.ts'
import { createBoundedProvider } from './bounded-provider.ts'
import { isFullAccessKey } from './full-access-key.ts'
import { guardNear } from './near-errors.ts'
import { createRegistryReader } from './near-registry.ts'
import { parseNearSecret } from './near-secret.ts'
import { createNearSender, failureMessage, type NearSender, readOnlyError } from './near-sender.ts'
import { SentAnchors } from './sent-anchors.ts'

/** Re-exported: the FullAccess-key check of NEP-413 sign-in. */
export { isFullAccessKey } from './full-access-key.ts'
/** Re-exported: the signer secret parser (format documented there). */
export { parseNearSecret } from './near-secret.ts'

/** Options of {@link createNearAdapter}. */
export interface NearAdapterOptions {
  /** NEAR JSON-RPC endpoint. */
  readonly rpcUrl: string
  /** CAIP-2 id, `near:<network>` (e.g. `near:localnet`, `near:testnet`). */
  readonly chainId: string
  /** Account id of the anchor registry contract. */
  readonly contract: string
  /** Submitting account; omit (with `secretKey`) for a read-only adapter. */
  readonly accountId?: string
  /** Its `ed25519:` secret key (FullAccess, or a FunctionCall key for the contract). Never logged. */
  readonly secretKey?: string
  /** Confirmations after which an anchor is `final` (default 1). */
  readonly confirmations?: number
  /** Poll interval while waiting for registry transactions (default 1000 ms; ~50 on a devnet). */
  readonly pollMs?: number
  /** Longest wait for one JSON-RPC request, retries included (default 30 s), then `ChainUnavailable`. */
  readonly requestTimeoutMs?: number
}

/** The NEAR adapter: a `ChainAdapter` plus NEAR-specific reads. */
export interface NearAdapter extends ChainAdapter, SubmitterCheck, InclusionCheck {
  /** The submitting account, `undefined` when read-only. */
  readonly account: string | undefined
  /** Whether `publicKey` (`ed25519:…`) is a FullAccess key of `accountId` (RPC `view_access_key`). */
  isFullAccessKey(accountId: string, publicKey: string, options?: CallOptions): Promise<boolean>
  /** The submitting key's nonce on chain (grows by one per transaction sent). */
  nonce(): Promise<bigint>
}

const GAS = 30_000_000_000_000n
const SUBMITTER_TTL_MS = 30_000
/** Blocks an own anchor transaction may stay unknown (dropped) before it is resent. */
const RESEND_AFTER_BLOCKS = 5
/** A valid NEAR account id: 2–64 characters, lowercase parts joined by `-`/`_`, separated by dots (implicit 64-hex ids too). */
export const NEAR_ACCOUNT_ID = /^(?=.{2,64}$)(([a-z\d]+[-_])*[a-z\d]+\.)*([a-z\d]+[-_])*[a-z\d]+$/

/**
 * Creates the NEAR adapter.
 *
 * @example
 * const adapter = await createNearAdapter({ rpcUrl, chainId: 'near:localnet', contract: 'anchor.test.near',
 *   accountId: 'test.near', secretKey: 'ed25519:…', pollMs: 50 })
 * const r = await adapter.submitAnchor({ logId, treeSize: 10, root })
 */
export async function createNearAdapter(options: NearAdapterOptions): Promise<NearAdapter> {
  if (!/^near:[-_a-zA-Z0-9]{1,32}$/.test(options.chainId))
    throw new InvalidInput(`chainId must be near:<network>, got ${options.chainId}`, {
      details: { chainId: options.chainId },
    })
  if (!NEAR_ACCOUNT_ID.test(options.contract))
    throw new InvalidInput('contract is not a NEAR account id', { details: { contract: options.contract } })
  const finality = options.confirmations ?? 1
  if (!Number.isInteger(finality) || finality < 1)
    throw new InvalidInput('confirmations must be an integer >= 1')
  const pollMs = options.pollMs ?? 1000
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1)
    throw new InvalidInput('requestTimeoutMs must be a positive integer')
  const rpc = createBoundedProvider(options.rpcUrl, requestTimeoutMs)
  const provider = rpc.provider
  const contract = options.contract

  let sender: NearSender | undefined
  let accountId: string | undefined
  if (options.secretKey !== undefined || options.accountId !== undefined) {
    const parsed = parseNearSecret(`${options.accountId ?? ''}:${options.secretKey ?? ''}`)
    accountId = parsed.accountId
    const signer = KeyPairSigner.fromSecretKey(parsed.secretKey)
    sender = createNearSender(new Account(accountId, provider, signer), provider, signer, pollMs)
  }
  const capabilities: ChainCapabilities = Object.freeze({
    verifyInclusion: true,
    finalityConfirmations: finality,
    canSubmit: sender !== undefined,
    signIn: true,
  })
  const submits = createSingleFlight<SubmitAnchorResult>()
  const sentAnchors = new SentAnchors(RESEND_AFTER_BLOCKS)
  let closed = false
  // NEAR cannot dry-run a state-changing call: the submitter right is checked with a view first
  // (a positive answer is trusted for SUBMITTER_TTL_MS; a revocation inside it shows as `reverted`).
  let submitterUntil = 0

  const registry = createRegistryReader(provider, contract)
  const readAnchor = registry.anchorOf

  const requireSender = (what: string): NearSender => {
    if (!sender) throw readOnlyError(what)
    if (closed) throw readOnlyError(`${what} (adapter closed)`)
    return sender
  }

  const submitAnchor = async (req: AnchorRequest, opts: CallOptions = {}): Promise<SubmitAnchorResult> => {
    validateAnchorRequest(req, { minTreeSize: 1 })
    const s = requireSender('anchor')
    opts.signal?.throwIfAborted()
    const key = toHex(req.root)
    return submits.run(
      key,
      async (signal): Promise<SubmitAnchorResult> => {
        // the final block the transaction references is fetched while the duplicate check runs
        const block = provider.viewBlock({ finality: 'final' })
        block.catch(() => undefined)
        const existing = await readAnchor(req.root, signal)
        if (existing) return { kind: 'already-anchored', anchor: existing }
        if (Date.now() > submitterUntil) {
          if (!(await registry.isSubmitter(accountId!, signal)))
            throw new NotRegisteredSubmitter(`anchor: ${accountId} is not a registered submitter`, {
              details: { reason: 'NotSubmitter', args: [accountId] },
            })
          submitterUntil = Date.now() + SUBMITTER_TTL_MS
        }
        const call = actions.functionCall(
          'anchor',
          { log_id: toHex(req.logId), tree_size: req.treeSize, root: key },
          GAS,
          0n,
        )
        try {
          const tx = await s.send('anchor', contract, [call], signal, block)
          sentAnchors.remember(tx, req)
          return { kind: 'submitted', tx }
        } catch (e) {
          return recoverAlreadyAnchored(e, () => readAnchor(req.root, signal))
        }
      },
      opts.signal,
    )
  }

  const txOutcome = (tx: string, signal?: AbortSignal) =>
    guardNear('txStatus', signal, async () => {
      try {
        return (await provider.viewTransactionStatus({
          txHash: tx,
          accountId: accountId ?? contract,
          waitUntil: 'NONE',
        })) as { status?: unknown; final_execution_status?: string }
      } catch (e) {
        if ((e as Error)?.name === 'UnknownTransactionError') return undefined
        throw e
      }
    })

  const anchorStatus = async (
    root: Uint8Array,
    sentTx: string | undefined,
    opts: CallOptions = {},
  ): Promise<ChainAnchorStatus> => {
    checkBytes32(root, 'root')
    const { signal } = opts
    const tx = sentTx === undefined ? undefined : sentAnchors.latest(sentTx)
    const [anchor, head, outcome] = await Promise.all([
      readAnchor(root, signal),
      guardNear('block', signal, () => provider.viewBlock({ finality: 'final' })),
      tx ? txOutcome(tx, signal) : undefined,
    ])
    const status = outcome?.status as { SuccessValue?: unknown; Failure?: unknown } | undefined
    if (tx && (anchor || status)) sentAnchors.forget(tx)
    if (anchor) {
      const ownTx = tx && status && typeof status === 'object' && 'SuccessValue' in status ? tx : undefined
      // the head is the final block; an anchor read from optimistic state may be newer than it
      return anchoredStatus({ anchor, head: head.header.height, finality, tx: ownTx, minConfirmations: 0 })
    }
    if (tx && status && typeof status === 'object' && status.Failure !== undefined)
      return { state: 'reverted', tx, reason: failureMessage(status.Failure) }
    if (tx && outcome) return { state: 'pending', tx }
    if (tx) {
      // unknown to the chain: maybe not propagated yet, maybe dropped (another client used its nonce)
      const verdict = sentAnchors.unknownAt(tx, head.header.height)
      if (verdict === 'wait') return { state: 'pending', tx }
      if (verdict !== 'not-ours') {
        const r = await submitAnchor(verdict.resend, opts)
        if (r.kind === 'already-anchored') return anchorStatus(root, undefined, opts)
        sentAnchors.replace(tx, r.tx)
        return { state: 'pending', tx: r.tx }
      }
    }
    return { state: 'missing' }
  }

  const isNode = (nodeKey: Uint8Array, opts: CallOptions = {}) => registry.isNode(nodeKey, opts.signal)

  return {
    chainId: options.chainId,
    contract,
    capabilities,
    account: accountId,
    submitAnchor,
    anchorOf: (root, opts = {}) => readAnchor(root, opts.signal),
    anchorStatus,
    async registerNode(nodeKey, metadata, opts: RegisterNodeOptions = {}) {
      checkBytes32(nodeKey, 'nodeKey')
      if (typeof metadata !== 'string') throw new InvalidInput('metadata must be a string')
      const s = requireSender('registerNode')
      const submitter = opts.submitter ?? accountId!
      if (!NEAR_ACCOUNT_ID.test(submitter))
        throw new InvalidInput('submitter is not a NEAR account id', { details: { submitter } })
      const current = await registry.nodeOf(nodeKey, opts.signal)
      if (current?.active && current.submitter === submitter && current.metadata === metadata) return
      const args = { node_key: toHex(nodeKey), submitter, metadata }
      await s.sendAndWait(
        'registerNode',
        contract,
        [actions.functionCall('register_node', args, GAS, 0n)],
        opts.signal,
      )
    },
    async revokeNode(nodeKey, opts = {}) {
      checkBytes32(nodeKey, 'nodeKey')
      const s = requireSender('revokeNode')
      if (!(await isNode(nodeKey, opts))) return
      try {
        const call = actions.functionCall('revoke_node', { node_key: toHex(nodeKey) }, GAS, 0n)
        await s.sendAndWait('revokeNode', contract, [call], opts.signal)
      } catch (e) {
        if (isMeroError(e) && e.details.reason === 'UnknownNode') return // revoked concurrently
        throw e
      }
    },
    isNode,
    async isSubmitter(who, opts = {}) {
      const target = who ?? accountId
      return target ? registry.isSubmitter(target, opts.signal) : false
    },
    verifyInclusion: (root, leafHash, index, treeSize, path, opts = {}) =>
      registry.verifyInclusion(root, leafHash, index, treeSize, path, opts.signal),
    isFullAccessKey: (who, publicKey, opts = {}) => isFullAccessKey(provider, who, publicKey, opts.signal),
    /**
     * NEP-413 sign-in, the on-chain half: `check.extra.publicKey` (`ed25519:…`) must be a FullAccess
     * key of the CAIP-10 account (`near:<network>:<account id>`). The identity layer has already
     * verified the NEP-413 Ed25519 signature over the message with that key; this does not re-check it.
     */
    async verifySignIn(check: SignInCheck, opts: CallOptions = {}) {
      const publicKey = check.extra?.publicKey
      const parts = check.account.split(':')
      const who = parts.length === 3 && `${parts[0]}:${parts[1]}` === options.chainId ? parts[2]! : undefined
      if (typeof publicKey !== 'string' || !who) return false
      return isFullAccessKey(provider, who, publicKey, opts.signal)
    },
    async nonce() {
      return requireSender('nonce').chainNonce()
    },
    async close() {
      if (closed) return
      closed = true
      await sender?.idle()
      rpc.close()
    },
  }
}

/**
 * Builds the NEAR adapter from a config entry. `secret` (the trimmed `signerKeyFile`) is
 * `<account_id>:ed25519:<base58 secret key>` or near-cli credentials JSON
 * `{"account_id": "…", "private_key": "ed25519:…"}`; `undefined` gives a read-only adapter.
 */
export const nearAdapterFactory: AdapterFactory = async (chain, secret) => {
  const signer = secret === undefined ? undefined : parseNearSecret(secret)
  return createNearAdapter({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    contract: chain.contract,
    confirmations: chain.confirmations,
    pollMs: chain.pollMs,
    ...(chain.requestTimeoutMs !== undefined ? { requestTimeoutMs: chain.requestTimeoutMs } : {}),
    ...(signer ? { accountId: signer.accountId, secretKey: signer.secretKey } : {}),
  })
}
