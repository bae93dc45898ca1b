// The ICP devnet under hostile or unusual input: failed installs, id collisions, rejects, replays.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, it } from 'node:test'
import {
  Actor,
  type ActorSubclass,
  IC_REQUEST_DOMAIN_SEPARATOR,
  type Identity,
  requestIdOf,
} from '@dfinity/agent'
import { IDL } from '@dfinity/candid'
import { Ed25519KeyIdentity } from '@dfinity/identity'
import { Principal } from '@dfinity/principal'
import binaryen from 'binaryen'
import { encode } from 'cborg'
import { type AnchorService, anchorIdlFactory } from '../../contracts/icp/anchor-canister.ts'
import { CREATE_EFFECTIVE_CANISTER_ID, deployAnchorCanister, devnetAgent } from './deploy-anchor.ts'
import { type IcpDevnet, type IcpDevnetOptions, startIcpDevnet } from './icp-devnet.ts'
import { managementIdlFactory } from './management-canister.ts'

// biome-ignore lint/suspicious/noExplicitAny: the management IDL is untyped here
type Management = ActorSubclass<any>

const wasm = (...bytes: number[]) => new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...bytes])
/** 11 bytes: an empty export section, no memory. */
const MEMORYLESS = wasm(7, 1, 0)
/** Imports `ic0.nope` (no such System API function): instantiation fails with a LinkError. */
const UNKNOWN_IMPORT = wasm(
  ...[1, 4, 1, 0x60, 0, 0],
  ...[2, 12, 1, 3, 0x69, 0x63, 0x30, 4, 0x6e, 0x6f, 0x70, 0x65, 0, 0],
  ...[7, 5, 1, 1, 0x66, 0, 0],
)

/**
 * `set` writes 42 at address 0 and rejects with "nope"; `get` replies with the byte at address 0.
 * Its memory is not exported (the devnet exports it itself).
 */
const REJECTING_WRITER = (() => {
  const m = binaryen.parseText(`(module
    (import "ic0" "msg_reject" (func $reject (param i32 i32)))
    (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
    (import "ic0" "msg_reply" (func $reply))
    (memory 1)
    (data (i32.const 100) "nope")
    (func (export "canister_update set") (i32.store8 (i32.const 0) (i32.const 42)) (call $reject (i32.const 100) (i32.const 4)))
    (func (export "canister_query get") (call $append (i32.const 0) (i32.const 1)) (call $reply)))`)
  try {
    return m.emitBinary()
  } finally {
    m.dispose()
  }
})()

