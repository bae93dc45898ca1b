import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { deployAnchorCanister } from '../../devnets/icp/deploy-anchor.ts'
import { startIcpDevnet } from '../../devnets/icp/icp-devnet.ts'
import { chainAdapterCompliance, random32 } from '../../src/chain/chain-compliance.ts'
import { createIcpAdapter, type IcpAdapter, icpAdapterFactory, parseIcpSecret } from './icp-adapter.ts'

const CHAIN_ID = 'icp:local'
const secret = () => randomBytes(32).toString('hex')

async function setupDevnet() {
  const dir = mkdtempSync(join(tmpdir(), 'mero-icp-adapter-'))
  const updatesBy = new Map<string, number>()
  const ic = await startIcpDevnet({
    port: 0,
    dataDir: dir,
    onExecute: (e) => {
      if (e.kind === 'update') updatesBy.set(e.sender, (updatesBy.get(e.sender) ?? 0) + 1)
    },
  })
  const ownerSecret = secret()
  const contract = await deployAnchorCanister(ic.url, parseIcpSecret(ownerSecret))
  return { dir, ic, ownerSecret, contract, updatesBy }
}

let shared: Awaited<ReturnType<typeof setupDevnet>>
chainAdapterCompliance('icp (local devnet)', {
  setup: async () => {
    shared = await setupDevnet()
    const { ic, ownerSecret, contract, updatesBy } = shared
    const adapter = await createIcpAdapter({
      rpcUrl: ic.url,
      chainId: CHAIN_ID,
      contract,
      secret: ownerSecret,
    })
    const readOnly = await icpAdapterFactory(
      {
        chainId: CHAIN_ID,
        kind: 'icp',
        rpcUrl: ic.url,
        contract,
        anchorEveryMs: 0,
        confirmations: 1,
        pollMs: 50,
      },
      undefined,
    )
    const unregistered = await createIcpAdapter({
      rpcUrl: ic.url,
      chainId: CHAIN_ID,
      contract,
      secret: secret(),
    })
    return {
      adapter,
      readOnly,
      unregistered,
      registerSelf: () => adapter.registerNode(random32(), 'compliance submitter'),
      sentTransactions: async () => updatesBy.get((adapter as IcpAdapter).principal) ?? 0,
    }
  },
  teardown: async () => {
    await shared.ic.stop()
    rmSync(shared.dir, { recursive: true, force: true })
  },
})

