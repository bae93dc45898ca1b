/**
 * The Starknet chain adapter: `ChainAdapter` over the Cairo `MeroAnchor` contract with starknet.js 10
 * (JSON-RPC 0.9). Thin: `anchor(log_id: u256, tree_size: u64, root: u256)` through `Account.execute`,
 * `anchor_of` through `starknet_call`. Finality: a transaction whose block is `ACCEPTED_ON_L2` is
 * counted as final once `confirmations` blocks (default 1) are on top (inclusive) — on Starknet
 * `ACCEPTED_ON_L2` is the sequencer's commitment; `ACCEPTED_ON_L1` (proof verified on Ethereum) comes
 * hours later and is not waited for.
 */
import { Account, type Call, num, RpcError, RpcProvider, shortString } from 'starknet'
import {
  anchorCalldata,
  bytesToBigint,
  decodeByteArray,
  registerNodeCalldata,
  u256ToFelts,
} from '../../contracts/starknet/anchor-calldata.ts'
import { checkBytes32, validateAnchorRequest } from '../../src/chain/anchor-request.ts'
import { anchoredStatus } from '../../src/chain/anchored-status.ts'
import type {
  AdapterFactory,
  AnchorRequest,
  CallOptions,
  ChainAdapter,
  ChainAnchorStatus,
  SignInCheck,
  SubmitAnchorResult,
  SubmitterCheck,
} from '../../src/chain/chain-adapter.ts'
import { recoverAlreadyAnchored } from '../../src/chain/recover-already-anchored.ts'
import { createSingleFlight } from '../../src/chain/single-flight.ts'
import { toHex } from '../../src/core/bytes.ts'
import { ChainRejected, InvalidInput, isMeroError } from '../../src/core/errors.ts'
import { verifyStarknetSignIn } from './sign-in.ts'
import { panicIn, wrapStarknetError } from './starknet-errors.ts'
import { createStarknetFetch } from './starknet-fetch.ts'
import { createStarknetReader } from './starknet-reader.ts'
import { parseStarknetSecret, type StarknetSecret } from './starknet-secret.ts'
import { createStarknetSender, type StarknetSender } from './starknet-sender.ts'

/** Options of {@link createStarknetAdapter}. */
export interface StarknetAdapterOptions {
  /** JSON-RPC 0.9 endpoint. */
  readonly rpcUrl: string
  /** CAIP-2 id `starknet:<chain id short string>`, e.g. `starknet:SN_DEVNET`, `starknet:SN_SEPOLIA`. */
  readonly chainId: string
  /** Address of the deployed anchor contract. */
  readonly contract: string
  /** Submitting account; omit for a read-only adapter. The key is never logged. */
  readonly account?: StarknetSecret
  /** Blocks (inclusive) after which an ACCEPTED_ON_L2 anchor is `final` (default 1). */
  readonly confirmations?: number
  /** Receipt polling interval (default 1000 ms; ~50 on a devnet). */
  readonly pollMs?: number
  /** Per-request timeout (default 30 s). */
  readonly requestTimeoutMs?: number
  /** Longest wait for a sent transaction to be accepted (default 300 s), then `ChainUnavailable`. */
  readonly receiptTimeoutMs?: number
  /** How long a sent transaction may stay unknown to the node before it counts as dropped (default 30 s). */
  readonly unknownTxMs?: number
}

/** The Starknet adapter: a `ChainAdapter` plus Starknet-specific reads. */
export interface StarknetAdapter extends ChainAdapter, SubmitterCheck {
  /** Address of the submitting account, `undefined` when read-only. */
  readonly account: string | undefined
  /** The starknet.js provider (read-only use). */
  readonly provider: RpcProvider
  verifySignIn(check: SignInCheck, options?: CallOptions): Promise<boolean>
  /**
   * The class hash of the contract at `address` (latest block), `undefined` when nothing is deployed
   * there — how sign-in tells a deployed account (ask the contract) from a counterfactual one.
   */
  classHashAt(address: string, options?: CallOptions): Promise<string | undefined>
}

/**
 * Creates the Starknet adapter (no network access until the first call).
 *
 * @example
 * const a = await createStarknetAdapter({ rpcUrl, chainId: 'starknet:SN_DEVNET', contract, account: { address, privateKey } })
 * const r = await a.submitAnchor({ logId, treeSize: 10, root })
 */
