/**
 * The one error catalogue of mero. Every error the system raises on purpose is a subclass of
 * {@link MeroError} with a stable literal `name`; wire codes (HTTP status, JSON-RPC code) are attached
 * only at the API edge, from {@link httpStatusOf}. `docs/ERRORS.md` is generated from {@link errorCatalogue}
 * and a test keeps the two equal (`npm run docs:errors` rewrites it).
 */

/** Extra, non-secret facts about an error, safe to return to a client. */
export type ErrorDetails = Record<string, unknown>

/** Options accepted by every mero error. */
export interface MeroErrorOptions {
  details?: ErrorDetails
  cause?: unknown
}

/** The base class of every error mero raises on purpose. */
export abstract class MeroError extends Error {
  abstract override readonly name: string
  /** Whether the error is the caller's fault (bad input, missing thing) rather than a fault of the node. */
  abstract readonly kind: ErrorKind
  readonly details: ErrorDetails

  constructor(message: string, options: MeroErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.details = options.details ?? {}
  }

  /** The `{name, message, details}` body sent to clients. */
  toJSON(): { name: string; message: string; details: ErrorDetails } {
    return { name: this.name, message: this.message, details: this.details }
  }
}

/** How an error maps onto a wire status at the API edge. */
export type ErrorKind =
  | 'invalid' // 400
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'timeout' // 408
  | 'conflict' // 409
  | 'too-large' // 413
  | 'unsupported-media-type' // 415
  | 'rate-limited' // 429
  | 'headers-too-large' // 431
  | 'unavailable' // 503
  | 'internal' // 500

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  timeout: 408,
  conflict: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  'rate-limited': 429,
  'headers-too-large': 431,
  unavailable: 503,
  internal: 500,
}

/** HTTP status for an error kind. */
export function httpStatusOf(kind: ErrorKind): number {
  return STATUS[kind]
}

interface CatalogueEntry {
  name: string
  kind: ErrorKind
  description: string
}
const catalogue: CatalogueEntry[] = []

/**
 * Declares an error class in the catalogue. Each call defines one stable `name`.
 *
 * @example
 * export class UnknownContext extends defineError('UnknownContext', 'not-found', 'No context with that id on this node.') {}
 */
export function defineError<N extends string>(name: N, kind: ErrorKind, description: string) {
  if (catalogue.some((e) => e.name === name)) throw new Error(`duplicate error name ${name}`)
  catalogue.push({ name, kind, description })
  return class extends MeroError {
    override readonly name: N = name
    readonly kind: ErrorKind = kind
    static readonly errorName: N = name
  }
}

/** All declared errors, sorted by name (the source of `docs/ERRORS.md`). */
export function errorCatalogue(): readonly CatalogueEntry[] {
  return [...catalogue].sort((a, b) => a.name.localeCompare(b.name))
}

// ── input and encoding ─────────────────────────────────────────────────────────────────────────
export class InvalidInput extends defineError(
  'InvalidInput',
  'invalid',
  'A request or argument does not match its schema.',
) {}
export class InvalidEncoding extends defineError(
  'InvalidEncoding',
  'invalid',
  'A base58, hex or base64 string does not decode, or decodes to the wrong length.',
) {}
export class RequestTimeout extends defineError(
  'RequestTimeout',
  'timeout',
  'The request (headers and body) did not arrive within `api.requestTimeoutMs` (default 30 s).',
) {}
export class HeadersTooLarge extends defineError(
  'HeadersTooLarge',
  'headers-too-large',
  'The request line or headers exceed what the HTTP server accepts.',
) {}
export class PayloadTooLarge extends defineError(
  'PayloadTooLarge',
  'too-large',
  'A body, delta or batch exceeds a documented limit (docs/LIMITS.md).',
) {}
export class UnsupportedMediaType extends defineError(
  'UnsupportedMediaType',
  'unsupported-media-type',
  'A request body has a content type the route does not accept (the API takes application/json).',
) {}
export class InvalidConfig extends defineError(
  'InvalidConfig',
  'invalid',
  'The configuration failed validation; details.errors lists every problem.',
) {}

// ── auth ───────────────────────────────────────────────────────────────────────────────────────
export class Unauthorized extends defineError(
  'Unauthorized',
  'unauthorized',
  'The route needs a bearer token and none, or a wrong one, was given.',
) {}
export class Forbidden extends defineError(
  'Forbidden',
  'forbidden',
  'The caller is known but lacks the permission or capability needed.',
) {}

