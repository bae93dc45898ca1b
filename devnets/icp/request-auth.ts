/**
 * Authentication of IC HTTP requests, as a replica does it: the request id (the IC's
 * representation-independent hash of the request `content`), the sender's signature over
 * `"\x0Aic-request" ‖ request_id` (Ed25519, ECDSA secp256k1 and ECDSA P-256 keys, DER-wrapped as the
 * agent sends them; anonymous senders carry none), delegation chains (`sender_delegation`), the
 * self-authenticating sender principal and the ingress expiry window.
 */
import { createHash } from 'node:crypto'
import { selfAuthenticating, verifyDerSignature as verifyKnown } from '../../adapters/icp/der-signature.ts'

/** A request the devnet refuses before executing it: answered with this HTTP status and text. */
export class HttpRejection extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** CBOR value as cborg decodes it. */
export type CborValue =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | CborValue[]
  | { [k: string]: CborValue }

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest())

/** Unsigned LEB128. */
export function leb128(n: bigint | number): Uint8Array {
  let v = BigInt(n)
  if (v < 0n) throw new HttpRejection(400, 'negative number in request')
  const out: number[] = []
  do {
    let b = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) b |= 0x80
    out.push(b)
  } while (v > 0n)
  return new Uint8Array(out)
}

function hashValue(v: CborValue): Uint8Array {
  if (v instanceof Uint8Array) return sha256(v)
  if (typeof v === 'string') return sha256(new TextEncoder().encode(v))
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (typeof v === 'number' && !Number.isInteger(v))
      throw new HttpRejection(400, 'non-integer number in request')
    return sha256(leb128(v))
  }
  if (Array.isArray(v)) return sha256(Buffer.concat(v.map(hashValue)))
  if (v && typeof v === 'object') return hashOfMap(v)
  throw new HttpRejection(400, 'unsupported value in request content')
}

/** Representation-independent hash of a map (IC interface spec, "Request ids"). */
export function hashOfMap(m: { [k: string]: CborValue }): Uint8Array {
  const parts = Object.entries(m)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => Buffer.concat([sha256(new TextEncoder().encode(k)), hashValue(v)]))
  parts.sort(Buffer.compare)
  return sha256(Buffer.concat(parts))
}

/** `len(s) ‖ s`, the IC's domain separator. */
export function domainSeparator(s: string): Uint8Array {
  const b = new TextEncoder().encode(s)
  return new Uint8Array([b.length, ...b])
}

export { selfAuthenticating }

/** Verifies `sig` over `msg` for a DER public key; 400 for key types the devnet does not accept. */
export function verifyDerSignature(derKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const ok = verifyKnown(derKey, msg, sig)
  if (ok === undefined)
    throw new HttpRejection(
      400,
      'Unsupported public key type (supported: Ed25519, ECDSA secp256k1, ECDSA P-256)',
    )
  return ok
}

/** The anonymous principal. */
export const ANONYMOUS = new Uint8Array([4])

/** Allowed distance of `ingress_expiry` into the future (5 min, plus 60 s of clock drift). */
export const MAX_INGRESS_EXPIRY_NS = 360_000_000_000n

/** An authenticated request. */
export interface AuthenticatedRequest {
  readonly content: { [k: string]: CborValue }
  readonly requestId: Uint8Array
  readonly sender: Uint8Array
  /** Canister ids the delegations restrict the request to (undefined = no restriction). */
  readonly targets: Uint8Array[] | undefined
}

const bytesField = (o: { [k: string]: CborValue }, k: string): Uint8Array => {
  const v = o[k]
  if (!(v instanceof Uint8Array)) throw new HttpRejection(400, `request field ${k} must be a byte string`)
  return v
}

/**
 * Checks an envelope `{content, sender_pubkey?, sender_sig?, sender_delegation?}` at time `nowNs` and
 * returns its content, request id and sender. Throws {@link HttpRejection} (400 for malformed or
 * expired requests, 403 for signature failures).
 */
