/**
 * The timing loop of the sign-in benchmarks: operations per second of several steps, measured in
 * alternating slices so that all of them see the same machine load (this machine's speed drifts
 * within seconds, LIMITS.md).
 */

/** One measured operation; `i` counts its calls (to pick a prepared input). May return a promise. */
export type RateStep = (i: number) => unknown

/** Options of {@link alternatingRates}. */
export interface AlternatingRatesOptions {
  /** How long each step runs in all, ms (default 1000). */
  readonly minMs?: number
  /** How long each step runs in one turn, ms (default 100). */
  readonly sliceMs?: number
}

/**
 * Operations per second of each step: after one untimed warm-up slice each, the steps run in turn,
 * `sliceMs` at a time, until each ran `minMs`. A synchronous step pays no `await`.
 *
 * @example
 * const [schemeRate, primitiveRate] = await alternatingRates([(i) => verify(i), (i) => recover(i)])
 */
export async function alternatingRates(
  steps: readonly RateStep[],
  options: AlternatingRatesOptions = {},
): Promise<number[]> {
  const minMs = options.minMs ?? 1000
  const sliceMs = options.sliceMs ?? 100
  const count = steps.map(() => 0)
  const spent = steps.map(() => 0)
  /** Runs `step` in batches of 16 for at least `ms`; returns the calls made and the time taken. */
  const slice = async (step: RateStep, first: number, ms: number) => {
    const start = performance.now()
    let n = 0
    do
      for (let j = 0; j < 16; j++) {
        const r = step(first + n++)
        if (r instanceof Promise) await r
      }
    while (performance.now() - start < ms)
    return { n, ms: performance.now() - start }
  }
  for (const step of steps) await slice(step, 0, sliceMs) // warm-up
  while (spent.some((ms) => ms < minMs))
    for (const [k, step] of steps.entries()) {
      const done = await slice(step, count[k]!, sliceMs)
      count[k]! += done.n
      spent[k]! += done.ms
    }
  return count.map((n, k) => (n * 1000) / spent[k]!)
}
