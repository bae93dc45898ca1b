/**
 * Test helper: cleanups that run in reverse order of registration, like a `defer` stack.
 *
 * `t.after` hooks run in the order they were registered and the first one that throws skips the
 * rest, so a folder removed by an early hook can still be written by a process a later hook was
 * meant to stop (ENOTEMPTY), and the process then keeps the test file alive. `defer(t)` runs the
 * last-registered cleanup first (stop the node, then the chain, then remove the folder), runs every
 * cleanup even when one fails, and rethrows the first failure.
 */
interface HasAfter {
  after(fn: () => Promise<void>): void
}

/** Cleanups run last-pushed first by {@link CleanupStack.run}. */
export interface CleanupStack {
  push(fn: () => unknown): void
  /** Runs every pushed cleanup, last first, even when one throws; rethrows the first failure. */
  run(): Promise<void>
}

/**
 * A LIFO stack of cleanups, for suites that clean up in `afterEach` (tests use {@link defer}).
 *
 * @example
 * const stops = cleanupStack()
 * afterEach(() => stops.run())
 */
export function cleanupStack(): CleanupStack {
  const fns: (() => unknown)[] = []
  return {
    push: (fn) => void fns.push(fn),
    async run() {
      const failures: unknown[] = []
      for (let f = fns.pop(); f; f = fns.pop()) {
        try {
          await f()
        } catch (e) {
          failures.push(e)
        }
      }
      if (failures.length > 0) throw failures[0]
    },
  }
}

const stacks = new WeakMap<HasAfter, CleanupStack>()

/** Registers `fn` to run when the test `t` ends, before every cleanup registered earlier through `defer`. */
export function defer(t: HasAfter, fn: () => unknown): void {
  let stack = stacks.get(t)
  if (!stack) {
    const fresh = cleanupStack()
    stacks.set(t, fresh)
    stack = fresh
    t.after(() => fresh.run())
  }
  stack.push(fn)
}
