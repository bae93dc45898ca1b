/**
 * The Stellar chain adapter: `ChainAdapter` over classic Stellar operations through Horizon with
 * `@stellar/stellar-sdk` (there is no contract; the format is in contracts/stellar/README.md). An
 * anchor is a transaction from the anchoring account with `MEMO_HASH = root` and a `manageData`
 * entry `mero:<logId prefix>` = tree size ‖ log id; the node registry is data entries on the
 * registry account. A closed ledger is final (no reorgs), so `finalityConfirmations` is 1 by default.
 *
 * The submitting key signs for the anchoring (and, for registry writes, the registry) account: it is
 * that account's master key or one of its signers. The adapter refuses to anchor unless the key is
 * a registered submitter, but nothing on chain enforces that: any signer of the anchoring account can
 * write anchors with other software. The operator controls who that is through the account's signers.
 * A root already anchored under another log id is reported as `ChainRejected` (`AnchorConflict`).
 *
 * Throughput: stellar-core keeps one pending transaction per source account, so one anchoring
 * account lands at most one anchor per ledger (~5 s on pubnet); use `anchorEveryMs` ≥ the ledger time.
 */
import { Keypair, Memo, Operation, StrKey } from '@stellar/stellar-sdk'
import { checkBytes32, validateAnchorRequest } from '../../src/chain/anchor-request.ts'
import { anchoredStatus } from '../../src/chain/anchored-status.ts'
import type {
  AdapterFactory,
  AnchorRequest,
  CallOptions,
  ChainAdapter,
  ChainAnchorStatus,
  OnChainAnchor,
  SignInCheck,
  SubmitAnchorResult,
  SubmitterCheck,
} from '../../src/chain/chain-adapter.ts'
import { createSingleFlight } from '../../src/chain/single-flight.ts'
import { ChainRejected, InvalidInput, NotRegisteredSubmitter } from '../../src/core/errors.ts'
import { anchorDataName, anchorDataValue, nodeDataName, parseContract } from './anchor-format.ts'
import { createAnchorIndex, type IndexedAnchor } from './anchor-index.ts'
import { createHorizonClient } from './horizon-client.ts'
import { guardHorizon, isNotFound } from './horizon-errors.ts'
import { createNodeRegistry } from './node-registry.ts'
import { createSequenceSender } from './sequence-sender.ts'
import { failureReason, STELLAR_PASSPHRASES } from './stellar-network.ts'

export { STELLAR_PASSPHRASES } from './stellar-network.ts'

import { checkSigners, type SignerCheck, type ThresholdLevel, verifySignInWith } from './stellar-signers.ts'

/** Options of {@link createStellarAdapter}. */
export interface StellarAdapterOptions {
  /** Horizon base URL. */
  readonly rpcUrl: string
  /** CAIP-2 id `stellar:<network>` (pubnet, testnet, futurenet, standalone, or any with `passphrase`). */
  readonly chainId: string
  /** `G…` (anchoring account = registry account) or `G…@G…` (anchoring@registry). */
  readonly contract: string
  /** The submitter's secret seed `S…` (StrKey ed25519 seed); omit for a read-only adapter. Never logged. */
  readonly secret?: string
  /** Network passphrase; default from the chain id. */
  readonly passphrase?: string
  /** Ledgers after which an anchor is `final` (default 1: the including ledger). */
  readonly confirmations?: number
  /** Time bound of submitted transactions, seconds from now (default 120). */
  readonly validitySec?: number
  /**
   * Threshold level the signers of a sign-in must reach (default `medium`, what SEP-10 servers
   * use for authentication). Chosen here by the verifier; a client cannot lower it.
   */
  readonly signInThreshold?: ThresholdLevel
  /** Time limit of one Horizon request, ms (default 20 000; a submission keeps the SDK's 60 s). */
  readonly requestTimeoutMs?: number
}

/** The Stellar adapter: a `ChainAdapter` plus Stellar-specific reads. */
export interface StellarAdapter extends ChainAdapter, SubmitterCheck {
  /** The submitting key's account id `G…`, `undefined` when read-only. */
  readonly account: string | undefined
  readonly anchorAccount: string
  readonly registryAccount: string
  readonly passphrase: string
  /** SEP-10 signer / threshold check through Horizon `GET /accounts/:id`. */
  checkSigners(
    accountId: string,
    signerPublicKeys: readonly string[],
    threshold: ThresholdLevel,
    options?: CallOptions,
  ): Promise<SignerCheck>
  verifySignIn(check: SignInCheck, options?: CallOptions): Promise<boolean>
}

