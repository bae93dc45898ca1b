/**
 * Sign-in with a wallet and sessions (DESIGN §3, §8). Owns what every chain shares — challenges,
 * single-use nonces, expiry, domain/URI/chain checks, root keys, client keys, tokens — and asks the
 * {@link SignInScheme} of the chain's namespace for what is chain-specific. Order of the checks of
 * `signIn`: parse the message (`InvalidSignInMessage`) → look the nonce up (`ChallengeNotFound`) →
 * claim it, single use (`NonceReused`) → chain, domain, URI, account (`ChainMismatch`, `DomainMismatch`,
 * `UriMismatch`, `MessageMismatch`) → time (`ChallengeExpired`, `ChallengeNotYetValid`) → the scheme's
 * signature check. A nonce is consumed by its first presentation, whatever the outcome.
 */
import { randomBytes } from 'node:crypto'
import { isRfc3986Uri } from '../chain/caip122-message.ts'
import type { ChainAdapter } from '../chain/chain-adapter.ts'
import type {
  RenderedChallenge,
  SignInChallenge,
  SignInContext,
  SignInProof,
  SignInScheme,
} from '../chain/sign-in-scheme.ts'
import { assertAccountOnChain } from '../chain/sign-in-support.ts'
import { toBase58 } from '../core/bytes.ts'
import type { Config } from '../core/config.ts'
import { type Ed25519KeyPair, sign } from '../core/ed25519.ts'
import {
  ChainMismatch,
  ChallengeExpired,
  ChallengeNotFound,
  ChallengeNotYetValid,
  DomainMismatch,
  InvalidInput,
  MessageMismatch,
  NonceReused,
  RateLimited,
  TooManyChallenges,
  UnsupportedChain,
  UriMismatch,
} from '../core/errors.ts'
import type { AuthStore } from './auth-store.ts'
import { CLIENT_KEY_CHAIN, clientKeySignInScheme } from './client-key-scheme.ts'
import { KeyRegistry } from './key-registry.ts'
import { type TokenPair, TokenService } from './token-service.ts'
import { bindingStatement, parseBindingResource } from './wallet-proof.ts'

/** `POST /auth/challenge` input. */
export interface ChallengeRequest {
  readonly chainId: string
  readonly account: string
  readonly format?: string
  /** The signature is not valid before this time (ms since epoch). */
  readonly notBefore?: number
  /** Extra resources the wallet signs (e.g. a wallet-binding request). */
  readonly resources?: readonly string[]
  /** Who asks (the client address), for the per-client cap on outstanding challenges. */
  readonly client?: string
}

/** `POST /auth/token` input. */
export interface SignInRequest extends SignInProof {
  readonly chainId: string
}

/** A completed sign-in. */
export interface SignInResult extends TokenPair {
  readonly account: string
  readonly method: string
  readonly permissions: readonly string[]
}

/** Options of {@link AuthService}. */
export interface AuthServiceOptions {
  readonly config: Config
  readonly store: AuthStore
  readonly nodeKey: Ed25519KeyPair
  /** Sign-in schemes by CAIP-2 namespace, loaded on first use (the CLI wires them from `adapters/`). */
  readonly schemes: ReadonlyMap<string, () => Promise<SignInScheme>>
  /** Chain adapters by CAIP-2 chain id. */
  readonly adapters: ReadonlyMap<string, ChainAdapter>
  /** `{domain, uri}` when the config does not fix them (known once the API listens). */
  readonly origin: () => { domain: string; uri: string }
  readonly now?: () => number
}

const CAIP2 = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/
const PRUNE_EVERY_MS = 60_000
/** Most unexpired, unused challenges one client address may hold. */
export const CHALLENGES_PER_CLIENT = 64
const BIND_RESOURCE = 'mero:bind:'

/** Parses `message` in the first of the scheme's formats that accepts it (the first error otherwise). */
function parseAnyFormat(scheme: SignInScheme, message: string) {
  let first: unknown
  for (const format of scheme.formats) {
    try {
      return { fields: scheme.parse(message, format), format }
    } catch (e) {
      first ??= e
    }
  }
  throw first
}

/**
 * The auth service.
 *
 * @example
 * const auth = new AuthService({ config, store, nodeKey, schemes, adapters, origin })
 * const { challenge, rendered } = await auth.challenge({ chainId: 'eip155:1', account })
 */
export class AuthService {
  readonly tokens: TokenService
  readonly keys: KeyRegistry
  readonly #o: AuthServiceOptions
  readonly #now: () => number
  readonly #schemes: Map<string, () => Promise<SignInScheme>>
  readonly #loaded = new Map<string, Promise<SignInScheme>>()
  #lastPrune = 0
  /** client → nonces of its challenges still outstanding (memory only: a restart forgets the counts). */
  readonly #byClient = new Map<string, Set<string>>()