describe('ICP devnet robustness', () => {
  const dirs: string[] = []
  const running: IcpDevnet[] = []
  const start = async (dataDir?: string, o: Omit<IcpDevnetOptions, 'dataDir' | 'port'> = {}) => {
    const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'mero-icp-robust-'))
    if (!dataDir) dirs.push(dir)
    const ic = await startIcpDevnet({ ...o, port: 0, dataDir: dir })
    running.push(ic)
    return ic
  }
  afterEach(async () => {
    for (const ic of running.splice(0)) await ic.stop()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  const mgmt = (ic: IcpDevnet, id: Identity, ecid: string | Principal): Management =>
    Actor.createActor(managementIdlFactory, {
      agent: devnetAgent(ic.url, id),
      canisterId: 'aaaaa-aa',
      effectiveCanisterId: Principal.from(ecid),
    } as never)
  const anchor = (ic: IcpDevnet, id: string) =>
    Actor.createActor<AnchorService>(anchorIdlFactory, { agent: devnetAgent(ic.url), canisterId: id })
  const hashOf = async (m: Management, id: Principal) =>
    Buffer.from((await m.canister_status({ canister_id: id })).module_hash[0]).toString('hex')

  it('an upgrade to a module with an unknown import is refused (IC0505) and changes nothing', async () => {
    let ic = await start()
    const owner = Ed25519KeyIdentity.generate()
    const id = await deployAnchorCanister(ic.url, owner)
    const cid = Principal.fromText(id)
    const m = mgmt(ic, owner, cid)
    const hash = await hashOf(m, cid)
    await assert.rejects(
      m.install_code({ mode: { upgrade: [] }, canister_id: cid, wasm_module: UNKNOWN_IMPORT, arg: [] }),
      /IC0505/,
    )
    assert.equal(await anchor(ic, id).anchor_count(), 0n)
    assert.equal(await hashOf(m, cid), hash)
    const dir = ic.dataDir
    await ic.stop()
    ic = await start(dir)
    assert.deepEqual(ic.canisterIds(), [id])
    assert.equal(await anchor(ic, id).anchor_count(), 0n)
  })

  it('a memory-less module is refused; the empty canister still persists and restarts', async () => {
    let ic = await start()
    const owner = Ed25519KeyIdentity.generate()
    const m = mgmt(ic, owner, CREATE_EFFECTIVE_CANISTER_ID)
    const { canister_id } = await m.provisional_create_canister_with_cycles({
      amount: [],
      settings: [],
      specified_id: [],
    })
    const mc = mgmt(ic, owner, canister_id)
    await assert.rejects(
      mc.install_code({ mode: { install: null }, canister_id, wasm_module: MEMORYLESS, arg: [] }),
      /IC0505/,
    )
    assert.deepEqual((await mc.canister_status({ canister_id })).module_hash, [])
    await mc.update_settings({ canister_id, settings: { controllers: [[owner.getPrincipal()]] } })
    const dir = ic.dataDir
    await ic.stop()
    ic = await start(dir)
    assert.deepEqual(ic.canisterIds(), [canister_id.toText()])
  })

  it('a taken specified_id is refused and automatic ids skip ids already in use', async () => {
    const ic = await start()
    const a = Ed25519KeyIdentity.generate()
    const b = Ed25519KeyIdentity.generate()
    const squat = Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai') // index 1
    const ma = mgmt(ic, a, CREATE_EFFECTIVE_CANISTER_ID)
    const create = (specified: Principal[]) =>
      ma.provisional_create_canister_with_cycles({ amount: [], settings: [], specified_id: specified })
    assert.equal((await create([squat])).canister_id.toText(), squat.toText())
    await assert.rejects(create([squat]), /already installed[\s\S]*IC0538/)
    const first = await deployAnchorCanister(ic.url, b)
    const second = await deployAnchorCanister(ic.url, b)
    assert.equal(new Set([first, second, squat.toText()]).size, 3)
    const st = await mgmt(ic, a, squat).canister_status({ canister_id: squat })
    assert.deepEqual(st.module_hash, [])
    assert.deepEqual(
      st.settings.controllers.map((p: Principal) => p.toText()),
      [a.getPrincipal().toText()],
    )
    assert.equal(ic.canisterIds().length, 3)
  })

  it('a small-order Ed25519 key (identity point, s = 0) is refused with 403', async () => {
    const ic = await start()
    const der = new Uint8Array([
      ...Buffer.from('302a300506032b6570032100', 'hex'),
      1,
      ...new Array(31).fill(0),
    ])
    const content = {
      request_type: 'call',
      canister_id: new Uint8Array(0),
      method_name: 'provisional_create_canister_with_cycles',
      arg: new Uint8Array(IDL.encode([IDL.Record({})], [{}])),
      sender: Principal.selfAuthenticating(der).toUint8Array(),
      ingress_expiry: BigInt(Date.now() + 60_000) * 1_000_000n,
    }
    const sig = new Uint8Array([1, ...new Array(63).fill(0)])
    const r = await fetch(`${ic.url}/api/v3/canister/${CREATE_EFFECTIVE_CANISTER_ID}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/cbor' },
      body: encode({ content, sender_pubkey: der, sender_sig: sig }),
    })
    assert.equal(r.status, 403)
    assert.deepEqual(ic.canisterIds(), [])
  })

  it('an update that writes memory then calls msg_reject commits (also across a restart)', async () => {
    let ic = await start()
    const owner = Ed25519KeyIdentity.generate()
    const { canister_id } = await mgmt(
      ic,
      owner,
      CREATE_EFFECTIVE_CANISTER_ID,
    ).provisional_create_canister_with_cycles({ amount: [], settings: [], specified_id: [] })
    await mgmt(ic, owner, canister_id).install_code({
      mode: { install: null },
      canister_id,
      wasm_module: REJECTING_WRITER,
      arg: [],
    })
    const agent = devnetAgent(ic.url, owner)
    const get = async () => {
      const r = await devnetAgent(ic.url).query(canister_id, { methodName: 'get', arg: new Uint8Array() })
      assert.equal(r.status, 'replied')
      return (r as { reply: { arg: Uint8Array } }).reply.arg[0]
    }
    assert.equal(await get(), 0)
    await assert.rejects(
      Actor.createActor<{ set(): Promise<void> }>(({ IDL: I }) => I.Service({ set: I.Func([], [], []) }), {
        agent,
        canisterId: canister_id,
      }).set(),
      /nope[\s\S]*IC0406/,
    )
    assert.equal(await get(), 42)
    const dir = ic.dataDir
    await ic.stop()
    ic = await start(dir)
    assert.equal(await get(), 42)
  })

  it('a captured signed call is never executed twice: not after many other calls, not after a restart', async () => {
    let executed = 0
    const owner = Ed25519KeyIdentity.generate()
    const onExecute: IcpDevnetOptions['onExecute'] = (e) => {
      if (e.sender === owner.getPrincipal().toText() && e.method === 'anchor_count') executed++
    }
    let ic = await start(undefined, { maxRequestStatuses: 20, onExecute })
    const id = await deployAnchorCanister(ic.url, owner)
    const call = async (sender?: Ed25519KeyIdentity) => {
      const content = {
        request_type: 'call',
        canister_id: Principal.fromText(id).toUint8Array(),
        method_name: 'anchor_count',
        arg: new Uint8Array(IDL.encode([], [])),
        sender: sender ? sender.getPrincipal().toUint8Array() : new Uint8Array([4]),
        ingress_expiry: BigInt(Date.now() + 240_000) * 1_000_000n,
        nonce: new Uint8Array(randomBytes(16)),
      }
      if (!sender) return encode({ content })
      const sig = await sender.sign(new Uint8Array([...IC_REQUEST_DOMAIN_SEPARATOR, ...requestIdOf(content)]))
      return encode({ content, sender_pubkey: sender.getPublicKey().toDer(), sender_sig: sig })
    }
    const post = (body: Uint8Array) =>
      fetch(`${ic.url}/api/v3/canister/${id}/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/cbor' },
        body,
      }).then((r) => r.status)
    const captured = await call(owner)
    assert.equal(await post(captured), 200)
    assert.equal(executed, 1)
    const statuses: number[] = []
    for (let i = 0; i < 25; i++) statuses.push(await post(await call()))
    assert.ok(statuses.includes(200) && statuses.at(-1) === 503, statuses.join(','))
    assert.equal(await post(captured), 200)
    assert.equal(executed, 1)
    const dir = ic.dataDir
    await ic.stop()
    ic = await start(dir, { maxRequestStatuses: 20, onExecute })
    assert.equal(await post(captured), 200)
    assert.equal(executed, 1)
    assert.equal(await post(await call()), 503) // the unexpired history survived the restart
  })

  it('read_state of canister/<id> paths must name the effective canister id of the URL', async () => {
    const ic = await start()
    const a = await deployAnchorCanister(ic.url, Ed25519KeyIdentity.generate())
    const b = await deployAnchorCanister(ic.url, Ed25519KeyIdentity.generate())
    const path = (id: string) => [
      new TextEncoder().encode('canister'),
      Principal.fromText(id).toUint8Array(),
      new TextEncoder().encode('module_hash'),
    ]
    const agent = devnetAgent(ic.url)
    await agent.readState(a, { paths: [path(a)] })
    await assert.rejects(agent.readState(a, { paths: [path(b)] }), /400[\s\S]*does not match/)
  })

  it('a canister whose module file is missing is skipped at restart, and its id is not reused', async () => {
    let ic = await start()
    const owner = Ed25519KeyIdentity.generate()
    const lost = await deployAnchorCanister(ic.url, owner)
    const dir = ic.dataDir
    await ic.stop()
    for (const f of readdirSync(join(dir, 'modules'))) rmSync(join(dir, 'modules', f))
    const lines: string[] = []
    ic = await start(dir, { log: (l) => lines.push(l) })
    assert.deepEqual(ic.canisterIds(), [])
    assert.ok(lines.some((l) => l.startsWith('skipping canister')))
    assert.notEqual(await deployAnchorCanister(ic.url, owner), lost)
  })

  it('malformed requests get a 4xx text answer, never a 500, and the devnet keeps serving', async () => {
    const ic = await start(undefined, { log: () => {} })
    const call = `/api/v3/canister/${CREATE_EFFECTIVE_CANISTER_ID}/call`
    const soon = BigInt(Date.now() + 60_000) * 1_000_000n
    const content = { sender: new Uint8Array([4]), request_type: 'call', ingress_expiry: soon }
    /** `{content: {...content, x: [[[…0…]]]}}` with `n` nested arrays, encoded by hand. */
    const deep = (n: number) => {
      const pairs = Object.entries(content).flatMap(([k, v]) => [encode(k), encode(v)])
      const x = [encode('x'), Buffer.alloc(n, 0x81), Buffer.from([0])]
      return new Uint8Array(
        Buffer.concat([Buffer.from([0xa1]), encode('content'), Buffer.from([0xa4]), ...pairs, ...x]),
      )
    }
    const bodies: [string, Uint8Array | string, string?][] = [
      ['fractional ingress_expiry', encode({ content: { ...content, ingress_expiry: 1.5 } })],
      ['huge ingress_expiry', encode({ content: { ...content, ingress_expiry: 2n ** 64n - 1n } })],
      ...[100, 1_000, 3_000, 10_000, 100_000].map((n): [string, Uint8Array] => [
        `content ${n} deep`,
        deep(n),
      ]),
      [
        'JSON instead of CBOR',
        JSON.stringify({ content: { ...content, ingress_expiry: String(soon) } }),
        'application/json',
      ],
      ['CBOR map keys that are not text', new Uint8Array([0xa1, 0x01, 0x02])],
      ['invalid UTF-8 text', new Uint8Array([0xa1, 0x67, ...Buffer.from('content'), 0x62, 0xff, 0xfe])],
    ]
    for (const [what, body, type] of bodies) {
      const r = await fetch(`${ic.url}${call}`, {
        method: 'POST',
        body,
        headers: { 'content-type': type ?? 'application/cbor' },
      })
      assert.ok(r.status >= 400 && r.status < 500, `${what}: HTTP ${r.status} ${await r.text()}`)
    }
    // A request line whose target is not a path (node:http passes it through).
    const { request } = await import('node:http')
    const u = new URL(ic.url)
    const status = await new Promise<number>((resolve, reject) =>
      request({ host: u.hostname, port: u.port, path: 'http://[', method: 'GET' }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
        .on('error', reject)
        .end(),
    )
    assert.ok(status >= 400 && status < 500, `absolute-form target: HTTP ${status}`)
    assert.equal((await fetch(`${ic.url}/api/v2/status`)).status, 200)
  })
})