/**
 * Creates the Stellar adapter. Makes no network call (a chain that is down surfaces as
 * `ChainUnavailable` on use).
 *
 * @example
 * const a = await createStellarAdapter({ rpcUrl, chainId: 'stellar:standalone', contract: 'GA…', secret: 'SB…' })
 * const r = await a.submitAnchor({ logId, treeSize: 10, root })
 */
export async function createStellarAdapter(options: StellarAdapterOptions): Promise<StellarAdapter> {
  const m = /^stellar:([-_a-zA-Z0-9]{1,32})$/.exec(options.chainId)
  if (!m) throw new InvalidInput(`chainId must be stellar:<network>, got ${options.chainId}`)
  const passphrase = options.passphrase ?? STELLAR_PASSPHRASES[m[1]!]
  if (!passphrase) throw new InvalidInput(`no known passphrase for ${options.chainId}; pass one`)
  const { anchor, registry } = parseContract(options.contract)
  const finality = options.confirmations ?? 1
  const signInThreshold = options.signInThreshold ?? 'medium'
  if (!['low', 'medium', 'high'].includes(signInThreshold))
    throw new InvalidInput('signInThreshold must be low, medium or high')
  if (!Number.isInteger(finality) || finality < 1)
    throw new InvalidInput('confirmations must be an integer >= 1')
  let keypair: Keypair | undefined
  if (options.secret !== undefined) {
    if (!StrKey.isValidEd25519SecretSeed(options.secret))
      throw new InvalidInput('the Stellar signer secret must be an S… secret seed') // never echo it
    keypair = Keypair.fromSecret(options.secret)
  }
  const account = keypair?.publicKey()
  const requestTimeoutMs = options.requestTimeoutMs ?? 20_000
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1)
    throw new InvalidInput('requestTimeoutMs must be a positive integer')
  // close() aborts every request in flight and every retry wait.
  const closing = new AbortController()
  const server = createHorizonClient(options.rpcUrl, { timeoutMs: requestTimeoutMs, signal: closing.signal })
  const sender = keypair
    ? createSequenceSender({
        server,
        keypair,
        passphrase,
        validitySec: options.validitySec ?? 120,
        closing: closing.signal,
      })
    : undefined
  const submits = createSingleFlight<SubmitAnchorResult>()
  let closed = false

  const { dataOf, submitters, registerNode, revokeNode } = createNodeRegistry({
    server,
    registry,
    sender: () => requireSender('node registry'),
  })
  const index = createAnchorIndex({
    server,
    passphrase,
    account: anchor,
    candidateSigners: async () => {
      const regs = await submitters()
      try {
        const acc = await server.loadAccount(anchor)
        // Only ed25519 keys sign; pre-auth (T…), hash-x (X…) and signed-payload (P…) signers never do.
        const keys = acc.signers.filter((s) => s.type === 'ed25519_public_key').map((s) => s.key)
        return [...new Set([...keys, ...regs])]
      } catch {
        return regs
      }
    },
  })
  const find = (root: Uint8Array, signal?: AbortSignal): Promise<IndexedAnchor | null> =>
    guardHorizon('anchorOf', signal, () => index.find(root))
  const anchorsOf = (root: Uint8Array, signal?: AbortSignal): Promise<readonly IndexedAnchor[]> =>
    guardHorizon('anchorOf', signal, () => index.all(root))
  const toAnchor = (a: IndexedAnchor): OnChainAnchor => ({
    logId: a.logId,
    treeSize: a.treeSize,
    height: a.ledger,
    timestamp: a.timestamp,
    submitter: a.submitter,
  })

  const requireSender = (what: string) => {
    if (!sender || !account)
      throw new ChainRejected(`${what}: this adapter is read-only (no secret seed)`, {
        details: { reason: 'ReadOnlyAdapter' },
      })
    if (closed) throw new ChainRejected(`${what}: adapter closed`, { details: { reason: 'Closed' } })
    return { sender, account }
  }

  const submitAnchor = async (req: AnchorRequest, opts: CallOptions = {}): Promise<SubmitAnchorResult> => {
    validateAnchorRequest(req, { minTreeSize: 1 })
    const s = requireSender('anchor')
    const key = Buffer.from(req.root).toString('hex')
    return submits.run(
      key,
      async (signal): Promise<SubmitAnchorResult> => {
        signal.throwIfAborted()
        // Checks and send run as one job in the sender's queue: anchors land in call order.
        return s.sender.exclusive(async (send) => {
          const existing = await anchorsOf(req.root, signal)
          const same = existing.find((a) => Buffer.compare(a.logId, req.logId) === 0)
          if (same) return { kind: 'already-anchored', anchor: toAnchor(same) }
          if (existing.length > 0)
            // Another signer of the account anchored this root first under another log id: anchorOf(root)
            // answers with that anchor, so ours would never be the one a verifier reads.
            throw new ChainRejected(
              `anchor: root already anchored under another log id by ${existing[0]!.submitter} (tx ${existing[0]!.tx})`,
              {
                details: { reason: 'AnchorConflict', tx: existing[0]!.tx, submitter: existing[0]!.submitter },
              },
            )
          if (!(await submitters(signal)).includes(s.account))
            throw new NotRegisteredSubmitter(
              `anchor: ${s.account} is not the submitter of a registered node`,
              {
                details: { reason: 'NotSubmitter', account: s.account, registry },
              },
            )
          const sent = await send({
            what: 'anchor',
            source: anchor,
            memo: Memo.hash(Buffer.from(req.root)),
            operations: [
              Operation.manageData({
                name: anchorDataName(req.logId),
                value: anchorDataValue(req.treeSize, req.logId),
              }),
            ],
            signal,
          })
          return { kind: 'submitted', tx: sent.hash }
        })
      },
      opts.signal,
    )
  }

  const anchorStatus = async (
    root: Uint8Array,
    tx: string | undefined,
    opts: CallOptions = {},
  ): Promise<ChainAnchorStatus> => {
    checkBytes32(root, 'root')
    // With the anchor's transaction hash one GET answers; the history scan is the fallback.
    const direct =
      tx && /^[0-9a-f]{64}$/i.test(tx)
        ? await guardHorizon('transaction', opts.signal, () => index.byTx(tx, root))
        : null
    const found = direct ?? (await find(root, opts.signal))
    if (found) {
      const info = await guardHorizon('root', opts.signal, () => server.root())
      const head = Number(info.history_latest_ledger)
      return anchoredStatus({ anchor: toAnchor(found), head, finality, tx: found.tx })
    }
    if (tx && /^[0-9a-f]{64}$/i.test(tx)) {
      try {
        const rec = await guardHorizon('transaction', opts.signal, () =>
          server.transactions().transaction(tx).call(),
        )
        if (!rec.successful) return { state: 'reverted', tx, reason: failureReason(rec.result_xdr) }
      } catch (e) {
        if (!isNotFound((e as { cause?: unknown }).cause)) throw e
      }
    }
    return { state: 'missing' }
  }

  return {
    chainId: options.chainId,
    contract: options.contract,
    capabilities: Object.freeze({
      verifyInclusion: false,
      finalityConfirmations: finality,
      canSubmit: !!keypair,
      signIn: true,
    }),
    account,
    anchorAccount: anchor,
    registryAccount: registry,
    passphrase,
    submitAnchor,
    async anchorOf(root, opts = {}) {
      checkBytes32(root, 'root')
      const found = await find(root, opts.signal)
      return found ? toAnchor(found) : null
    },
    anchorStatus,
    registerNode,
    revokeNode,
    async isNode(nodeKey, opts = {}) {
      checkBytes32(nodeKey, 'nodeKey')
      return (await dataOf(registry, opts.signal)).has(nodeDataName(nodeKey))
    },
    async isSubmitter(who, opts = {}) {
      const target = who ?? account
      return target ? (await submitters(opts.signal)).includes(target) : false
    },
    checkSigners: (id, keys, threshold, opts) => checkSigners(server, id, keys, threshold, opts),
    verifySignIn: (check, opts) => verifySignInWith(server, options.chainId, check, signInThreshold, opts),
    async close() {
      if (closed) return
      closed = true
      closing.abort(new Error('adapter closed'))
      await sender?.idle()
    },
  }
}

/**
 * Builds the Stellar adapter from a config entry. `secret` is the trimmed content of `signerKeyFile`:
 * the submitter's `S…` secret seed (a key that signs for the anchoring and registry accounts);
 * `undefined` gives a read-only adapter.
 */
export const stellarAdapterFactory: AdapterFactory = (chain, secret) =>
  createStellarAdapter({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    contract: chain.contract,
    confirmations: chain.confirmations,
    ...(secret !== undefined ? { secret } : {}),
    ...(chain.requestTimeoutMs !== undefined ? { requestTimeoutMs: chain.requestTimeoutMs } : {}),
  })
