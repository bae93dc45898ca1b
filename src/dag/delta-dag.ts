/**
 * The in-memory index of one context's delta DAG: which deltas are known (with the facts later
 * validation needs), and the heads (known deltas without known children).
 */

/** What the DAG remembers of an applied delta. */
export interface DeltaMeta {
  /** Position in this node's apply order (also its storage key). */
  seq: number
  wallMs: number
  counter: number
  /** Sorted hex membership heads joined by `,` (interned: many deltas share one). */
  membershipHeads: string
}

/**
 * Known deltas and heads of one context.
 *
 * @example
 * const dag = new DeltaDag()
 * dag.add(idHex, parentsHex, meta)
 * dag.heads() // sorted hex ids
 */
export class DeltaDag {
  readonly #known = new Map<string, DeltaMeta>()
  readonly #heads = new Set<string>()
  readonly #interned = new Map<string, string>()

  /** Number of known deltas. */
  get size(): number {
    return this.#known.size
  }

  /** True when the delta is known. */
  has(idHex: string): boolean {
    return this.#known.has(idHex)
  }

  /** Facts about a known delta. */
  get(idHex: string): DeltaMeta | undefined {
    return this.#known.get(idHex)
  }

  /** Parents (hex) that are not known. */
  missing(parentsHex: readonly string[]): string[] {
    return parentsHex.filter((p) => !this.#known.has(p))
  }

  /** Heads, sorted hex. */
  heads(): string[] {
    return [...this.#heads].sort()
  }

  /** Number of heads. */
  get headCount(): number {
    return this.#heads.size
  }

  /** Records a delta whose parents are all known. */
  add(idHex: string, parentsHex: readonly string[], meta: DeltaMeta): void {
    let mh = this.#interned.get(meta.membershipHeads)
    if (mh === undefined) {
      mh = meta.membershipHeads
      this.#interned.set(mh, mh)
    }
    this.#known.set(idHex, { ...meta, membershipHeads: mh })
    for (const p of parentsHex) this.#heads.delete(p)
    this.#heads.add(idHex)
  }

  /** Replaces the head set (used when loading persisted heads). */
  setHeads(headsHex: Iterable<string>): void {
    this.#heads.clear()
    for (const h of headsHex) this.#heads.add(h)
  }
}
