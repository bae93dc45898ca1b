/**
 * A local Internet Computer for tests and `merod dev`: one subnet, canisters executed by
 * {@link createCanister} (the IC System API over Node's Wasm engine), behind the IC HTTP interface
 * the unmodified `@dfinity/agent` speaks — `/api/v2/status` (with the devnet's BLS12-381 root key),
 * `/api/v3/canister/<id>/call` (synchronous, answered with a certificate signed by the root key),
 * `/api/v2/canister/<id>/call` (202, then `read_state`), `/api/v2/canister/<id>/query` and
 * `/api/v2/canister/<id>/read_state`. Requests are authenticated like a replica does
 * ({@link authenticate}). State persists in `dataDir`. What it does not model: README.md.
 */

import { mkdtempSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Principal } from '@dfinity/principal'
import { decode, encode } from 'cborg'
import { type CanisterExecutor, createCanister, type MessageResult } from './canister-executor.ts'
import { certify, rootKeyFrom } from './certification.ts'
import { openDevnetStore } from './devnet-store.ts'
import { listen } from './http-endpoint.ts'
import type { IcpDevnet, IcpDevnetOptions } from './icp-devnet-options.ts'
import { callManagement, MANAGEMENT_CANISTER_ID } from './management-canister.ts'
import { authenticate, type CborValue, HttpRejection } from './request-auth.ts'
import { openRequestHistory } from './request-history.ts'
import { canisterEntries, requestStatusEntries, type StateEntry, stateTree } from './state-tree.ts'

export type { IcpDevnet, IcpDevnetOptions } from './icp-devnet-options.ts'

const MAX_REQUEST_STATUSES = 10_000

/**
 * Starts the devnet.
 *
 * @example
 * const ic = await startIcpDevnet({ port: 0, dataDir })
 * const agent = await HttpAgent.create({ host: ic.url, shouldFetchRootKey: true, verifyQuerySignatures: false })
 */
