/**
 * The compliance suite every `ChainAdapter` runs (Ethereum, NEAR, ICP, Stellar, Starknet and the
 * in-memory chain): what the core relies on, asserted against the adapter's real devnet.
 *
 * @example
 * chainAdapterCompliance('ethereum (anvil)', {
 *   setup: async () => ({ adapter, readOnly, registerSelf, mine }),
 *   teardown: async () => { await anvil.stop() },
 * })
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { isMeroError } from '../core/errors.ts'
import type { ChainAdapter, ChainAnchorStatus } from './chain-adapter.ts'

/** What a chain's test harness hands the suite. */
export interface ComplianceSetup {
  /** An adapter that can submit and is the owner of the node registry. */
  readonly adapter: ChainAdapter
  /** A read-only adapter (`canSubmit: false`) over the same contract. */
  readonly readOnly: ChainAdapter
  /** Makes `adapter`'s account a registered submitter (called once, before any submit). */
  readonly registerSelf?: () => Promise<void>
  /** Produces a block (devnets without automine, or to add confirmations). */
  readonly mine?: () => Promise<void>
  /** Transactions sent so far by `adapter`'s account (nonce / sequence), to check that nothing was sent. */
  readonly sentTransactions?: () => Promise<number>
  /** An adapter whose account is not a registered submitter. */
  readonly unregistered?: ChainAdapter
}

/** Options of {@link chainAdapterCompliance}. */
export interface ComplianceOptions {
  /** Starts the devnet and builds the adapters (once for the whole suite). */
  readonly setup: () => Promise<ComplianceSetup>
  /** Stops what `setup` started. */
  readonly teardown: () => Promise<void>
  /** Status polls before giving up on `final` (default 100). */
  readonly maxPolls?: number
  /** Pause between polls when `mine` is not given (default 50 ms). */
  readonly pollMs?: number
  /** Time limit of the whole suite (default 60 s). */
  readonly timeoutMs?: number
}

/** 32 random bytes. */
export function random32(): Uint8Array {
  return new Uint8Array(randomBytes(32))
}

/**
 * Polls `anchorStatus` (mining between polls when `mine` is given) until the state is one of
 * `want`; fails on `reverted`, or on `missing` once the anchor was seen. Returns the last status.
 */
export async function waitForAnchorState(
  adapter: ChainAdapter,
  root: Uint8Array,
  tx: string | undefined,
  want: readonly ChainAnchorStatus['state'][],
  opts: { mine?: () => Promise<void>; maxPolls?: number; pollMs?: number } = {},
): Promise<ChainAnchorStatus> {
  const seen: string[] = []
  for (let i = 0; i < (opts.maxPolls ?? 100); i++) {
    const s = await adapter.anchorStatus(root, tx)
    seen.push(s.state)
    if (want.includes(s.state)) return s
    if (s.state === 'reverted') assert.fail(`anchor reverted: ${s.reason}`)
    if (opts.mine) await opts.mine()
    else await new Promise((r) => setTimeout(r, opts.pollMs ?? 50))
  }
  return assert.fail(`anchor never reached ${want.join('|')}; seen ${seen.join(',')}`)
}

