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
  | 'conflict' // 409
  | 'too-large' // 413
  | 'unsupported-media-type' // 415
  | 'unavailable' // 503
  | 'internal' // 500

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
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
