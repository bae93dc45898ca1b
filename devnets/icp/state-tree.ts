/**
 * The parts of the IC state tree the devnet certifies: `time`, `request_status/<id>/…` and
 * `canister/<id>/{certified_data, controllers, module_hash}`, as labeled-tree entries.
 */
import { encode } from 'cborg'
import type { CanisterExecutor, MessageResult } from './canister-executor.ts'
import { type LabeledTree, label } from './certification.ts'
import { leb128 } from './request-auth.ts'

/** One certified value at a path. */
export type StateEntry = [path: (Uint8Array | string)[], value: Uint8Array]

const utf8 = (x: string) => new TextEncoder().encode(x)

/** A labeled tree with `time` (ns, LEB128) and the given entries. */
export function stateTree(timeNs: bigint, entries: StateEntry[]): LabeledTree {
  const root = new Map<string, LabeledTree>([[label('time'), leb128(timeNs)]])
  for (const [path, value] of entries) {
    let node = root
    for (const [i, l] of path.entries()) {
      const k = label(l)
      if (i === path.length - 1) {
        node.set(k, value)
        continue
      }
      let next = node.get(k)
      if (!(next instanceof Map)) {
        next = new Map()
        node.set(k, next)
      }
      node = next
    }
  }
  return root
}

/** `request_status/<id>/…` of a finished call (`done` when its outcome is no longer kept). */
export function requestStatusEntries(id: Uint8Array, result: MessageResult | undefined): StateEntry[] {
  const p = (l: string) => ['request_status', id, l]
  if (!result) return [[p('status'), utf8('done')]]
  return result.kind === 'reply'
    ? [
        [p('status'), utf8('replied')],
        [p('reply'), result.data],
      ]
    : [
        [p('status'), utf8('rejected')],
        [p('reject_code'), leb128(result.code)],
        [p('reject_message'), utf8(result.message)],
        [p('error_code'), utf8(result.errorCode)],
      ]
}

/** `canister/<id>/…` of a canister (nothing when it does not exist). */
export function canisterEntries(id: Uint8Array, c: CanisterExecutor | undefined): StateEntry[] {
  if (!c) return []
  const out: StateEntry[] = [
    [['canister', id, 'certified_data'], c.certifiedData],
    [['canister', id, 'controllers'], new Uint8Array(encode(c.controllers))],
  ]
  if (c.moduleHash) out.push([['canister', id, 'module_hash'], c.moduleHash])
  return out
}
