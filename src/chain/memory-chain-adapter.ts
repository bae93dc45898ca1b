/**
 * An in-memory chain with the anchor contract's semantics, and `ChainAdapter`s over it — for unit
 * tests of the core (anchor scheduler, proof assembly) without a devnet. It models what the core must
 * survive: blocks (one per transaction, or on `mine()`), confirmations, reorgs that drop recent blocks
 * (`reorg(depth)`), reverted transactions, and RPC outages (`failNext(n)` → `ChainUnavailable`).
 *
 * Semantics follow `contracts/ethereum/MeroAnchor.sol`: registered submitters only, first write wins,
 * tree size ≥ 1, owner-only registry. Chain time is `now()` in ms.
 */
import { toHex } from '../core/bytes.ts'
import {
  Aborted,
  AlreadyAnchored,
  ChainRejected,
  ChainUnavailable,
  InvalidInput,
  NotRegisteredSubmitter,
} from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import { anchoredStatus } from './anchored-status.ts'
import type {
  AnchorRequest,
  CallOptions,
  ChainAdapter,
  ChainAnchorStatus,
  OnChainAnchor,
  SubmitAnchorResult,
} from './chain-adapter.ts'

/** Options of {@link createMemoryChain}. */
export interface MemoryChainOptions {
  /** CAIP-2 id (default `memory:local`). */
  readonly chainId?: string
  /** The registry owner's account (default `mem:owner`). */
  readonly owner?: string
  /** Mine a block per transaction (default true); when false, transactions wait for `mine()`. */
  readonly automine?: boolean
  /** Chain clock in ms (default `Date.now`). */
  readonly now?: () => number
}

/** Options of {@link MemoryChain.adapter}. */
export interface MemoryAdapterOptions {
  /** The submitting account (default the owner); `null` makes a read-only adapter. */
  readonly account?: string | null
  /** Confirmations for `final` (default 1). */
  readonly confirmations?: number
}

/** The in-memory chain: state, block production and fault injection. */
export interface MemoryChain {
  readonly chainId: string
  readonly contract: string
  readonly owner: string
  /** Height of the newest block (genesis is 0). */
  height(): number
  /** Mines `n` blocks (default 1); the first includes every pending transaction. */
  mine(n?: number): void
  /** Drops the newest `depth` blocks and their transactions (they are gone, as after an anvil `evm_revert`). */
  reorg(depth: number): void
  /** The next `n` adapter calls fail with `ChainUnavailable`. */
  failNext(n: number): void
  /** Transactions sent by `account` that are pending or in a block. */
  transactionCount(account: string): number
  /** A `ChainAdapter` acting as `account`. */
  adapter(options?: MemoryAdapterOptions): ChainAdapter
}

type Call =
  | { readonly kind: 'anchor'; readonly logId: Uint8Array; readonly treeSize: number; readonly root: string }
  | {
      readonly kind: 'register'
      readonly nodeKey: string
      readonly submitter: string
      readonly metadata: string
    }
  | { readonly kind: 'revoke'; readonly nodeKey: string }

interface Tx {
  readonly hash: string
  readonly from: string
  readonly call: Call
  status: 'pending' | 'ok' | 'reverted'
  reason?: string
}

interface Block {
  readonly height: number
  readonly timestamp: number
  readonly txs: string[]
}

interface State {
  anchors: Map<string, OnChainAnchor>
  nodes: Map<string, { submitter: string; active: boolean; metadata: string }>
  active: Map<string, number>
}

/**
 * Creates an empty in-memory chain.
 *
 * @example
 * const chain = createMemoryChain({ automine: false })
 * const adapter = chain.adapter()
 * await adapter.registerNode(nodeKey, 'me')      // owner registers itself as a submitter
 * const r = await adapter.submitAnchor({ logId, treeSize: 1, root })
 * chain.mine()                                   // now 'final'
 */
