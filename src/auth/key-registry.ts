/**
 * Root keys and client keys (DESIGN §3): a wallet account that signed in is a root key with
 * permissions (`auth.admins` get `admin`, any other wallet `auth.signInPermissions`, and an operator
 * changes them); a root key creates Ed25519 client keys, one per device or app, each with
 * permissions within its root's. A client key's request is allowed only when both the client key's
 * and its root's current permissions cover it, so revoking or narrowing a root takes effect at once
 * for every client key under it. Revoking a key revokes every token family of it.
 */
import type { VerifiedSignIn } from '../chain/sign-in-scheme.ts'
import { fromBase58 } from '../core/bytes.ts'
import type { Config } from '../core/config.ts'
import { Forbidden, InvalidInput, TokenRevoked, UnknownKey } from '../core/errors.ts'
import type { AuthStore, ClientKeyRecord, RootKeyRecord, TokenSubject } from './auth-store.ts'
import { normalizePermissions, type Permission, PermissionSet } from './permissions.ts'
import type { TokenService } from './token-service.ts'

/** Who is making a request. */
export type Principal =
  /** The node's admin bearer token. */
  | { readonly kind: 'admin' }
  | { readonly kind: 'root'; readonly account: string; readonly familyId: string; readonly expiresAt: number }
  | {
      readonly kind: 'client'
      readonly keyId: string
      readonly root: string
      readonly familyId: string
      readonly expiresAt: number
    }

/** The wallet (root key account) behind a principal: itself, or a client key's root; none for the admin token. */
export function rootAccountOf(p: Principal): string | undefined {
  return p.kind === 'root' ? p.account : p.kind === 'client' ? p.root : undefined
}

/** `POST /auth/keys` input. */
export interface NewClientKey {
  /** Base58 Ed25519 public key (the device keeps the secret). */
  readonly publicKey: string
  readonly name: string
  readonly permissions: readonly string[]
}

const sets = new WeakMap<object, PermissionSet>()
function setOf(record: { permissions: readonly string[] }): PermissionSet {
  let s = sets.get(record)
  if (!s) {
    s = new PermissionSet(record.permissions)
    sets.set(record, s)
  }
  return s
}

/**
 * The registry of root and client keys.
 *
 * @example
 * registry.allows(principal, 'context:create')
 */
export class KeyRegistry {
  readonly #store: AuthStore
  readonly #tokens: TokenService
  readonly #auth: Config['auth']
  readonly #now: () => number

  constructor(store: AuthStore, tokens: TokenService, auth: Config['auth'], now: () => number) {
    this.#store = store
    this.#tokens = tokens
    this.#auth = auth
    this.#now = now
    normalizePermissions(auth.signInPermissions) // fail fast on a bad config
  }

  /** Creates or refreshes the root key of a verified wallet sign-in. Throws `Forbidden` for a revoked root. */
  async recordSignIn(chainId: string, verified: VerifiedSignIn): Promise<RootKeyRecord> {
    const now = this.#now()
    const old = this.#store.roots.get(verified.account)
    if (old?.revoked) throw new Forbidden('this wallet account was revoked on this node')
    // `auth.admins` is applied when permissions are read, so removing a wallet from it demotes it.
    const permissions = [...(old?.permissions ?? normalizePermissions(this.#auth.signInPermissions))]
    const record: RootKeyRecord = {
      account: verified.account,
      chainId,
      method: verified.method,
      ...(verified.publicKey === undefined ? {} : { publicKey: verified.publicKey }),
      permissions,
      createdAt: old?.createdAt ?? now,
      lastSignInAt: now,
      revoked: false,
    }
    await this.#store.putRoot(record)
    return record
  }

  #root(account: string): RootKeyRecord {
    const r = this.#store.roots.get(account)
    if (!r) throw new UnknownKey(`no root key ${account}`)
    if (r.revoked) throw new TokenRevoked('the root key was revoked')
    return r
  }

  #client(keyId: string): ClientKeyRecord {
    const c = this.#store.clients.get(keyId)
    if (!c) throw new UnknownKey(`no client key ${keyId}`)
    if (c.revoked) throw new TokenRevoked('the client key was revoked')
    this.#root(c.root)
    return c
  }

  /** A client key's permissions (it and its root must be live). */
  clientPermissions(keyId: string): readonly string[] {
    return this.#client(keyId).permissions
  }

  #isAdmin(account: string): boolean {
    return this.#auth.admins.includes(account)
  }

  /** A root's permissions now: its record's, plus `admin` while it is listed in `auth.admins`. */
  rootPermissions(account: string): readonly string[] {
    const r = this.#root(account)
    return this.#isAdmin(account) && !r.permissions.includes('admin')
      ? ['admin', ...r.permissions]
      : r.permissions
  }

  /** The current permissions of a token subject; throws `TokenRevoked` / `UnknownKey` when it is gone. */
  currentPermissions(subject: TokenSubject): readonly string[] {
    return subject.kind === 'root'
      ? this.rootPermissions(subject.account)
      : this.clientPermissions(subject.keyId)
  }

