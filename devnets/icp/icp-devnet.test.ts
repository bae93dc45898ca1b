// The ICP devnet's HTTP interface, exercised with the unmodified @dfinity/agent.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  Actor,
  type HttpAgent,
  IC_REQUEST_DOMAIN_SEPARATOR,
  type PublicKey,
  pollForResponse,
  requestIdOf,
  SignIdentity,
} from '@dfinity/agent'
import { IDL } from '@dfinity/candid'
import { Ed25519KeyIdentity } from '@dfinity/identity'
import { Principal } from '@dfinity/principal'
import { secp256k1 } from '@noble/curves/secp256k1'
import { sha256 } from '@noble/hashes/sha256'
import { encode } from 'cborg'
import { type AnchorService, anchorIdlFactory } from '../../contracts/icp/anchor-canister.ts'
import { deployAnchorCanister, devnetAgent, upgradeAnchorCanister } from './deploy-anchor.ts'
import { type IcpDevnet, startIcpDevnet } from './icp-devnet.ts'

/** A secp256k1 identity as `@dfinity/identity-secp256k1` signs: sha256 prehash, 64-byte r‖s. */
class Secp256k1TestIdentity extends SignIdentity {
  readonly #sk = secp256k1.utils.randomPrivateKey()
  readonly #der = new Uint8Array([
    ...Buffer.from('3056301006072a8648ce3d020106052b8104000a034200', 'hex'),
    ...secp256k1.getPublicKey(this.#sk, false),
  ])
  getPublicKey(): PublicKey {
    const der = this.#der
    return { toDer: () => der as never, derKey: der as never, rawKey: der as never }
  }
  async sign(blob: Uint8Array) {
    return secp256k1.sign(sha256(blob), this.#sk).toCompactRawBytes() as never
  }
}

/** An Ed25519 identity whose signatures are wrong (one flipped bit). */
class BadSignatureIdentity extends SignIdentity {
  readonly #inner = Ed25519KeyIdentity.generate()
  getPublicKey() {
    return this.#inner.getPublicKey()
  }
  async sign(blob: Uint8Array) {
    const s = new Uint8Array(await this.#inner.sign(blob))
    s[0]! ^= 1
    return s as never
  }
}

const actor = (agent: HttpAgent, canisterId: string) =>
  Actor.createActor<AnchorService>(anchorIdlFactory, { agent, canisterId })
const root32 = () => new Uint8Array(randomBytes(32))

describe('ICP devnet (IC HTTP interface, real agent)', () => {
  let dir: string
  let ic: IcpDevnet
  let owner: Ed25519KeyIdentity
  let canisterId: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mero-icp-devnet-'))
    ic = await startIcpDevnet({ port: 0, dataDir: dir })
    owner = Ed25519KeyIdentity.generate()
    canisterId = await deployAnchorCanister(ic.url, owner)
    await actor(devnetAgent(ic.url, owner), canisterId).register_node(root32(), owner.getPrincipal(), 'owner')
  })
  after(async () => {
    await ic.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves its root key in /api/v2/status; a call gets a certificate the agent verifies', async () => {
    const agent = devnetAgent(ic.url, owner)
    const root = root32()
    await actor(agent, canisterId).anchor(root32(), 3n, root)
    assert.deepEqual(new Uint8Array(agent.rootKey!), ic.rootKey)
    assert.equal(ic.rootKey.length, 133)
    const [a] = await actor(agent, canisterId).anchor_of(root)
    assert.equal(a?.tree_size, 3n)
  })

  it('an anonymous query is answered; an anonymous update reaches the canister as the anonymous principal', async () => {
    const anon = devnetAgent(ic.url)
    assert.deepEqual(await actor(anon, canisterId).anchor_of(root32()), [])
    await assert.rejects(actor(anon, canisterId).anchor(root32(), 1n, root32()), /not a registered submitter/)
  })

  it('accepts a secp256k1 sender (DER key, sha256 prehash)', async () => {
    const id = new Secp256k1TestIdentity()
    const agent = devnetAgent(ic.url, id)
    await assert.rejects(
      actor(agent, canisterId).anchor(root32(), 1n, root32()),
      /not a registered submitter/,
    )
    await actor(devnetAgent(ic.url, owner), canisterId).register_node(root32(), id.getPrincipal(), 'secp')
    const root = root32()
    await actor(agent, canisterId).anchor(root32(), 2n, root)
    const [a] = await actor(agent, canisterId).anchor_of(root)
    assert.equal(a?.submitter.toText(), id.getPrincipal().toText())
  })

  it('rejects a call with a bad signature before executing it', async () => {
    const bad = new BadSignatureIdentity()
    await actor(devnetAgent(ic.url, owner), canisterId).register_node(root32(), bad.getPrincipal(), 'bad')
    const root = root32()
    await assert.rejects(
      actor(devnetAgent(ic.url, bad), canisterId).anchor(root32(), 1n, root),
      /403[\s\S]*Invalid signature/,
    )
    assert.deepEqual(await actor(devnetAgent(ic.url), canisterId).anchor_of(root), [])
  })

