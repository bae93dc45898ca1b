/**
 * Checkpoints in the C2SP `tlog-checkpoint` format, carried in a C2SP `signed-note`
 * (https://c2sp.org/tlog-checkpoint, https://c2sp.org/signed-note), so that existing transparency-log
 * witnesses can read and cosign them.
 *
 * ```
 * <origin>\n<tree size, decimal>\n<base64(root hash)>\n
 * \n
 * — <key name> <base64(keyId(4) ‖ ed25519 signature(64))>\n
 * ```
 *
 * The Ed25519 signature is over the body text's UTF-8 bytes; `keyId` is the first 4 bytes of
 * `sha256(name ‖ "\n" ‖ 0x01 ‖ publicKey)`. Parsing is strict: exactly the three checkpoint lines
 * (mero emits no extension lines and accepts none), canonical decimal and base64, at most
 * {@link MAX_NOTE_SIGNATURES} signature lines, no duplicate signers. Signatures by other keys (e.g.
 * witness cosignatures) are kept and ignored by {@link verifyCheckpoint}.
 */
import { bytesEqual, concatBytes, fromBase64, toBase64, toHex } from '../core/bytes.ts'
import { derivePublicKey, sign, verify } from '../core/ed25519.ts'
import { InvalidCheckpoint, InvalidInput } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'

/** The most signature lines a note may carry (as Go's `sumdb/note`). */
export const MAX_NOTE_SIGNATURES = 100
/** The longest note accepted, in UTF-16 code units. */
export const MAX_NOTE_LENGTH = 64 * 1024
/** The C2SP signed-note signature type of Ed25519 keys. */
export const ED25519_NOTE_ALG = 0x01

const EM_DASH = '\u2014'
const enc = new TextEncoder()
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to reject them
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/
const LONE_SURROGATE = /\p{Cs}/u
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/

/** The fields of a checkpoint. */
export interface CheckpointFields {
  /** The log's origin line (unique name of the log, e.g. `example.com/log`). */
  origin: string
  treeSize: number | bigint
  /** 32-byte RFC 6962 root hash. */
  rootHash: Uint8Array
}

/** A note signer: key name and the 32-byte Ed25519 secret seed (plus its public key to skip deriving it). */
export interface NoteSigner {
  name: string
  secretKey: Uint8Array
  publicKey?: Uint8Array
}

/** A note verifier: key name and 32-byte Ed25519 public key. */
export interface NoteVerifier {
  name: string
  publicKey: Uint8Array
}

/** One signature line of a note. `signature` is everything after the 4-byte key id (64 bytes for Ed25519). */
export interface NoteSignature {
  name: string
  keyId: Uint8Array
  signature: Uint8Array
}

/** A parsed signed note. */
export interface ParsedNote {
  /** The signed text, ending in a newline. */
  body: string
  signatures: NoteSignature[]
}

/** A parsed checkpoint note. */
export interface ParsedCheckpoint extends ParsedNote {
  origin: string
  treeSize: number
  rootHash: Uint8Array
}

function isValidName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    !/[\s+]/u.test(name) &&
    !CONTROL.test(name) &&
    !LONE_SURROGATE.test(name)
  )
}

function checkVerifier(name: unknown, publicKey: unknown): asserts publicKey is Uint8Array {
  if (!isValidName(name))
    throw new InvalidInput('a note key name must be non-empty, without spaces or "+"', { details: { name } })
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32)
    throw new InvalidInput('an Ed25519 public key must be 32 bytes')
}

/**
 * The 4-byte C2SP key id of an Ed25519 note key: `sha256(name ‖ "\n" ‖ 0x01 ‖ publicKey)[0..4]`.
 *
 * @example
 * toHex(noteKeyId('PeterNeumann', pk)) // '0xc74f20a3'
 */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  checkVerifier(name, publicKey)
  return new Uint8Array(
    sha256(concatBytes(enc.encode(`${name}\n`), Uint8Array.of(ED25519_NOTE_ALG), publicKey)).subarray(0, 4),
  )
}

/**
 * The C2SP verifier key string `name+hex(keyId)+base64(0x01 ‖ publicKey)`, what witnesses and
 * `sumdb/note` clients are configured with.
 *
 * @example
 * verifierKey('PeterNeumann', pk) // 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
 */
export function verifierKey(name: string, publicKey: Uint8Array): string {
  const id = noteKeyId(name, publicKey)
  return `${name}+${toHex(id).slice(2)}+${toBase64(concatBytes(Uint8Array.of(ED25519_NOTE_ALG), publicKey))}`
}

