/**
 * The checked-in anchor canister (`artifacts/mero_anchor.wasm`, built by `build.ts`) and its Candid
 * interface as an `@dfinity/candid` IDL factory for agents (`Actor.createActor`).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { IDL } from '@dfinity/candid'

/** Path of the compiled canister module. */
export const ANCHOR_WASM_PATH = fileURLToPath(new URL('./artifacts/mero_anchor.wasm', import.meta.url))
/** Path of the checked-in Candid interface (`mo.candid()` output). */
export const ANCHOR_CANDID_PATH = fileURLToPath(new URL('./artifacts/mero_anchor.did', import.meta.url))

/** The canister module bytes. */
export function anchorCanisterWasm(): Uint8Array {
  return new Uint8Array(readFileSync(ANCHOR_WASM_PATH))
}

/** An anchor record as Candid decodes it (DESIGN §7; `timestamp` in ns). */
export interface CandidAnchor {
  log_id: Uint8Array | number[]
  tree_size: bigint
  height: bigint
  timestamp: bigint
  submitter: import('@dfinity/principal').Principal
}

/** A node registry entry as Candid decodes it. */
export interface CandidNode {
  submitter: import('@dfinity/principal').Principal
  metadata: string
  active: boolean
}

/** The canister's service, typed for `Actor.createActor<AnchorService>`. */
export interface AnchorService {
  anchor(logId: Uint8Array, treeSize: bigint, root: Uint8Array): Promise<undefined>
  anchor_of(root: Uint8Array): Promise<[] | [CandidAnchor]>
  register_node(
    nodeKey: Uint8Array,
    submitter: import('@dfinity/principal').Principal,
    metadata: string,
  ): Promise<undefined>
  revoke_node(nodeKey: Uint8Array): Promise<undefined>
  is_node(nodeKey: Uint8Array): Promise<boolean>
  node_of(nodeKey: Uint8Array): Promise<[] | [CandidNode]>
  is_submitter(p: import('@dfinity/principal').Principal): Promise<boolean>
  owner(): Promise<import('@dfinity/principal').Principal>
  anchor_count(): Promise<bigint>
}

/** IDL factory of `mero_anchor.did` (a test checks it against the checked-in .did). */
export const anchorIdlFactory: IDL.InterfaceFactory = ({ IDL }) => {
  const Anchor = IDL.Record({
    log_id: IDL.Vec(IDL.Nat8),
    tree_size: IDL.Nat64,
    height: IDL.Nat64,
    timestamp: IDL.Nat64,
    submitter: IDL.Principal,
  })
  const Node = IDL.Record({ submitter: IDL.Principal, metadata: IDL.Text, active: IDL.Bool })
  const blob = IDL.Vec(IDL.Nat8)
  return IDL.Service({
    anchor: IDL.Func([blob, IDL.Nat64, blob], [], []),
    anchor_count: IDL.Func([], [IDL.Nat64], ['query']),
    anchor_of: IDL.Func([blob], [IDL.Opt(Anchor)], ['query']),
    is_node: IDL.Func([blob], [IDL.Bool], ['query']),
    is_submitter: IDL.Func([IDL.Principal], [IDL.Bool], ['query']),
    node_of: IDL.Func([blob], [IDL.Opt(Node)], ['query']),
    owner: IDL.Func([], [IDL.Principal], ['query']),
    register_node: IDL.Func([blob, IDL.Principal, IDL.Text], [], []),
    revoke_node: IDL.Func([blob], [], []),
  })
}

/** Candid-encoded init argument: `owner` (or none = the installer becomes the controller). */
export async function anchorInitArg(owner?: import('@dfinity/principal').Principal): Promise<Uint8Array> {
  const { IDL } = await import('@dfinity/candid')
  return new Uint8Array(IDL.encode([IDL.Opt(IDL.Principal)], [owner ? [owner] : []]))
}
