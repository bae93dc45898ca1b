/**
 * Runs one canister's Wasm module with IC message semantics on top of {@link systemApiImports}:
 *
 * - updates commit their changes (Wasm memory, globals, stable memory, certified data) when the
 *   message completes — with a reply or an explicit `msg_reject` (IC0406), which the IC commits too;
 *   a trap (explicit `ic0.trap`, `unreachable`, out-of-bounds…) rolls all of it back;
 * - queries always roll back (their changes are discarded, even when called as an update);
 * - `install` runs the start function and `canister_init`; `upgrade` runs `canister_pre_upgrade` on
 *   the old module, keeps only stable memory, then the new module's `canister_post_upgrade`; a trap
 *   anywhere leaves the canister exactly as it was;
 * - the committed state is a snapshot (memory + all mutable globals, made visible by
 *   `exportMutableGlobals`, wasm-globals.ts) that {@link CanisterExecutor.serialize} writes out and
 *   {@link restoreCanister} loads again after a restart.
 */
import {
  type CanisterHeader,
  type Committed,
  type Loaded,
  load,
  type MessageOptions,
  type MessageResult,
  message,
  principalText,
} from './canister-types.ts'
import {
  CanisterTrap,
  type MessageContext,
  type MessageKind,
  type SystemState,
  systemApiImports,
} from './system-api.ts'
import { Wasm, type WasmGlobal, type WasmInstance, type WasmMemory } from './wasm-api.ts'
import { MEMORY_EXPORT } from './wasm-globals.ts'

/** A module the devnet cannot run (reported as IC0505). */
class ModuleRejected extends Error {}

export type { CanisterHeader, MessageOptions, MessageResult } from './canister-types.ts'

/** One canister. Not re-entrant: the devnet executes one message at a time. */
export interface CanisterExecutor {
  readonly id: Uint8Array
  controllers: Uint8Array[]
  /** sha256 of the installed module, undefined when empty. */
  readonly moduleHash: Uint8Array | undefined
  readonly certifiedData: Uint8Array
  /** Installs (`install`/`reinstall`) or upgrades the module; a trap leaves the canister unchanged. */
  install(
    mode: 'install' | 'reinstall' | 'upgrade',
    wasm: Uint8Array,
    arg: Uint8Array,
    o: MessageOptions,
  ): MessageResult
  /** An update call (ingress): committed unless it traps (a reject, IC0406, commits). */
  update(method: string, arg: Uint8Array, o: MessageOptions): MessageResult
  /** A query: never changes state. */
  query(method: string, arg: Uint8Array, o: MessageOptions): MessageResult
  /** Whether the module exports `canister_query <method>` (or composite query). */
  isQuery(method: string): boolean
  /** The committed state (module bytes kept apart, by hash). */
  serialize(): { header: CanisterHeader; heap: Uint8Array; stable: Uint8Array }
}

/** Creates an empty canister (no module). */
export function createCanister(
  id: Uint8Array,
  controllers: Uint8Array[],
  log: (s: string) => void = () => {},
) {
  return makeExecutor(id, controllers, log)
}

/** Loads a canister from {@link CanisterExecutor.serialize} output and the module bytes. */
export function restoreCanister(
  id: Uint8Array,
  s: { header: CanisterHeader; heap: Uint8Array; stable: Uint8Array },
  wasm: Uint8Array | undefined,
  log: (s: string) => void = () => {},
): CanisterExecutor {
  const h = s.header
  const ex = makeExecutor(
    id,
    h.controllers.map((c) => Buffer.from(c, 'hex')),
    log,
    {
      wasm,
      committed: {
        heap: s.heap,
        globals: h.globals.map((g) => (g.endsWith('n') ? BigInt(g.slice(0, -1)) : Number(g))),
        stable: s.stable,
        stablePages: h.stablePages,
        certifiedData: Buffer.from(h.certifiedData, 'hex'),
      },
      version: BigInt(h.version),
    },
  )
  return ex
}

