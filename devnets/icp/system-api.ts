/**
 * The IC System API (`ic0.*`) as Wasm imports for one canister, bound to the message being executed.
 * Implements what a Motoko 3.9 canister imports (and the rest of the common single-canister surface):
 * arguments, caller, reply/reject, self id, time, stable memory (64-bit API), certified data and data
 * certificates, controllers, debug print, trap. Cycles are stubs (a fixed balance, nothing charged),
 * timers are accepted and never fire, and inter-canister calls trap: the devnet has one subnet and no
 * message routing (see README.md).
 */

import type { WasmImports, WasmMemory } from './wasm-api.ts'

/** Error thrown inside a message to trap it (rolls the message back). */
export class CanisterTrap extends Error {
  override readonly name = 'CanisterTrap'
  /** True when the canister called `ic0.trap` itself (IC error code IC0503), false for a Wasm fault. */
  constructor(
    message: string,
    readonly explicit: boolean,
  ) {
    super(message)
  }
}

/** Kinds of execution contexts (IC interface spec, "Overview of imports"). */
export type MessageKind = 'start' | 'init' | 'pre_upgrade' | 'post_upgrade' | 'update' | 'query'

/** The message being executed. */
export interface MessageContext {
  readonly kind: MessageKind
  readonly method: string
  readonly arg: Uint8Array
  readonly caller: Uint8Array
  /** Consensus time of the message, ns since epoch. */
  readonly time: bigint
  /** Certificate over this canister's certified data (non-replicated queries only). */
  readonly dataCertificate?: () => Uint8Array
  reply: Uint8Array[]
  outcome: { kind: 'reply'; data: Uint8Array } | { kind: 'reject'; message: string } | undefined
}

/** The canister state the System API reads and writes (owned by the executor). */
export interface SystemState {
  readonly selfId: Uint8Array
  controllers: Uint8Array[]
  stable: Uint8Array
  stablePages: number
  certifiedData: Uint8Array
  version: bigint
  /** Copies `stable` before the first write of a message (copy on write, for rollback). */
  ensureStableWritable(): void
  debugPrint(text: string): void
}

/** Stable memory limit of the devnet (pages of 64 KiB; 4096 = 256 MiB). */
export const MAX_STABLE_PAGES = 4096
const PAGE = 65536
/** Fixed cycles balance the stubs report (nothing is ever charged). */
export const STUB_CYCLES_BALANCE = 100_000_000_000_000n

const utf8 = new TextDecoder('utf-8', { fatal: false })

/**
 * Builds the `ic0` import object. `memory()` returns the instance's exported memory; `current()` the
 * message being executed (traps when none is).
 */