// ── contexts, membership, deltas ─────────────────────────────────────────────────────────────
export class UnknownContext extends defineError(
  'UnknownContext',
  'not-found',
  'No context with that id on this node.',
) {}
export class UnknownIdentity extends defineError(
  'UnknownIdentity',
  'not-found',
  'The node holds no secret key for that identity.',
) {}
export class NotAMember extends defineError(
  'NotAMember',
  'forbidden',
  'The signer is not a member of the context at the given membership heads.',
) {}
export class MissingCapability extends defineError(
  'MissingCapability',
  'forbidden',
  'The signer lacks the capability the operation needs (ManageMembers, ManageApplication, Attest).',
) {}
export class TooManySubscriptions extends defineError(
  'TooManySubscriptions',
  'too-large',
  'A websocket connection asked for more context subscriptions than the per-connection limit (docs/LIMITS.md).',
) {}
export class InvalidSignature extends defineError(
  'InvalidSignature',
  'invalid',
  'An Ed25519 signature does not verify over the bytes it claims to sign.',
) {}
export class InvalidDelta extends defineError(
  'InvalidDelta',
  'invalid',
  'A delta is malformed: bad encoding, id mismatch, unsorted parents, bad ops.',
) {}
export class InvalidOp extends defineError(
  'InvalidOp',
  'invalid',
  'A membership op is malformed or not applicable.',
) {}
export class UnknownMethod extends defineError(
  'UnknownMethod',
  'not-found',
  'The application has no such method.',
) {}
export class UnknownApplication extends defineError(
  'UnknownApplication',
  'not-found',
  'The context names an application this node does not run.',
) {}
export class PendingLimitReached extends defineError(
  'PendingLimitReached',
  'unavailable',
  'limits.pendingDeltas items already wait for their parents; retry once those arrive.',
) {}

// ── attestations, log, proofs ─────────────────────────────────────────────────────────────────
export class InvalidLeaf extends defineError(
  'InvalidLeaf',
  'invalid',
  'An attestation leaf is not 224 bytes, has an unknown tag, or fails its checks.',
) {}
export class UnknownLeaf extends defineError(
  'UnknownLeaf',
  'not-found',
  "No leaf with that hash in this node's log.",
) {}
export class UnknownCheckpoint extends defineError(
  'UnknownCheckpoint',
  'not-found',
  'No checkpoint of that tree size, or none cut yet.',
) {}
export class InvalidTreeRange extends defineError(
  'InvalidTreeRange',
  'invalid',
  'A tree size or index is out of range for the log (e.g. first > second, index >= size).',
) {}
export class InvalidCheckpoint extends defineError(
  'InvalidCheckpoint',
  'invalid',
  'A signed note does not parse or its signature does not verify.',
) {}
export class ProofNotReady extends defineError(
  'ProofNotReady',
  'not-found',
  'The leaf exists but no checkpoint containing it has been cut or anchored yet.',
) {}
export class InvalidProof extends defineError(
  'InvalidProof',
  'invalid',
  'A proof document is malformed (schema), before any check runs.',
) {}
export class VerificationFailed extends defineError(
  'VerificationFailed',
  'invalid',
  "A proof failed one of the verifier's checks; details.check names it.",
) {}

// ── chains and anchoring ──────────────────────────────────────────────────────────────────────
export class UnknownChain extends defineError(
  'UnknownChain',
  'not-found',
  'No adapter or RPC is configured for that CAIP-2 chain id.',
) {}
export class ChainUnavailable extends defineError(
  'ChainUnavailable',
  'unavailable',
  'The chain RPC did not answer or answered with a transport error; retried with backoff.',
) {}
export class ChainRejected extends defineError(
  'ChainRejected',
  'conflict',
  "The chain rejected or reverted a transaction; details.reason carries the chain's reason.",
) {}
export class AlreadyAnchored extends defineError(
  'AlreadyAnchored',
  'conflict',
  'That root is already anchored on that chain (first write wins).',
) {}
export class NotRegisteredSubmitter extends defineError(
  'NotRegisteredSubmitter',
  'forbidden',
  'The submitting account is not a registered submitter of the anchor contract.',
) {}