/**
 * Parses a C2SP Ed25519 verifier key string (checks its key id). Throws InvalidInput.
 *
 * @example
 * parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW') // { name, publicKey }
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  // name + hex key id + base64 key; the base64 may itself contain '+', so split at the first two only.
  const m = typeof vkey === 'string' ? /^([^+]+)\+([0-9a-f]{8})\+(.+)$/s.exec(vkey) : null
  const [, name, idHex, keyB64] = m ?? []
  if (!m || !isValidName(name)) throw new InvalidInput('malformed verifier key')
  let key: Uint8Array
  try {
    key = canonicalBase64(keyB64 ?? '')
  } catch {
    throw new InvalidInput('malformed verifier key: key is not base64')
  }
  if (key.length !== 33 || key[0] !== ED25519_NOTE_ALG)
    throw new InvalidInput('verifier key is not an Ed25519 (type 0x01) key')
  const publicKey = key.slice(1)
  if (toHex(noteKeyId(name, publicKey)).slice(2) !== idHex)
    throw new InvalidInput('verifier key id does not match its name and key')
  return { name, publicKey }
}

function canonicalBase64(s: string): Uint8Array {
  const b = fromBase64(s)
  if (toBase64(b) !== s) throw new Error('non-canonical base64')
  return b
}

function checkText(text: string, what: string): void {
  if (CONTROL.test(text))
    throw new InvalidCheckpoint(`${what} contains a control character`, { details: { reason: 'control' } })
  if (LONE_SURROGATE.test(text))
    throw new InvalidCheckpoint(`${what} is not valid Unicode`, { details: { reason: 'unicode' } })
}

/**
 * Signs a note body (non-empty text ending in a newline) and returns the note with one signature line.
 *
 * @example
 * signNote('hello\n', { name: 'example.com/log', secretKey }) // 'hello\n\n— example.com/log …\n'
 */
export function signNote(body: string, signer: NoteSigner): string {
  if (
    typeof body !== 'string' ||
    !body.endsWith('\n') ||
    body.includes('\n\n') ||
    body.length > MAX_NOTE_LENGTH / 2
  )
    throw new InvalidInput('a note body must be non-empty text ending in one newline, without blank lines')
  checkText(body, 'note body')
  if (!(signer?.secretKey instanceof Uint8Array) || signer.secretKey.length !== 32)
    throw new InvalidInput('a note signer needs a 32-byte Ed25519 secret key')
  const publicKey = signer.publicKey ?? derivePublicKey(signer.secretKey)
  const id = noteKeyId(signer.name, publicKey)
  const sig = sign(signer.secretKey, enc.encode(body))
  return `${body}\n${EM_DASH} ${signer.name} ${toBase64(concatBytes(id, sig))}\n`
}

/**
 * Parses a C2SP signed note into its body and signature lines, strictly. Checks no signature.
 * Throws InvalidCheckpoint with `details.reason`.
 */
export function parseNote(note: string): ParsedNote {
  const bad = (message: string, reason: string) => new InvalidCheckpoint(message, { details: { reason } })
  if (typeof note !== 'string') throw bad('a note must be a string', 'type')
  if (note.length > MAX_NOTE_LENGTH)
    throw bad(`a note must be at most ${MAX_NOTE_LENGTH} characters`, 'length')
  checkText(note, 'note')
  if (!note.endsWith('\n')) throw bad('a note must end with a newline', 'newline')
  const split = note.lastIndexOf('\n\n')
  if (split < 0) throw bad('a note needs a blank line between its text and its signatures', 'blank-line')
  const body = note.slice(0, split + 1)
  const lines = note.slice(split + 2, -1).split('\n')
  if (lines.length === 1 && lines[0] === '') throw bad('a note has no signature lines', 'no-signatures')
  if (lines.length > MAX_NOTE_SIGNATURES)
    throw bad(`a note may carry at most ${MAX_NOTE_SIGNATURES} signatures`, 'too-many-signatures')
  const signatures: NoteSignature[] = []
  const seen = new Set<string>()
  for (const line of lines) {
    if (!line.startsWith(`${EM_DASH} `)) throw bad('a signature line must start with "— "', 'signature-line')
    const rest = line.slice(2)
    const space = rest.indexOf(' ')
    const name = rest.slice(0, space)
    if (space < 0 || !isValidName(name))
      throw bad('a signature line has a malformed key name', 'signature-name')
    let raw: Uint8Array
    try {
      raw = canonicalBase64(rest.slice(space + 1))
    } catch {
      throw bad(`the signature by ${name} is not canonical base64`, 'signature-base64')
    }
    if (raw.length < 5) throw bad(`the signature by ${name} is too short`, 'signature-length')
    const keyId = raw.slice(0, 4)
    const key = `${name} ${toHex(keyId)}`
    if (seen.has(key)) throw bad(`duplicate signature by ${name}`, 'duplicate-signature')
    seen.add(key)
    signatures.push({ name, keyId, signature: raw.slice(4) })
  }
  return { body, signatures }
}

/**
 * Parses a note and checks its signature by `verifier` (name and key id must match a signature line;
 * other signers are ignored). Returns the parsed note; throws InvalidCheckpoint naming what failed.
 */