  constructor(options: AuthServiceOptions) {
    this.#o = options
    this.#now = options.now ?? Date.now
    this.#schemes = new Map([...options.schemes, ['mero', async () => clientKeySignInScheme]])
    const { auth } = options.config
    this.tokens = new TokenService(
      options.nodeKey.secretKey,
      options.store,
      { accessSec: auth.accessTokenSec, refreshSec: auth.refreshTokenSec },
      toBase58(options.nodeKey.publicKey),
      this.#now,
    )
    this.keys = new KeyRegistry(options.store, this.tokens, auth, this.#now)
  }

  /** Namespaces with a sign-in scheme (wallet chains; `mero` is client keys). */
  get namespaces(): string[] {
    return [...this.#schemes.keys()]
  }

  /**
   * `account` (CAIP-10) as its root key is recorded (e.g. an EIP-55 address for any case of it); as
   * given when no scheme reads it.
   */
  async canonicalAccount(account: string): Promise<string> {
    const [ns, ref] = account.split(':')
    try {
      return (await this.scheme(`${ns}:${ref}`)).normalizeAccount(account)
    } catch {
      return account
    }
  }

  /** The sign-in scheme of a chain id's namespace. Throws `InvalidInput` / `UnsupportedChain`. */
  async scheme(chainId: string): Promise<SignInScheme> {
    if (typeof chainId !== 'string' || !CAIP2.test(chainId))
      throw new InvalidInput('chainId must be a CAIP-2 id such as eip155:1')
    const ns = chainId.split(':')[0]!
    const load = this.#schemes.get(ns)
    if (!load)
      throw new UnsupportedChain(`no sign-in for ${chainId}`, { details: { supported: this.namespaces } })
    let p = this.#loaded.get(ns)
    if (!p) {
      p = load()
      this.#loaded.set(ns, p)
    }
    return p
  }

  /** The context a scheme gets for `chainId`. */
  context(chainId: string): SignInContext {
    const adapter = this.#o.adapters.get(chainId)
    const key = this.#o.nodeKey
    return {
      ...(adapter ? { adapter } : {}),
      server: { publicKey: key.publicKey, sign: (m) => sign(key.secretKey, m) },
      now: this.#now,
    }
  }

  #origin(): { domain: string; uri: string } {
    const { domain, uri } = this.#o.config.auth
    const fallback = domain === undefined || uri === undefined ? this.#o.origin() : undefined
    const d = domain ?? fallback!.domain
    return { domain: d, uri: uri ?? (domain === undefined ? fallback!.uri : `http://${d}`) }
  }

  async #prune(): Promise<void> {
    const now = this.#now()
    if (now - this.#lastPrune < PRUNE_EVERY_MS) return
    this.#lastPrune = now
    // Used or expired challenges are kept one extra TTL so a replay still reads NonceReused/ChallengeExpired.
    await this.#o.store.pruneChallenges(now - this.#o.config.auth.challengeTtlMs)
    await this.#o.store.pruneFamilies(now)
    await this.keys.pruneIdleRoots()
    for (const [client, nonces] of this.#byClient) {
      this.#dropSettled(nonces, now)
      if (nonces.size === 0) this.#byClient.delete(client)
    }
  }

  /** Removes from `nonces` the challenges that were used, expired or pruned. */
  #dropSettled(nonces: Set<string>, now: number): void {
    for (const n of nonces) {
      const r = this.#o.store.challenges.get(n)
      if (!r || r.used || r.challenge.expiresAt < now) nonces.delete(n)
    }
  }

  /** Challenges neither used nor expired. */
  #pending(now: number): number {
    let n = 0
    for (const r of this.#o.store.challenges.values()) if (!r.used && r.challenge.expiresAt >= now) n++
    return n
  }

