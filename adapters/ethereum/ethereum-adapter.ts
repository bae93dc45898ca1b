/**
 * The Ethereum chain adapter: `ChainAdapter` over the `MeroAnchor` contract with ethers v6. Thin by
 * design — it turns "anchor this root" into `anchor(logId, treeSize, root)` and reads `anchorOf`; the
 * anchor state machine, cadence and retries live in the core.
 *
 * Sign-in: `verifySignIn` checks contract wallets on chain (EIP-1271, ERC-6492; see `contract-wallet.ts`);
 * externally owned accounts are checked offline by the `eip155` sign-in scheme (`ethereum-sign-in.ts`).
 *
 * Concurrency: every transaction goes through one serialized send path that owns the account's nonce
 * (kept locally, re-read from the chain after any send error or an observed reorg); concurrent
 * submissions of the same root share one transaction.
 */
import { FetchRequest, getAddress, JsonRpcProvider, Network, type TransactionRequest, Wallet } from 'ethers'
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
  OnChainAnchor,
  RegisterNodeOptions,
  SubmitAnchorResult,
  SubmitterCheck,
} from '../../src/chain/chain-adapter.ts'
import { recoverAlreadyAnchored } from '../../src/chain/recover-already-anchored.ts'
import { createSingleFlight } from '../../src/chain/single-flight.ts'
import { toHex } from '../../src/core/bytes.ts'
import { ChainRejected, InvalidInput, isMeroError } from '../../src/core/errors.ts'
import { anchorInterface } from './anchor-abi.ts'
import { createContractWalletCheck } from './contract-wallet.ts'
import {
  createTransactionSender,
  guardRpc,
  revertReason,
  type TransactionSender,
} from './transaction-sender.ts'

/** Options of {@link createEthereumAdapter}. */
export interface EthereumAdapterOptions {
  /** JSON-RPC endpoint. */
  readonly rpcUrl: string
  /** CAIP-2 id, `eip155:<chain id>`. */
  readonly chainId: string
  /** Address of the deployed `MeroAnchor` contract. */
  readonly contract: string
  /** Hex secp256k1 key of the submitting account; omit for a read-only adapter. Never logged. */
  readonly privateKey?: string
  /** Confirmations after which an anchor is `final` (default 1: the including block). */
  readonly confirmations?: number
  /** Polling interval while waiting for receipts (default 1000 ms; use ~50 on a devnet). */
  readonly pollMs?: number
  /** Per-request RPC timeout (default 30 s). */
  readonly requestTimeoutMs?: number
  /** Extra gas over the estimate, in percent (default 20). */
  readonly gasHeadroomPercent?: number
  /** Re-read the account nonce from the chain when the local one is older than this (default 30 s). */
  readonly nonceMaxAgeMs?: number
}

/** The Ethereum adapter: a `ChainAdapter` plus Ethereum-specific reads. */
export interface EthereumAdapter extends ChainAdapter, SubmitterCheck, InclusionCheck {
  /** Checksummed address of the submitting account, `undefined` when read-only. */
  readonly account: string | undefined
}

/**
 * Creates the Ethereum adapter.
 *
 * @example
 * const adapter = createEthereumAdapter({ rpcUrl, chainId: 'eip155:31337', contract, privateKey, pollMs: 50 })
 * const r = await adapter.submitAnchor({ logId, treeSize: 10, root })
 * if (r.kind === 'submitted') console.log(await adapter.anchorStatus(root, r.tx))
 */