function makeExecutor(
  id: Uint8Array,
  controllers: Uint8Array[],
  log: (s: string) => void,
  restore?: { wasm: Uint8Array | undefined; committed: Committed; version: bigint },
): CanisterExecutor {
  const idText = () => principalText(id)
  let loaded: Loaded | undefined
  let instance: WasmInstance | undefined
  let committed: Committed | undefined
  let ctx: MessageContext | undefined
  let stableCopied = false
  const state: SystemState = {
    selfId: id,
    controllers,
    stable: new Uint8Array(0),
    stablePages: 0,
    certifiedData: new Uint8Array(0),
    version: restore?.version ?? 0n,
    ensureStableWritable() {
      if (!stableCopied) {
        state.stable = state.stable.slice()
        stableCopied = true
      }
    },
    debugPrint: (t) => log(`[canister ${idText()}] ${t}`),
  }
  const memory = () => instance!.exports[MEMORY_EXPORT] as WasmMemory
  const imports = systemApiImports(state, memory, () => {
    if (!ctx) throw new CanisterTrap('no message in progress', false)
    return ctx
  })

  /** Runs `fn` with `ctx` set, as the start function may call ic0 too. */
  const withCtx = <T>(c: MessageContext, fn: () => T): T => {
    const prev = ctx
    ctx = c
    try {
      return fn()
    } finally {
      ctx = prev
    }
  }
  const newInstance = (l: Loaded, c: MessageContext) => withCtx(c, () => new Wasm.Instance(l.module, imports))

  const snapshot = (): Committed => ({
    heap: new Uint8Array(memory().buffer).slice(),
    globals: loaded!.globals.map((g) => (instance!.exports[g] as WasmGlobal).value as number | bigint),
    stable: state.stable,
    stablePages: state.stablePages,
    certifiedData: state.certifiedData,
  })
  /** Puts the live instance back to `c` (re-instantiating when memory grew or no instance exists). */
  const applySnapshot = (c: Committed, startCtx: MessageContext) => {
    if (!instance || memory().buffer.byteLength !== c.heap.length) {
      instance = newInstance(loaded!, startCtx)
      const mem = memory()
      const missing = c.heap.length - mem.buffer.byteLength
      if (missing > 0) mem.grow(missing / 65536)
    }
    new Uint8Array(memory().buffer).set(c.heap)
    loaded!.globals.forEach((g, i) => {
      ;(instance!.exports[g] as WasmGlobal).value = c.globals[i]!
    })
    state.stable = c.stable
    state.stablePages = c.stablePages
    state.certifiedData = c.certifiedData
    stableCopied = false
  }

  if (restore?.wasm) {
    loaded = load(restore.wasm)
    committed = restore.committed
    applySnapshot(committed, message('start', '', new Uint8Array(0), new Uint8Array([4]), 0n))
  }

  const reject = (code: 3 | 4 | 5, errorCode: string, message: string): MessageResult => ({
    kind: 'reject',
    code,
    errorCode,
    message,
  })
  const trapResult = (e: unknown): MessageResult => {
    if (e instanceof CanisterTrap)
      return e.explicit
        ? reject(
            5,
            'IC0503',
            `Error from Canister ${idText()}: Canister called \`ic0.trap\` with message: '${e.message}'`,
          )
        : reject(5, 'IC0502', `Error from Canister ${idText()}: Canister trapped: ${e.message}`)
    if (e instanceof Wasm.RuntimeError || e instanceof RangeError)
      return reject(5, 'IC0502', `Error from Canister ${idText()}: Canister trapped: ${e.message}`)
    // Anything else thrown while the canister ran (e.g. a host function given bad values) is a trap
    // too: the message is rolled back and the devnet keeps serving.
    return reject(5, 'IC0502', `Error from Canister ${idText()}: Canister trapped: ${String(e)}`)
  }
  /** An install failure as the IC reports it: traps as traps, anything else as an invalid module. */
  const installFailure = (e: unknown): MessageResult => {
    if (e instanceof CanisterTrap || e instanceof Wasm.RuntimeError || e instanceof RangeError)
      return trapResult(e)
    const why = e instanceof ModuleRejected || e instanceof Wasm.LinkError ? e.message : String(e)
    return reject(5, 'IC0505', `Wasm module of canister ${idText()} is not valid: ${why}`)
  }
  const call = (name: string) => {
    const f = instance!.exports[name]
    if (typeof f === 'function') (f as () => void)()
  }

  const run = (
    kind: 'update' | 'query',
    method: string,
    arg: Uint8Array,
    o: MessageOptions,
  ): MessageResult => {
    if (!loaded || !committed) return reject(5, 'IC0537', `Canister ${idText()} has no wasm module`)
    const exportName = [
      `canister_${kind} ${method}`,
      `canister_query ${method}`,
      `canister_composite_query ${method}`,
    ].find((n) => typeof instance!.exports[n] === 'function')
    if (!exportName) return reject(3, 'IC0536', `Canister ${idText()} has no ${kind} method '${method}'`)
    const isQueryMethod = !exportName.startsWith('canister_update')
    const c = message(isQueryMethod ? 'query' : 'update', method, arg, o.caller, o.time, o.dataCertificate)
    let result: MessageResult
    let completed = false
    try {
      withCtx(c, () => call(exportName))
      result = c.outcome
        ? c.outcome.kind === 'reply'
          ? c.outcome
          : reject(
              4,
              'IC0406',
              `Error from Canister ${idText()}: Canister rejected the message: ${c.outcome.message}`,
            )
        : reject(5, 'IC0506', `Canister ${idText()} did not produce a response`)
      completed = c.outcome !== undefined
    } catch (e) {
      result = trapResult(e)
    }
    // An update that replied or rejected (msg_reject) commits, as on the IC; a trap rolls back.
    if (completed && !isQueryMethod && kind === 'update') {
      committed = snapshot()
      stableCopied = false
    } else applySnapshot(committed, message('start', '', new Uint8Array(0), o.caller, o.time))
    return result
  }

  return {
    id,
    get controllers() {
      return state.controllers
    },
    set controllers(c) {
      state.controllers = c
    },
    get moduleHash() {
      return loaded?.moduleHash
    },
    get certifiedData() {
      return state.certifiedData
    },
    isQuery: (m) =>
      !!instance &&
      (typeof instance.exports[`canister_query ${m}`] === 'function' ||
        typeof instance.exports[`canister_composite_query ${m}`] === 'function'),
    update: (m, arg, o) => run('update', m, arg, o),
    query: (m, arg, o) => run('query', m, arg, o),
    install(mode, wasm, arg, o) {
      const before = { loaded, instance, committed, version: state.version }
      const restoreBefore = () => {
        loaded = before.loaded
        instance = before.instance
        committed = before.committed
        state.version = before.version
        if (committed) applySnapshot(committed, message('start', '', new Uint8Array(0), o.caller, o.time))
      }
      let next: Loaded
      try {
        next = load(wasm)
      } catch (e) {
        return reject(5, 'IC0505', `Wasm module of canister ${idText()} is not valid: ${String(e)}`)
      }
      if (mode === 'upgrade' && !loaded)
        return reject(5, 'IC0537', `Canister ${idText()} has no wasm module to upgrade`)
      try {
        let keepStable: Pick<Committed, 'stable' | 'stablePages'> = {
          stable: new Uint8Array(0),
          stablePages: 0,
        }
        if (mode === 'upgrade') {
          withCtx(message('pre_upgrade', '', new Uint8Array(0), o.caller, o.time), () =>
            call('canister_pre_upgrade'),
          )
          keepStable = { stable: state.stable, stablePages: state.stablePages }
        }
        state.stable = keepStable.stable
        state.stablePages = keepStable.stablePages
        state.certifiedData = new Uint8Array(0)
        stableCopied = false
        loaded = next
        instance = newInstance(next, message('start', '', new Uint8Array(0), o.caller, o.time))
        if (!(instance.exports[MEMORY_EXPORT] instanceof Wasm.Memory))
          throw new ModuleRejected('the devnet runs only modules that have a memory')
        const kind: MessageKind = mode === 'upgrade' ? 'post_upgrade' : 'init'
        withCtx(message(kind, '', arg, o.caller, o.time), () => call(`canister_${kind}`))
        const snap = snapshot()
        state.version += 1n
        committed = snap
        stableCopied = false
        return { kind: 'reply', data: new Uint8Array(0) }
      } catch (e) {
        // Any failure (trap, link error, missing export…) leaves the canister as it was.
        const r = installFailure(e)
        restoreBefore()
        if (!before.loaded) {
          instance = undefined
          state.stable = new Uint8Array(0)
          state.stablePages = 0
          state.certifiedData = new Uint8Array(0)
        }
        return r
      }
    },
    serialize() {
      const c = committed
      return {
        header: {
          controllers: state.controllers.map((x) => Buffer.from(x).toString('hex')),
          moduleHash: loaded ? Buffer.from(loaded.moduleHash).toString('hex') : null,
          globals: (c?.globals ?? []).map((g) => (typeof g === 'bigint' ? `${g}n` : String(g))),
          stablePages: c?.stablePages ?? 0,
          certifiedData: Buffer.from(c?.certifiedData ?? new Uint8Array(0)).toString('hex'),
          version: state.version.toString(),
        },
        heap: c?.heap ?? new Uint8Array(0),
        stable: (c?.stable ?? new Uint8Array(0)).subarray(0, (c?.stablePages ?? 0) * 65536),
      }
    },
  }
}