// ── jobs ──────────────────────────────────────────────────────────────────────────────────────
export class PermanentJobFailure extends defineError(
  'PermanentJobFailure',
  'internal',
  'A job failed in a way retries cannot fix; it is marked failed at once.',
) {}
export class QueueClosed extends defineError('QueueClosed', 'unavailable', 'The job queue was closed.') {}

// ── sign-in and sessions ──────────────────────────────────────────────────────────────────────
export class ChallengeNotFound extends defineError(
  'ChallengeNotFound',
  'unauthorized',
  'No sign-in challenge with that nonce was issued by this node (or it was pruned after expiring).',
) {}
export class NonceReused extends defineError(
  'NonceReused',
  'unauthorized',
  'The challenge nonce was already presented once; nonces are single use (replay refused).',
) {}
export class ChallengeExpired extends defineError(
  'ChallengeExpired',
  'unauthorized',
  'The sign-in challenge expired before it was presented.',
) {}
export class ChallengeNotYetValid extends defineError(
  'ChallengeNotYetValid',
  'unauthorized',
  'The sign-in challenge is not valid yet (its Not Before time is in the future).',
) {}
export class DomainMismatch extends defineError(
  'DomainMismatch',
  'unauthorized',
  "The signed message names another domain than this node's sign-in domain.",
) {}
export class UriMismatch extends defineError(
  'UriMismatch',
  'unauthorized',
  "The signed message names another URI than this node's sign-in URI.",
) {}
export class ChainMismatch extends defineError(
  'ChainMismatch',
  'unauthorized',
  'The signed message or signature is for another chain than the challenge.',
) {}
export class MessageMismatch extends defineError(
  'MessageMismatch',
  'unauthorized',
  'The signed message differs from the challenge this node issued (account, statement, times or resources).',
) {}
export class InvalidSignInMessage extends defineError(
  'InvalidSignInMessage',
  'invalid',
  "The sign-in message does not follow its chain's format (EIP-4361, CAIP-122, NEP-413, SEP-10, SNIP-12).",
) {}
export class WalletSignatureInvalid extends defineError(
  'WalletSignatureInvalid',
  'unauthorized',
  'The wallet signature does not verify for the account: wrong key, tampered message, or the account (contract, signers, access keys) does not accept it.',
) {}
export class AccountKeyUnverifiable extends defineError(
  'AccountKeyUnverifiable',
  'unauthorized',
  "The signing key's authority over the account can only be checked on chain, and no RPC for that chain is configured.",
) {}
export class TooManyChallenges extends defineError(
  'TooManyChallenges',
  'unavailable',
  'Too many sign-in challenges are outstanding on this node; retry after some expire.',
) {}
export class RateLimited extends defineError(
  'RateLimited',
  'rate-limited',
  'Too many requests (or outstanding sign-in challenges) from one address; retry after the time in the Retry-After header.',
) {}
export class UnsupportedChain extends defineError(
  'UnsupportedChain',
  'invalid',
  'Sign-in is not supported for that CAIP-2 namespace.',
) {}
export class TokenInvalid extends defineError(
  'TokenInvalid',
  'unauthorized',
  'The bearer token is malformed, forged, of the wrong type or expired.',
) {}
export class TokenRevoked extends defineError(
  'TokenRevoked',
  'unauthorized',
  'The token, its session family, its client key or its root key was revoked.',
) {}
export class RefreshTokenReused extends defineError(
  'RefreshTokenReused',
  'unauthorized',
  'A refresh token was presented a second time; its whole token family is now revoked.',
) {}
export class UnknownKey extends defineError(
  'UnknownKey',
  'not-found',
  'No root key or client key with that id.',
) {}
export class InvalidPermission extends defineError(
  'InvalidPermission',
  'invalid',
  'A permission does not follow the grammar (admin, context:execute[ctx,identity,method], …).',
) {}

// ── generic ───────────────────────────────────────────────────────────────────────────────────
export class NotFound extends defineError('NotFound', 'not-found', 'The route or resource does not exist.') {}
export class Aborted extends defineError(
  'Aborted',
  'unavailable',
  'The operation was aborted through its AbortSignal.',
) {}
export class Internal extends defineError(
  'Internal',
  'internal',
  'An unexpected fault; logged with its cause, never with secrets.',
) {}

/** True when `e` is a mero error (of any subclass). */
export function isMeroError(e: unknown): e is MeroError {
  return e instanceof MeroError
}