describe('icp adapter specifics', () => {
  let s: Awaited<ReturnType<typeof setupDevnet>>
  let owner: IcpAdapter
  before(async () => {
    s = await setupDevnet()
    owner = await createIcpAdapter({
      rpcUrl: s.ic.url,
      chainId: CHAIN_ID,
      contract: s.contract,
      secret: s.ownerSecret,
    })
    await owner.registerNode(random32(), 'owner as submitter')
  })
  after(async () => {
    await owner.close()
    await s.ic.stop()
    rmSync(s.dir, { recursive: true, force: true })
  })

  it('reports anchors with the canister data: ns timestamp as ms, principal submitter, sequence height', async () => {
    const root = random32()
    const before = Date.now()
    const r = await owner.submitAnchor({ logId: random32(), treeSize: 3, root })
    assert.equal(r.kind, 'submitted')
    if (r.kind === 'submitted') assert.match(r.tx, /^[0-9a-f]{64}$/)
    const a = await owner.anchorOf(root)
    assert.ok(a)
    assert.equal(a.submitter, owner.principal)
    assert.ok(a.timestamp >= before - 1000 && a.timestamp <= Date.now() + 1000)
    assert.ok(a.height >= 1)
  })

  it('a non-controller cannot register nodes: ChainRejected with the canister message', async () => {
    const other = await createIcpAdapter({
      rpcUrl: s.ic.url,
      chainId: CHAIN_ID,
      contract: s.contract,
      secret: secret(),
    })
    await assert.rejects(
      other.registerNode(random32(), 'x'),
      (e: Error & { details?: Record<string, unknown> }) => {
        assert.equal(e.name, 'ChainRejected')
        assert.match(String(e.details?.reason), /caller is not the controller/)
        assert.equal(e.details?.rejectCode, 5)
        return true
      },
    )
  })

  it('a revoked node no longer lets its submitter anchor', async () => {
    const subSecret = secret()
    const sub = await createIcpAdapter({
      rpcUrl: s.ic.url,
      chainId: CHAIN_ID,
      contract: s.contract,
      secret: subSecret,
    })
    const key = random32()
    await owner.registerNode(key, 'temp', { submitter: sub.principal })
    assert.equal(await sub.isSubmitter(), true)
    await sub.submitAnchor({ logId: random32(), treeSize: 1, root: random32() })
    await owner.revokeNode(key)
    assert.equal(await sub.isSubmitter(), false)
    await assert.rejects(sub.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }), {
      name: 'NotRegisteredSubmitter',
    })
  })

  it('a devnet that is down gives ChainUnavailable', async () => {
    const dead = await startIcpDevnet({ port: 0 })
    const url = dead.url
    await dead.stop()
    rmSync(dead.dataDir, { recursive: true, force: true })
    const a = await createIcpAdapter({
      rpcUrl: url,
      chainId: CHAIN_ID,
      contract: s.contract,
      secret: secret(),
    })
    await assert.rejects(a.anchorOf(random32()), { name: 'ChainUnavailable' })
    await assert.rejects(a.submitAnchor({ logId: random32(), treeSize: 1, root: random32() }), {
      name: 'ChainUnavailable',
    })
  })

  it('a read-only adapter verifies certificates: a wrong pinned root key is refused', async () => {
    const ro = await createIcpAdapter({ rpcUrl: s.ic.url, chainId: CHAIN_ID, contract: s.contract })
    assert.equal(await ro.anchorOf(random32()), null) // certified read works with the fetched key
    const other = await startIcpDevnet({ port: 0 })
    try {
      const pinned = await createIcpAdapter({
        rpcUrl: s.ic.url,
        chainId: CHAIN_ID,
        contract: s.contract,
        rootKey: other.rootKey,
      })
      await assert.rejects(
        pinned.anchorOf(random32()),
        (e: Error & { details?: Record<string, unknown> }) => {
          assert.equal(e.name, 'ChainRejected')
          assert.equal(e.details?.reason, 'CertificateVerificationFailed')
          return true
        },
      )
    } finally {
      await other.stop()
      rmSync(other.dataDir, { recursive: true, force: true })
    }
  })

  it('a non-local chain id never trusts the endpoint root key: no /api/v2/status, certificates fail', async () => {
    const paths: string[] = []
    const dir = mkdtempSync(join(tmpdir(), 'mero-icp-mainnet-'))
    const ic = await startIcpDevnet({ port: 0, dataDir: dir, onRequest: (e) => paths.push(e.path) })
    try {
      const contract = await deployAnchorCanister(ic.url, parseIcpSecret(secret()))
      paths.length = 0
      const ro = await createIcpAdapter({ rpcUrl: ic.url, chainId: 'icp:mainnet', contract })
      await assert.rejects(
        ro.anchorOf(random32()),
        (e: Error & { details?: Record<string, unknown> }) =>
          e.details?.reason === 'CertificateVerificationFailed',
      )
      assert.ok(paths.length > 0)
      assert.ok(!paths.includes('/api/v2/status'), paths.join(' '))
      // Pinning the devnet key (hex) makes the same reads verify, still without /api/v2/status.
      const pinned = await createIcpAdapter({
        rpcUrl: ic.url,
        chainId: 'icp:mainnet',
        contract,
        rootKey: Buffer.from(ic.rootKey).toString('hex'),
      })
      assert.equal(await pinned.anchorOf(random32()), null)
      assert.ok(!paths.includes('/api/v2/status'))
      await assert.rejects(
        createIcpAdapter({ rpcUrl: ic.url, chainId: 'icp:mainnet', contract, rootKey: 'abcd' }),
        { name: 'InvalidInput' },
      )
    } finally {
      await ic.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('rejects bad secrets and bad config without echoing the secret', async () => {
    await assert.rejects(
      createIcpAdapter({
        rpcUrl: s.ic.url,
        chainId: CHAIN_ID,
        contract: s.contract,
        secret: 'zz-not-a-secret-zz',
      }),
      (e: Error) => e.name === 'InvalidInput' && !e.message.includes('zz-not-a-secret-zz'),
    )
    await assert.rejects(createIcpAdapter({ rpcUrl: s.ic.url, chainId: 'eip155:1', contract: s.contract }), {
      name: 'InvalidInput',
    })
    await assert.rejects(
      createIcpAdapter({ rpcUrl: s.ic.url, chainId: CHAIN_ID, contract: 'not a principal' }),
      { name: 'InvalidInput' },
    )
  })

  it('base64 and hex secrets give the same principal', () => {
    const seed = randomBytes(32)
    assert.equal(
      parseIcpSecret(seed.toString('hex')).getPrincipal().toText(),
      parseIcpSecret(seed.toString('base64')).getPrincipal().toText(),
    )
  })
})