export function verifyNote(note: string, verifier: NoteVerifier): ParsedNote {
  checkVerifier(verifier?.name, verifier?.publicKey)
  const parsed = parseNote(note)
  checkSignature(parsed, verifier)
  return parsed
}

function checkSignature(parsed: ParsedNote, verifier: NoteVerifier): void {
  const id = noteKeyId(verifier.name, verifier.publicKey)
  const mine = parsed.signatures.find((s) => s.name === verifier.name && bytesEqual(s.keyId, id))
  if (!mine)
    throw new InvalidCheckpoint(
      `the note has no signature by ${verifier.name} (key id ${toHex(id).slice(2)})`,
      {
        details: { check: 'signer', name: verifier.name, keyId: toHex(id) },
      },
    )
  if (mine.signature.length !== 64 || !verify(verifier.publicKey, enc.encode(parsed.body), mine.signature))
    throw new InvalidCheckpoint(`the signature by ${verifier.name} does not verify`, {
      details: { check: 'signature', name: verifier.name },
    })
}

/**
 * The checkpoint body `origin\ntreeSize\nbase64(rootHash)\n`. Throws InvalidInput on an empty origin or
 * one with a newline or control character, a tree size outside u64, or a root that is not 32 bytes.
 *
 * @example
 * formatCheckpointBody({ origin: 'example.com/log', treeSize: 3, rootHash }) // 'example.com/log\n3\n…=\n'
 */
export function formatCheckpointBody(fields: CheckpointFields): string {
  const { origin, treeSize, rootHash } = fields ?? ({} as CheckpointFields)
  if (
    typeof origin !== 'string' ||
    origin.length === 0 ||
    origin.length > 1024 ||
    CONTROL.test(origin) ||
    origin.includes('\n') ||
    LONE_SURROGATE.test(origin)
  )
    throw new InvalidInput(
      'a checkpoint origin must be a non-empty line of text without control characters',
      { details: { origin } },
    )
  const sizeOk =
    (typeof treeSize === 'number' && Number.isSafeInteger(treeSize) && treeSize >= 0) ||
    (typeof treeSize === 'bigint' && treeSize >= 0n && treeSize < 1n << 64n)
  if (!sizeOk)
    throw new InvalidInput('a checkpoint tree size must be a u64', {
      details: { treeSize: String(treeSize) },
    })
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== 32)
    throw new InvalidInput('a checkpoint root hash must be 32 bytes')
  return `${origin}\n${treeSize.toString()}\n${toBase64(rootHash)}\n`
}

/**
 * Signs a checkpoint: returns the C2SP signed note.
 *
 * @example
 * const note = signCheckpoint({ origin, treeSize: log.size, rootHash: await log.root() }, { name: origin, secretKey: nodeKey.secretKey })
 */
export function signCheckpoint(fields: CheckpointFields, signer: NoteSigner): string {
  return signNote(formatCheckpointBody(fields), signer)
}

/**
 * Parses a checkpoint note strictly (see the module notes). Checks no signature. Throws
 * InvalidCheckpoint with `details.reason`. Tree sizes above 2^53 − 1 are refused.
 */
export function parseCheckpoint(note: string): ParsedCheckpoint {
  const parsed = parseNote(note)
  const bad = (message: string, reason: string) => new InvalidCheckpoint(message, { details: { reason } })
  const lines = parsed.body.slice(0, -1).split('\n')
  if (lines.length !== 3)
    throw bad(`a checkpoint body must have exactly 3 lines, got ${lines.length}`, 'body-lines')
  const [origin, size, root] = lines as [string, string, string]
  if (origin.length === 0) throw bad('the checkpoint origin is empty', 'origin')
  if (!DECIMAL.test(size))
    throw bad('the checkpoint tree size is not a canonical decimal number', 'tree-size')
  const big = BigInt(size)
  if (big > BigInt(Number.MAX_SAFE_INTEGER))
    throw bad('the checkpoint tree size is beyond 2^53 - 1', 'tree-size')
  let rootHash: Uint8Array
  try {
    rootHash = canonicalBase64(root)
  } catch {
    throw bad('the checkpoint root hash is not canonical base64', 'root-hash')
  }
  if (rootHash.length !== 32) throw bad('the checkpoint root hash is not 32 bytes', 'root-hash')
  return { ...parsed, origin, treeSize: Number(big), rootHash }
}

/**
 * Parses a checkpoint note and verifies its signature by `verifier`; returns the parsed checkpoint.
 * Throws InvalidCheckpoint naming what failed (`details.reason` for parsing, `details.check` for the
 * signer or the signature).
 *
 * @example
 * const cp = verifyCheckpoint(note, { name: 'example.com/log', publicKey: nodeKey })
 * cp.treeSize // 57
 */
export function verifyCheckpoint(note: string, verifier: NoteVerifier): ParsedCheckpoint {
  checkVerifier(verifier?.name, verifier?.publicKey)
  const parsed = parseCheckpoint(note)
  checkSignature(parsed, verifier)
  return parsed
}
