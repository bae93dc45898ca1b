/**
 * JWT access and refresh tokens (DESIGN §8) with `jose`: HS256 under a key derived from the node's
 * secret (HKDF-SHA256, info `mero auth tokens v1`), so no extra secret file exists and a restart keeps
 * tokens valid. Access tokens (1 h) carry the subject, its permissions and the family id; refresh
 * tokens (30 d) carry only the family id and a `jti`. Every refresh rotates: the family remembers the
 * one `jti` that may come next; presenting any other refresh token of the family (a used one) revokes
 * the whole family (`RefreshTokenReused`). Revocation is immediate: every check consults the family.
 */
import { hkdfSync, randomBytes } from 'node:crypto'
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { toBase58 } from '../core/bytes.ts'
import { RefreshTokenReused, TokenInvalid, TokenRevoked } from '../core/errors.ts'
import type { AuthStore, FamilyRecord, TokenSubject } from './auth-store.ts'

/** Lifetimes of {@link TokenService} tokens, seconds. */
export interface TokenLifetimes {
  readonly accessSec: number
  readonly refreshSec: number
}

/** A freshly issued token pair. */
export interface TokenPair {
  readonly accessToken: string
  readonly refreshToken: string
  readonly tokenType: 'Bearer'
  /** Access token lifetime, seconds. */
  readonly expiresIn: number
  readonly refreshExpiresIn: number
  readonly familyId: string
}

/** What a verified access token says. */
export interface AccessClaims {
  readonly subject: TokenSubject
  readonly permissions: readonly string[]
  readonly familyId: string
  /** When the access token expires, ms since epoch. */
  readonly expiresAt: number
}

const ISSUER = 'mero'
const ALG = 'HS256'
const subjectText = (s: TokenSubject) => (s.kind === 'root' ? `root:${s.account}` : `client:${s.keyId}`)

function parseSubject(sub: unknown): TokenSubject {
  if (typeof sub === 'string' && sub.startsWith('root:')) return { kind: 'root', account: sub.slice(5) }
  if (typeof sub === 'string' && sub.startsWith('client:')) return { kind: 'client', keyId: sub.slice(7) }
  throw new TokenInvalid('token subject is malformed')
}

/**
 * Issues, verifies, rotates and revokes tokens.
 *
 * @example
 * const tokens = new TokenService(nodeSecret, store, { accessSec: 3600, refreshSec: 2_592_000 })
 * const pair = await tokens.issue({ kind: 'root', account }, ['context:create'])
 */
export class TokenService {
  readonly #key: Uint8Array
  readonly #store: AuthStore
  readonly #life: TokenLifetimes
  readonly #audience: string
  readonly #now: () => number

  constructor(
    nodeSecret: Uint8Array,
    store: AuthStore,
    life: TokenLifetimes,
    audience: string,
    now = Date.now,
  ) {
    this.#key = new Uint8Array(hkdfSync('sha256', nodeSecret, new Uint8Array(0), 'mero auth tokens v1', 32))
    this.#store = store
    this.#life = life
    this.#audience = audience
    this.#now = now
  }

