import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { beforeEach, describe, it } from 'node:test'
import { type CallResult, ContractExecutor, prepareContract } from '../../devnets/near/contract-runtime.ts'
import { nearAnchorWasm } from './compile-anchor.ts'

const CONTRACT = 'anchor.test.near'
const OWNER = 'test.near'
const SUBMITTER = 'node.test.near'
const PK = 'ed25519:6E8sCci9badyRkXb3JoRpBj5p8C6Tw41ELDZoiihKEtp'
const h = (byte: string) => `0x${byte.repeat(32)}`
const module = prepareContract(nearAnchorWasm())

interface Vectors {
  leafHashes: string[]
  roots: { size: number; root: string }[]
  inclusion: { index: number; treeSize: number; path: string[] }[]
}
const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/log.json', import.meta.url), 'utf8'),
) as Vectors

describe('NEAR anchor registry (AssemblyScript, run in nearcore VM logic)', () => {
  let c: ContractExecutor
  let height = 10n
  const call = (method: string, args: unknown, who = OWNER, view = false): CallResult =>
    c.call({
      method,
      args: new TextEncoder().encode(typeof args === 'string' ? args : JSON.stringify(args)),
      predecessor: who,
      signer: who,
      signerPublicKey: PK,
      height: height++,
      timestampNs: 1_700_000_000_123_456_789n,
      view,
    })
  const ok = (r: CallResult): unknown => {
    if (!r.ok) assert.fail(`call failed: ${r.message}`)
    return r.value.length === 0 ? undefined : JSON.parse(Buffer.from(r.value).toString('utf8'))
  }
  const panics = (r: CallResult, re: RegExp) => {
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.match(r.message, re)
      assert.match(
        String((r.error as { ExecutionError?: string }).ExecutionError),
        /^Smart contract panicked: /,
      )
    }
  }
  const registerSubmitter = () =>
    ok(call('register_node', { node_key: h('11'), submitter: SUBMITTER, metadata: 'node "one"' }))

  beforeEach(() => {
    c = new ContractExecutor(CONTRACT, module, new Map())
    ok(call('init', { owner: OWNER }, CONTRACT))
  })

  it('init sets the owner once, only from the contract account or its parent', () => {
    assert.equal(ok(call('owner', {}, 'x.near', true)), OWNER)
    panics(call('init', { owner: 'evil.near' }, CONTRACT), /AlreadyInitialized/)
    const fresh = new ContractExecutor('other.near', module, new Map())
    const r = fresh.call({
      method: 'init',
      args: new TextEncoder().encode('{"owner":"evil.near"}'),
      predecessor: 'evil.near',
      signer: 'evil.near',
      signerPublicKey: PK,
      height: 1n,
      timestampNs: 1n,
      view: false,
    })
    assert.equal(r.ok, false)
    const child = new ContractExecutor('reg.test.near', module, new Map())
    const byParent = child.call({
      method: 'init',
      args: new TextEncoder().encode('{"owner":"test.near"}'),
      predecessor: 'test.near',
      signer: 'test.near',
      signerPublicKey: PK,
      height: 1n,
      timestampNs: 1n,
      view: false,
    })
    assert.equal(byParent.ok, true)
  })

  it('anchors a root: stored with height, ms timestamp, submitter; NEP-297 event logged', () => {
    registerSubmitter()
    const r = call('anchor', { log_id: h('22'), tree_size: 5, root: h('33') }, SUBMITTER)
    ok(r)
    const at = height - 1n
    assert.equal(r.ok && r.logs.length, 1)
    const log = r.ok ? r.logs[0]! : ''
    assert.ok(log.startsWith('EVENT_JSON:'))
    assert.deepEqual(JSON.parse(log.slice('EVENT_JSON:'.length)), {
      standard: 'mero_anchor',
      version: '1.0.0',
      event: 'anchored',
      data: [{ log_id: h('22'), root: h('33'), tree_size: 5, submitter: SUBMITTER }],
    })
    assert.deepEqual(ok(call('anchor_of', { root: h('33') }, 'anyone.near', true)), {
      log_id: h('22'),
      tree_size: 5,
      height: Number(at),
      timestamp: 1_700_000_000_123,
      submitter: SUBMITTER,
    })
  })

  it('rejects a duplicate root (first write wins) and leaves the first anchor', () => {
    registerSubmitter()
    ok(call('anchor', { log_id: h('22'), tree_size: 5, root: h('33') }, SUBMITTER))
    panics(call('anchor', { log_id: h('44'), tree_size: 6, root: h('33') }, SUBMITTER), /^AlreadyAnchored/)
    assert.equal(
      (ok(call('anchor_of', { root: h('33') }, OWNER, true)) as { tree_size: number }).tree_size,
      5,
    )
  })

  it('rejects unauthorised submitters, zero tree sizes, zero roots and malformed args', () => {
    panics(
      call('anchor', { log_id: h('22'), tree_size: 5, root: h('33') }, SUBMITTER),
      /^NotSubmitter: node\.test\.near/,
    )
    registerSubmitter()
    panics(call('anchor', { log_id: h('22'), tree_size: 0, root: h('33') }, SUBMITTER), /^InvalidTreeSize/)
    panics(call('anchor', { log_id: h('22'), tree_size: 1, root: h('00') }, SUBMITTER), /^InvalidRoot/)
    panics(call('anchor', { log_id: h('22'), tree_size: 1, root: '0x1234' }, SUBMITTER), /^InvalidArgs/)
    panics(call('anchor', '{"log_id":', SUBMITTER), /^InvalidArgs/)
    panics(call('anchor', { log_id: h('22'), tree_size: -1, root: h('33') }, SUBMITTER), /^InvalidArgs/)
    assert.equal(ok(call('anchor_of', { root: h('33') }, OWNER, true)), null)
  })

  it('anchor_of an unknown root is null', () => {
    assert.equal(ok(call('anchor_of', { root: h('ab') }, OWNER, true)), null)
  })

  it('a view call cannot write (ProhibitedInView) and the state is unchanged', () => {
    registerSubmitter()
    const r = call('anchor', { log_id: h('22'), tree_size: 5, root: h('33') }, SUBMITTER, true)
    assert.equal(r.ok, false)
    assert.equal(ok(call('anchor_of', { root: h('33') }, OWNER, true)), null)
  })

  it('node registry: owner only, register, update, revoke, submitter counts', () => {
    panics(
      call('register_node', { node_key: h('11'), submitter: SUBMITTER }, 'evil.near'),
      /^NotOwner: evil\.near/,
    )
    panics(call('register_node', { node_key: h('11'), submitter: 'Bad..id' }), /^InvalidSubmitter/)
    assert.equal(ok(call('is_node', { node_key: h('11') }, OWNER, true)), false)
    registerSubmitter()
    assert.equal(ok(call('is_node', { node_key: h('11') }, OWNER, true)), true)
    assert.deepEqual(ok(call('node_of', { node_key: h('11') }, OWNER, true)), {
      submitter: SUBMITTER,
      active: true,
      metadata: 'node "one"',
    })
    assert.equal(ok(call('is_submitter', { account_id: SUBMITTER }, OWNER, true)), true)
    // moving the node to another submitter takes the right away from the first
    ok(call('register_node', { node_key: h('11'), submitter: 'other.test.near', metadata: 'ü\\n' }))
    assert.equal(ok(call('is_submitter', { account_id: SUBMITTER }, OWNER, true)), false)
    assert.equal(
      (ok(call('node_of', { node_key: h('11') }, OWNER, true)) as { metadata: string }).metadata,
      'ü\\n',
    )
    panics(call('revoke_node', { node_key: h('11') }, 'evil.near'), /^NotOwner/)
    ok(call('revoke_node', { node_key: h('11') }))
    assert.equal(ok(call('is_node', { node_key: h('11') }, OWNER, true)), false)
    assert.equal(ok(call('is_submitter', { account_id: 'other.test.near' }, OWNER, true)), false)
    panics(call('revoke_node', { node_key: h('11') }), /^UnknownNode/)
    panics(
      call('anchor', { log_id: h('22'), tree_size: 5, root: h('33') }, 'other.test.near'),
      /^NotSubmitter/,
    )
  })

  it('verify_inclusion accepts every golden-vector path and rejects tampered ones', () => {
    let checked = 0
    for (const v of vectors.inclusion) {
      const root = vectors.roots.find((r) => r.size === v.treeSize)!.root
      const args = {
        root,
        leaf_hash: vectors.leafHashes[v.index],
        index: v.index,
        tree_size: v.treeSize,
        path: v.path,
      }
      assert.equal(
        ok(call('verify_inclusion', args, OWNER, true)),
        true,
        `index ${v.index} size ${v.treeSize}`,
      )
      if (v.path.length > 0) {
        const bad = { ...args, path: [...v.path.slice(1), v.path[0]!].reverse() }
        if (JSON.stringify(bad.path) !== JSON.stringify(v.path))
          assert.equal(ok(call('verify_inclusion', bad, OWNER, true)), false)
      }
      assert.equal(ok(call('verify_inclusion', { ...args, index: v.treeSize }, OWNER, true)), false)
      assert.equal(ok(call('verify_inclusion', { ...args, leaf_hash: h('ee') }, OWNER, true)), false)
      checked++
    }
    assert.ok(checked > 10)
  })

  it('state survives a panic: the VM keeps the committed storage, no rebuild', () => {
    registerSubmitter()
    ok(call('anchor', { log_id: h('22'), tree_size: 5, root: h('33') }, SUBMITTER))
    panics(call('anchor', { log_id: h('22'), tree_size: 5, root: h('33') }, SUBMITTER), /AlreadyAnchored/)
    ok(call('anchor', { log_id: h('22'), tree_size: 6, root: h('34') }, SUBMITTER))
    assert.equal(
      (ok(call('anchor_of', { root: h('33') }, OWNER, true)) as { tree_size: number }).tree_size,
      5,
    )
    assert.equal(
      (ok(call('anchor_of', { root: h('34') }, OWNER, true)) as { tree_size: number }).tree_size,
      6,
    )
    assert.equal(c.rebuilds, 1)
  })

  it('an unknown method is MethodNotFound', () => {
    const r = call('nope', {}, OWNER, true)
    assert.equal(r.ok, false)
    if (!r.ok) assert.deepEqual(r.error, { MethodResolveError: 'MethodNotFound' })
  })
})
