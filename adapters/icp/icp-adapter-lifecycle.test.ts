// The adapter under failure: a replica that accepts calls (HTTP 202) but never certifies them, one
// that never answers at all — every call bounded in time, aborted by its signal, and close()
// releasing every socket and timer.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, it } from 'node:test'
import { IDL } from '@dfinity/candid'
import { decode, encode } from 'cborg'
import { certify, randomRootSecret, rootKeyFrom } from '../../devnets/icp/certification.ts'
import { deployAnchorCanister } from '../../devnets/icp/deploy-anchor.ts'
import { startIcpDevnet } from '../../devnets/icp/icp-devnet.ts'
import { stateTree } from '../../devnets/icp/state-tree.ts'
import { cleanupStack } from '../../test/helpers/defer.ts'
import { createIcpAdapter, parseIcpSecret } from './icp-adapter.ts'

const CANISTER = 'rwlgt-iiaaa-aaaaa-aaaaa-cai'
const r32 = () => new Uint8Array(randomBytes(32))
const AnchorT = IDL.Record({
  log_id: IDL.Vec(IDL.Nat8),
  tree_size: IDL.Nat64,
  height: IDL.Nat64,
  timestamp: IDL.Nat64,
  submitter: IDL.Principal,
})

/**
 * A replica that answers `/api/v2/status` and queries (`anchor_of` → null) but accepts calls with
 * 202 and certifies only `time` in `read_state` (the request stays unknown), as a busy replica does —
 * or, with `hang`, never answers calls at all.
 */
async function stuckReplica(mode: 'accepted' | 'hang') {
  const key = rootKeyFrom(randomRootSecret())
  const seen = { calls: 0, readStates: 0 }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const cbor = (v: unknown) => {
        const b = encode(v)
        res.writeHead(200, { 'content-type': 'application/cbor', 'content-length': b.length }).end(b)
      }
      const path = req.url ?? ''
      if (path === '/api/v2/status') return cbor({ root_key: key.publicKeyDer })
      if (path.endsWith('/query')) {
        void decode(Buffer.concat(chunks), { tags: Object.assign([], { 55799: (d: () => unknown) => d() }) })
        return cbor({
          status: 'replied',
          reply: { arg: new Uint8Array(IDL.encode([IDL.Opt(AnchorT)], [[]])) },
        })
      }
      if (path.endsWith('/call')) {
        seen.calls++
        if (mode === 'hang') return // never answered
        return void res.writeHead(202).end()
      }
      if (path.endsWith('/read_state')) {
        seen.readStates++
        return cbor({ certificate: certify(stateTree(BigInt(Date.now()) * 1_000_000n, []), key) })
      }
      res.writeHead(404).end('Not found')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  return { url, seen, stop }
}

