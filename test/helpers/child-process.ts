/**
 * Test helper: CLI child processes (`merod dev`, `merod worker`), free ports and polling. Every child is
 * stopped by its own PID — `stop()` (SIGTERM, SIGKILL after a timeout) or `kill9()` — and any child still
 * running when the test process exits is SIGKILLed, so a failing test never leaves one behind.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** The repository root (children run from here). */
export const REPO_ROOT: string = fileURLToPath(new URL('../..', import.meta.url))

/** A free TCP port on 127.0.0.1 (bound once by the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))))
    })
  })
}

/** How a child ended. */
export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A child process started by a test. */
export interface ChildHandle {
  readonly pid: number
  readonly child: ChildProcess
  /** Whether it has not exited yet. */
  readonly running: boolean
  /** Everything it wrote to stdout and stderr so far (for assertions and failure messages). */
  output(): string
  /** Resolves when it has exited. */
  readonly exited: Promise<ChildExit>
  /** `kill -9` by PID; resolves once it has exited. */
  kill9(): Promise<ChildExit>
  /** SIGTERM by PID, SIGKILL after `timeoutMs` (default 10 s); resolves once it has exited. Idempotent. */
  stop(timeoutMs?: number): Promise<ChildExit>
}

/**
 * Starts `node <args…>` from the repository root, output captured.
 *
 * @example
 * const merod = spawnNode(['bin/merod.js', 'dev', '--data', dir, '--port', String(port)])
 * try { … } finally { await merod.stop() }
 */
export function spawnNode(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): ChildHandle {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error(`could not start node ${args.join(' ')}`)
  const pid = child.pid
  let out = ''
  const keep = (b: Buffer) => {
    out = (out + b.toString('utf8')).slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let done = false
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true
      process.removeListener('exit', onParentExit)
      resolve({ code, signal })
    })
  })
  const onParentExit = () => {
    if (!done) process.kill(pid, 'SIGKILL')
  }
  process.once('exit', onParentExit)
  const signal = (s: NodeJS.Signals) => {
    if (done) return
    try {
      process.kill(pid, s)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e
    }
  }
  let stopping: Promise<ChildExit> | undefined
  return {
    pid,
    child,
    get running() {
      return !done
    },
    output: () => out,
    exited,
    kill9() {
      signal('SIGKILL')
      return exited
    },
    stop(timeoutMs = 10_000) {
      stopping ??= (async () => {
        signal('SIGTERM')
        const timer = setTimeout(() => signal('SIGKILL'), timeoutMs)
        const r = await exited
        clearTimeout(timer)
        return r
      })()
      return stopping
    },
  }
}

/**
 * Polls `probe` until it returns something other than `undefined`/`false`; throws after `timeoutMs`
 * (naming `what` and the last error), or at once when `alive` has exited.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; alive?: ChildHandle } = {},
): Promise<T> {
  const end = Date.now() + (options.timeoutMs ?? 20_000)
  let last: unknown
  for (;;) {
    if (options.alive && !options.alive.running)
      throw new Error(`${what}: the process exited\n${options.alive.output().slice(-3000)}`)
    try {
      const v = await probe()
      if (v !== undefined && v !== false) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`)
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50))
  }
}