export function authenticate(envelope: CborValue, nowNs: bigint): AuthenticatedRequest {
  if (!envelope || typeof envelope !== 'object' || Array.isArray(envelope) || envelope instanceof Uint8Array)
    throw new HttpRejection(400, 'request body is not a CBOR map')
  const content = envelope.content
  if (!content || typeof content !== 'object' || Array.isArray(content) || content instanceof Uint8Array)
    throw new HttpRejection(400, 'request has no content map')
  const sender = bytesField(content, 'sender')
  const expiry = content.ingress_expiry
  if (typeof expiry !== 'bigint' && !(typeof expiry === 'number' && Number.isSafeInteger(expiry)))
    throw new HttpRejection(400, 'request field ingress_expiry must be a natural number')
  const exp = BigInt(expiry)
  if (exp < nowNs || exp > nowNs + MAX_INGRESS_EXPIRY_NS)
    throw new HttpRejection(
      400,
      `Invalid request expiry: Specified ingress_expiry not within expected range: Minimum allowed expiry: ${nowNs}, Maximum allowed expiry: ${nowNs + MAX_INGRESS_EXPIRY_NS}, Provided expiry: ${exp}`,
    )
  const requestId = hashOfMap(content)
  const pubkey = envelope.sender_pubkey
  const sig = envelope.sender_sig
  if (Buffer.from(sender).equals(ANONYMOUS)) {
    if (pubkey !== undefined || sig !== undefined || envelope.sender_delegation !== undefined)
      throw new HttpRejection(403, 'Invalid signature: anonymous requests carry no signature')
    return { content, requestId, sender, targets: undefined }
  }
  if (!(pubkey instanceof Uint8Array) || !(sig instanceof Uint8Array))
    throw new HttpRejection(
      403,
      'Invalid signature: missing sender_pubkey or sender_sig for a non-anonymous sender',
    )
  if (!Buffer.from(selfAuthenticating(pubkey)).equals(sender))
    throw new HttpRejection(403, 'Invalid signature: the sender is not the principal of sender_pubkey')
  let key = pubkey
  let targets: Uint8Array[] | undefined
  const chain = envelope.sender_delegation ?? []
  if (!Array.isArray(chain) || chain.length > 20)
    throw new HttpRejection(400, 'sender_delegation must be a list (at most 20)')
  for (const signed of chain) {
    if (!signed || typeof signed !== 'object' || Array.isArray(signed) || signed instanceof Uint8Array)
      throw new HttpRejection(400, 'malformed delegation')
    const d = signed.delegation
    if (!d || typeof d !== 'object' || Array.isArray(d) || d instanceof Uint8Array)
      throw new HttpRejection(400, 'malformed delegation')
    const dsig = bytesField(signed, 'signature')
    const msg = Buffer.concat([domainSeparator('ic-request-auth-delegation'), hashOfMap(d)])
    if (!verifyDerSignature(key, msg, dsig))
      throw new HttpRejection(403, 'Invalid delegation: signature does not verify')
    const expiration = d.expiration
    if (
      (typeof expiration !== 'bigint' &&
        !(typeof expiration === 'number' && Number.isSafeInteger(expiration))) ||
      BigInt(expiration) < nowNs
    )
      throw new HttpRejection(403, 'Invalid delegation: expired')
    if (d.targets !== undefined) {
      if (!Array.isArray(d.targets) || !d.targets.every((t) => t instanceof Uint8Array))
        throw new HttpRejection(400, 'malformed delegation targets')
      const t = d.targets as Uint8Array[]
      targets = targets ? targets.filter((x) => t.some((y) => Buffer.from(y).equals(x))) : t
    }
    key = bytesField(d, 'pubkey')
  }
  const msg = Buffer.concat([domainSeparator('ic-request'), requestId])
  if (!verifyDerSignature(key, msg, sig))
    throw new HttpRejection(403, 'Invalid signature: sender_sig does not verify')
  return { content, requestId, sender, targets }
}
