/**
 * Persistence of the auth layer in its LevelDB section: sign-in challenges (with their single-use
 * mark), root keys, client keys and token families. Everything is also held in memory (the sets are
 * small: challenges are pruned when they expire), so a request's authorisation never waits for disk;
 * every change is written before the call that made it resolves, so a kill -9 loses nothing that was
 * answered (a used nonce stays used, a revoked family stays revoked).
 */
import type { RenderedChallenge, SignInChallenge } from '../chain/sign-in-scheme.ts'
import type { Section } from '../store/store.ts'

/** A stored challenge and whether its nonce was presented. */
export interface ChallengeRecord {
  readonly challenge: SignInChallenge
  readonly rendered: RenderedChallenge
  readonly used: boolean
}

/** A wallet account that signed in (DESIGN §3 root key). */
export interface RootKeyRecord {
  /** CAIP-10 account. */
  readonly account: string
  readonly chainId: string
  /** How the last sign-in was verified (`eoa`, `eip1271`, `nep413`…). */
  readonly method: string
  readonly publicKey?: string
  readonly permissions: readonly string[]
  readonly createdAt: number
  readonly lastSignInAt: number
  readonly revoked: boolean
}

/** An Ed25519 client key (one per device or app) created by a root key. */
export interface ClientKeyRecord {
  /** Base58 public key (also its id). */
  readonly keyId: string
  /** CAIP-10 account of the root key that created it. */
  readonly root: string
  readonly name: string
  readonly permissions: readonly string[]
  readonly createdAt: number
  readonly revoked: boolean
}

/** Who a token family belongs to. */
export type TokenSubject =
  | { readonly kind: 'root'; readonly account: string }
  | { readonly kind: 'client'; readonly keyId: string }

/** A refresh-token family: every rotation of one sign-in. */
export interface FamilyRecord {
  readonly familyId: string
  readonly subject: TokenSubject
  /** `jti` of the one refresh token that may be presented next. */
  readonly refreshJti: string
  readonly expiresAt: number
  readonly revoked: boolean
}

type Kind = 'challenge' | 'root' | 'client' | 'family'
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const encode = (v: unknown) => encoder.encode(JSON.stringify(v))

/**
 * The auth layer's state. Open with {@link AuthStore.open}.
 *
 * @example
 * const store = await AuthStore.open(section(db, 'auth'))
 * await store.putRoot({ account, … })
 */
export class AuthStore {
  readonly #section: Section
  readonly challenges = new Map<string, ChallengeRecord>()
  readonly roots = new Map<string, RootKeyRecord>()
  readonly clients = new Map<string, ClientKeyRecord>()
  readonly families = new Map<string, FamilyRecord>()

  private constructor(section: Section) {
    this.#section = section
  }

  /** Loads every record of the section into memory. */
  static async open(section: Section): Promise<AuthStore> {
    const store = new AuthStore(section)
    for await (const [key, value] of section.iterator()) {
      const sep = key.indexOf(':')
      const kind = key.slice(0, sep) as Kind
      const id = key.slice(sep + 1)
      const record = JSON.parse(decoder.decode(value))
      if (kind === 'challenge') store.challenges.set(id, record)
      else if (kind === 'root') store.roots.set(id, record)
      else if (kind === 'client') store.clients.set(id, record)
      else if (kind === 'family') store.families.set(id, record)
    }
    return store
  }

  async #put(kind: Kind, id: string, record: unknown): Promise<void> {
    await this.#section.put(`${kind}:${id}`, encode(record))
  }

  /** Stores a new challenge (unused). */
  async putChallenge(record: ChallengeRecord): Promise<void> {
    this.challenges.set(record.challenge.nonce, record)
    await this.#put('challenge', record.challenge.nonce, record)
  }

  /**
   * Marks a challenge used, synchronously in memory (so two concurrent presentations cannot both
   * claim it) and then on disk. Returns the record as it was, or undefined when unknown.
   */
  async claimChallenge(nonce: string): Promise<ChallengeRecord | undefined> {
    const record = this.challenges.get(nonce)
    if (!record || record.used) return record
    const used = { ...record, used: true }
    this.challenges.set(nonce, used)
    await this.#put('challenge', nonce, used)
    return record
  }

  /** Deletes challenges that expired before `before` (ms). Returns how many. */
  async pruneChallenges(before: number): Promise<number> {
    const dead = [...this.challenges.values()].filter((r) => r.challenge.expiresAt < before)
    if (dead.length === 0) return 0
    for (const r of dead) this.challenges.delete(r.challenge.nonce)
    await this.#section.batch(
      dead.map((r) => ({ type: 'del' as const, key: `challenge:${r.challenge.nonce}` })),
    )
    return dead.length
  }

  /** Creates or replaces a root key record. */
  async putRoot(record: RootKeyRecord): Promise<void> {
    this.roots.set(record.account, record)
    await this.#put('root', record.account, record)
  }

  /** Deletes a root key record. */
  async deleteRoot(account: string): Promise<void> {
    this.roots.delete(account)
    await this.#section.del(`root:${account}`)
  }

  /** Creates or replaces a client key record. */
  async putClient(record: ClientKeyRecord): Promise<void> {
    this.clients.set(record.keyId, record)
    await this.#put('client', record.keyId, record)
  }

  /** Creates or replaces a token family. */
  async putFamily(record: FamilyRecord): Promise<void> {
    this.families.set(record.familyId, record)
    await this.#put('family', record.familyId, record)
  }

  /** Deletes families that expired before `before` (ms). */
  async pruneFamilies(before: number): Promise<void> {
    const dead = [...this.families.values()].filter((f) => f.expiresAt < before)
    for (const f of dead) this.families.delete(f.familyId)
    if (dead.length > 0)
      await this.#section.batch(dead.map((f) => ({ type: 'del' as const, key: `family:${f.familyId}` })))
  }
}