export function createEthereumAdapter(options: EthereumAdapterOptions): EthereumAdapter {
  const m = /^eip155:([1-9][0-9]{0,15})$/.exec(options.chainId)
  if (!m)
    throw new InvalidInput(`chainId must be eip155:<n>, got ${options.chainId}`, {
      details: { chainId: options.chainId },
    })
  const numericChainId = BigInt(m[1]!)
  let contract: string
  try {
    contract = getAddress(options.contract)
  } catch {
    throw new InvalidInput('contract is not an Ethereum address', { details: { contract: options.contract } })
  }
  const finality = options.confirmations ?? 1
  if (!Number.isInteger(finality) || finality < 1)
    throw new InvalidInput('confirmations must be an integer >= 1')

  let wallet: Wallet | undefined
  if (options.privateKey !== undefined) {
    try {
      wallet = new Wallet(options.privateKey)
    } catch {
      // Never echo the key.
      throw new InvalidInput('privateKey is not a valid secp256k1 private key')
    }
  }
  const account = wallet?.address

  const request = new FetchRequest(options.rpcUrl)
  request.timeout = options.requestTimeoutMs ?? 30_000
  const network = Network.from(numericChainId)
  const provider = new JsonRpcProvider(request, network, { staticNetwork: network, cacheTimeout: -1 })
  provider.pollingInterval = options.pollMs ?? 1000
  const iface = anchorInterface()

  const capabilities: ChainCapabilities = Object.freeze({
    verifyInclusion: true,
    finalityConfirmations: finality,
    canSubmit: wallet !== undefined,
    signIn: true,
  })
  // Sign-in of contract wallets: EIP-1271, and ERC-6492 for wallets not deployed yet.
  const contractWalletCheck = createContractWalletCheck(provider, options.chainId)

  const sender = wallet
    ? createTransactionSender({
        provider,
        wallet,
        contract,
        chainId: numericChainId,
        iface,
        gasHeadroomPercent: options.gasHeadroomPercent ?? 20,
        nonceMaxAgeMs: options.nonceMaxAgeMs ?? 30_000,
      })
    : undefined
  // Concurrent submissions of one root share one transaction.
  const submits = createSingleFlight<SubmitAnchorResult>()
  let closed = false

  const rpc = <T>(what: string, signal: AbortSignal | undefined, f: () => Promise<T>): Promise<T> =>
    guardRpc(iface, what, signal, f)

  const call = async (what: string, fn: string, args: unknown[], signal?: AbortSignal) =>
    rpc(what, signal, async () => {
      const data = await provider.call({ to: contract, data: iface.encodeFunctionData(fn, args) })
      return iface.decodeFunctionResult(fn, data)
    })

  const readAnchor = async (root: Uint8Array, signal?: AbortSignal): Promise<OnChainAnchor | null> => {
    const r = await call('anchorOf', 'anchorOf', [toHex(root)], signal)
    const treeSize = r[1] as bigint
    if (treeSize === 0n) return null
    return {
      logId: bytes32(r[0] as string),
      treeSize: Number(treeSize),
      height: Number(r[2] as bigint),
      timestamp: Number(r[3] as bigint) * 1000,
      submitter: getAddress(r[4] as string),
    }
  }

  const requireSender = (what: string): TransactionSender => {
    if (!sender)
      throw new ChainRejected(`${what}: this adapter is read-only (no private key)`, {
        details: { reason: 'ReadOnlyAdapter' },
      })
    if (closed) throw new ChainRejected(`${what}: adapter closed`, { details: { reason: 'Closed' } })
    return sender
  }

  const submitAnchor = async (req: AnchorRequest, opts: CallOptions = {}): Promise<SubmitAnchorResult> => {
    validateAnchorRequest(req, { minTreeSize: 0 }) // a zero tree size is the contract's to refuse
    const s = requireSender('anchor')
    opts.signal?.throwIfAborted()
    const key = toHex(req.root)
    // The shared submission stops before broadcasting only when every caller waiting on it aborted;
    // each caller stops waiting when its own signal aborts.
    return submits.run(
      key,
      async (signal): Promise<SubmitAnchorResult> => {
        const existing = await readAnchor(req.root, signal)
        if (existing) return { kind: 'already-anchored', anchor: existing }
        const data = iface.encodeFunctionData('anchor', [toHex(req.logId), req.treeSize, key])
        let tx: TransactionRequest
        try {
          tx = await s.prepare('anchor', data, signal)
        } catch (e) {
          return recoverAlreadyAnchored(e, () => readAnchor(req.root, signal))
        }
        return { kind: 'submitted', tx: await s.send('anchor', tx) }
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
    const { signal } = opts
    const [anchor, head] = await Promise.all([
      readAnchor(root, signal),
      rpc('blockNumber', signal, () => provider.getBlockNumber()),
    ])
    if (anchor) {
      let ownTx: string | undefined
      if (tx) {
        const receipt = await rpc('receipt', signal, () => provider.getTransactionReceipt(tx))
        if (receipt && receipt.status === 1 && receipt.blockNumber === anchor.height) ownTx = tx
      }
      return anchoredStatus({ anchor, head, finality, tx: ownTx })
    }
    if (tx) {
      const receipt = await rpc('receipt', signal, () => provider.getTransactionReceipt(tx))
      if (receipt && receipt.status === 0)
        return { state: 'reverted', tx, reason: await revertReason(provider, iface, tx) }
      if (receipt) return { state: 'pending', tx } // mined but state not visible yet (lagging node)
      const known = await rpc('transaction', signal, () => provider.getTransaction(tx))
      if (known) return { state: 'pending', tx }
    }
    // Neither the anchor nor the transaction is on chain: never sent, dropped, or removed by a reorg.
    // A reorg may also have rolled back this account's nonce: re-read it before the next send.
    sender?.invalidateNonce()
    return { state: 'missing' }
  }

  const registerNode = async (
    nodeKey: Uint8Array,
    metadata: string,
    opts: RegisterNodeOptions = {},
  ): Promise<void> => {
    checkBytes32(nodeKey, 'nodeKey')
    if (typeof metadata !== 'string') throw new InvalidInput('metadata must be a string')
    const s = requireSender('registerNode')
    let submitter: string
    try {
      submitter = getAddress(opts.submitter ?? account!)
    } catch {
      throw new InvalidInput('submitter is not an Ethereum address', {
        details: { submitter: opts.submitter },
      })
    }
    const current = await call('nodeOf', 'nodeOf', [toHex(nodeKey)], opts.signal)
    if (current[1] === true && getAddress(current[0] as string) === submitter && current[2] === metadata)
      return
    await s.sendAndWait(
      'registerNode',
      iface.encodeFunctionData('registerNode', [toHex(nodeKey), submitter, metadata]),
      opts.signal,
    )
  }

  const revokeNode = async (nodeKey: Uint8Array, opts: CallOptions = {}): Promise<void> => {
    checkBytes32(nodeKey, 'nodeKey')
    const s = requireSender('revokeNode')
    if (!(await isNode(nodeKey, opts))) return
    try {
      await s.sendAndWait('revokeNode', iface.encodeFunctionData('revokeNode', [toHex(nodeKey)]), opts.signal)
    } catch (e) {
      // Revoked concurrently by someone else: the outcome the caller asked for.
      if (isMeroError(e) && e.details.reason === 'UnknownNode') return
      throw e
    }
  }

  const isNode = async (nodeKey: Uint8Array, opts: CallOptions = {}): Promise<boolean> => {
    checkBytes32(nodeKey, 'nodeKey')
    return (await call('isNode', 'isNode', [toHex(nodeKey)], opts.signal))[0] as boolean
  }

  return {
    chainId: options.chainId,
    contract,
    capabilities,
    account,
    submitAnchor,
    anchorOf: (root, opts = {}) => {
      checkBytes32(root, 'root')
      return readAnchor(root, opts.signal)
    },
    anchorStatus,
    registerNode,
    revokeNode,
    isNode,
    async isSubmitter(who, opts = {}) {
      const target = who ?? account
      if (!target) return false
      return (await call('isSubmitter', 'isSubmitter', [getAddress(target)], opts.signal))[0] as boolean
    },
    async verifyInclusion(root, leafHash, index, treeSize, path, opts = {}) {
      checkBytes32(root, 'root')
      checkBytes32(leafHash, 'leafHash')
      for (const p of path) checkBytes32(p, 'path element')
      const r = await call(
        'verifyInclusion',
        'verifyInclusion',
        [toHex(root), toHex(leafHash), index, treeSize, path.map((p) => toHex(p))],
        opts.signal,
      )
      return r[0] as boolean
    },
    verifySignIn: (check, opts = {}) => contractWalletCheck(check, opts.signal),
    async close() {
      if (closed) return
      closed = true
      await sender?.idle()
      provider.destroy()
    },
  }
}

function bytes32(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'))
}

/**
 * Builds the Ethereum adapter from a config entry; `secret` is the submitting account's hex
 * secp256k1 private key (`0x…`), `undefined` for a read-only adapter.
 */
export const ethereumAdapterFactory: AdapterFactory = async (chain, secret) =>
  createEthereumAdapter({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    contract: chain.contract,
    ...(secret ? { privateKey: secret } : {}),
    confirmations: chain.confirmations,
    pollMs: chain.pollMs,
    ...(chain.requestTimeoutMs !== undefined ? { requestTimeoutMs: chain.requestTimeoutMs } : {}),
  })
