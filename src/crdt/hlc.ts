/**
 * Hybrid logical clock: `(wallMs, counter, node)` with a total order. The wall part follows the
 * local clock; the counter orders events within one millisecond and absorbs clock skew; the node id
 * (the author's public key) breaks the remaining ties.
 */
import { compareBytes } from '../core/bytes.ts'

/** A hybrid logical timestamp. */
export interface Hlc {
  /** Milliseconds since the epoch (a safe integer). */
  wallMs: number
  /** Logical counter within `wallMs` (u32). */
  counter: number
  /** The node (author) that issued it: 32 bytes. */
  node: Uint8Array
}

/**
 * Largest wall time a delta may carry (2^47 ms, about year 6429): far beyond any real clock, yet small
 * enough that a member who stamps a delta with it cannot push the DAG's clocks out of the safe-integer
 * range (children still have 2^32 counter values at that millisecond).
 */
export const HLC_MAX_WALL_MS = 2 ** 47

/** Largest counter value; the clock moves to the next millisecond instead of overflowing. */
export const HLC_MAX_COUNTER = 0xffff_ffff

/**
 * Compares only the time part `(wallMs, counter)`.
 *
 * @example
 * compareHlcTime({ wallMs: 1, counter: 2 }, { wallMs: 1, counter: 3 }) // -1
 */
export function compareHlcTime(
  a: Pick<Hlc, 'wallMs' | 'counter'>,
  b: Pick<Hlc, 'wallMs' | 'counter'>,
): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1
  return 0
}

/**
 * Total order over HLCs: time first, then node bytes.
 *
 * @example
 * const sorted = hlcs.sort(compareHlc)
 */
export function compareHlc(a: Hlc, b: Hlc): number {
  return compareHlcTime(a, b) || compareBytes(a.node, b.node)
}

/** The time immediately after `t` (next counter, or the next millisecond when the counter is full). */
export function nextHlcTime(t: Pick<Hlc, 'wallMs' | 'counter'>): { wallMs: number; counter: number } {
  return t.counter >= HLC_MAX_COUNTER
    ? { wallMs: t.wallMs + 1, counter: 0 }
    : { wallMs: t.wallMs, counter: t.counter + 1 }
}

/**
 * A node's clock. `now()` never goes backwards and always exceeds every time passed to `observe()`.
 *
 * @example
 * const clock = new HlcClock(nodeKey)
 * const t = clock.now(parentTimes)
 */
export class HlcClock {
  #last = { wallMs: 0, counter: 0 }
  readonly #node: Uint8Array
  readonly #wall: () => number

  /** `wall` defaults to `Date.now` (tests inject a fake clock). */
  constructor(node: Uint8Array, wall: () => number = Date.now) {
    this.#node = node
    this.#wall = wall
  }

  /** Folds a remote or parent time into the clock so that the next `now()` exceeds it. */
  observe(t: Pick<Hlc, 'wallMs' | 'counter'>): void {
    if (compareHlcTime(t, this.#last) > 0) this.#last = { wallMs: t.wallMs, counter: t.counter }
  }

  /** A fresh timestamp, greater than the previous one and than every time in `after`. */
  now(after: Iterable<Pick<Hlc, 'wallMs' | 'counter'>> = [], node: Uint8Array = this.#node): Hlc {
    for (const t of after) this.observe(t)
    const wall = Math.floor(this.#wall())
    const next = wall > this.#last.wallMs ? { wallMs: wall, counter: 0 } : nextHlcTime(this.#last)
    this.#last = next
    return { ...next, node }
  }
}