/** Registers the compliance tests for one adapter with `node:test`. */
export function chainAdapterCompliance(name: string, options: ComplianceOptions): void {
  describe(`ChainAdapter compliance: ${name}`, { timeout: options.timeoutMs ?? 60_000 }, () => {
    let s: ComplianceSetup
    const wait = (
      root: Uint8Array,
      tx: string | undefined,
      want: readonly ChainAnchorStatus['state'][] = ['final'],
    ) =>
      waitForAnchorState(s.adapter, root, tx, want, {
        ...(s.mine ? { mine: s.mine } : {}),
        ...(options.maxPolls ? { maxPolls: options.maxPolls } : {}),
        ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      })
    const submitAndWait = async (treeSize = 7) => {
      const req = { logId: random32(), treeSize, root: random32() }
      const r = await s.adapter.submitAnchor(req)
      assert.equal(r.kind, 'submitted')
      const status = await wait(req.root, r.kind === 'submitted' ? r.tx : undefined)
      return { req, tx: r.kind === 'submitted' ? r.tx : '', status }
    }

    before(async () => {
      s = await options.setup()
      await s.registerSelf?.()
    })
    after(async () => {
      await s?.adapter.close()
      await s?.readOnly.close()
      await s?.unregistered?.close()
      await options.teardown()
    })

    it('describes itself: CAIP-2 chain id, contract, capabilities', () => {
      assert.match(s.adapter.chainId, /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/)
      assert.ok(s.adapter.contract.length > 0)
      assert.equal(s.adapter.capabilities.canSubmit, true)
      assert.ok(
        Number.isInteger(s.adapter.capabilities.finalityConfirmations) &&
          s.adapter.capabilities.finalityConfirmations >= 1,
      )
      assert.equal(s.readOnly.capabilities.canSubmit, false)
      assert.equal(s.readOnly.chainId, s.adapter.chainId)
      assert.equal(s.readOnly.contract, s.adapter.contract)
    })

    it('anchorOf an unknown root is null and its status is missing', async () => {
      const root = random32()
      assert.equal(await s.adapter.anchorOf(root), null)
      assert.deepEqual(await s.adapter.anchorStatus(root, undefined), { state: 'missing' })
    })

    it('submit → status reaches final → anchorOf returns logId, treeSize, height', async () => {
      const { req, tx, status } = await submitAndWait(42)
      assert.ok(tx.length > 0)
      assert.equal(status.state, 'final')
      if (status.state !== 'final') return
      assert.equal(status.tx, tx)
      assert.ok(status.confirmations >= s.adapter.capabilities.finalityConfirmations)
      assert.equal(status.anchor.treeSize, 42)
      assert.deepEqual(status.anchor.logId, req.logId)
      const onChain = await s.adapter.anchorOf(req.root)
      assert.ok(onChain)
      assert.equal(onChain.treeSize, 42)
      assert.deepEqual(onChain.logId, req.logId)
      assert.equal(onChain.height, status.height)
      assert.ok(Number.isSafeInteger(onChain.height) && onChain.height >= 0)
      assert.ok(Number.isSafeInteger(onChain.timestamp) && onChain.timestamp > Date.UTC(2000, 0, 1))
      assert.ok(onChain.submitter.length > 0)
    })

    it('a second submit of the same root returns already-anchored and sends nothing', async () => {
      const { req } = await submitAndWait()
      const before = await s.sentTransactions?.()
      const again = await s.adapter.submitAnchor({ ...req, treeSize: req.treeSize + 1 })
      assert.equal(again.kind, 'already-anchored')
      if (again.kind === 'already-anchored') assert.equal(again.anchor.treeSize, req.treeSize)
      if (before !== undefined) assert.equal(await s.sentTransactions?.(), before)
    })

    it('10 concurrent submits of distinct roots all land', async () => {
      const reqs = Array.from({ length: 10 }, (_, i) => ({
        logId: random32(),
        treeSize: i + 1,
        root: random32(),
      }))
      const results = await Promise.all(reqs.map((r) => s.adapter.submitAnchor(r)))
      const txs = results.map((r) => (r.kind === 'submitted' ? r.tx : assert.fail('expected submitted')))
      assert.equal(new Set(txs).size, 10)
      for (const [i, r] of reqs.entries()) await wait(r.root, txs[i])
      const anchors = await Promise.all(reqs.map((r) => s.adapter.anchorOf(r.root)))
      assert.deepEqual(
        anchors.map((a) => a?.treeSize),
        reqs.map((r) => r.treeSize),
      )
    })

    it('concurrent submits of the same root anchor it once', async () => {
      const req = { logId: random32(), treeSize: 5, root: random32() }
      const before = await s.sentTransactions?.()
      const results = await Promise.all([1, 2, 3].map(() => s.adapter.submitAnchor(req)))
      assert.ok(results.some((r) => r.kind === 'submitted'))
      const tx = results.find((r) => r.kind === 'submitted')
      await wait(req.root, tx?.kind === 'submitted' ? tx.tx : undefined)
      assert.equal((await s.adapter.anchorOf(req.root))?.treeSize, 5)
      if (before !== undefined) assert.equal(await s.sentTransactions?.(), before + 1)
    })

    it('rejects a zero tree size and malformed roots without anchoring', async () => {
      const root = random32()
      await assert.rejects(
        s.adapter.submitAnchor({ logId: random32(), treeSize: 0, root }),
        (e: unknown) => isMeroError(e) && ['ChainRejected', 'InvalidInput'].includes(e.name),
      )
      await assert.rejects(
        s.adapter.submitAnchor({ logId: random32(), treeSize: 1, root: new Uint8Array(31) }),
        { name: 'InvalidInput' },
      )
      assert.equal(await s.adapter.anchorOf(root), null)
    })

    it('an aborted submit rejects and anchors nothing', async () => {
      const root = random32()
      await assert.rejects(
        s.adapter.submitAnchor({ logId: random32(), treeSize: 1, root }, { signal: AbortSignal.abort() }),
      )
      assert.equal(await s.adapter.anchorOf(root), null)
    })

    it('an unregistered submitter is refused with NotRegisteredSubmitter', async (t) => {
      if (!s.unregistered) return t.skip('no unregistered adapter')
      const root = random32()
      await assert.rejects(s.unregistered.submitAnchor({ logId: random32(), treeSize: 1, root }), {
        name: 'NotRegisteredSubmitter',
      })
      assert.equal(await s.adapter.anchorOf(root), null)
    })

    it('node registry: register, isNode, idempotent repeats, revoke', async () => {
      const key = random32()
      assert.equal(await s.adapter.isNode(key), false)
      await s.adapter.registerNode(key, 'compliance node')
      assert.equal(await s.adapter.isNode(key), true)
      assert.equal(await s.readOnly.isNode(key), true)
      const before = await s.sentTransactions?.()
      await s.adapter.registerNode(key, 'compliance node')
      if (before !== undefined) assert.equal(await s.sentTransactions?.(), before)
      await s.adapter.revokeNode(key)
      assert.equal(await s.adapter.isNode(key), false)
      await s.adapter.revokeNode(key)
      assert.equal(await s.adapter.isNode(key), false)
    })

    it('a read-only adapter reads the same anchor and cannot submit', async () => {
      const { req, status } = await submitAndWait(9)
      const seen = await s.readOnly.anchorOf(req.root)
      assert.ok(seen && status.state === 'final')
      assert.deepEqual(seen, status.anchor)
      const st = await s.readOnly.anchorStatus(req.root, undefined)
      assert.ok(st.state === 'final' || st.state === 'included')
      await assert.rejects(
        s.readOnly.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }),
        (e: unknown) => isMeroError(e),
      )
    })
  })
}
