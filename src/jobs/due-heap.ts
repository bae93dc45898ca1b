/** A binary min-heap of items ordered by due time, then by sequence number (FIFO among equals). */

/** What a {@link DueHeap} orders by. */
export interface DueItem {
  readonly dueAt: number
  readonly seq: number
}

const before = (a: DueItem, b: DueItem): boolean =>
  a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq)

/**
 * Min-heap by `(dueAt, seq)`. Items must not change their keys while inside.
 *
 * @example
 * const h = new DueHeap<{ dueAt: number; seq: number }>()
 * h.push({ dueAt: 5, seq: 1 }); h.push({ dueAt: 2, seq: 2 })
 * h.pop() // { dueAt: 2, seq: 2 }
 */
export class DueHeap<T extends DueItem> {
  private readonly items: T[] = []

  /** The earliest item, left in place. */
  peek(): T | undefined {
    return this.items[0]
  }

  /** All items, in heap (not sorted) order. */
  values(): readonly T[] {
    return this.items
  }

  push(item: T): void {
    const a = this.items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(a[i] as T, a[p] as T)) break
      ;[a[i], a[p]] = [a[p] as T, a[i] as T]
      i = p
    }
  }

  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length === 0 || last === undefined) return top
    a[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < a.length && before(a[l] as T, a[m] as T)) m = l
      if (r < a.length && before(a[r] as T, a[m] as T)) m = r
      if (m === i) return top
      ;[a[i], a[m]] = [a[m] as T, a[i] as T]
      i = m
    }
  }
}