  /** Resolves a token subject to a principal (checking it is live). */
  principalOf(subject: TokenSubject, familyId: string, expiresAt: number): Principal {
    if (subject.kind === 'root')
      return { kind: 'root', account: this.#root(subject.account).account, familyId, expiresAt }
    const c = this.#client(subject.keyId)
    return { kind: 'client', keyId: c.keyId, root: c.root, familyId, expiresAt }
  }

  /** True when `principal` may do `required` now (a client key needs its root to allow it too). */
  allows(principal: Principal, required: string | Permission): boolean {
    if (principal.kind === 'admin') return true
    const account = principal.kind === 'root' ? principal.account : principal.root
    const root = this.#store.roots.get(account)
    if (!root || root.revoked) return false
    if (!this.#isAdmin(account) && !setOf(root).allows(required)) return false
    if (principal.kind === 'root') return true
    const c = this.#store.clients.get(principal.keyId)
    return c !== undefined && !c.revoked && setOf(c).allows(required)
  }

  /** Registers a client key for a root key. Its permissions must lie within the root's (`Forbidden`). */
  async createClientKey(rootAccount: string, key: NewClientKey): Promise<ClientKeyRecord> {
    const root = this.#root(rootAccount)
    fromBase58(key.publicKey, 32, 'publicKey')
    if (typeof key.name !== 'string' || key.name.length === 0 || key.name.length > 128)
      throw new InvalidInput('name must be 1–128 characters')
    const permissions = normalizePermissions(key.permissions)
    const outside = this.#isAdmin(rootAccount) ? [] : permissions.filter((p) => !setOf(root).allows(p))
    if (outside.length > 0)
      throw new Forbidden('a client key cannot get permissions its root key lacks', { details: { outside } })
    const old = this.#store.clients.get(key.publicKey)
    if (old && (old.root !== rootAccount || old.revoked))
      throw new Forbidden('that public key is already registered (or was revoked); use a new key')
    const record: ClientKeyRecord = {
      keyId: key.publicKey,
      root: rootAccount,
      name: key.name,
      permissions,
      createdAt: old?.createdAt ?? this.#now(),
      revoked: false,
    }
    await this.#store.putClient(record)
    return record
  }

  /** Client keys of one root key, or of every root when `rootAccount` is undefined. */
  listClientKeys(rootAccount?: string): ClientKeyRecord[] {
    return [...this.#store.clients.values()].filter(
      (c) => rootAccount === undefined || c.root === rootAccount,
    )
  }

  /** Revokes a client key and its tokens; with `byRoot`, only that root's own keys (`UnknownKey` otherwise). */
  async revokeClientKey(keyId: string, byRoot?: string): Promise<void> {
    const c = this.#store.clients.get(keyId)
    if (!c || (byRoot !== undefined && c.root !== byRoot)) throw new UnknownKey(`no client key ${keyId}`)
    if (!c.revoked) await this.#store.putClient({ ...c, revoked: true })
    await this.#tokens.revokeSubject((s) => s.kind === 'client' && s.keyId === keyId)
  }

  /** Every root key. */
  listRootKeys(): RootKeyRecord[] {
    return [...this.#store.roots.values()]
  }

  /** Replaces a root key's permissions (operator). */
  async setRootPermissions(account: string, permissions: readonly string[]): Promise<RootKeyRecord> {
    const r = this.#store.roots.get(account)
    if (!r) throw new UnknownKey(`no root key ${account}`)
    const next = { ...r, permissions: normalizePermissions(permissions) }
    await this.#store.putRoot(next)
    return next
  }

  /** Adds one permission to a root key (e.g. `context[<id>]` for a context it created). */
  async grantRoot(account: string, permission: string): Promise<void> {
    const r = this.#root(account)
    if (!setOf(r).allows(permission)) await this.setRootPermissions(account, [...r.permissions, permission])
  }

  /**
   * Forgets root keys that hold nothing: no permissions, not an admin, no client key and no live session
   * (wallets that only signed in). Revoked roots are kept, so a revocation stays in force.
   */
  async pruneIdleRoots(): Promise<void> {
    const withClients = new Set([...this.#store.clients.values()].map((c) => c.root))
    for (const r of [...this.#store.roots.values()])
      if (
        !r.revoked &&
        r.permissions.length === 0 &&
        !this.#isAdmin(r.account) &&
        !withClients.has(r.account) &&
        !this.#tokens.hasLiveFamily((s) => s.kind === 'root' && s.account === r.account)
      )
        await this.#store.deleteRoot(r.account)
  }

  /** Revokes a root key, every client key under it, and all their tokens. */
  async revokeRootKey(account: string): Promise<void> {
    const r = this.#store.roots.get(account)
    if (!r) throw new UnknownKey(`no root key ${account}`)
    if (!r.revoked) await this.#store.putRoot({ ...r, revoked: true })
    for (const c of this.listClientKeys(account)) await this.revokeClientKey(c.keyId)
    await this.#tokens.revokeSubject((s) => s.kind === 'root' && s.account === account)
  }
}
