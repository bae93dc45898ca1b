/**
 * Wallet binding (DESIGN §3, §4): a context identity binds itself to the wallet root key (a CAIP-10
 * account) behind it with a `BindWallet{identity, account, walletProof}` membership op, signed by the
 * identity and carrying the wallet's signature over a CAIP-122 message whose `Resources:` name
 * {@link bindingResource}. The context layer checks the shape here; whether the wallet's signature is
 * valid is chain-specific and checked by an injected {@link WalletProofCheck} on admission.
 */
import { toBase58 } from '../core/bytes.ts'

/** A value that survives JSON and canonical CBOR unchanged (no bytes, no bigints, finite numbers). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * The wallet's signature evidence, as a CBOR map: the chain (CAIP-2, the account's chain), the exact
 * message the wallet signed (CAIP-122 text, SNIP-12 typed-data JSON, SEP-10 XDR …), the chain-native
 * signature (absent when the message carries it) and chain-specific extras (public key, delegation
 * chain …) — the shape of a sign-in proof (`SignInProof`), so the same wallet code produces both.
 */
export interface WalletProof {
  readonly chainId: string
  readonly message: string
  readonly signature?: string | readonly string[]
  readonly extra?: Readonly<Record<string, JsonValue>>
}

/** What a {@link WalletProofCheck} is asked to check. */
export interface WalletBindingClaim {
  contextId: Uint8Array
  identity: Uint8Array
  account: string
  walletProof: WalletProof
}

/**
 * Checks that `walletProof` is `account`'s signature over a message naming
 * {@link bindingResource}`(contextId, identity)`; resolves when valid, throws a mero error otherwise.
 * Runs on admission of every BindWallet op (local or remote), never when ops are applied.
 */
export type WalletProofCheck = (binding: WalletBindingClaim) => Promise<void>

/** Longest signed message, bytes (UTF-8). */
export const MAX_WALLET_MESSAGE_BYTES = 8192
/** Largest signature, bytes (UTF-8, all parts together). */
export const MAX_WALLET_SIGNATURE_BYTES = 8192
/** Most parts of an array signature (e.g. Starknet felts). */
export const MAX_WALLET_SIGNATURE_PARTS = 64
/** Largest `extra`, bytes of its JSON text. */
export const MAX_WALLET_EXTRA_BYTES = 32_768
/** Deepest nesting of `extra`. */
export const MAX_WALLET_EXTRA_DEPTH = 8

/** CAIP-10: `namespace:reference:address` (CAIP-2 namespace and reference, then the address). */
const CAIP10 = /^([-a-z0-9]{3,8}):([-_a-zA-Z0-9]{1,32}):([-.%a-zA-Z0-9]{1,128})$/
const PROOF_FIELDS = new Set(['chainId', 'message', 'signature', 'extra'])

/** Throws the caller's error (`InvalidOp` for wire ops, `InvalidInput` for API input). */
export type Fail = (message: string) => never

/**
 * The CAIP-122 `Resources:` entry a wallet signs to bind `identity` in `contextId`:
 * `mero:bind:<contextId base58>:<identity base58>`.
 *
 * @example
 * bindingResource(contextId, identity) // 'mero:bind:7Xc…:9aQ…'
 */
export function bindingResource(contextId: Uint8Array, identity: Uint8Array): string {
  return `mero:bind:${toBase58(contextId)}:${toBase58(identity)}`
}

/**
 * Checks a CAIP-10 account id and returns it with its CAIP-2 chain id.
 *
 * @example
 * parseAccount('eip155:31337:0xabc…', fail) // { account: 'eip155:31337:0xabc…', chainId: 'eip155:31337' }
 */
export function parseAccount(v: unknown, fail: Fail): { account: string; chainId: string } {
  const m = typeof v === 'string' ? CAIP10.exec(v) : null
  if (!m) return fail('account must be a CAIP-10 account id (namespace:reference:address)')
  return { account: v as string, chainId: `${m[1]}:${m[2]}` }
}

function isMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function checkJson(v: unknown, depth: number, fail: Fail): void {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail('walletProof.extra numbers must be finite')
    return
  }
  if (depth >= MAX_WALLET_EXTRA_DEPTH) fail(`walletProof.extra nests deeper than ${MAX_WALLET_EXTRA_DEPTH}`)
  if (Array.isArray(v)) {
    for (const x of v) checkJson(x, depth + 1, fail)
    return
  }
  if (!isMap(v)) fail('walletProof.extra holds only JSON values (no bytes, no big integers)')
  for (const k of Object.keys(v)) {
    if (k === '__proto__') fail('walletProof.extra must not use the key __proto__')
    checkJson(v[k], depth + 1, fail)
  }
}

/**
 * Checks the shape and size of a wallet proof for `account` (its `chainId` must be the account's
 * chain); the signature itself is the {@link WalletProofCheck}'s business.
 *
 * @example
 * const proof = parseWalletProof(raw, 'eip155:31337:0xabc…', (m) => { throw new InvalidOp(m) })
 */
export function parseWalletProof(v: unknown, account: string, fail: Fail): WalletProof {
  if (!isMap(v)) return fail('walletProof must be a map')
  for (const k of Object.keys(v)) if (!PROOF_FIELDS.has(k)) fail(`walletProof has an unknown field ${k}`)
  const { chainId } = parseAccount(account, fail)
  if (v.chainId !== chainId) fail(`walletProof.chainId must be the account's chain ${chainId}`)
  const { message, signature, extra } = v
  if (
    typeof message !== 'string' ||
    message.length === 0 ||
    Buffer.byteLength(message) > MAX_WALLET_MESSAGE_BYTES
  )
    fail(`walletProof.message must be a non-empty string of at most ${MAX_WALLET_MESSAGE_BYTES} bytes`)
  const proof: {
    chainId: string
    message: string
    signature?: string | string[]
    extra?: Record<string, JsonValue>
  } = { chainId, message }
  if (signature !== undefined) {
    const parts = Array.isArray(signature) ? signature : [signature]
    if (parts.length === 0 || parts.length > MAX_WALLET_SIGNATURE_PARTS)
      fail(`walletProof.signature must have 1 to ${MAX_WALLET_SIGNATURE_PARTS} parts`)
    let size = 0
    for (const p of parts) {
      if (typeof p !== 'string' || p.length === 0) fail('walletProof.signature must be non-empty strings')
      size += Buffer.byteLength(p)
    }
    if (size > MAX_WALLET_SIGNATURE_BYTES)
      fail(`walletProof.signature must be at most ${MAX_WALLET_SIGNATURE_BYTES} bytes`)
    proof.signature = signature as string | string[]
  }
  if (extra !== undefined) {
    if (!isMap(extra)) fail('walletProof.extra must be a map')
    checkJson(extra, 0, fail)
    if (Buffer.byteLength(JSON.stringify(extra)) > MAX_WALLET_EXTRA_BYTES)
      fail(`walletProof.extra must be at most ${MAX_WALLET_EXTRA_BYTES} bytes as JSON`)
    proof.extra = extra as Record<string, JsonValue>
  }
  return proof
}

/**
 * The CBOR map of a wallet proof (absent fields left out, as canonical CBOR has no `undefined`).
 *
 * @example
 * encodeCanonical(walletProofToCbor(proof))
 */
export function walletProofToCbor(p: WalletProof): Record<string, unknown> {
  const out: Record<string, unknown> = { chainId: p.chainId, message: p.message }
  if (p.signature !== undefined) out.signature = p.signature
  if (p.extra !== undefined) out.extra = p.extra
  return out
}