  async #sign(
    claims: Record<string, unknown>,
    subject: TokenSubject,
    lifeSec: number,
    jti = toBase58(randomBytes(16)),
  ): Promise<string> {
    const iat = Math.floor(this.#now() / 1000)
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(this.#audience)
      .setSubject(subjectText(subject))
      .setIssuedAt(iat)
      .setExpirationTime(iat + lifeSec)
      .setJti(jti)
      .sign(this.#key)
  }

  async #pair(family: FamilyRecord, permissions: readonly string[], refreshJti: string): Promise<TokenPair> {
    const accessToken = await this.#sign(
      { typ: 'access', fam: family.familyId, perm: permissions },
      family.subject,
      this.#life.accessSec,
    )
    const refreshToken = await this.#sign(
      { typ: 'refresh', fam: family.familyId },
      family.subject,
      this.#life.refreshSec,
      refreshJti,
    )
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.#life.accessSec,
      refreshExpiresIn: this.#life.refreshSec,
      familyId: family.familyId,
    }
  }

  /** Starts a new family for `subject` and returns its first token pair. */
  async issue(subject: TokenSubject, permissions: readonly string[]): Promise<TokenPair> {
    const family: FamilyRecord = {
      familyId: toBase58(randomBytes(16)),
      subject,
      refreshJti: toBase58(randomBytes(16)),
      expiresAt: this.#now() + this.#life.refreshSec * 1000,
      revoked: false,
    }
    await this.#store.putFamily(family)
    return this.#pair(family, permissions, family.refreshJti)
  }

  async #verify(token: string, typ: 'access' | 'refresh') {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192)
      throw new TokenInvalid('token missing or too long')
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, this.#key, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: this.#audience,
        currentDate: new Date(this.#now()),
      }))
    } catch (e) {
      const why = e instanceof joseErrors.JWTExpired ? 'token expired' : 'token does not verify'
      throw new TokenInvalid(why)
    }
    if (payload.typ !== typ) throw new TokenInvalid(`expected a ${typ} token`)
    const family = typeof payload.fam === 'string' ? this.#store.families.get(payload.fam) : undefined
    if (!family) throw new TokenRevoked('the token family no longer exists')
    if (family.revoked) throw new TokenRevoked('the token family was revoked')
    const subject = parseSubject(payload.sub)
    if (subjectText(subject) !== subjectText(family.subject)) throw new TokenInvalid('token subject mismatch')
    return { payload, family, subject }
  }

  /** Verifies an access token (signature, expiry, type, family not revoked). Throws `TokenInvalid` / `TokenRevoked`. */
  async verifyAccess(token: string): Promise<AccessClaims> {
    const { payload, family, subject } = await this.#verify(token, 'access')
    const perm = payload.perm
    if (!Array.isArray(perm) || !perm.every((p) => typeof p === 'string'))
      throw new TokenInvalid('token permissions are malformed')
    return { subject, permissions: perm, familyId: family.familyId, expiresAt: Number(payload.exp) * 1000 }
  }

  /**
   * Rotates a refresh token: returns a new pair with `permissions` (computed by the caller from the
   * subject's current record). A refresh token that is not the family's current one revokes the family.
   */
  async refresh(
    token: string,
    permissionsOf: (subject: TokenSubject) => readonly string[],
  ): Promise<TokenPair> {
    const { payload, family } = await this.#verify(token, 'refresh')
    if (payload.jti !== family.refreshJti) {
      await this.#store.putFamily({ ...family, revoked: true })
      throw new RefreshTokenReused(
        'this refresh token was already used; every token of its sign-in is revoked',
        {
          details: { familyId: family.familyId },
        },
      )
    }
    const permissions = permissionsOf(family.subject) // throws when the subject was revoked
    const next = {
      ...family,
      refreshJti: toBase58(randomBytes(16)),
      expiresAt: this.#now() + this.#life.refreshSec * 1000,
    }
    await this.#store.putFamily(next)
    return this.#pair(next, permissions, next.refreshJti)
  }

  /** Revokes one family (logout). */
  async revokeFamily(familyId: string): Promise<void> {
    const family = this.#store.families.get(familyId)
    if (family && !family.revoked) await this.#store.putFamily({ ...family, revoked: true })
  }

  /** True while the family exists and is not revoked (live sessions such as websockets re-check it). */
  isLive(familyId: string): boolean {
    const f = this.#store.families.get(familyId)
    return f !== undefined && !f.revoked
  }

  /** True when some live family belongs to a subject matching `match`. */
  hasLiveFamily(match: (s: TokenSubject) => boolean): boolean {
    for (const f of this.#store.families.values()) if (!f.revoked && match(f.subject)) return true
    return false
  }

  /** Revokes every family of a subject (its key was revoked). */
  async revokeSubject(match: (s: TokenSubject) => boolean): Promise<void> {
    for (const f of [...this.#store.families.values()])
      if (!f.revoked && match(f.subject)) await this.#store.putFamily({ ...f, revoked: true })
  }
}
