/**
 * The management canister (`aaaaa-aa`) of the devnet: the methods an agent uses to create and
 * install canisters — `provisional_create_canister_with_cycles`, `create_canister`, `install_code`
 * (modes install / reinstall / upgrade), `update_settings` (controllers only) and `canister_status`
 * (a subset: status, module hash, controllers, cycles stub). Candid in, Candid out, IC reject codes.
 */
import { IDL } from '@dfinity/candid'
import { Principal } from '@dfinity/principal'

/** The management canister id (`aaaaa-aa`). */
export const MANAGEMENT_CANISTER_ID = new Uint8Array(0)

const Settings = IDL.Record({ controllers: IDL.Opt(IDL.Vec(IDL.Principal)) })
const CreateArgs = IDL.Record({ settings: IDL.Opt(Settings), specified_id: IDL.Opt(IDL.Principal) })
const CreateResult = IDL.Record({ canister_id: IDL.Principal })
const InstallArgs = IDL.Record({
  mode: IDL.Variant({
    install: IDL.Null,
    reinstall: IDL.Null,
    upgrade: IDL.Opt(IDL.Record({ skip_pre_upgrade: IDL.Opt(IDL.Bool) })),
  }),
  canister_id: IDL.Principal,
  wasm_module: IDL.Vec(IDL.Nat8),
  arg: IDL.Vec(IDL.Nat8),
})
const CanisterIdArg = IDL.Record({ canister_id: IDL.Principal })
const UpdateSettingsArgs = IDL.Record({ canister_id: IDL.Principal, settings: Settings })
const StatusResult = IDL.Record({
  status: IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null }),
  module_hash: IDL.Opt(IDL.Vec(IDL.Nat8)),
  settings: IDL.Record({ controllers: IDL.Vec(IDL.Principal) }),
  cycles: IDL.Nat,
  memory_size: IDL.Nat,
})

/** IDL factory of the subset of the management canister the devnet implements (for agents). */
export const managementIdlFactory: IDL.InterfaceFactory = ({ IDL: I }) => {
  void I
  return IDL.Service({
    provisional_create_canister_with_cycles: IDL.Func(
      [
        IDL.Record({
          amount: IDL.Opt(IDL.Nat),
          settings: IDL.Opt(Settings),
          specified_id: IDL.Opt(IDL.Principal),
        }),
      ],
      [CreateResult],
      [],
    ),
    create_canister: IDL.Func([IDL.Record({ settings: IDL.Opt(Settings) })], [CreateResult], []),
    install_code: IDL.Func([InstallArgs], [], []),
    update_settings: IDL.Func([UpdateSettingsArgs], [], []),
    canister_status: IDL.Func([CanisterIdArg], [StatusResult], []),
  })
}

/** What the management canister needs from the devnet. */
export interface ManagementHost {
  /** Creates an empty canister with these controllers and returns its id (a reject when `specifiedId` is taken). */
  createCanister(
    controllers: Uint8Array[],
    specifiedId: Uint8Array | undefined,
  ): Uint8Array | Extract<ManagementResult, { kind: 'reject' }>
  canisterExists(id: Uint8Array): boolean
  controllersOf(id: Uint8Array): Uint8Array[]
  setControllers(id: Uint8Array, controllers: Uint8Array[]): void
  moduleHashOf(id: Uint8Array): Uint8Array | undefined
  /** Installs/upgrades; returns a reject message when the canister trapped. */
  installCode(
    id: Uint8Array,
    mode: 'install' | 'reinstall' | 'upgrade',
    wasm: Uint8Array,
    arg: Uint8Array,
    caller: Uint8Array,
  ): { kind: 'ok' } | { kind: 'reject'; code: 3 | 4 | 5; message: string; errorCode: string }
}

/** Result of a management call, in the executor's shape. */
export type ManagementResult =
  | { kind: 'reply'; data: Uint8Array }
  | { kind: 'reject'; code: 3 | 4 | 5; message: string; errorCode: string }

const reply = (types: IDL.Type[], values: unknown[]): ManagementResult => ({
  kind: 'reply',
  data: new Uint8Array(IDL.encode(types, values)),
})
const reject = (code: 3 | 4 | 5, errorCode: string, message: string): ManagementResult => ({
  kind: 'reject',
  code,
  errorCode,
  message,
})

