/**
 * Encodings at the API edge: base58 ids and keys, `0x` hex hashes, and the JSON shape of a context.
 * Decoders throw `InvalidEncoding` (400) naming the field.
 */
import { fromBase58, fromHex, toBase58, toHex } from '../core/bytes.ts'
import type { ContextView } from './api-deps.ts'

/** Decodes a base58 32-byte id or public key; `what` names the field in the error. */
export function decodeId(s: string, what: string): Uint8Array {
  return fromBase58(s, 32, what)
}

/** Decodes a `0x` hex 32-byte hash; `what` names the field in the error. */
export function decodeHash(s: string, what: string): Uint8Array {
  return fromHex(s, 32, what)
}

/** A context view as JSON (ids base58, state root hex). */
export interface ContextViewBody {
  contextId: string
  application: string
  members: { publicKey: string; capabilities: string[] }[]
  bindings: { identity: string; account: string; opId: string }[]
  heads: string[]
  membershipHeads: string[]
  stateRoot: string
  revision: number
  deltaCount: number
}

/**
 * Encodes a {@link ContextView} for `/admin-api`.
 *
 * @example
 * reply.send({ data: contextViewBody(await contexts.getContext(id)) })
 */
export function contextViewBody(view: ContextView): ContextViewBody {
  return {
    contextId: toBase58(view.contextId),
    application: view.application,
    members: view.members.map((m) => ({
      publicKey: toBase58(m.publicKey),
      capabilities: [...m.capabilities],
    })),
    bindings: view.bindings.map((b) => ({
      identity: toBase58(b.identity),
      account: b.account,
      opId: toBase58(b.opId),
    })),
    heads: view.heads.map(toBase58),
    membershipHeads: view.membershipHeads.map(toBase58),
    stateRoot: toHex(view.stateRoot),
    revision: view.revision,
    deltaCount: view.deltaCount,
  }
}

/** `JSON.stringify` replacer that writes byte arrays as `0x` hex (for free-form payloads such as events). */
export function bytesAsHex(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? toHex(value) : value
}
