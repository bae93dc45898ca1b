/**
 * The Stellar anchor format (contracts/stellar/README.md): there is no contract, only classic
 * operations on two accounts.
 *
 * - Anchor: a transaction whose source is the anchoring account, with `MEMO_HASH = root` and one
 *   `manageData(anchorDataName(logId), anchorDataValue(treeSize, logId))` operation. The data name is
 *   `"mero:" + base64url(logId)[0..20]`; the value is the tree size as u64 big-endian followed by the
 *   full 32-byte log id (the name holds only 120 bits of it). First such transaction for a root wins.
 * - Node registry: data entries on the registry account, `"node:" + base64url(nodeKey)` (48 chars) →
 *   submitter's ed25519 public key (32 bytes) ‖ sha256(metadata) (32 bytes). Revocation deletes it.
 * - `contract` = `"<anchoring account>"` (registry = the same account) or
 *   `"<anchoring account>@<registry account>"`.
 */
import { createHash } from 'node:crypto'
import { StrKey } from '@stellar/stellar-sdk'
import { InvalidInput } from '../../src/core/errors.ts'

/** Prefix of anchor data entry names. */
export const ANCHOR_PREFIX = 'mero:'
/** Prefix of node registry data entry names. */
export const NODE_PREFIX = 'node:'

/** The two accounts named by a Stellar `contract` string. */
export interface StellarContract {
  /** Source account of anchor transactions. */
  readonly anchor: string
  /** Account holding the node registry data entries. */
  readonly registry: string
}

/** Parses `G…` or `G…@G…`; throws `InvalidInput` otherwise. */
export function parseContract(contract: string): StellarContract {
  const [anchor, registry = anchor, ...rest] = contract.trim().split('@')
  const valid = (a: string | undefined): a is string => !!a && StrKey.isValidEd25519PublicKey(a)
  if (rest.length || !valid(anchor) || !valid(registry))
    throw new InvalidInput(
      'Stellar contract must be "G…" (anchoring account) or "G…@G…" (anchoring@registry)',
      {
        details: { contract },
      },
    )
  return { anchor, registry }
}

/** Formats a contract string (the short form when both accounts are the same). */
export function formatContract(c: StellarContract): string {
  return c.anchor === c.registry ? c.anchor : `${c.anchor}@${c.registry}`
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url')

/** `"mero:" + base64url(logId)[0..20]` (25 bytes). */
export function anchorDataName(logId: Uint8Array): string {
  return ANCHOR_PREFIX + b64url(logId).slice(0, 20)
}

/** `u64be(treeSize) ‖ logId` (40 bytes). */
export function anchorDataValue(treeSize: number, logId: Uint8Array): Buffer {
  const out = Buffer.alloc(40)
  out.writeBigUInt64BE(BigInt(treeSize), 0)
  Buffer.from(logId).copy(out, 8)
  return out
}

/** Decodes an anchor data entry; `null` unless the name and value agree on the log id. */
export function parseAnchorData(
  name: string,
  value: Uint8Array,
): { logId: Uint8Array; treeSize: number } | null {
  if (!name.startsWith(ANCHOR_PREFIX) || value.length !== 40) return null
  const v = Buffer.from(value)
  const logId = new Uint8Array(v.subarray(8))
  if (anchorDataName(logId) !== name) return null
  const size = v.readBigUInt64BE(0)
  if (size === 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) return null
  return { logId, treeSize: Number(size) }
}

/** `"node:" + base64url(nodeKey)` (48 bytes for a 32-byte key). */
export function nodeDataName(nodeKey: Uint8Array): string {
  return NODE_PREFIX + b64url(nodeKey)
}

/** `submitter ed25519 public key ‖ sha256(metadata)` (64 bytes, the data value maximum). */
export function nodeDataValue(submitter: string, metadata: string): Buffer {
  return Buffer.concat([
    StrKey.decodeEd25519PublicKey(submitter),
    createHash('sha256').update(metadata, 'utf8').digest(),
  ])
}

/** The submitter account of a node entry's value, or `null` when the value is not one. */
export function nodeEntrySubmitter(value: Uint8Array): string | null {
  return value.length === 64 ? StrKey.encodeEd25519PublicKey(Buffer.from(value.subarray(0, 32))) : null
}