export async function createStarknetAdapter(options: StarknetAdapterOptions): Promise<StarknetAdapter> {
  const m = /^starknet:([-_a-zA-Z0-9]{1,31})$/.exec(options.chainId)
  if (!m) throw new InvalidInput(`chainId must be starknet:<short string>, got ${options.chainId}`)
  const chainRef = m[1]!
  const chainFelt = shortString.encodeShortString(chainRef)
  if (!/^0x[0-9a-fA-F]{1,64}$/.test(options.contract))
    throw new InvalidInput('contract is not a Starknet address', { details: { contract: options.contract } })
  const contract = `0x${BigInt(options.contract).toString(16)}`
  const finality = options.confirmations ?? 1
  if (!Number.isInteger(finality) || finality < 1)
    throw new InvalidInput('confirmations must be an integer >= 1')
  const pollMs = options.pollMs ?? 1000
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  // Own sockets (closed by close()) and a deadline on every request, connect to last byte.
  const transport = createStarknetFetch({ timeoutMs })
  const provider = new RpcProvider({
    nodeUrl: options.rpcUrl,
    specVersion: '0.9.0',
    baseFetch: transport.fetch,
    retries: 3,
  })
  const account = options.account
    ? new Account({
        provider,
        address: options.account.address,
        signer: options.account.privateKey,
        cairoVersion: '1',
      })
    : undefined
  const { rpc, checkChain, call, readAnchor, waitForReceipt } = createStarknetReader({
    provider,
    contract,
    chainId: options.chainId,
    chainFelt,
    pollMs,
    ...(options.receiptTimeoutMs === undefined ? {} : { receiptTimeoutMs: options.receiptTimeoutMs }),
    ...(options.unknownTxMs === undefined ? {} : { unknownTxMs: options.unknownTxMs }),
  })

  const sender: StarknetSender | undefined = account
    ? createStarknetSender(account, waitForReceipt)
    : undefined
  const submits = createSingleFlight<SubmitAnchorResult>()
  let closed = false

  const requireSender = async (what: string, signal?: AbortSignal): Promise<StarknetSender> => {
    if (!sender)
      throw new ChainRejected(`${what}: this adapter is read-only (no account)`, {
        details: { reason: 'ReadOnlyAdapter' },
      })
    if (closed) throw new ChainRejected(`${what}: adapter closed`, { details: { reason: 'Closed' } })
    await checkChain(signal)
    return sender
  }

  const submitAnchor = async (req: AnchorRequest, opts: CallOptions = {}): Promise<SubmitAnchorResult> => {
    validateAnchorRequest(req, { minTreeSize: 0 }) // a zero tree size is the contract's to refuse
    if (!sender) await requireSender('anchor')
    if (opts.signal?.aborted) throw wrapStarknetError('anchor', new Error('aborted'), opts.signal)
    const key = toHex(req.root)
    const p = submits.run(
      key,
      async (signal): Promise<SubmitAnchorResult> => {
        const s = await requireSender('anchor', signal)
        const existing = await readAnchor(req.root, signal)
        if (existing) return { kind: 'already-anchored', anchor: existing }
        const calls: Call[] = [
          {
            contractAddress: contract,
            entrypoint: 'anchor',
            calldata: anchorCalldata(bytesToBigint(req.logId), req.treeSize, bytesToBigint(req.root)).map(
              String,
            ),
          },
        ]
        try {
          return { kind: 'submitted', tx: await s.send('anchor', calls, signal) }
        } catch (e) {
          return recoverAlreadyAnchored(e, () => readAnchor(req.root, signal))
        }
      },
      opts.signal,
    )
    return rpc('anchor', opts.signal, () => p)
  }

  const anchorStatus = async (
    root: Uint8Array,
    tx: string | undefined,
    opts: CallOptions = {},
  ): Promise<ChainAnchorStatus> => {
    checkBytes32(root, 'root')
    const { signal } = opts
    const [anchor, head] = await Promise.all([
      readAnchor(root, signal),
      rpc('blockNumber', signal, () => provider.getBlockNumber()),
    ])
    const status = async () => {
      if (!tx) return undefined
      return rpc('transactionStatus', signal, () => provider.getTransactionStatus(tx)).catch((e) => {
        if (isMeroError(e) && e.details.code === 29) return undefined
        throw e
      })
    }
    if (anchor) {
      let ownTx: string | undefined
      if (tx) {
        const r = await rpc('receipt', signal, () => provider.getTransactionReceipt(tx)).catch(
          () => undefined,
        )
        const v = r?.value as { block_number?: number; execution_status?: string } | undefined
        if (v?.execution_status === 'SUCCEEDED' && v.block_number === anchor.height) ownTx = tx
      }
      return anchoredStatus({ anchor, head, finality, tx: ownTx })
    }
    const st = await status()
    if (tx && st) {
      if (st.execution_status === 'REVERTED') {
        const reason = String(st.failure_reason ?? 'reverted')
        return { state: 'reverted', tx, reason: panicIn(reason) ?? reason.slice(0, 300) }
      }
      return { state: 'pending', tx }
    }
    sender?.invalidateNonce()
    return { state: 'missing' }
  }

  const isNode = async (nodeKey: Uint8Array, opts: CallOptions = {}) => {
    checkBytes32(nodeKey, 'nodeKey')
    const r = await call('is_node', 'is_node', u256ToFelts(bytesToBigint(nodeKey)), opts.signal)
    return BigInt(r[0] ?? 0) === 1n
  }

  return {
    chainId: options.chainId,
    contract,
    capabilities: Object.freeze({
      verifyInclusion: false,
      finalityConfirmations: finality,
      canSubmit: !!account,
      signIn: true,
    }),
    account: account?.address,
    provider,
    submitAnchor,
    anchorOf: async (root, opts = {}) => {
      checkBytes32(root, 'root')
      return readAnchor(root, opts.signal)
    },
    anchorStatus,
    async registerNode(nodeKey, metadata, opts = {}) {
      checkBytes32(nodeKey, 'nodeKey')
      if (typeof metadata !== 'string') throw new InvalidInput('metadata must be a string')
      const s = await requireSender('register_node', opts.signal)
      const submitter = opts.submitter ?? account!.address
      if (!/^0x[0-9a-fA-F]{1,64}$/.test(submitter))
        throw new InvalidInput('submitter is not a Starknet address')
      const key = u256ToFelts(bytesToBigint(nodeKey))
      const cur = await call('node_of', 'node_of', key, opts.signal)
      const felts = cur.map((x) => BigInt(x))
      if (felts[1] === 1n && felts[0] === BigInt(submitter) && decodeByteArray(felts, 2).value === metadata)
        return
      const calldata = registerNodeCalldata(bytesToBigint(nodeKey), BigInt(submitter), metadata).map(String)
      await s.sendAndWait(
        'register_node',
        [{ contractAddress: contract, entrypoint: 'register_node', calldata }],
        opts.signal,
      )
    },
    async revokeNode(nodeKey, opts = {}) {
      checkBytes32(nodeKey, 'nodeKey')
      const s = await requireSender('revoke_node', opts.signal)
      if (!(await isNode(nodeKey, opts))) return
      const calldata = u256ToFelts(bytesToBigint(nodeKey)).map(String)
      try {
        await s.sendAndWait(
          'revoke_node',
          [{ contractAddress: contract, entrypoint: 'revoke_node', calldata }],
          opts.signal,
        )
      } catch (e) {
        if (isMeroError(e) && e.details.reason === 'UNKNOWN_NODE') return // revoked concurrently
        throw e
      }
    },
    isNode,
    async isSubmitter(who, opts = {}) {
      const target = who ?? account?.address
      if (!target) return false
      const r = await call('is_submitter', 'is_submitter', [BigInt(target)], opts.signal)
      return BigInt(r[0] ?? 0) === 1n
    },
    async verifySignIn(check, opts = {}) {
      await checkChain(opts.signal)
      return rpc('verifySignIn', opts.signal, () => verifyStarknetSignIn(provider, chainRef, check))
    },
    async classHashAt(address, opts = {}) {
      if (typeof address !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(address))
        throw new InvalidInput('address is not a Starknet address')
      await checkChain(opts.signal)
      return rpc('classHashAt', opts.signal, async () => {
        try {
          return num.toHex(await provider.getClassHashAt(address, 'latest'))
        } catch (e) {
          if (e instanceof RpcError && e.code === 20) return undefined // CONTRACT_NOT_FOUND
          throw e
        }
      })
    },
    async close() {
      if (closed) return
      closed = true
      await sender?.idle()
      transport.close()
    },
  }
}

/**
 * Builds the adapter from a config entry. `secret` (the trimmed `signerKeyFile`) is either JSON
 * `{"address":"0x…","privateKey":"0x…"}` or `0x<address>:0x<private key>`; undefined = read-only.
 */
export const starknetAdapterFactory: AdapterFactory = async (chain, secret) =>
  createStarknetAdapter({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    contract: chain.contract,
    ...(secret === undefined ? {} : { account: parseStarknetSecret(secret) }),
    confirmations: chain.confirmations,
    pollMs: chain.pollMs,
    ...(chain.requestTimeoutMs !== undefined ? { requestTimeoutMs: chain.requestTimeoutMs } : {}),
  })
