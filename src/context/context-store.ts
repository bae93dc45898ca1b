/**
 * Where contexts live in LevelDB. Sections (keys are `<context hex>/<…>` so one context is one range):
 * - `ctx`  `<ctx>` → CBOR `{heads, deltas, ops}` (heads and counters, rewritten with every write)
 * - `mop`  `<ctx>/<seq>` → membership op wire bytes, in apply order (parents before children)
 * - `dlt`  `<ctx>/<seq>` → delta wire bytes, in apply order
 * - `st`   `<ctx>/<state key>` → CRDT record of that key
 * - `key`  `<public key hex>` → 32-byte secret of a node-held identity
 * A delta, its state records and the new heads go into one batch, so a crash never leaves half a delta.
 */
import type { AbstractBatchOperation } from 'abstract-level'
import { decodeCanonical, encodeCanonical } from '../dag/canonical-cbor.ts'
import { type Section, type Store, section, seqKey } from '../store/store.ts'

/** One operation of a cross-section atomic batch. */
export type BatchOp = AbstractBatchOperation<Store, string, Uint8Array> & { sublevel: Section }

/** The sections the context layer owns. */
export interface ContextSections {
  ctx: Section
  mop: Section
  dlt: Section
  st: Section
  key: Section
}

/** Per-context record in `ctx`. */
export interface ContextMeta {
  heads: Uint8Array[]
  deltas: number
  ops: number
}

/** Opens the context layer's sections of `store`. */
export function contextSections(store: Store): ContextSections {
  return {
    ctx: section(store, 'ctx'),
    mop: section(store, 'mop'),
    dlt: section(store, 'dlt'),
    st: section(store, 'st'),
    key: section(store, 'key'),
  }
}

/** `<ctx>/<seq>`. */
export function seqEntryKey(ctxHex: string, seq: number): string {
  return `${ctxHex}/${seqKey(seq)}`
}

/** `<ctx>/<state key>`. */
export function stateEntryKey(ctxHex: string, stateKey: string): string {
  return `${ctxHex}/${stateKey}`
}

/** Range options covering every `<ctx>/…` key. */
export function contextRange(ctxHex: string): { gte: string; lt: string } {
  // '/' is 0x2f and '0' is 0x30: every `<ctx>/…` key sorts in [<ctx>/, <ctx>0).
  return { gte: `${ctxHex}/`, lt: `${ctxHex}0` }
}

/** Encodes the `ctx` record. */
export function encodeContextMeta(meta: ContextMeta): Uint8Array {
  return encodeCanonical({ heads: meta.heads, deltas: meta.deltas, ops: meta.ops })
}

/** Decodes the `ctx` record. */
export function decodeContextMeta(bytes: Uint8Array): ContextMeta {
  const o = decodeCanonical(bytes, 'context record') as ContextMeta
  return { heads: o.heads, deltas: o.deltas, ops: o.ops }
}

/** Reads `[suffix, value]` of every `<ctx>/…` entry of a section, in key order. */
export async function* readContextEntries(s: Section, ctxHex: string): AsyncGenerator<[string, Uint8Array]> {
  const prefix = ctxHex.length + 1
  for await (const [k, v] of s.iterator(contextRange(ctxHex))) yield [k.slice(prefix), v]
}