/**
 * Executes a management call from `caller` (an update; never called as a query). `ecid` is the
 * effective canister id of the HTTP request; for per-canister methods it must name the target.
 */
export function callManagement(
  host: ManagementHost,
  method: string,
  arg: Uint8Array,
  caller: Uint8Array,
  ecid: Uint8Array,
): ManagementResult {
  const sameEcid = (id: Principal) => Buffer.from(id.toUint8Array()).equals(ecid)
  const controllerCheck = (id: Principal): ManagementResult | undefined => {
    const raw = id.toUint8Array()
    if (!host.canisterExists(raw)) return reject(3, 'IC0301', `Canister ${id.toText()} not found`)
    if (!sameEcid(id))
      return reject(4, 'IC0406', `effective canister id does not match canister_id ${id.toText()}`)
    if (!host.controllersOf(raw).some((c) => Buffer.from(c).equals(caller)))
      return reject(
        5,
        'IC0512',
        `Only controllers of canister ${id.toText()} can call ic00 method ${method}; sender ${Principal.fromUint8Array(caller).toText()} is not one`,
      )
    return undefined
  }
  try {
    switch (method) {
      case 'provisional_create_canister_with_cycles':
      case 'create_canister': {
        const [a] = IDL.decode([CreateArgs], arg) as unknown as [
          { settings: [] | [{ controllers: [] | [Principal[]] }]; specified_id: [] | [Principal] },
        ]
        const controllers = a.settings[0]?.controllers[0]?.map((p) => p.toUint8Array()) ?? [caller]
        const id = host.createCanister(controllers, a.specified_id[0]?.toUint8Array())
        if (!(id instanceof Uint8Array)) return id
        return reply([CreateResult], [{ canister_id: Principal.fromUint8Array(id) }])
      }
      case 'install_code': {
        const [a] = IDL.decode([InstallArgs], arg) as unknown as [
          { mode: Record<string, unknown>; canister_id: Principal; wasm_module: Uint8Array; arg: Uint8Array },
        ]
        const denied = controllerCheck(a.canister_id)
        if (denied) return denied
        const mode = 'upgrade' in a.mode ? 'upgrade' : 'reinstall' in a.mode ? 'reinstall' : 'install'
        const raw = a.canister_id.toUint8Array()
        if (mode === 'install' && host.moduleHashOf(raw))
          return reject(
            5,
            'IC0538',
            `Canister ${a.canister_id.toText()} is not empty; use mode reinstall or upgrade`,
          )
        const r = host.installCode(raw, mode, new Uint8Array(a.wasm_module), new Uint8Array(a.arg), caller)
        return r.kind === 'ok' ? reply([], []) : r
      }
      case 'update_settings': {
        const [a] = IDL.decode([UpdateSettingsArgs], arg) as unknown as [
          { canister_id: Principal; settings: { controllers: [] | [Principal[]] } },
        ]
        const denied = controllerCheck(a.canister_id)
        if (denied) return denied
        const c = a.settings.controllers[0]
        if (c)
          host.setControllers(
            a.canister_id.toUint8Array(),
            c.map((p) => p.toUint8Array()),
          )
        return reply([], [])
      }
      case 'canister_status': {
        const [a] = IDL.decode([CanisterIdArg], arg) as unknown as [{ canister_id: Principal }]
        const denied = controllerCheck(a.canister_id)
        if (denied) return denied
        const raw = a.canister_id.toUint8Array()
        const mh = host.moduleHashOf(raw)
        return reply(
          [StatusResult],
          [
            {
              status: { running: null },
              module_hash: mh ? [mh] : [],
              settings: { controllers: host.controllersOf(raw).map((c) => Principal.fromUint8Array(c)) },
              cycles: 100_000_000_000_000n,
              memory_size: 0n,
            },
          ],
        )
      }
      default:
        return reject(3, 'IC0536', `Management canister has no method '${method}' on this devnet`)
    }
  } catch (e) {
    return reject(4, 'IC0503', `ic00 method ${method}: invalid argument: ${(e as Error).message}`)
  }
}
