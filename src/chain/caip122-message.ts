/**
 * CAIP-122 sign-in messages ("Sign in with X"), of which EIP-4361 (Sign-In with Ethereum) is the
 * `eip155` instance: the same lines, with the chain's name in the header ("…with your Ethereum
 * account:") and the CAIP-2 reference as `Chain ID`. The grammar is the EIP-4361 ABNF exactly
 * (RFC 3986 scheme, authority and URIs, RFC 3339 date-times with real calendar days, the statement
 * and request-id character sets); for Ethereum the address must be EIP-55 checksummed and the chain
 * id decimal, as the ABNF says, for other chains the address is a CAIP-10 `account_address` and the
 * chain id a CAIP-2 reference. Rendering and parsing are exact inverses:
 * `parseCaip122(renderCaip122(f, n), n)` gives `f` back, and a text or a field outside the grammar
 * is refused with `InvalidSignInMessage`.
 */
import { keccak_256 } from '@noble/hashes/sha3'
import { InvalidSignInMessage } from '../core/errors.ts'

/** The fields of a CAIP-122 / EIP-4361 message. Times are RFC 3339 strings, kept verbatim. */
export interface Caip122Fields {
  /** Optional URI scheme before the domain (`https://example.com wants you…`). */
  readonly scheme?: string
  /** RFC 3986 authority that requests the sign-in. */
  readonly domain: string
  /** The account address in the chain's notation (EIP-55 for Ethereum). */
  readonly address: string
  /** One line of RFC 3986 reserved / unreserved characters and spaces (may be empty). */
  readonly statement?: string
  readonly uri: string
  /** Always `1`. */
  readonly version: string
  /** CAIP-2 reference (`1`, `31337`, `localnet`, `SN_DEVNET`…); decimal digits for Ethereum. */
  readonly chainId: string
  /** At least 8 alphanumeric characters. */
  readonly nonce: string
  readonly issuedAt: string
  readonly expirationTime?: string
  readonly notBefore?: string
  /** RFC 3986 `*pchar`. */
  readonly requestId?: string
  readonly resources?: readonly string[]
}

/** Chain names used in the header line, by CAIP-2 namespace. */
export const CHAIN_NAMES: Readonly<Record<string, string>> = Object.freeze({
  eip155: 'Ethereum',
  near: 'NEAR',
  stellar: 'Stellar',
  starknet: 'Starknet',
  icp: 'Internet Computer',
})

const HEADER = ' wants you to sign in with your '
const MAX_MESSAGE = 16_384

// ── RFC 3986 (appendix A), checked piecewise so that no pattern can backtrack badly ──────────────
const UNRESERVED = 'A-Za-z0-9\\-._~'
const SUB_DELIMS = "!$&'()*+,;="
const PCT = '%[0-9A-Fa-f]{2}'
const PCHAR = `(?:[${UNRESERVED}${SUB_DELIMS}:@]|${PCT})`
const SCHEME = /^[A-Za-z][A-Za-z0-9+\-.]*$/
const USERINFO = new RegExp(`^(?:[${UNRESERVED}${SUB_DELIMS}:]|${PCT})*$`)
const REG_NAME = new RegExp(`^(?:[${UNRESERVED}${SUB_DELIMS}]|${PCT})*$`) // IPv4address is a reg-name too
const PORT = /^[0-9]*$/
const PATH = new RegExp(`^(?:${PCHAR}|/)*$`)
const QUERY = new RegExp(`^(?:${PCHAR}|[/?])*$`) // also the fragment
const H16 = '[0-9A-Fa-f]{1,4}'
const DEC_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])'
const LS32 = `(?:${H16}:${H16}|${DEC_OCTET}(?:\\.${DEC_OCTET}){3})`
const before = (n: number) => `(?:(?:${H16}:){0,${n}}${H16})?`
const IP_LITERAL = new RegExp(
  `^\\[(?:${[
    `(?:${H16}:){6}${LS32}`,
    `::(?:${H16}:){5}${LS32}`,
    `(?:${H16})?::(?:${H16}:){4}${LS32}`,
    `${before(1)}::(?:${H16}:){3}${LS32}`,
    `${before(2)}::(?:${H16}:){2}${LS32}`,
    `${before(3)}::${H16}:${LS32}`,
    `${before(4)}::${LS32}`,
    `${before(5)}::${H16}`,
    `${before(6)}::`,
    `v[0-9A-Fa-f]+\\.[${UNRESERVED}${SUB_DELIMS}:]+`, // IPvFuture
  ].join('|')})\\]$`,
)

