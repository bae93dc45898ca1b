/**
 * The ICP chain adapter: `ChainAdapter` over the `mero_anchor` Motoko canister with the unmodified
 * `@dfinity/agent`. Anchors are update calls answered with a certified reply (a certified reply is
 * final: `finalityConfirmations` 1, `confirmations` 1); the "transaction" is the call's request id
 * (hex). Reads are queries; a read-only adapter (a verifier) reads through replicated, certified calls
 * of the same query methods, so each answer is checked against the root key: pinned (`rootKey`),
 * fetched from `rpcUrl` for `icp:local` only, else the mainnet key built into the agent.
 *
 * No nonces to serialize on ICP: concurrent calls are independent; concurrent submissions of the
 * same root share one call, and a root already on chain sends nothing. A call the replica accepts
 * (202) without certifying it yet is `submitted` and followed by `anchorStatus` (`request_status`).
 *
 * Every request is bounded by `requestTimeoutMs`, ended by the call's AbortSignal and by `close()`
 * (`call-scope.ts`); a keep-alive connection a restarted replica closed is retried once on a fresh
 * one (safe: a call is deduplicated by its request id).
 *
 * Sign-in (`verifySignIn`, DESIGN §8): a session key's signature plus the delegation chain from the
 * account's root key (Ed25519 / ECDSA, or Internet Identity canister signatures checked against that
 * same root key), see `icp-sign-in.ts`.
 */
import { Certificate, HttpAgent, type Identity, lookupResultToBuffer } from '@dfinity/agent'
import { IDL } from '@dfinity/candid'
import { Principal } from '@dfinity/principal'
import type { AnchorService, CandidAnchor } from '../../contracts/icp/anchor-canister.ts'
import { checkBytes32, validateAnchorRequest } from '../../src/chain/anchor-request.ts'
import type {
  AdapterFactory,
  AnchorRequest,
  CallOptions,
  ChainAdapter,
  ChainAnchorStatus,
  OnChainAnchor,
  SubmitAnchorResult,
  SubmitterCheck,
} from '../../src/chain/chain-adapter.ts'
import { recoverAlreadyAnchored } from '../../src/chain/recover-already-anchored.ts'
import { createSingleFlight } from '../../src/chain/single-flight.ts'
import { Aborted, ChainRejected, InvalidInput } from '../../src/core/errors.ts'
import { createCallScope } from './call-scope.ts'
import { callCertified } from './certified-call.ts'
import { type IcpAdapterOptions, LOCAL_CHAIN_ID, parseRootKey } from './icp-adapter-options.ts'
import { guardIcp, IcReject } from './icp-errors.ts'
import { parseIcpSecret } from './icp-secret.ts'
import { verifyIcpSignIn } from './icp-sign-in.ts'

export { type IcpAdapterOptions, LOCAL_CHAIN_ID } from './icp-adapter-options.ts'
export { parseIcpSecret } from './icp-secret.ts'

/** The ICP adapter: a `ChainAdapter` plus ICP-specific reads. */
export interface IcpAdapter extends ChainAdapter, SubmitterCheck {
  /** Principal (text) of the signing identity; the anonymous principal when read-only. */
  readonly principal: string
  /** The HTTP agent (root key fetched on first use). */
  readonly agent: HttpAgent
}

const blob = IDL.Vec(IDL.Nat8)
const AnchorT = IDL.Record({
  log_id: blob,
  tree_size: IDL.Nat64,
  height: IDL.Nat64,
  timestamp: IDL.Nat64,
  submitter: IDL.Principal,
})
const NodeT = IDL.Record({ submitter: IDL.Principal, metadata: IDL.Text, active: IDL.Bool })

/**
 * Creates the ICP adapter. Nothing is contacted until the first call.
 *
 * @example
 * const a = await createIcpAdapter({ rpcUrl: ic.url, chainId: 'icp:local', contract: canisterId, secret })
 * await a.submitAnchor({ logId, treeSize: 3, root })
 */
