/**
 * XDR for the Stellar devnet through `@stellar/stellar-xdr-json` — the Rust `stellar-xdr` crate
 * compiled to wasm, independent of the JS SDK that builds the envelopes. The devnet decodes every
 * envelope with it, refuses any that does not re-encode byte-identically, and encodes its results
 * with it.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { decode, encode, initSync } from '@stellar/stellar-xdr-json'

let ready = false

/** Loads the wasm module once (synchronously). */
function init(): void {
  if (ready) return
  const require = createRequire(import.meta.url)
  initSync(readFileSync(require.resolve('@stellar/stellar-xdr-json/stellar_xdr_json_bg.wasm')))
  ready = true
}

/** Decodes base64 XDR of `type` to the crate's JSON form. Throws on malformed input. */
export function xdrToJson<T = unknown>(type: string, base64: string): T {
  init()
  return JSON.parse(decode(type, base64)) as T
}

/** Encodes the crate's JSON form of `type` to base64 XDR. Throws when the value does not fit. */
export function jsonToXdr(type: string, value: unknown): string {
  init()
  return encode(type, JSON.stringify(value))
}

/**
 * Decodes and re-encodes `base64` through the Rust decoder; true when the bytes are identical
 * (canonical XDR). The devnet and the tests use it as the second opinion on SDK-built envelopes.
 */
export function reencodesIdentically(type: string, base64: string): boolean {
  try {
    return jsonToXdr(type, xdrToJson(type, base64)) === base64
  } catch {
    return false
  }
}

/** `sha256(passphrase)`: the network id every signature commits to. */
export function networkId(passphrase: string): Buffer {
  return createHash('sha256').update(passphrase, 'utf8').digest()
}

/** The hash a v1 transaction's signatures sign: `sha256(TransactionSignaturePayload)`. */
export function transactionHash(tx: TxJson, passphrase: string): Buffer {
  const payload = jsonToXdr('TransactionSignaturePayload', {
    network_id: networkId(passphrase).toString('hex'),
    tagged_transaction: { tx },
  })
  return createHash('sha256').update(Buffer.from(payload, 'base64')).digest()
}

/** One operation of a transaction, as the Rust crate spells it in JSON. */
export interface OperationJson {
  readonly source_account: string | null
  readonly body: Record<string, unknown> | string
}

/** A v1 transaction in JSON (`TransactionEnvelope.tx.tx`). */
export interface TxJson {
  readonly source_account: string
  readonly fee: number
  readonly seq_num: string
  readonly cond:
    | 'none'
    | { readonly time: { readonly min_time: string; readonly max_time: string } }
    | { readonly v2: Record<string, unknown> }
  readonly memo: 'none' | Record<string, unknown>
  readonly operations: readonly OperationJson[]
  readonly ext: unknown
}

/** A decorated signature: the last 4 bytes of the key (hex) and the 64-byte signature (hex). */
export interface SignatureJson {
  readonly hint: string
  readonly signature: string
}

/** `TransactionEnvelope` in JSON; only the `tx` (v1) arm is accepted by the devnet. */
export type EnvelopeJson =
  | { readonly tx: { readonly tx: TxJson; readonly signatures: readonly SignatureJson[] } }
  | Record<string, unknown>
