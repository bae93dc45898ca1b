/**
 * The shared case table of the Starknet anchor contract (`anchor-cases.json`): its types and a runner
 * against the TypeScript model. `generate-cairo-tests.ts` turns the same table into snforge tests.
 */
import { readFileSync } from 'node:fs'
import {
  anchorCalldata,
  encodeByteArray,
  registerNodeCalldata,
  selectorOf,
  u256ToFelts,
} from './anchor-calldata.ts'
import { type AnchorModelState, AnchorRevert, constructAnchor, executeAnchor } from './anchor-model.ts'

/** An expected event: `{ Anchored: { log_id, root, tree_size, submitter } }`, `{ NodeRegistered: { node_key, submitter, metadata } }` or `{ NodeRevoked: { node_key, submitter } }`. */
export type CaseEvent = Readonly<Record<string, Readonly<Record<string, string | number>>>>

/**
 * One call step, or a step that sets the block number / timestamp. `raw` (hex felts) replaces the
 * calldata built from `args`, for inputs the typed ABI cannot express (then `ok` is the result felts).
 * `events`, when present, is exactly what the step emits.
 */
export type CaseStep =
  | {
      readonly caller: string
      readonly call: string
      readonly args: Readonly<Record<string, string | number>>
      readonly raw?: readonly string[]
      readonly expect: { readonly ok: unknown } | { readonly revert: string }
      readonly events?: readonly CaseEvent[]
    }
  | { readonly block: { readonly number: number; readonly timestamp: number } }

/** The felts (keys, data) of an expected event, as the contract emits it. */
export function eventFelts(table: CaseTable, ev: CaseEvent): { keys: bigint[]; data: bigint[] } {
  const [name, f] = Object.entries(ev)[0]!
  const n = (k: string) => BigInt(f[k] ?? 0)
  switch (name) {
    case 'Anchored':
      return {
        keys: [selectorOf(name), ...u256ToFelts(n('log_id')), ...u256ToFelts(n('root'))],
        data: [n('tree_size'), addressOf(table, f.submitter ?? 0)],
      }
    case 'NodeRegistered':
      return {
        keys: [selectorOf(name), ...u256ToFelts(n('node_key')), addressOf(table, f.submitter ?? 0)],
        data: encodeByteArray(String(f.metadata ?? '')),
      }
    case 'NodeRevoked':
      return {
        keys: [selectorOf(name), ...u256ToFelts(n('node_key')), addressOf(table, f.submitter ?? 0)],
        data: [],
      }
    default:
      throw new Error(`unknown event ${name}`)
  }
}

/** The case table. */
export interface CaseTable {
  readonly accounts: Readonly<Record<string, string>>
  readonly cases: readonly { readonly name: string; readonly steps: readonly CaseStep[] }[]
}

/** Loads `anchor-cases.json`. */
export function loadAnchorCases(): CaseTable {
  return JSON.parse(readFileSync(new URL('./anchor-cases.json', import.meta.url), 'utf8')) as CaseTable
}

/** Resolves an account name (`alice`) or a hex literal to a felt. */
export function addressOf(table: CaseTable, v: string | number): bigint {
  const named = typeof v === 'string' ? table.accounts[v] : undefined
  return BigInt(named ?? v)
}

/** Calldata of a step's call. */
export function stepCalldata(table: CaseTable, call: string, a: Record<string, string | number>): bigint[] {
  const n = (k: string) => BigInt(a[k] ?? 0)
  switch (call) {
    case 'anchor':
      return anchorCalldata(n('log_id'), n('tree_size'), n('root'))
    case 'anchor_of':
      return u256ToFelts(n('root'))
    case 'register_node':
      return registerNodeCalldata(n('node_key'), addressOf(table, a.submitter ?? 0), String(a.metadata ?? ''))
    case 'revoke_node':
    case 'is_node':
    case 'node_of':
      return u256ToFelts(n('node_key'))
    case 'is_submitter':
      return [addressOf(table, a.account ?? 0)]
    default:
      return []
  }
}

/** The result felts a step expects. */
export function expectedFelts(table: CaseTable, call: string, ok: unknown): bigint[] {
  if (ok === null) return []
  if (Array.isArray(ok)) return ok.map((x) => BigInt(x as string))
  if (typeof ok === 'boolean') return [ok ? 1n : 0n]
  if (typeof ok === 'string') return [addressOf(table, ok)]
  const o = ok as Record<string, string | number>
  if (call === 'anchor_of')
    return [
      ...u256ToFelts(BigInt(o.log_id ?? 0)),
      BigInt(o.tree_size ?? 0),
      BigInt(o.height ?? 0),
      BigInt(o.timestamp ?? 0),
      addressOf(table, o.submitter ?? 0),
    ]
  if (call === 'node_of')
    return [
      addressOf(table, o.submitter ?? 0),
      o.active ? 1n : 0n,
      ...encodeByteArray(String(o.metadata ?? '')),
    ]
  throw new Error(`no expectation encoding for ${call}`)
}

/** The outcome of one step against the model. */
export interface StepOutcome {
  readonly step: number
  readonly expected: string
  readonly actual: string
}

/** Runs one case against a fresh model contract; returns the steps whose outcome differs. */
export function runCaseOnModel(table: CaseTable, caseIndex: number): StepOutcome[] {
  const c = table.cases[caseIndex]!
  const state: AnchorModelState = constructAnchor([addressOf(table, 'owner')])
  let block = { number: 0, timestamp: 0 }
  const diffs: StepOutcome[] = []
  c.steps.forEach((s, i) => {
    if ('block' in s) {
      block = { ...s.block }
      return
    }
    const events = (evs: readonly { keys: bigint[]; data: bigint[] }[]) =>
      s.events === undefined
        ? ''
        : ` events ${JSON.stringify(evs.map((e) => [e.keys, e.data].map((x) => x.join(','))))}`
    const want =
      'revert' in s.expect
        ? `revert ${s.expect.revert}${events([])}`
        : `ok ${expectedFelts(table, s.call, s.expect.ok).join(',')}${events((s.events ?? []).map((e) => eventFelts(table, e)))}`
    let got: string
    try {
      const r = executeAnchor(
        state,
        { caller: addressOf(table, s.caller), height: block.number, timestamp: block.timestamp },
        selectorOf(s.call),
        s.raw ? s.raw.map((x) => BigInt(x)) : stepCalldata(table, s.call, s.args),
      )
      got = `ok ${r.result.join(',')}${events(r.events)}`
    } catch (e) {
      if (!(e instanceof AnchorRevert)) throw e
      got = `revert ${e.reason}${events([])}`
    }
    if (got !== want) diffs.push({ step: i, expected: want, actual: got })
  })
  return diffs
}