/** Handles (sockets, timers…) that keep the process alive, by type. */
const handles = () => {
  const out = new Map<string, number>()
  for (const r of process.getActiveResourcesInfo()) out.set(r, (out.get(r) ?? 0) + 1)
  return out
}
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('icp adapter under failure', () => {
  // Last registered first (stop the adapter, then the replica or devnet, then remove the folder),
  // every one even if an earlier one fails.
  const stops = cleanupStack()
  afterEach(() => stops.run())
  /** A stuck replica (stopped after the test) and a signing adapter pointed at it. */
  const stuckAdapter = async (mode: 'accepted' | 'hang', options: { requestTimeoutMs?: number } = {}) => {
    const replica = await stuckReplica(mode)
    stops.push(replica.stop)
    const a = await createIcpAdapter({
      rpcUrl: replica.url,
      chainId: 'icp:local',
      contract: CANISTER,
      secret: randomBytes(32).toString('hex'),
      ...options,
    })
    stops.push(() => a.close()) // idempotent: the tests that close it themselves are unaffected
    return { replica, a }
  }

  it('an aborted registry write stops polling a replica that never certifies; close() leaves no sockets or timers', async () => {
    const baseline = handles()
    const { replica, a } = await stuckAdapter('accepted')
    // A registry write needs the certified outcome: it polls read_state until its signal aborts.
    const ac = new AbortController()
    const started = Date.now()
    const pending = a.registerNode(r32(), 'x', { signal: ac.signal })
    setTimeout(() => ac.abort(), 300)
    await assert.rejects(pending, { name: 'Aborted' })
    // Bounded well below the 30 s poll limit it would run into if the abort were ignored.
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`)
    await a.close()
    const polls = replica.seen.readStates
    await settle(2_500) // the agent's default strategy would poll again after 1 s, 1.2 s…
    assert.equal(replica.seen.readStates, polls, 'no read_state after the abort and close()')
    await replica.stop()
    // Closed sockets go away a little later: wait (bounded) for the counts to come back to the baseline.
    const left = () => {
      const now = handles()
      return ['Timeout', 'TCPSocketWrap', 'TCPServerWrap'].filter(
        (kind) => (now.get(kind) ?? 0) > (baseline.get(kind) ?? 0),
      )
    }
    for (const end = Date.now() + 5_000; left().length > 0 && Date.now() < end; ) await settle(20)
    assert.deepEqual(left(), [], 'handles left after close()')
  })

  it('an anchor accepted (202) but not yet certified is reported submitted under its request id', async () => {
    const { replica, a } = await stuckAdapter('accepted')
    const started = Date.now()
    const r = await a.submitAnchor({ logId: r32(), treeSize: 1, root: r32() })
    assert.equal(r.kind, 'submitted')
    assert.match(r.kind === 'submitted' ? r.tx : '', /^[0-9a-f]{64}$/)
    // Polling for the outcome would wait for the 30 s poll limit (the replica never certifies).
    assert.ok(
      Date.now() - started < 10_000,
      `no polling in the submit path (took ${Date.now() - started} ms)`,
    )
    assert.equal(replica.seen.calls, 1)
    assert.equal(replica.seen.readStates, 0, 'no read_state in the submit path')
    await a.close()
  })

  it('a replica that never answers: every call is bounded by requestTimeoutMs (ChainUnavailable)', async () => {
    const { a } = await stuckAdapter('hang', { requestTimeoutMs: 400 })
    const started = Date.now()
    await assert.rejects(a.submitAnchor({ logId: r32(), treeSize: 1, root: r32() }), {
      name: 'ChainUnavailable',
    })
    // One 400 ms timeout (not the 30 s default, nor no bound at all).
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`)
    await a.close()
  })

  it('close() aborts calls in flight and refuses new ones', async () => {
    const { a } = await stuckAdapter('hang')
    const started = Date.now()
    const pending = a.submitAnchor({ logId: r32(), treeSize: 1, root: r32() })
    await settle(200)
    await a.close()
    await assert.rejects(pending)
    // Without close() ending it, the call would wait for the 30 s request timeout.
    assert.ok(
      Date.now() - started < 10_000,
      `the in-flight call ended with close() (took ${Date.now() - started} ms)`,
    )
    await assert.rejects(a.anchorOf(r32()), { name: 'ChainRejected' })
  })

  it('a devnet restarted around an anchor: a certified one reads final; one lost in a crash reads missing, then anchors once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mero-icp-restart-'))
    stops.push(async () => rmSync(dir, { recursive: true, force: true }))
    const secret = randomBytes(32).toString('hex')
    let ic = await startIcpDevnet({ port: 0, dataDir: dir })
    stops.push(() => ic.stop()) // the current devnet (ic is replaced at each restart; stop is idempotent)
    const port = Number(new URL(ic.url).port)
    const contract = await deployAnchorCanister(ic.url, parseIcpSecret(secret))
    const a = await createIcpAdapter({ rpcUrl: ic.url, chainId: 'icp:local', contract, secret })
    stops.push(() => a.close())
    await a.registerNode(r32(), 'restart')
    const restart = async () => {
      await ic.stop()
      ic = await startIcpDevnet({ port, dataDir: dir })
    }

    // Certified before the restart: final afterwards, under its request id (the same agent, root key kept).
    const kept = r32()
    const k = await a.submitAnchor({ logId: r32(), treeSize: 1, root: kept })
    await restart()
    const ks = await a.anchorStatus(kept, k.kind === 'submitted' ? k.tx : undefined)
    assert.equal(ks.state, 'final')
    assert.equal(ks.state === 'final' && ks.tx, k.kind === 'submitted' && k.tx)

    // A crash after the call was logged but before its state was written: the canister state of
    // before the call with the request log of after it.
    const before = mkdtempSync(join(tmpdir(), 'mero-icp-before-'))
    stops.push(async () => rmSync(before, { recursive: true, force: true }))
    await ic.stop()
    cpSync(join(dir, 'canisters'), before, { recursive: true })
    ic = await startIcpDevnet({ port, dataDir: dir })
    const lost = r32()
    const l = await a.submitAnchor({ logId: r32(), treeSize: 2, root: lost })
    assert.equal(l.kind, 'submitted')
    const log = readFileSync(join(dir, 'requests.log'))
    await ic.stop()
    cpSync(before, join(dir, 'canisters'), { recursive: true })
    writeFileSync(join(dir, 'requests.log'), log)
    ic = await startIcpDevnet({ port, dataDir: dir })
    assert.equal(await a.anchorOf(lost), null)
    // Not pending forever, not reverted: missing, so the anchor job sends it again.
    assert.deepEqual(await a.anchorStatus(lost, l.kind === 'submitted' ? l.tx : undefined), {
      state: 'missing',
    })
    const again = await a.submitAnchor({ logId: r32(), treeSize: 2, root: lost })
    assert.equal(again.kind, 'submitted')
    assert.equal((await a.anchorStatus(lost, undefined)).state, 'final')
    assert.equal((await a.submitAnchor({ logId: r32(), treeSize: 2, root: lost })).kind, 'already-anchored')
  })

  it('concurrent submits of one root share one call: the first caller aborting does not fail the second', async () => {
    const { replica, a } = await stuckAdapter('accepted')
    const req = { logId: r32(), treeSize: 1, root: r32() }
    const ac = new AbortController()
    const first = a.submitAnchor(req, { signal: ac.signal })
    const second = a.submitAnchor(req)
    ac.abort()
    await assert.rejects(first, { name: 'Aborted' })
    assert.equal((await second).kind, 'submitted')
    assert.equal(replica.seen.calls, 1)
  })
})