export async function createIcpAdapter(options: IcpAdapterOptions): Promise<IcpAdapter> {
  if (!/^icp:[-_a-zA-Z0-9]{1,32}$/.test(options.chainId))
    throw new InvalidInput(`chainId must be icp:<network>, got ${options.chainId}`)
  let canisterId: Principal
  try {
    canisterId = Principal.fromText(options.contract)
  } catch {
    throw new InvalidInput('contract is not a canister id', { details: { contract: options.contract } })
  }
  if ((options.confirmations ?? 1) !== 1)
    throw new InvalidInput('ICP confirmations must be 1 (a certified reply is final)')
  const identity: Identity | undefined =
    options.secret !== undefined ? parseIcpSecret(options.secret) : undefined
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  const pinnedKey = parseRootKey(options.rootKey)
  const scope = createCallScope(timeoutMs)
  const agent = HttpAgent.createSync({
    host: options.rpcUrl,
    ...(identity ? { identity } : {}),
    // No pinned key: fetch it only for a local devnet; otherwise the agent keeps its mainnet key.
    shouldFetchRootKey: !pinnedKey && (options.fetchRootKey ?? options.chainId === LOCAL_CHAIN_ID),
    ...(pinnedKey ? { rootKey: pinnedKey } : {}),
    verifyQuerySignatures: false,
    retryTimes: 0,
    fetch: scope.fetch,
  })
  const principal = identity ? identity.getPrincipal() : Principal.anonymous()
  const canSubmit = identity !== undefined
  const certifiedReads = options.certifiedReads ?? !canSubmit
  const submits = createSingleFlight<SubmitAnchorResult>()

  /**
   * Runs one adapter call: refused once closed; every request it makes is bounded by the timeout,
   * ended by `signal` and by `close()`; failures mapped to the catalogue.
   */
  const guarded = <T>(what: string, signal: AbortSignal | undefined, f: (s: AbortSignal) => Promise<T>) => {
    if (scope.closed)
      return Promise.reject(new ChainRejected(`${what}: adapter closed`, { details: { reason: 'Closed' } }))
    return guardIcp(what, signal, () => scope.run(signal, f))
  }
  const certified = { pollLimitMs: timeoutMs, sleep: scope.sleep }

  /** A read: a query, or a certified replicated call of the same method. */
  const read = async <T>(
    method: keyof AnchorService,
    types: IDL.Type[],
    args: unknown[],
    ret: IDL.Type,
    signal?: AbortSignal,
  ) =>
    guarded(method, signal, async (s) => {
      const arg = new Uint8Array(IDL.encode(types, args))
      let reply: Uint8Array
      if (certifiedReads)
        reply = (await callCertified(agent, canisterId, method, arg, { ...certified, signal: s })).reply
      else {
        const r = await agent.query(canisterId, { methodName: method, arg })
        if (r.status !== 'replied') throw new IcReject(r.reject_code, r.reject_message, r.error_code)
        reply = r.reply.arg
      }
      return IDL.decode([ret], reply)[0] as T
    })
  /** An update with its certified outcome (`reply` undefined: accepted, outcome not awaited). */
  const update = (
    what: string,
    method: string,
    types: IDL.Type[],
    args: unknown[],
    signal?: AbortSignal,
    acceptedIsEnough = false,
  ) => {
    if (!canSubmit)
      throw new ChainRejected(`${what}: this adapter is read-only (no signer secret)`, {
        details: { reason: 'ReadOnlyAdapter' },
      })
    const arg = new Uint8Array(IDL.encode(types, args))
    return guarded(what, signal, (s) =>
      acceptedIsEnough
        ? callCertified(agent, canisterId, method, arg, { ...certified, signal: s, acceptedIsEnough })
        : callCertified(agent, canisterId, method, arg, { ...certified, signal: s }),
    )
  }

  const toAnchor = (a: CandidAnchor): OnChainAnchor => ({
    logId: new Uint8Array(a.log_id),
    treeSize: Number(a.tree_size),
    height: Number(a.height),
    timestamp: Number(a.timestamp / 1_000_000n),
    submitter: a.submitter.toText(),
  })
  const anchorOf = async (root: Uint8Array, opts: CallOptions = {}) => {
    checkBytes32(root, 'root')
    const r = await read<[] | [CandidAnchor]>('anchor_of', [blob], [root], IDL.Opt(AnchorT), opts.signal)
    return r[0] ? toAnchor(r[0]) : null
  }
  const isNode = async (nodeKey: Uint8Array, opts: CallOptions = {}) => {
    checkBytes32(nodeKey, 'nodeKey')
    return read<boolean>('is_node', [blob], [nodeKey], IDL.Bool, opts.signal)
  }

  /** The certified status of a request id this adapter sent (`undefined` when the replica forgot it). */
  const requestStatus = async (tx: string, signal?: AbortSignal) =>
    guarded('request_status', signal, async () => {
      if (!/^[0-9a-f]{64}$/.test(tx)) return undefined
      const id = new Uint8Array(Buffer.from(tx, 'hex'))
      const path = [new TextEncoder().encode('request_status'), id]
      const r = await agent.readState(canisterId, { paths: [path] })
      const cert = await Certificate.create({
        certificate: r.certificate,
        rootKey: await rootKey(),
        canisterId,
        agent,
      })
      const status = lookupResultToBuffer(cert.lookup_path([...path, 'status']))
      if (!status) return undefined
      const msg = lookupResultToBuffer(cert.lookup_path([...path, 'reject_message']))
      return { status: new TextDecoder().decode(status), reason: msg ? new TextDecoder().decode(msg) : '' }
    })
  const rootKey = async () => agent.rootKey ?? (await agent.fetchRootKey())

  const submitAnchor = async (req: AnchorRequest, opts: CallOptions = {}): Promise<SubmitAnchorResult> => {
    validateAnchorRequest(req, { minTreeSize: 0 }) // a zero tree size is the canister's to refuse
    if (!canSubmit)
      throw new ChainRejected('anchor: this adapter is read-only (no signer secret)', {
        details: { reason: 'ReadOnlyAdapter' },
      })
    if (opts.signal?.aborted) throw new Aborted('anchor: aborted')
    const key = Buffer.from(req.root).toString('hex')
    // The shared flight belongs to no single caller: each caller's signal ends only its own wait
    // (guardIcp below); the flight itself is bounded by the request timeout and close().
    const p = submits.run(key, async (): Promise<SubmitAnchorResult> => {
      const existing = await anchorOf(req.root)
      if (existing) return { kind: 'already-anchored', anchor: existing }
      try {
        // A call the replica accepted (202) but has not certified yet is submitted too: its
        // outcome is followed by anchorStatus through request_status, not waited for here.
        const r = await update(
          'anchor',
          'anchor',
          [blob, IDL.Nat64, blob],
          [req.logId, BigInt(req.treeSize), req.root],
          undefined,
          true,
        )
        return { kind: 'submitted', tx: r.requestId }
      } catch (e) {
        return recoverAlreadyAnchored(e, () => anchorOf(req.root))
      }
    })
    return guardIcp('anchor', opts.signal, () => p)
  }

  const anchorStatus = async (
    root: Uint8Array,
    tx: string | undefined,
    opts: CallOptions = {},
  ): Promise<ChainAnchorStatus> => {
    const anchor = await anchorOf(root, opts)
    if (anchor) {
      // A certified reply is final. The tx is reported when it is this adapter's own call.
      const own = tx !== undefined && canSubmit && anchor.submitter === principal.toText()
      return { state: 'final', ...(own ? { tx } : {}), height: anchor.height, confirmations: 1, anchor }
    }
    if (tx && canSubmit) {
      const s = await requestStatus(tx, opts.signal)
      if (s?.status === 'rejected') return { state: 'reverted', tx, reason: s.reason }
      if (s && s.status !== 'replied' && s.status !== 'done') return { state: 'pending', tx }
    }
    return { state: 'missing' }
  }

  const registerNode = async (
    nodeKey: Uint8Array,
    metadata: string,
    opts: CallOptions & { submitter?: string } = {},
  ) => {
    checkBytes32(nodeKey, 'nodeKey')
    if (typeof metadata !== 'string') throw new InvalidInput('metadata must be a string')
    let submitter: Principal
    try {
      submitter = opts.submitter ? Principal.fromText(opts.submitter) : principal
    } catch {
      throw new InvalidInput('submitter is not a principal', { details: { submitter: opts.submitter } })
    }
    const current = await read<[] | [{ submitter: Principal; metadata: string; active: boolean }]>(
      'node_of',
      [blob],
      [nodeKey],
      IDL.Opt(NodeT),
      opts.signal,
    )
    const n = current[0]
    if (n?.active && n.metadata === metadata && n.submitter.toText() === submitter.toText()) return
    await update(
      'registerNode',
      'register_node',
      [blob, IDL.Principal, IDL.Text],
      [nodeKey, submitter, metadata],
      opts.signal,
    )
  }

  return {
    chainId: options.chainId,
    contract: canisterId.toText(),
    capabilities: Object.freeze({
      verifyInclusion: false,
      finalityConfirmations: 1,
      canSubmit,
      signIn: true,
    }),
    principal: principal.toText(),
    agent,
    submitAnchor,
    anchorOf,
    anchorStatus,
    registerNode,
    async revokeNode(nodeKey, opts = {}) {
      if (!canSubmit)
        throw new ChainRejected('revokeNode: this adapter is read-only', {
          details: { reason: 'ReadOnlyAdapter' },
        })
      if (!(await isNode(nodeKey, opts))) return
      await update('revokeNode', 'revoke_node', [blob], [nodeKey], opts.signal)
    },
    isNode,
    async isSubmitter(p, opts = {}) {
      const who = p ? Principal.fromText(p) : principal
      return read<boolean>('is_submitter', [IDL.Principal], [who], IDL.Bool, opts.signal)
    },
    async verifySignIn(check, opts = {}) {
      const key = await guarded('rootKey', opts.signal, rootKey)
      return verifyIcpSignIn(check, new Uint8Array(key))
    },
    async close() {
      scope.close()
    },
  }
}

/**
 * Builds the ICP adapter from a config entry. `secret` is the signer's 32-byte Ed25519 seed in hex
 * (64 characters) or base64 ({@link parseIcpSecret}); `undefined` gives a read-only adapter whose
 * reads are certified against the root key (fetched from `rpcUrl` only for `icp:local`, else mainnet's).
 */
export const icpAdapterFactory: AdapterFactory = async (chain, secret) =>
  createIcpAdapter({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    contract: chain.contract,
    ...(secret ? { secret } : {}),
    confirmations: chain.confirmations,
    ...(chain.requestTimeoutMs !== undefined ? { requestTimeoutMs: chain.requestTimeoutMs } : {}),
  })
