import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { Contract, Interface, JsonRpcProvider, Network, Wallet } from 'ethers'
import { type AnvilInstance, startAnvil } from '../../devnets/ethereum/anvil.ts'
import { deployAnchorContract } from '../../devnets/ethereum/deploy.ts'
import { concatBytes, toHex } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import { anchorArtifact } from './anchor-artifact.ts'

// ── RFC 6962 from its definition (§2.1), independent of src/log ────────────────────────────────
const leafHash = (data: Uint8Array) => sha256(concatBytes(Uint8Array.of(0), data))
const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(concatBytes(Uint8Array.of(1), l, r))
/** Largest power of two strictly smaller than n (n ≥ 2). */
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1))
const mth = (d: Uint8Array[]): Uint8Array => {
  if (d.length === 1) return d[0]!
  const k = split(d.length)
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)))
}
/** PATH(m, D[n]) of RFC 6962 §2.1.1, over leaf hashes. */
const path = (m: number, d: Uint8Array[]): Uint8Array[] => {
  if (d.length === 1) return []
  const k = split(d.length)
  return m < k
    ? [...path(m, d.slice(0, k)), mth(d.slice(k))]
    : [...path(m - k, d.slice(k)), mth(d.slice(0, k))]
}

const rand32 = () => toHex(new Uint8Array(randomBytes(32)))
const iface = new Interface(anchorArtifact().abi as never[])
/** Matches a revert carrying the contract's custom error `name`. */
const revertName = (name: string) => (e: unknown) => {
  const data = (e as { data?: string }).data
  return typeof data === 'string' && iface.parseError(data)?.name === name
}

