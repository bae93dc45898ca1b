/**
 * Read-only calls of the NEAR anchor registry (view calls through `query call_function`), decoded
 * into mero's types. Reads use optimistic state unless told otherwise; the adapter compares heights
 * with the final block to tell `included` from `final`.
 */
import type { JsonRpcProvider } from 'near-api-js'
import { checkBytes32 } from '../../src/chain/anchor-request.ts'
import type { OnChainAnchor } from '../../src/chain/chain-adapter.ts'
import { fromHex, toHex } from '../../src/core/bytes.ts'
import { guardNear } from './near-errors.ts'

/** A node's registry entry (`node_of`). */
export interface NearNodeEntry {
  readonly submitter: string
  readonly active: boolean
  readonly metadata: string
}

/** The registry's views. */
export interface NearRegistryReader {
  /** Any view call of the contract, JSON result. */
  view<T>(what: string, method: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<T>
  anchorOf(root: Uint8Array, signal?: AbortSignal): Promise<OnChainAnchor | null>
  nodeOf(nodeKey: Uint8Array, signal?: AbortSignal): Promise<NearNodeEntry | null>
  isNode(nodeKey: Uint8Array, signal?: AbortSignal): Promise<boolean>
  isSubmitter(account: string, signal?: AbortSignal): Promise<boolean>
  verifyInclusion(
    root: Uint8Array,
    leafHash: Uint8Array,
    index: number,
    treeSize: number,
    path: readonly Uint8Array[],
    signal?: AbortSignal,
  ): Promise<boolean>
}

/** The reader of the registry at `contract`. */
export function createRegistryReader(provider: JsonRpcProvider, contract: string): NearRegistryReader {
  const view = <T>(what: string, method: string, args: Record<string, unknown>, signal?: AbortSignal) =>
    guardNear(
      what,
      signal,
      async () =>
        (await provider.callFunction({
          contractId: contract,
          method,
          args,
          blockQuery: { finality: 'optimistic' },
        })) as T,
    )
  return {
    view,
    async anchorOf(root, signal) {
      checkBytes32(root, 'root')
      type Raw = { log_id: string; tree_size: number; height: number; timestamp: number; submitter: string }
      const r = await view<Raw | null>('anchorOf', 'anchor_of', { root: toHex(root) }, signal)
      if (r === null || r === undefined) return null
      return {
        logId: fromHex(r.log_id, 32, 'log_id'),
        treeSize: r.tree_size,
        height: r.height,
        timestamp: r.timestamp,
        submitter: r.submitter,
      }
    },
    async nodeOf(nodeKey, signal) {
      checkBytes32(nodeKey, 'nodeKey')
      return (
        (await view<NearNodeEntry | null>('nodeOf', 'node_of', { node_key: toHex(nodeKey) }, signal)) ?? null
      )
    },
    async isNode(nodeKey, signal) {
      checkBytes32(nodeKey, 'nodeKey')
      return (await view<boolean>('isNode', 'is_node', { node_key: toHex(nodeKey) }, signal)) === true
    },
    async isSubmitter(account, signal) {
      return (await view<boolean>('isSubmitter', 'is_submitter', { account_id: account }, signal)) === true
    },
    async verifyInclusion(root, leafHash, index, treeSize, path, signal) {
      checkBytes32(root, 'root')
      checkBytes32(leafHash, 'leafHash')
      for (const p of path) checkBytes32(p, 'path element')
      const args = {
        root: toHex(root),
        leaf_hash: toHex(leafHash),
        index,
        tree_size: treeSize,
        path: path.map((p) => toHex(p)),
      }
      return (await view<boolean>('verifyInclusion', 'verify_inclusion', args, signal)) === true
    },
  }
}