/** RFC 3986 `authority` (`[userinfo "@"] host [":" port]`); `requireHost` refuses an empty host. */
function isAuthority(s: string, requireHost: boolean): boolean {
  let hostPort = s
  const at = s.indexOf('@')
  if (at >= 0) {
    if (!USERINFO.test(s.slice(0, at))) return false
    hostPort = s.slice(at + 1)
  }
  let host: string
  let port = ''
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']')
    if (close < 0 || close > 100) return false
    host = hostPort.slice(0, close + 1)
    if (!IP_LITERAL.test(host)) return false
    port = hostPort.slice(close + 1)
  } else {
    const colon = hostPort.indexOf(':')
    host = colon < 0 ? hostPort : hostPort.slice(0, colon)
    if (colon >= 0) port = hostPort.slice(colon)
    if (!REG_NAME.test(host) || (requireHost && host.length === 0)) return false
  }
  return port === '' || (port.startsWith(':') && PORT.test(port.slice(1)))
}

/** RFC 3986 `URI` (`scheme ":" hier-part ["?" query] ["#" fragment]`). */
export function isRfc3986Uri(s: unknown): boolean {
  if (typeof s !== 'string') return false
  const m = /^([^:/?#]*):([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s.exec(s)
  if (!m || !SCHEME.test(m[1]!)) return false
  const hier = m[2]!
  if (m[3] !== undefined && !QUERY.test(m[3])) return false
  if (m[4] !== undefined && !QUERY.test(m[4])) return false
  if (!hier.startsWith('//')) return PATH.test(hier) // path-absolute / path-rootless / path-empty
  const rest = hier.slice(2)
  const slash = rest.indexOf('/')
  const authority = slash < 0 ? rest : rest.slice(0, slash)
  return isAuthority(authority, false) && PATH.test(slash < 0 ? '' : rest.slice(slash))
}

// ── RFC 3339 date-time (`full-date "T" full-time`), with the day checked against the month ───────
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/

/** Whether `s` is an RFC 3339 `date-time` naming a real calendar day. */
export function isRfc3339DateTime(s: unknown): boolean {
  const m = typeof s === 'string' ? DATE_TIME.exec(s) : null
  if (!m) return false
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!
  return day <= days
}

// ── addresses and chain ids ──────────────────────────────────────────────────────────────────
/** The EIP-55 mixed-case checksum form of a `0x` + 40 hex digit address (any case). */
export function eip55Address(address: string): string {
  const lower = address.slice(2).toLowerCase()
  const hash = keccak_256(new TextEncoder().encode(lower))
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!
  }
  return out
}

interface ChainGrammar {
  readonly address: (a: string) => boolean
  readonly addressName: string
  readonly chainId: RegExp
}
const ETHEREUM: ChainGrammar = {
  // EIP-4361: `"0x" 40HEXDIG`, conforming to the EIP-55 checksum; `chain-id = 1*DIGIT`.
  address: (a) => /^0x[0-9a-fA-F]{40}$/.test(a) && eip55Address(a) === a,
  addressName: 'an EIP-55 checksummed address',
  chainId: /^[0-9]+$/,
}
const GENERIC: ChainGrammar = {
  address: (a) => /^[-.%a-zA-Z0-9]{1,128}$/.test(a),
  addressName: 'a CAIP-10 account address',
  chainId: /^[-_a-zA-Z0-9]{1,32}$/, // CAIP-2 reference
}
const grammarOf = (chainName: string): ChainGrammar => (chainName === CHAIN_NAMES.eip155 ? ETHEREUM : GENERIC)

const STATEMENT = new RegExp(`^[${UNRESERVED}${SUB_DELIMS}:/?#\\[\\]@ ]*$`) // reserved / unreserved / " "
const REQUEST_ID = new RegExp(`^${PCHAR}*$`)
const NONCE = /^[a-zA-Z0-9]{8,}$/

function fail(message: string): never {
  throw new InvalidSignInMessage(message)
}

/** A required (`optional` false) or optional field: a string that passes `ok`. */
const valid = (v: unknown, ok: (s: string) => boolean, optional = false): boolean =>
  (optional && v === undefined) || (typeof v === 'string' && ok(v))

function checkFields(f: Caip122Fields, chainName: string): void {
  if (typeof f !== 'object' || f === null) fail('fields must be an object')
  const g = grammarOf(chainName)
  const regex = (r: RegExp) => (s: string) => r.test(s)
  if (!valid(f.scheme, regex(SCHEME), true)) fail('scheme is not an RFC 3986 scheme')
  if (!valid(f.domain, (d) => isAuthority(d, true))) fail('domain is not an RFC 3986 authority')
  if (!valid(f.address, g.address)) fail(`address is not ${g.addressName}`)
  if (!valid(f.statement, regex(STATEMENT), true))
    fail('statement must be one line of RFC 3986 reserved/unreserved characters and spaces')
  if (!isRfc3986Uri(f.uri)) fail('URI is not an RFC 3986 URI')
  if (f.version !== '1') fail('version must be 1')
  if (!valid(f.chainId, regex(g.chainId))) fail('chain id is not valid for this chain')
  if (!valid(f.nonce, regex(NONCE))) fail('nonce must be at least 8 alphanumeric characters')
  if (!isRfc3339DateTime(f.issuedAt)) fail('Issued At is not an RFC 3339 date-time')
  if (!valid(f.expirationTime, isRfc3339DateTime, true)) fail('Expiration Time is not an RFC 3339 date-time')
  if (!valid(f.notBefore, isRfc3339DateTime, true)) fail('Not Before is not an RFC 3339 date-time')
  if (!valid(f.requestId, regex(REQUEST_ID), true)) fail('Request ID is not RFC 3986 pchar')
  if (f.resources !== undefined && !(Array.isArray(f.resources) && f.resources.every(isRfc3986Uri)))
    fail('a resource is not an RFC 3986 URI')
}

/**
 * Renders the message text. Throws `InvalidSignInMessage` for fields outside the grammar.
 *
 * @example
 * renderCaip122({ domain: 'localhost:2528', address: '0xAb…', uri: 'http://localhost:2528', version: '1',
 *   chainId: '31337', nonce: 'q9X…', issuedAt: '2026-11-24T10:00:00.000Z' }, 'Ethereum')
 */
export function renderCaip122(f: Caip122Fields, chainName: string): string {
  checkFields(f, chainName)
  const lines = [
    `${f.scheme === undefined ? '' : `${f.scheme}://`}${f.domain}${HEADER}${chainName} account:`,
    f.address,
    '',
  ]
  if (f.statement !== undefined) lines.push(f.statement)
  lines.push('', `URI: ${f.uri}`, `Version: ${f.version}`, `Chain ID: ${f.chainId}`, `Nonce: ${f.nonce}`)
  lines.push(`Issued At: ${f.issuedAt}`)
  if (f.expirationTime !== undefined) lines.push(`Expiration Time: ${f.expirationTime}`)
  if (f.notBefore !== undefined) lines.push(`Not Before: ${f.notBefore}`)
  if (f.requestId !== undefined) lines.push(`Request ID: ${f.requestId}`)
  if (f.resources !== undefined) {
    lines.push('Resources:')
    for (const r of f.resources) lines.push(`- ${r}`)
  }
  return lines.join('\n')
}

/**
 * Parses a message text for `chainName` exactly (line by line, fields in order, no extra lines, no
 * trailing line break). Throws `InvalidSignInMessage` naming the first line that does not fit.
 *
 * @example
 * const f = parseCaip122(text, 'Ethereum'); f.nonce
 */
export function parseCaip122(text: string, chainName: string): Caip122Fields {
  if (typeof text !== 'string' || text.length > MAX_MESSAGE)
    fail('message must be a string of at most 16 KiB')
  const lines = text.split('\n')
  let i = 0
  const next = () => (i < lines.length ? lines[i++]! : fail('message ends early'))
  const header = next()
  const suffix = `${HEADER}${chainName} account:`
  if (!header.endsWith(suffix)) fail(`first line must end with "${suffix}"`)
  let domain = header.slice(0, -suffix.length)
  let scheme: string | undefined
  const sep = domain.indexOf('://')
  if (sep >= 0) {
    scheme = domain.slice(0, sep)
    domain = domain.slice(sep + 3)
  }
  const address = next()
  if (next() !== '') fail('an empty line must follow the address')
  // `[ statement LF ] LF`: a non-empty line is the statement; two empty lines are an empty statement.
  let statement: string | undefined
  if (lines[i] !== '') statement = next()
  else if (lines[i + 1] === '') statement = next()
  if (next() !== '') fail('an empty line must follow the statement')
  const tagged = (tag: string, optional: boolean): string | undefined => {
    const line = lines[i]
    if (line?.startsWith(`${tag}: `)) {
      i++
      return line.slice(tag.length + 2)
    }
    return optional ? undefined : fail(`line ${i + 1} must be "${tag}: …"`)
  }
  const uri = tagged('URI', false)!
  const version = tagged('Version', false)!
  const chainId = tagged('Chain ID', false)!
  const nonce = tagged('Nonce', false)!
  const issuedAt = tagged('Issued At', false)!
  const expirationTime = tagged('Expiration Time', true)
  const notBefore = tagged('Not Before', true)
  const requestId = tagged('Request ID', true)
  let resources: string[] | undefined
  if (lines[i] === 'Resources:') {
    i++
    resources = []
    while (i < lines.length && lines[i]!.startsWith('- ')) resources.push(lines[i++]!.slice(2))
  }
  if (i !== lines.length) fail(`unexpected line ${i + 1}`)
  const all = { scheme, domain, address, statement, uri, version, chainId, nonce, issuedAt }
  const rest = { expirationTime, notBefore, requestId, resources }
  // Absent optional fields are left out (not `undefined`), so parse(render(f)) deep-equals f.
  const f = Object.fromEntries(Object.entries({ ...all, ...rest }).filter(([, v]) => v !== undefined))
  checkFields(f as unknown as Caip122Fields, chainName)
  return f as unknown as Caip122Fields
}

/** RFC 3339 text (UTC, milliseconds) of a time in ms since epoch, as challenges render it. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString()
}

/**
 * The CAIP-122 fields of a challenge for `address` on chain reference `chainRef`.
 *
 * @example
 * renderCaip122(challengeFields(challenge, address, '31337'), 'Ethereum')
 */
export function challengeFields(
  challenge: {
    nonce: string
    domain: string
    uri: string
    statement: string
    issuedAt: number
    expiresAt: number
    notBefore?: number
    resources?: readonly string[]
  },
  address: string,
  chainRef: string,
): Caip122Fields {
  return {
    domain: challenge.domain,
    address,
    ...(challenge.statement ? { statement: challenge.statement } : {}),
    uri: challenge.uri,
    version: '1',
    chainId: chainRef,
    nonce: challenge.nonce,
    issuedAt: rfc3339(challenge.issuedAt),
    expirationTime: rfc3339(challenge.expiresAt),
    ...(challenge.notBefore === undefined ? {} : { notBefore: rfc3339(challenge.notBefore) }),
    ...(challenge.resources?.length ? { resources: challenge.resources } : {}),
  }
}
