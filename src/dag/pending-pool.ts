/**
 * Items (deltas or membership ops) held until what they wait for arrives, bounded in number.
 * Waits are opaque strings (e.g. `d:<delta id>`, `m:<op id>`, `c:<context id>`).
 */

interface Held<T> {
  item: T
  waits: Set<string>
}

/**
 * A bounded pool of items waiting on ids.
 *
 * @example
 * const pool = new PendingPool<Delta>(10_000)
 * pool.hold(idHex, delta, ['d:' + parentHex])
 * for (const d of pool.arrived('d:' + parentHex)) retry(d)
 */
export class PendingPool<T> {
  readonly #limit: number
  readonly #held = new Map<string, Held<T>>()
  readonly #waiters = new Map<string, Set<string>>()

  constructor(limit: number) {
    this.#limit = limit
  }

  /** Number of held items. */
  get size(): number {
    return this.#held.size
  }

  /** True when an item with this id is held. */
  has(id: string): boolean {
    return this.#held.has(id)
  }

  /** True when the pool is at its limit. */
  get full(): boolean {
    return this.#held.size >= this.#limit
  }

  /** Every wait some held item still has (callers filter out what is itself held to know what to fetch). */
  waits(): string[] {
    return [...this.#waiters.keys()]
  }

  /** Holds `item` until every wait arrived; returns false (and holds nothing) when the pool is full. */
  hold(id: string, item: T, waits: readonly string[]): boolean {
    if (this.#held.has(id)) this.#remove(id)
    else if (this.#held.size >= this.#limit) return false
    const held: Held<T> = { item, waits: new Set(waits) }
    this.#held.set(id, held)
    for (const w of held.waits) {
      let set = this.#waiters.get(w)
      if (!set) {
        set = new Set()
        this.#waiters.set(w, set)
      }
      set.add(id)
    }
    return true
  }

  /** Marks `wait` as arrived; removes and returns the items that now wait on nothing. */
  arrived(wait: string): { id: string; item: T }[] {
    const ids = this.#waiters.get(wait)
    if (!ids) return []
    this.#waiters.delete(wait)
    const out: { id: string; item: T }[] = []
    for (const id of ids) {
      const held = this.#held.get(id)
      if (!held) continue
      held.waits.delete(wait)
      if (held.waits.size === 0) {
        this.#held.delete(id)
        out.push({ id, item: held.item })
      }
    }
    return out
  }

  /** Removes and returns the ids of the items waiting on `wait` (it will never arrive). */
  discard(wait: string): string[] {
    const ids = [...(this.#waiters.get(wait) ?? [])]
    for (const id of ids) this.#remove(id)
    return ids
  }

  /** Drops a held item (e.g. found invalid). */
  drop(id: string): void {
    this.#remove(id)
  }

  #remove(id: string): void {
    const held = this.#held.get(id)
    if (!held) return
    this.#held.delete(id)
    for (const w of held.waits) {
      const set = this.#waiters.get(w)
      set?.delete(id)
      if (set && set.size === 0) this.#waiters.delete(w)
    }
  }
}
