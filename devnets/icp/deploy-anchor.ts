/**
 * Deploys the anchor canister through the management canister, the way any agent would:
 * `provisional_create_canister_with_cycles`, then `install_code` (mode install) with the checked-in
 * `mero_anchor.wasm`. The deploying identity becomes the canister's controller and, unless `owner` is
 * given, the registry's controller too.
 */
import { Actor, HttpAgent, type Identity } from '@dfinity/agent'
import type { Principal } from '@dfinity/principal'
import { anchorCanisterWasm, anchorInitArg } from '../../contracts/icp/anchor-canister.ts'
import { managementIdlFactory } from './management-canister.ts'

interface Management {
  provisional_create_canister_with_cycles(a: {
    amount: []
    settings: []
    specified_id: []
  }): Promise<{ canister_id: Principal }>
  install_code(a: {
    mode: { install: null } | { upgrade: [] }
    canister_id: Principal
    wasm_module: Uint8Array
    arg: Uint8Array
  }): Promise<undefined>
}

/** Default bound of each request of {@link devnetAgent}. */
export const DEV_REQUEST_TIMEOUT_MS = 30_000

/**
 * An agent for a devnet (root key fetched from it, no query signature checks); each request ends
 * after `timeoutMs`, so a replica that never answers fails `merod dev` instead of hanging it.
 */
export function devnetAgent(url: string, identity?: Identity, timeoutMs = DEV_REQUEST_TIMEOUT_MS): HttpAgent {
  return HttpAgent.createSync({
    host: url,
    ...(identity ? { identity } : {}),
    shouldFetchRootKey: true,
    verifyQuerySignatures: false,
    fetch: ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
      fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as typeof fetch,
  })
}

/**
 * Effective canister id for creating canisters: the first id of a local replica's subnet range (a
 * real replica routes management calls by it; the devnet accepts any id for `aaaaa-aa`).
 */
export const CREATE_EFFECTIVE_CANISTER_ID = 'rwlgt-iiaaa-aaaaa-aaaaa-cai'

const management = (agent: HttpAgent, effectiveCanisterId: Principal | string) =>
  Actor.createActor<Management>(managementIdlFactory, {
    agent,
    canisterId: 'aaaaa-aa',
    effectiveCanisterId,
  } as Parameters<typeof Actor.createActor>[1])

/**
 * Creates and installs the anchor canister; returns its id (text).
 *
 * @example
 * const canisterId = await deployAnchorCanister(ic.url, Ed25519KeyIdentity.generate())
 */
export async function deployAnchorCanister(
  url: string,
  identity: Identity,
  owner?: Principal,
  timeoutMs = DEV_REQUEST_TIMEOUT_MS,
): Promise<string> {
  const agent = devnetAgent(url, identity, timeoutMs)
  const { canister_id } = await management(
    agent,
    CREATE_EFFECTIVE_CANISTER_ID,
  ).provisional_create_canister_with_cycles({
    amount: [],
    settings: [],
    specified_id: [],
  })
  await management(agent, canister_id).install_code({
    mode: { install: null },
    canister_id,
    wasm_module: anchorCanisterWasm(),
    arg: await anchorInitArg(owner),
  })
  return canister_id.toText()
}

/** Upgrades an installed anchor canister to `wasm` (default: the checked-in module). */
export async function upgradeAnchorCanister(
  url: string,
  identity: Identity,
  canisterId: Principal,
  wasm = anchorCanisterWasm(),
) {
  const agent = devnetAgent(url, identity)
  await management(agent, canisterId).install_code({
    mode: { upgrade: [] },
    canister_id: canisterId,
    wasm_module: wasm,
    arg: await anchorInitArg(),
  })
}