  const envelope = async (expiryNs: bigint, tamper = false) => {
    const content = {
      request_type: 'call',
      canister_id: Principal.fromText(canisterId).toUint8Array(),
      method_name: 'anchor',
      arg: new Uint8Array(
        IDL.encode([IDL.Vec(IDL.Nat8), IDL.Nat64, IDL.Vec(IDL.Nat8)], [root32(), 1n, root32()]),
      ),
      sender: owner.getPrincipal().toUint8Array(),
      ingress_expiry: expiryNs,
      nonce: root32(),
    }
    const id = requestIdOf(content as never)
    const sig = await owner.sign(new Uint8Array([...IC_REQUEST_DOMAIN_SEPARATOR, ...id]))
    if (tamper) content.method_name = 'register_node'
    return encode({ content, sender_pubkey: owner.getPublicKey().toDer(), sender_sig: sig })
  }
  const post = (body: Uint8Array, path = `/api/v3/canister/${canisterId}/call`) =>
    fetch(`${ic.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body })

  it('rejects an expired ingress message (and one too far in the future)', async () => {
    const now = BigInt(Date.now()) * 1_000_000n
    const past = await post(await envelope(now - 60_000_000_000n))
    assert.equal(past.status, 400)
    assert.match(await past.text(), /^Invalid request expiry/)
    const future = await post(await envelope(now + 3_600_000_000_000n))
    assert.equal(future.status, 400)
    const fine = await post(await envelope(now + 120_000_000_000n))
    assert.equal(fine.status, 200)
  })

  it('recomputes the request id: content changed after signing is refused', async () => {
    const r = await post(await envelope(BigInt(Date.now() + 120_000) * 1_000_000n, true))
    assert.equal(r.status, 403)
  })

  it('a tampered root key makes the agent reject the certificate', async () => {
    const other = await startIcpDevnet({ port: 0 })
    try {
      const agent = devnetAgent(ic.url, owner)
      await agent.fetchRootKey()
      agent.rootKey = new Uint8Array(other.rootKey) as never
      const root = root32()
      await assert.rejects(
        actor(agent, canisterId).anchor(root32(), 1n, root),
        (e: Error) => e.name === 'TrustError',
      )
    } finally {
      await other.stop()
      rmSync(other.dataDir, { recursive: true, force: true })
    }
  })

  it('supports the v2 call + read_state polling path', async () => {
    const agent = devnetAgent(ic.url, owner)
    const arg = new Uint8Array(IDL.encode([], []))
    const { requestId, response } = await agent.call(canisterId, {
      methodName: 'anchor_count',
      arg,
      callSync: false,
    })
    assert.equal(response.status, 202)
    const { reply } = await pollForResponse(agent, Principal.fromText(canisterId), requestId)
    assert.equal(typeof IDL.decode([IDL.Nat64], reply)[0], 'bigint')
  })

  it('management canister: only controllers install; an upgrade keeps the anchors', async () => {
    const stranger = Ed25519KeyIdentity.generate()
    await assert.rejects(
      upgradeAnchorCanister(ic.url, stranger, Principal.fromText(canisterId)),
      /Only controllers/,
    )
    const root = root32()
    await actor(devnetAgent(ic.url, owner), canisterId).anchor(root32(), 5n, root)
    await upgradeAnchorCanister(ic.url, owner, Principal.fromText(canisterId))
    assert.equal((await actor(devnetAgent(ic.url), canisterId).anchor_of(root))[0]?.tree_size, 5n)
  })

  it('answers garbage with the IC error shape and keeps serving', async () => {
    const r = await post(new Uint8Array([0xff, 0x00, 0x13]))
    assert.equal(r.status, 400)
    assert.equal((await fetch(`${ic.url}/api/v9/nothing`)).status, 404)
    const q = await post(
      encode({ content: { request_type: 'query' } }),
      `/api/v2/canister/${canisterId}/query`,
    )
    assert.equal(q.status, 400)
    assert.equal((await fetch(`${ic.url}/api/v2/status`)).status, 200)
  })

  it('keeps root key, canisters and state across a restart on the same folder', async () => {
    const root = root32()
    await actor(devnetAgent(ic.url, owner), canisterId).anchor(root32(), 77n, root)
    const key = ic.rootKey
    await ic.stop()
    ic = await startIcpDevnet({ port: 0, dataDir: dir })
    assert.deepEqual(ic.rootKey, key)
    assert.deepEqual(ic.canisterIds(), [canisterId])
    const agent = devnetAgent(ic.url, owner)
    assert.equal((await actor(agent, canisterId).anchor_of(root))[0]?.tree_size, 77n)
    await actor(agent, canisterId).anchor(root32(), 1n, root32())
  })
})