export async function startIcpDevnet(options: IcpDevnetOptions = {}): Promise<IcpDevnet> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mero-icp-'))
  const log = options.log ?? (() => {})
  const store = openDevnetStore(dataDir)
  const key = rootKeyFrom(store.rootSecret())
  const meta = store.meta()
  const canisters = new Map<string, CanisterExecutor>()
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
  for (const c of store.loadCanisters(log)) canisters.set(hex(c.id), c)
  let lastTime = 0n
  const now = () => {
    const t = BigInt(Date.now()) * 1_000_000n
    lastTime = t > lastTime ? t : lastTime + 1n
    return lastTime
  }
  const requests = openRequestHistory(
    join(dataDir, 'requests.log'),
    options.maxRequestStatuses ?? MAX_REQUEST_STATUSES,
    now,
  )

  /** An id in use, or with a state file the devnet could not load (kept, never overwritten). */
  const taken = (id: Uint8Array) => canisters.has(hex(id)) || store.hasCanister(id)
  const host = {
    createCanister(controllers: Uint8Array[], specifiedId: Uint8Array | undefined) {
      let id = specifiedId
      if (id && taken(id))
        return {
          kind: 'reject' as const,
          code: 5 as const,
          errorCode: 'IC0538',
          message: `Canister ${Principal.fromUint8Array(id).toText()} is already installed.`,
        }
      while (!id || taken(id)) {
        id = new Uint8Array(10)
        new DataView(id.buffer).setBigUint64(0, BigInt(meta.nextCanisterIndex++))
        id[8] = 1
        id[9] = 1
      }
      store.saveMeta(meta)
      const c = createCanister(id, controllers, log)
      canisters.set(hex(id), c)
      store.saveCanister(c)
      return id
    },
    canisterExists: (id: Uint8Array) => canisters.has(hex(id)),
    controllersOf: (id: Uint8Array) => canisters.get(hex(id))?.controllers ?? [],
    setControllers(id: Uint8Array, controllers: Uint8Array[]) {
      const c = canisters.get(hex(id))!
      c.controllers = controllers
      store.saveCanister(c)
    },
    moduleHashOf: (id: Uint8Array) => canisters.get(hex(id))?.moduleHash,
    installCode(
      id: Uint8Array,
      mode: 'install' | 'reinstall' | 'upgrade',
      wasm: Uint8Array,
      arg: Uint8Array,
      caller: Uint8Array,
    ) {
      const c = canisters.get(hex(id))!
      const r = c.install(mode, wasm, arg, { caller, time: now() })
      if (r.kind === 'reject') return r
      store.saveModule(wasm)
      store.saveCanister(c)
      return { kind: 'ok' as const }
    },
  }

  const execute = (
    canisterId: Uint8Array,
    ecid: Uint8Array,
    method: string,
    arg: Uint8Array,
    caller: Uint8Array,
    kind: 'update' | 'query',
  ): MessageResult => {
    const started = performance.now()
    let executed: number | undefined
    let r: MessageResult
    if (canisterId.length === 0) {
      r =
        kind === 'query'
          ? {
              kind: 'reject',
              code: 3,
              errorCode: 'IC0536',
              message: 'The management canister has no query methods on this devnet',
            }
          : callManagement(host, method, arg, caller, ecid)
    } else {
      const c = canisters.get(hex(canisterId))
      if (!c)
        return {
          kind: 'reject',
          code: 3,
          errorCode: 'IC0301',
          message: `Canister ${Principal.fromUint8Array(canisterId).toText()} not found`,
        }
      const o = { caller, time: now() }
      if (kind === 'query') {
        r = c.query(method, arg, {
          ...o,
          dataCertificate: memo(() =>
            certify(stateTree(now(), canisterEntries(canisterId, canisters.get(hex(canisterId)))), key),
          ),
        })
      } else {
        r = c.update(method, arg, o)
        executed = performance.now()
        // A reply or an explicit reject (IC0406) committed the canister's changes; a trap did not.
        if ((r.kind === 'reply' || r.errorCode === 'IC0406') && !c.isQuery(method)) store.saveCanister(c)
      }
    }
    options.onExecute?.({
      kind,
      method,
      ms: (executed ?? performance.now()) - started,
      persistMs: executed === undefined ? 0 : performance.now() - executed,
      argBytes: arg.length,
      sender: Principal.fromUint8Array(caller).toText(),
    })
    return r
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Uint8Array) => {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://x')
    } catch {
      throw new HttpRejection(400, 'Invalid request target')
    }
    const send = (status: number, payload?: unknown) => {
      const bytes = payload === undefined ? new Uint8Array(0) : encode(payload)
      options.onRequest?.({
        path: url.pathname,
        status,
        requestBytes: body.length,
        responseBytes: bytes.length,
      })
      if (payload === undefined) return void res.writeHead(status).end()
      res.writeHead(status, { 'content-type': 'application/cbor', 'content-length': bytes.length }).end(bytes)
    }
    if (url.pathname === '/api/v2/status' && req.method === 'GET')
      return send(200, {
        ic_api_version: '0.18.0',
        impl_version: 'mero-icp-devnet',
        root_key: key.publicKeyDer,
        replica_health_status: 'healthy',
      })
    const m = /^\/api\/(v2|v3)\/canister\/([^/]+)\/(call|query|read_state)$/.exec(url.pathname)
    if (!m || req.method !== 'POST' || (m[1] === 'v3' && m[3] !== 'call'))
      throw new HttpRejection(404, 'Not found')
    let ecid: Uint8Array
    try {
      ecid = Principal.fromText(m[2]!).toUint8Array()
    } catch {
      throw new HttpRejection(400, `Invalid effective canister id ${m[2]}`)
    }
    let envelope: CborValue
    try {
      envelope = decode(body, { tags: SELF_DESCRIBE_TAGS }) as CborValue
    } catch (e) {
      throw new HttpRejection(400, `Could not parse body as CBOR: ${(e as Error).message}`)
    }
    const auth = authenticate(envelope, now())
    const { content } = auth
    const type = content.request_type
    const expected = { call: 'call', query: 'query', read_state: 'read_state' }[m[3] as 'call']
    if (type !== expected)
      throw new HttpRejection(400, `Expected request_type ${expected}, got ${String(type)}`)
    if (type === 'read_state') return send(200, { certificate: readState(auth.sender, ecid, content.paths) })
    const canisterId = content.canister_id
    const method = content.method_name
    const arg = content.arg
    if (!(canisterId instanceof Uint8Array) || typeof method !== 'string' || !(arg instanceof Uint8Array))
      throw new HttpRejection(400, 'request needs canister_id, method_name and arg')
    if (canisterId.length > 0 && !Buffer.from(canisterId).equals(ecid))
      throw new HttpRejection(400, 'the effective canister id in the URL does not match canister_id')
    if (auth.targets && !auth.targets.some((t) => Buffer.from(t).equals(canisterId)))
      throw new HttpRejection(403, 'Invalid delegation: the canister is not among the delegation targets')
    if (type === 'query') {
      const r = execute(canisterId, ecid, method, arg, auth.sender, 'query')
      return send(
        200,
        r.kind === 'reply'
          ? { status: 'replied', reply: { arg: r.data } }
          : { status: 'rejected', reject_code: r.code, reject_message: r.message, error_code: r.errorCode },
      )
    }
    const idHex = hex(auth.requestId)
    // A request id seen before (a retry or a replay within its expiry) is answered, never re-executed.
    const status =
      requests.get(idHex) ??
      requests.run(idHex, auth.sender, BigInt(content.ingress_expiry as bigint), () =>
        execute(canisterId, ecid, method, arg, auth.sender, 'update'),
      )
    if (m[1] === 'v2') return send(202)
    return send(200, {
      status: 'replied',
      certificate: certify(stateTree(now(), requestStatusEntries(auth.requestId, status.result)), key),
    })
  }

  const readState = (sender: Uint8Array, ecid: Uint8Array, paths: CborValue | undefined): Uint8Array => {
    if (!Array.isArray(paths) || paths.length > 100)
      throw new HttpRejection(400, 'read_state needs paths (at most 100)')
    const entries: StateEntry[] = []
    for (const p of paths) {
      if (!Array.isArray(p) || !p.every((l) => l instanceof Uint8Array))
        throw new HttpRejection(400, 'a path is a list of byte strings')
      const [head, id] = p as Uint8Array[]
      const h = head ? Buffer.from(head).toString('utf8') : ''
      if (h === 'request_status' && id) {
        const s = requests.get(hex(id))
        if (s && !Buffer.from(s.sender).equals(sender))
          throw new HttpRejection(403, 'request_status of another sender')
        if (s) entries.push(...requestStatusEntries(id, s.result))
      } else if (h === 'canister' && id) {
        if (!Buffer.from(id).equals(ecid))
          throw new HttpRejection(
            400,
            `Effective canister id in URL ${Principal.fromUint8Array(ecid).toText()} does not match requested canister id ${hex(id)}`,
          )
        entries.push(...canisterEntries(id, canisters.get(hex(id))))
      } else if (h !== 'time' && h !== 'subnet')
        throw new HttpRejection(404, `unsupported read_state path ${h}`)
    }
    return certify(stateTree(now(), entries), key)
  }

  const server = await listen(options.host ?? '127.0.0.1', options.port ?? 0, handle, log)
  return {
    url: server.url,
    rootKey: key.publicKeyDer,
    dataDir,
    canisterIds: () => [...canisters.values()].map((c) => Principal.fromUint8Array(c.id).toText()),
    stop: () => server.stop(),
  }
}

/** cborg tag decoders: the self-describe tag 55799 the agent puts first is transparent. */
const SELF_DESCRIBE_TAGS: NonNullable<Parameters<typeof decode>[1]>['tags'] = Object.assign([], {
  55799: (d: () => unknown) => d(),
})

function memo<T>(f: () => T): () => T {
  let v: { x: T } | undefined
  return () => {
    v ??= { x: f() }
    return v.x
  }
}

/** The id of the management canister as the agent addresses it. */
export const MANAGEMENT_CANISTER = Principal.fromUint8Array(MANAGEMENT_CANISTER_ID)
