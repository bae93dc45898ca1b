/**
 * Decodes a real borsh `SignedTransaction` (near-api-js's own schema) into the devnet's plain view of
 * it, with its hash (`sha256(borsh(Transaction))`, base58) and signature check input.
 */
import { ed25519 } from '@noble/curves/ed25519'
import { decodeSignedTransaction, encodeTransaction } from 'near-api-js'
import { fromBase58, toBase58, toBase64 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { KeyPermission } from './chain-state.ts'
import { requestError } from './rpc-errors.ts'

/** One action, as the devnet applies it. */
export type TxAction =
  | { readonly kind: 'CreateAccount' }
  | { readonly kind: 'DeployContract'; readonly code: Uint8Array }
  | {
      readonly kind: 'FunctionCall'
      readonly methodName: string
      readonly args: Uint8Array
      readonly gas: bigint
      readonly deposit: bigint
    }
  | { readonly kind: 'Transfer'; readonly deposit: bigint }
  | { readonly kind: 'AddKey'; readonly publicKey: string; readonly permission: KeyPermission }
  | { readonly kind: 'DeleteKey'; readonly publicKey: string }
  | { readonly kind: 'DeleteAccount'; readonly beneficiaryId: string }
  | { readonly kind: 'Unsupported'; readonly name: string }

/** A decoded, not yet validated transaction. */
export interface DecodedTx {
  /** base58 sha256 of the borsh `Transaction`. */
  readonly hash: string
  readonly signerId: string
  /** `ed25519:<base58>`. */
  readonly publicKey: string
  readonly nonce: bigint
  readonly receiverId: string
  readonly blockHash: string
  readonly actions: readonly TxAction[]
  /** Whether the Ed25519 signature verifies over sha256(borsh(Transaction)). */
  readonly signatureValid: boolean
  /** `ed25519:<base58>` of the signature. */
  readonly signature: string
  /** Size of the signed transaction in bytes. */
  readonly size: number
}

type Bytes = Uint8Array | number[]
const u8 = (b: Bytes) => (b instanceof Uint8Array ? b : Uint8Array.from(b))

function keyString(k: unknown): string {
  if (k && typeof (k as { toString?: unknown }).toString === 'function') {
    const s = String(k)
    if (s.startsWith('ed25519:') || s.startsWith('secp256k1:')) return s
  }
  const o = k as { ed25519Key?: { data: Bytes }; secp256k1Key?: { data: Bytes } }
  if (o.ed25519Key) return `ed25519:${toBase58(u8(o.ed25519Key.data))}`
  if (o.secp256k1Key) return `secp256k1:${toBase58(u8(o.secp256k1Key.data))}`
  return 'unknown:'
}

function permissionOf(p: {
  fullAccess?: unknown
  functionCall?: { receiverId: string; methodNames: string[]; allowance: bigint | null }
}): KeyPermission {
  if (p.functionCall)
    return {
      receiverId: p.functionCall.receiverId,
      methodNames: [...p.functionCall.methodNames],
      allowance: p.functionCall.allowance === null ? null : String(p.functionCall.allowance),
    }
  return 'FullAccess'
}

// biome-ignore lint/suspicious/noExplicitAny: borsh-decoded enum objects
function actionOf(a: any): TxAction {
  if (a.createAccount) return { kind: 'CreateAccount' }
  if (a.deployContract) return { kind: 'DeployContract', code: u8(a.deployContract.code) }
  if (a.functionCall)
    return {
      kind: 'FunctionCall',
      methodName: a.functionCall.methodName,
      args: u8(a.functionCall.args),
      gas: BigInt(a.functionCall.gas),
      deposit: BigInt(a.functionCall.deposit),
    }
  if (a.transfer) return { kind: 'Transfer', deposit: BigInt(a.transfer.deposit) }
  if (a.addKey)
    return {
      kind: 'AddKey',
      publicKey: keyString(a.addKey.publicKey),
      permission: permissionOf(a.addKey.accessKey.permission),
    }
  if (a.deleteKey) return { kind: 'DeleteKey', publicKey: keyString(a.deleteKey.publicKey) }
  if (a.deleteAccount) return { kind: 'DeleteAccount', beneficiaryId: a.deleteAccount.beneficiaryId }
  return { kind: 'Unsupported', name: Object.keys(a).find((k) => k !== 'enum') ?? 'unknown' }
}

/**
 * Decodes base64 borsh bytes of a SignedTransaction. Throws nearcore's PARSE_ERROR when they do not
 * decode.
 */
export function decodeSignedTx(base64: unknown): DecodedTx {
  if (typeof base64 !== 'string' || base64.length === 0)
    throw requestError('PARSE_ERROR', { error_message: 'signed_tx_base64 is missing' })
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'))
  // biome-ignore lint/suspicious/noExplicitAny: borsh-decoded structure
  let signed: any
  let txBytes: Uint8Array
  try {
    signed = decodeSignedTransaction(bytes)
    txBytes = encodeTransaction(signed.transaction)
  } catch (e) {
    throw requestError('PARSE_ERROR', {
      error_message: `Failed to decode transaction: ${(e as Error).message.slice(0, 200)}`,
    })
  }
  const t = signed.transaction
  const digest = sha256(txBytes)
  const publicKey = keyString(t.publicKey)
  const sigData = signed.signature?.ed25519Signature?.data as Bytes | undefined
  let signatureValid = false
  if (sigData && publicKey.startsWith('ed25519:')) {
    try {
      signatureValid = ed25519.verify(u8(sigData), digest, fromBase58(publicKey.slice(8), 32))
    } catch {
      signatureValid = false
    }
  }
  return {
    hash: toBase58(digest),
    signerId: t.signerId,
    publicKey,
    nonce: BigInt(t.nonce),
    receiverId: t.receiverId,
    blockHash: toBase58(u8(t.blockHash)),
    actions: (t.actions as unknown[]).map(actionOf),
    signatureValid,
    signature: sigData ? `ed25519:${toBase58(u8(sigData))}` : 'unknown:',
    size: bytes.length,
  }
}

/** The RPC's JSON view of an action (`"CreateAccount"`, `{"FunctionCall": {…}}`, …). */
export function actionView(a: TxAction): unknown {
  switch (a.kind) {
    case 'CreateAccount':
      return 'CreateAccount'
    case 'DeployContract':
      return { DeployContract: { code: toBase58(sha256(a.code)) } }
    case 'FunctionCall':
      return {
        FunctionCall: {
          method_name: a.methodName,
          args: toBase64(a.args),
          gas: Number(a.gas),
          deposit: a.deposit.toString(),
        },
      }
    case 'Transfer':
      return { Transfer: { deposit: a.deposit.toString() } }
    case 'AddKey':
      return {
        AddKey: {
          public_key: a.publicKey,
          access_key: { nonce: 0, permission: permissionView(a.permission) },
        },
      }
    case 'DeleteKey':
      return { DeleteKey: { public_key: a.publicKey } }
    case 'DeleteAccount':
      return { DeleteAccount: { beneficiary_id: a.beneficiaryId } }
    default:
      return a.name
  }
}

/** The RPC's JSON view of a permission. */
export function permissionView(p: KeyPermission): unknown {
  if (p === 'FullAccess') return 'FullAccess'
  return { FunctionCall: { allowance: p.allowance, receiver_id: p.receiverId, method_names: p.methodNames } }
}