  /** Issues a challenge for `account` on `chainId`, rendered as that chain's wallets sign it. */
  async challenge(
    request: ChallengeRequest,
  ): Promise<{ challenge: SignInChallenge; rendered: RenderedChallenge; format: string }> {
    const scheme = await this.scheme(request.chainId)
    const account = scheme.normalizeAccount(request.account)
    assertAccountOnChain(account, request.chainId)
    const format = request.format ?? scheme.formats[0]!
    if (!scheme.formats.includes(format))
      throw new InvalidInput(`format must be one of ${scheme.formats.join(', ')}`, {
        details: { formats: scheme.formats },
      })
    await this.#prune()
    const now = this.#now()
    const client = request.client ?? ''
    const mine = this.#byClient.get(client) ?? new Set<string>()
    this.#dropSettled(mine, now)
    if (mine.size >= CHALLENGES_PER_CLIENT) {
      let first = Number.POSITIVE_INFINITY
      for (const n of mine)
        first = Math.min(first, this.#o.store.challenges.get(n)?.challenge.expiresAt ?? now)
      throw new RateLimited(
        `at most ${CHALLENGES_PER_CLIENT} outstanding sign-in challenges per client address; retry when one expires`,
        { details: { max: CHALLENGES_PER_CLIENT, retryAfterMs: Math.max(0, first - now) + 1 } },
      )
    }
    if (this.#pending(now) >= this.#o.config.auth.maxChallenges)
      throw new TooManyChallenges('too many outstanding sign-in challenges')
    // Every chain's message names resources as URIs (CAIP-122); refuse the rest for all, not per scheme.
    const notUri = (request.resources ?? []).filter((r) => !isRfc3986Uri(r))
    if (notUri.length > 0)
      throw new InvalidInput('every resource must be an RFC 3986 URI', {
        details: { resources: notUri.slice(0, 8).map((r) => String(r).slice(0, 200)) },
      })
    // A wallet-binding challenge says so in its statement (one binding per challenge).
    const bindings = (request.resources ?? []).filter((r) => r.startsWith(BIND_RESOURCE))
    if (bindings.length > 1) throw new InvalidInput('one mero:bind resource per challenge')
    const binding = bindings[0] === undefined ? undefined : parseBindingResource(bindings[0])
    if (bindings[0] !== undefined && !binding)
      throw new InvalidInput('a binding resource is mero:bind:<contextId base58>:<identity base58>')
    const expiresAt = now + this.#o.config.auth.challengeTtlMs
    if (request.notBefore !== undefined && (request.notBefore < 0 || request.notBefore >= expiresAt))
      throw new InvalidInput('notBefore must fall before the challenge expires')
    const challenge: SignInChallenge = {
      nonce: toBase58(randomBytes(32)),
      chainId: request.chainId,
      account,
      ...this.#origin(),
      statement: binding
        ? bindingStatement(binding.contextId, binding.identity)
        : this.#o.config.auth.statement,
      issuedAt: now,
      expiresAt,
      ...(request.notBefore === undefined ? {} : { notBefore: request.notBefore }),
      ...(format === scheme.formats[0] ? {} : { format }),
      ...(request.resources?.length ? { resources: [...request.resources] } : {}),
    }
    const rendered = await scheme.render(challenge, this.context(request.chainId))
    await this.#o.store.putChallenge({ challenge, rendered, used: false })
    mine.add(challenge.nonce)
    this.#byClient.set(client, mine)
    return { challenge, rendered, format }
  }

  /**
   * Checks a signed challenge and returns the verified account and challenge (the nonce is consumed).
   * Used by {@link AuthService.signIn} and by wallet binding.
   */
  async verifySigned(request: SignInRequest) {
    const scheme = await this.scheme(request.chainId)
    if (typeof request.message !== 'string') throw new InvalidInput('message must be a string')
    const { fields, format } = parseAnyFormat(scheme, request.message)
    const record = await this.#o.store.claimChallenge(fields.nonce)
    if (!record) throw new ChallengeNotFound('no challenge with that nonce was issued by this node')
    if (record.used) throw new NonceReused('this challenge nonce was already presented')
    const ch = record.challenge
    if (format !== (ch.format ?? scheme.formats[0]))
      throw new MessageMismatch(`the challenge was issued as ${ch.format}`)
    if (ch.chainId !== request.chainId || fields.chainId !== ch.chainId)
      throw new ChainMismatch(`the challenge is for ${ch.chainId}`, { details: { chainId: ch.chainId } })
    if (fields.domain !== ch.domain) throw new DomainMismatch(`the message must name domain ${ch.domain}`)
    if (fields.uri !== ch.uri) throw new UriMismatch(`the message must name URI ${ch.uri}`)
    if (fields.account !== ch.account) throw new MessageMismatch('the message names another account')
    const now = this.#now()
    if (now > ch.expiresAt)
      throw new ChallengeExpired('the challenge expired', { details: { expiresAt: ch.expiresAt } })
    if (ch.notBefore !== undefined && now < ch.notBefore)
      throw new ChallengeNotYetValid('the challenge is not valid yet', {
        details: { notBefore: ch.notBefore },
      })
    const verified = await scheme.verify(ch, record.rendered, request, this.context(ch.chainId))
    return { verified, challenge: ch, rendered: record.rendered }
  }

  /** `POST /auth/token`: verifies a signed challenge and starts a session. */
  async signIn(request: SignInRequest): Promise<SignInResult> {
    const { verified, challenge } = await this.verifySigned(request)
    if (challenge.resources?.some((r) => r.startsWith(BIND_RESOURCE)))
      throw new MessageMismatch('a wallet-binding challenge cannot start a session')
    if (request.chainId === CLIENT_KEY_CHAIN) {
      const keyId = verified.account.slice(CLIENT_KEY_CHAIN.length + 1)
      const permissions = this.keys.clientPermissions(keyId)
      const pair = await this.tokens.issue({ kind: 'client', keyId }, permissions)
      return { ...pair, account: verified.account, method: verified.method, permissions }
    }
    const root = await this.keys.recordSignIn(request.chainId, verified)
    const subject = { kind: 'root', account: root.account } as const
    const permissions = this.keys.currentPermissions(subject)
    const pair = await this.tokens.issue(subject, permissions)
    return { ...pair, account: root.account, method: verified.method, permissions }
  }

  /** `POST /auth/refresh`: rotates a refresh token. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    return this.tokens.refresh(refreshToken, (s) => this.keys.currentPermissions(s))
  }
}