export function createMemoryChain(options: MemoryChainOptions = {}): MemoryChain {
  const chainId = options.chainId ?? 'memory:local'
  const owner = options.owner ?? 'mem:owner'
  const automine = options.automine ?? true
  const now = options.now ?? Date.now
  const contract = 'mem:anchor'
  const blocks: Block[] = [{ height: 0, timestamp: now(), txs: [] }]
  const txs = new Map<string, Tx>()
  let pending: string[] = []
  let failures = 0
  let txCounter = 0
  let state: State = emptyState()

  const head = (): Block => blocks[blocks.length - 1]!

  /** Executes `call` from `from` against `s`; returns the revert reason or null. */
  const execute = (s: State, from: string, call: Call, block: Block | undefined): string | null => {
    if (call.kind === 'anchor') {
      if ((s.active.get(from) ?? 0) === 0) return 'NotSubmitter'
      if (call.treeSize === 0) return 'InvalidTreeSize'
      if (s.anchors.has(call.root)) return 'AlreadyAnchored'
      if (block)
        s.anchors.set(call.root, {
          logId: call.logId,
          treeSize: call.treeSize,
          height: block.height,
          timestamp: block.timestamp,
          submitter: from,
        })
      return null
    }
    if (from !== owner) return 'NotOwner'
    const node = s.nodes.get(call.nodeKey)
    if (call.kind === 'revoke') {
      if (!node?.active) return 'UnknownNode'
      if (block) {
        node.active = false
        s.active.set(node.submitter, (s.active.get(node.submitter) ?? 1) - 1)
      }
      return null
    }
    if (block) {
      if (node?.active) s.active.set(node.submitter, (s.active.get(node.submitter) ?? 1) - 1)
      s.nodes.set(call.nodeKey, { submitter: call.submitter, active: true, metadata: call.metadata })
      s.active.set(call.submitter, (s.active.get(call.submitter) ?? 0) + 1)
    }
    return null
  }

  const mineOne = (): void => {
    const block: Block = {
      height: head().height + 1,
      timestamp: Math.max(head().timestamp, now()),
      txs: pending,
    }
    pending = []
    for (const hash of block.txs) {
      const tx = txs.get(hash)!
      const reason = execute(state, tx.from, tx.call, block)
      tx.status = reason === null ? 'ok' : 'reverted'
      if (reason !== null) tx.reason = reason
    }
    blocks.push(block)
  }

  const rebuild = (): void => {
    state = emptyState()
    for (const b of blocks) for (const h of b.txs) execute(state, txs.get(h)!.from, txs.get(h)!.call, b)
  }

  const chain: MemoryChain = {
    chainId,
    contract,
    owner,
    height: () => head().height,
    mine(n = 1) {
      for (let i = 0; i < n; i++) mineOne()
    },
    reorg(depth) {
      if (!Number.isInteger(depth) || depth < 0 || depth >= blocks.length)
        throw new InvalidInput(`cannot reorg ${depth} blocks`)
      for (const b of blocks.splice(blocks.length - depth, depth)) for (const h of b.txs) txs.delete(h)
      rebuild()
    },
    failNext(n) {
      failures = n
    },
    transactionCount(account) {
      let n = 0
      for (const tx of txs.values()) if (tx.from === account) n++
      return n
    },
    adapter(opts = {}) {
      return memoryAdapter(opts.account === undefined ? owner : opts.account, opts.confirmations ?? 1)
    },
  }

  /** Every adapter call passes here first: the fault injection point. */
  const rpc = (what: string, signal: AbortSignal | undefined): void => {
    if (signal?.aborted) throw new Aborted(`${what} aborted`, { cause: signal.reason })
    if (failures > 0) {
      failures--
      throw new ChainUnavailable(`${what}: memory chain RPC unavailable (injected)`, {
        details: { operation: what },
      })
    }
  }

  const sendTx = (from: string, call: Call, what: string): string => {
    // Like eth_estimateGas: a call that would revert now is refused before anything is sent.
    const reason = execute(state, from, call, undefined)
    if (reason !== null) throw revertError(what, reason)
    const hash = toHex(sha256(new TextEncoder().encode(`${chainId}:${++txCounter}:${from}`)))
    txs.set(hash, { hash, from, call, status: 'pending' })
    pending.push(hash)
    if (automine) mineOne()
    return hash
  }

  function memoryAdapter(account: string | null, finality: number): ChainAdapter {
    if (!Number.isInteger(finality) || finality < 1)
      throw new InvalidInput('confirmations must be an integer >= 1')
    const signer = (what: string): string => {
      if (account === null)
        throw new ChainRejected(`${what}: this adapter is read-only`, {
          details: { reason: 'ReadOnlyAdapter' },
        })
      return account
    }
    const isNode = async (nodeKey: Uint8Array, o: CallOptions = {}): Promise<boolean> => {
      rpc('isNode', o.signal)
      return state.nodes.get(key32(nodeKey, 'nodeKey'))?.active === true
    }
    return {
      chainId,
      contract,
      capabilities: Object.freeze({
        verifyInclusion: false,
        finalityConfirmations: finality,
        canSubmit: account !== null,
        signIn: false,
      }),
      async submitAnchor(req: AnchorRequest, o: CallOptions = {}): Promise<SubmitAnchorResult> {
        const root = key32(req.root, 'root')
        key32(req.logId, 'logId')
        if (!Number.isSafeInteger(req.treeSize) || req.treeSize < 0)
          throw new InvalidInput('treeSize must be a non-negative integer')
        const from = signer('anchor')
        rpc('anchor', o.signal)
        const existing = state.anchors.get(root)
        if (existing) return { kind: 'already-anchored', anchor: copy(existing) }
        // Our own transaction for this root is still pending: share it rather than send a duplicate.
        for (const h of pending) {
          const t = txs.get(h)!
          if (t.from === from && t.call.kind === 'anchor' && t.call.root === root)
            return { kind: 'submitted', tx: h }
        }
        const call: Call = { kind: 'anchor', logId: req.logId.slice(), treeSize: req.treeSize, root }
        return { kind: 'submitted', tx: sendTx(from, call, 'anchor') }
      },
      async anchorOf(root, o = {}) {
        const k = key32(root, 'root')
        rpc('anchorOf', o.signal)
        const a = state.anchors.get(k)
        return a ? copy(a) : null
      },
      async anchorStatus(root, tx, o = {}): Promise<ChainAnchorStatus> {
        const k = key32(root, 'root')
        rpc('anchorStatus', o.signal)
        const anchor = state.anchors.get(k)
        if (anchor) {
          const t = tx ? txs.get(tx) : undefined
          const own = t?.status === 'ok' && t.call.kind === 'anchor' && t.call.root === k
          return anchoredStatus({
            anchor: copy(anchor),
            head: head().height,
            finality,
            tx: own ? tx : undefined,
          })
        }
        const t = tx ? txs.get(tx) : undefined
        if (t?.status === 'reverted')
          return { state: 'reverted', tx: t.hash, reason: t.reason ?? 'execution reverted' }
        if (t?.status === 'pending') return { state: 'pending', tx: t.hash }
        return { state: 'missing' }
      },
      async registerNode(nodeKey, metadata, o = {}) {
        const k = key32(nodeKey, 'nodeKey')
        const from = signer('registerNode')
        rpc('registerNode', o.signal)
        const n = state.nodes.get(k)
        if (n?.active && n.submitter === from && n.metadata === metadata) return
        sendTx(from, { kind: 'register', nodeKey: k, submitter: from, metadata }, 'registerNode')
        if (!automine) mineOne()
      },
      async revokeNode(nodeKey, o = {}) {
        const k = key32(nodeKey, 'nodeKey')
        const from = signer('revokeNode')
        if (!(await isNode(nodeKey, o))) return
        sendTx(from, { kind: 'revoke', nodeKey: k }, 'revokeNode')
        if (!automine) mineOne()
      },
      isNode,
      async close() {},
    }
  }

  return chain
}

/** Callers get their own copy: chain state is never shared by reference. */
function copy(a: OnChainAnchor): OnChainAnchor {
  return { ...a, logId: a.logId.slice() }
}

function emptyState(): State {
  return { anchors: new Map(), nodes: new Map(), active: new Map() }
}

function key32(b: Uint8Array, what: string): string {
  if (!(b instanceof Uint8Array) || b.length !== 32)
    throw new InvalidInput(`${what} must be 32 bytes`, { details: { what } })
  return toHex(b)
}

function revertError(what: string, reason: string) {
  const details = { reason, operation: what }
  if (reason === 'NotSubmitter')
    return new NotRegisteredSubmitter(`${what}: not a registered submitter`, { details })
  if (reason === 'AlreadyAnchored') return new AlreadyAnchored(`${what}: root already anchored`, { details })
  return new ChainRejected(`${what} reverted: ${reason}`, { details })
}