describe('MeroAnchor contract (anvil)', { timeout: 30_000 }, () => {
  let anvil: AnvilInstance
  let provider: JsonRpcProvider
  let address: string
  let asOwner: Contract
  let asNode: Contract
  let asStranger: Contract
  let nodeAccount: string
  const nodeKey = rand32()

  before(async () => {
    anvil = await startAnvil()
    address = await deployAnchorContract(anvil.rpcUrl, anvil.accounts[0]!.privateKey)
    provider = new JsonRpcProvider(anvil.rpcUrl, Network.from(anvil.chainId), {
      staticNetwork: true,
      cacheTimeout: -1,
    })
    const signer = (i: number) => new Wallet(anvil.accounts[i]!.privateKey, provider)
    const { abi } = anchorArtifact()
    asOwner = new Contract(address, abi as never[], signer(0))
    asNode = new Contract(address, abi as never[], signer(1))
    asStranger = new Contract(address, abi as never[], signer(2))
    nodeAccount = anvil.accounts[1]!.address
    await (await asOwner.getFunction('registerNode')(nodeKey, nodeAccount, 'node one')).wait()
  })
  after(async () => {
    provider?.destroy()
    await anvil?.stop()
  })

  it('deploys with the deployer as owner and the artifact runtime code', async () => {
    assert.equal(await asOwner.getFunction('owner')(), anvil.accounts[0]!.address)
    // The runtime code is the artifact's, with the immutable `owner` filled in.
    const owner = anvil.accounts[0]!.address.slice(2).toLowerCase()
    const expected = anchorArtifact().deployedBytecode.replaceAll(
      `7f${'0'.repeat(64)}`,
      `7f${'0'.repeat(24)}${owner}`,
    )
    assert.equal(await provider.getCode(address), expected)
  })

  it('anchors a root once: stores logId, treeSize, height, timestamp, submitter and emits Anchored', async () => {
    const logId = rand32()
    const root = rand32()
    const receipt = await (await asNode.getFunction('anchor')(logId, 12n, root)).wait()
    const block = await provider.getBlock(receipt.blockNumber)
    const [gotLog, treeSize, height, timestamp, submitter] = await asNode.getFunction('anchorOf')(root)
    assert.deepEqual(
      [gotLog, treeSize, height, timestamp, submitter],
      [logId, 12n, BigInt(receipt.blockNumber), BigInt(block!.timestamp), nodeAccount],
    )
    const ev = receipt.logs
      .map((l: { topics: string[]; data: string }) => asNode.interface.parseLog(l))
      .find((l: { name?: string } | null) => l?.name === 'Anchored')
    assert.deepEqual([...ev.args], [logId, root, 12n, nodeAccount])

    await assert.rejects(asNode.getFunction('anchor')(rand32(), 13n, root), revertName('AlreadyAnchored'))
    await assert.rejects(
      asOwner.getFunction('anchor').staticCall(logId, 13n, root),
      revertName('NotSubmitter'),
    )
    assert.equal((await asNode.getFunction('anchorOf')(root))[1], 12n, 'first write wins')
  })

  it('rejects a zero tree size and an unregistered submitter', async () => {
    await assert.rejects(asNode.getFunction('anchor')(rand32(), 0n, rand32()), revertName('InvalidTreeSize'))
    await assert.rejects(asStranger.getFunction('anchor')(rand32(), 1n, rand32()), revertName('NotSubmitter'))
  })

  it('anchorOf an unknown root has tree size 0', async () => {
    const r = await asStranger.getFunction('anchorOf')(rand32())
    assert.equal(r[1], 0n)
    assert.equal(r[4], '0x0000000000000000000000000000000000000000')
  })

  it('registry: owner only; a revoked node’s submitter can no longer anchor', async () => {
    const key = rand32()
    const stranger = anvil.accounts[2]!.address
    await assert.rejects(asStranger.getFunction('registerNode')(key, stranger, 'x'), revertName('NotOwner'))
    await assert.rejects(asNode.getFunction('revokeNode')(nodeKey), revertName('NotOwner'))
    await assert.rejects(asOwner.getFunction('revokeNode')(rand32()), revertName('UnknownNode'))

    const receipt = await (await asOwner.getFunction('registerNode')(key, stranger, 'meta')).wait()
    const reg = asOwner.interface.parseLog(receipt.logs[0])
    assert.deepEqual([reg?.name, ...(reg?.args ?? [])], ['NodeRegistered', key, stranger, 'meta'])
    assert.equal(await asOwner.getFunction('isNode')(key), true)
    assert.deepEqual([...(await asOwner.getFunction('nodeOf')(key))], [stranger, true, 'meta'])
    await (await asStranger.getFunction('anchor')(rand32(), 1n, rand32())).wait()

    const rev = await (await asOwner.getFunction('revokeNode')(key)).wait()
    assert.equal(asOwner.interface.parseLog(rev.logs[0])?.name, 'NodeRevoked')
    assert.equal(await asOwner.getFunction('isNode')(key), false)
    await assert.rejects(asStranger.getFunction('anchor')(rand32(), 1n, rand32()), revertName('NotSubmitter'))
  })

  it('a submitter stays registered while any of its nodes is active', async () => {
    const [k1, k2] = [rand32(), rand32()]
    const who = anvil.accounts[3]!.address
    await (await asOwner.getFunction('registerNode')(k1, who, 'a')).wait()
    await (await asOwner.getFunction('registerNode')(k2, who, 'b')).wait()
    await (await asOwner.getFunction('revokeNode')(k1)).wait()
    assert.equal(await asOwner.getFunction('isSubmitter')(who), true)
    // Re-pointing k2 to another account removes `who`'s last node.
    await (await asOwner.getFunction('registerNode')(k2, anvil.accounts[4]!.address, 'b')).wait()
    assert.equal(await asOwner.getFunction('isSubmitter')(who), false)
    assert.equal(await asOwner.getFunction('isSubmitter')(anvil.accounts[4]!.address), true)
  })

  it('verifyInclusion accepts RFC 6962 paths for trees of several sizes and rejects tampering', async () => {
    const verify = asStranger.getFunction('verifyInclusion')
    const cases: { args: unknown[]; want: boolean; label: string }[] = []
    const check = (want: boolean, label: string, ...args: unknown[]) => cases.push({ args, want, label })
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17]) {
      const leaves = Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`leaf ${n}/${i}`)))
      const root = toHex(mth(leaves))
      for (let m = 0; m < n; m++) {
        const p = path(m, leaves).map(toHex)
        const leaf = toHex(leaves[m]!)
        check(true, `n=${n} m=${m}`, root, leaf, m, n, p)
        if (m === 0 || m === n - 1 || m === Math.floor(n / 2)) {
          if (p.length > 0) {
            const bad = [...p]
            bad[bad.length - 1] = rand32()
            check(false, `n=${n} m=${m} tampered path`, root, leaf, m, n, bad)
            check(false, `n=${n} m=${m} truncated path`, root, leaf, m, n, p.slice(1))
          }
          check(false, `n=${n} m=${m} extra path element`, root, leaf, m, n, [...p, rand32()])
          if (n > 1) check(false, `n=${n} m=${m} wrong index`, root, leaf, (m + 1) % n, n, p)
          // (A wrong tree size is not always detectable: RFC 9162 paths along the left edge fit several sizes.)
          check(false, `n=${n} m=${m} tree size not above the index`, root, leaf, m, m, p)
          check(false, `n=${n} m=${m} wrong leaf`, root, rand32(), m, n, p)
        }
      }
    }
    const got = await Promise.all(cases.map((c) => verify(...c.args)))
    for (const [i, c] of cases.entries()) assert.equal(got[i], c.want, c.label)
    assert.ok(cases.filter((c) => c.want).length === 72)
  })
})