export function systemApiImports(
  state: SystemState,
  memory: () => WasmMemory,
  current: () => MessageContext,
): WasmImports {
  const bytes = () => new Uint8Array(memory().buffer)
  const read = (src: number, size: number): Uint8Array => {
    const m = bytes()
    if (src < 0 || size < 0 || src + size > m.length) throw new CanisterTrap('ic0: read out of bounds', false)
    return m.slice(src, src + size)
  }
  const copyOut = (what: Uint8Array, dst: number, off: number, size: number) => {
    if (off + size > what.length) throw new CanisterTrap('ic0: copy out of bounds of the source', false)
    const m = bytes()
    if (dst + size > m.length) throw new CanisterTrap('ic0: copy out of bounds of memory', false)
    m.set(what.subarray(off, off + size), dst)
  }
  const write128 = (dst: number, v: bigint) => {
    const b = new Uint8Array(16)
    for (let i = 0; i < 16; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn)
    copyOut(b, dst, 0, 16)
  }
  const respondable = (ctx: MessageContext, what: string) => {
    if (ctx.kind !== 'update' && ctx.kind !== 'query')
      throw new CanisterTrap(`${what} called outside a call`, false)
    if (ctx.outcome) throw new CanisterTrap(`${what}: the call was already answered`, false)
  }
  const mutating = (what: string) => {
    const k = current().kind
    if (k === 'query') throw new CanisterTrap(`${what} cannot be called in a query`, false)
  }
  const stableRange = (off: bigint, size: bigint) => {
    if (off < 0n || size < 0n || off + size > BigInt(state.stablePages * PAGE))
      throw new CanisterTrap('stable memory out of bounds', false)
    return [Number(off), Number(size)] as const
  }
  const noCalls = (): never => {
    throw new CanisterTrap('inter-canister calls are not supported by the mero ICP devnet', false)
  }

  const ic0: Record<string, (...args: never[]) => unknown> = {
    msg_arg_data_size: () => current().arg.length,
    msg_arg_data_copy: (dst: number, off: number, size: number) => copyOut(current().arg, dst, off, size),
    msg_caller_size: () => current().caller.length,
    msg_caller_copy: (dst: number, off: number, size: number) => copyOut(current().caller, dst, off, size),
    msg_reject_code: () => {
      throw new CanisterTrap('msg_reject_code is only available in reject callbacks', false)
    },
    msg_reject_msg_size: () => {
      throw new CanisterTrap('msg_reject_msg_size is only available in reject callbacks', false)
    },
    msg_reject_msg_copy: () => {
      throw new CanisterTrap('msg_reject_msg_copy is only available in reject callbacks', false)
    },
    msg_reply_data_append: (src: number, size: number) => {
      const ctx = current()
      respondable(ctx, 'msg_reply_data_append')
      ctx.reply.push(read(src, size))
    },
    msg_reply: () => {
      const ctx = current()
      respondable(ctx, 'msg_reply')
      ctx.outcome = { kind: 'reply', data: new Uint8Array(Buffer.concat(ctx.reply)) }
    },
    msg_reject: (src: number, size: number) => {
      const ctx = current()
      respondable(ctx, 'msg_reject')
      ctx.outcome = { kind: 'reject', message: utf8.decode(read(src, size)) }
    },
    msg_method_name_size: () => new TextEncoder().encode(current().method).length,
    msg_method_name_copy: (dst: number, off: number, size: number) =>
      copyOut(new TextEncoder().encode(current().method), dst, off, size),
    accept_message: () => {},
    msg_cycles_available128: (dst: number) => write128(dst, 0n),
    msg_cycles_refunded128: (dst: number) => write128(dst, 0n),
    msg_cycles_accept128: (_hi: bigint, _lo: bigint, dst: number) => write128(dst, 0n),
    cycles_burn128: (_hi: bigint, _lo: bigint, dst: number) => write128(dst, 0n),
    canister_cycle_balance128: (dst: number) => write128(dst, STUB_CYCLES_BALANCE),
    canister_self_size: () => state.selfId.length,
    canister_self_copy: (dst: number, off: number, size: number) => copyOut(state.selfId, dst, off, size),
    canister_status: () => 1, // running
    canister_version: () => state.version,
    is_controller: (src: number, size: number) => {
      const p = read(src, size)
      return state.controllers.some((c) => Buffer.from(c).equals(p)) ? 1 : 0
    },
    call_new: noCalls,
    call_on_cleanup: noCalls,
    call_data_append: noCalls,
    call_cycles_add128: noCalls,
    call_perform: noCalls,
    stable64_size: () => BigInt(state.stablePages),
    stable64_grow: (pages: bigint) => {
      mutating('stable64_grow')
      const old = state.stablePages
      if (pages < 0n || BigInt(old) + pages > BigInt(MAX_STABLE_PAGES)) return -1n
      state.ensureStableWritable()
      const next = old + Number(pages)
      if (next * PAGE > state.stable.length) {
        const grown = new Uint8Array(Math.max(next * PAGE, state.stable.length * 2))
        grown.set(state.stable)
        state.stable = grown
      }
      state.stablePages = next
      return BigInt(old)
    },
    stable64_write: (off: bigint, src: bigint, size: bigint) => {
      mutating('stable64_write')
      const [o, n] = stableRange(off, size)
      const data = read(Number(src), n)
      state.ensureStableWritable()
      state.stable.set(data, o)
    },
    stable64_read: (dst: bigint, off: bigint, size: bigint) => {
      const [o, n] = stableRange(off, size)
      copyOut(state.stable.subarray(o, o + n), Number(dst), 0, n)
    },
    certified_data_set: (src: number, size: number) => {
      const k = current().kind
      if (k !== 'update' && k !== 'init' && k !== 'post_upgrade')
        throw new CanisterTrap(
          'certified_data_set is only available in updates, init and post_upgrade',
          false,
        )
      if (size > 32) throw new CanisterTrap('certified data is at most 32 bytes', false)
      state.certifiedData = read(src, size)
    },
    data_certificate_present: () => (current().dataCertificate ? 1 : 0),
    data_certificate_size: () => {
      const f = current().dataCertificate
      if (!f) throw new CanisterTrap('no data certificate outside a non-replicated query', false)
      return f().length
    },
    data_certificate_copy: (dst: number, off: number, size: number) => {
      const f = current().dataCertificate
      if (!f) throw new CanisterTrap('no data certificate outside a non-replicated query', false)
      copyOut(f(), dst, off, size)
    },
    time: () => current().time,
    global_timer_set: (_t: bigint) => 0n,
    performance_counter: (_kind: number) => 0n,
    debug_print: (src: number, size: number) => state.debugPrint(utf8.decode(read(src, size))),
    trap: (src: number, size: number) => {
      throw new CanisterTrap(utf8.decode(read(src, size)), true)
    },
  }
  return { ic0 } as WasmImports
}
