/**
 * A local Ethereum devnet: starts the `anvil` binary shipped in the `@foundry-rs/anvil-<os>-<arch>` npm
 * package on 127.0.0.1, for tests and `merod dev`. Each call starts its own child process; `stop()`
 * ends only that child (by its PID) and waits for it to exit.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { getAddress } from 'ethers'

/** Options of {@link startAnvil}. */
export interface StartAnvilOptions {
  /** TCP port on 127.0.0.1; 0 (default) lets the OS pick a free one. */
  readonly port?: number
  /**
   * Persist the chain here: loaded at start when the file exists, written every
   * `stateIntervalSeconds` and on a clean stop (anvil `--state` + `--state-interval`).
   */
  readonly stateFile?: string
  /** Seconds between state dumps when `stateFile` is set (default 1: a `kill -9` loses at most ~1 s). */
  readonly stateIntervalSeconds?: number
  /** EIP-155 chain id (default 31337). */
  readonly chainId?: number
  /** Interval mining every `blockTime` seconds; omitted = automine (a block per transaction). */
  readonly blockTime?: number
  /** Funded dev accounts to create (default 10, from anvil's well-known test mnemonic). */
  readonly accounts?: number
  /** How long to wait for the RPC to answer (default 15 s). */
  readonly startTimeoutMs?: number
  /** Path of the anvil binary (default: the one in the platform's `@foundry-rs/anvil-*` package). */
  readonly anvilPath?: string
  /** Aborting while starting kills the child and rejects. */
  readonly signal?: AbortSignal
}

/** A funded dev account. The keys are anvil's public test keys: never use them on a real chain. */
export interface AnvilAccount {
  /** Checksummed address. */
  readonly address: string
  readonly privateKey: string
}

/** A running anvil. */
export interface AnvilInstance {
  /** `http://127.0.0.1:<port>`. */
  readonly rpcUrl: string
  readonly port: number
  readonly chainId: number
  readonly accounts: readonly AnvilAccount[]
  readonly pid: number
  /** SIGTERM (anvil then writes its state file), SIGKILL after 5 s; resolves when the child has exited. Idempotent. */
  stop(): Promise<void>
}

/** Path of the anvil binary installed for this platform. */
export function anvilBinaryPath(): string {
  const os = process.platform === 'win32' ? 'win32' : process.platform
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const pkg = `@foundry-rs/anvil-${os}-${arch}`
  const require = createRequire(import.meta.url)
  let dir: string
  try {
    dir = dirname(require.resolve(`${pkg}/package.json`))
  } catch {
    throw new Error(`anvil is not installed for ${process.platform}/${process.arch} (missing ${pkg})`)
  }
  return join(dir, 'bin', os === 'win32' ? 'anvil.exe' : 'anvil')
}

/**
 * Starts anvil and resolves once its JSON-RPC answers.
 *
 * @example
 * const anvil = await startAnvil()
 * try {
 *   // anvil.rpcUrl, anvil.accounts[0].privateKey …
 * } finally {
 *   await anvil.stop()
 * }
 */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<AnvilInstance> {
  const { signal } = options
  signal?.throwIfAborted()
  const chainId = options.chainId ?? 31337
  const tmp = await mkdtemp(join(tmpdir(), 'mero-anvil-'))
  const configOut = join(tmp, 'config.json')
  const args = [
    '--host',
    '127.0.0.1',
    '--port',
    String(options.port ?? 0),
    '--chain-id',
    String(chainId),
    '--accounts',
    String(options.accounts ?? 10),
    '--config-out',
    configOut,
  ]
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime))
  if (options.stateFile !== undefined)
    args.push('--state', options.stateFile, '--state-interval', String(options.stateIntervalSeconds ?? 1))

  const child = spawn(options.anvilPath ?? anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  // A test process that exits abruptly must not leave its chain running.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  process.once('exit', onExit)
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      process.removeListener('exit', onExit)
      await rm(tmp, { recursive: true, force: true })
    })()
    return stopped
  }

  try {
    const port = await waitForListening(child, options.startTimeoutMs ?? 15_000, signal)
    const rpcUrl = `http://127.0.0.1:${port}`
    await waitForRpc(rpcUrl, child, signal)
    const config = JSON.parse(await readFile(configOut, 'utf8')) as {
      available_accounts: string[]
      private_keys: string[]
    }
    const accounts = config.available_accounts.map((address, i) => ({
      address: getAddress(address),
      privateKey: config.private_keys[i] ?? '',
    }))
    if (child.pid === undefined) throw new Error('anvil has no pid')
    return { rpcUrl, port, chainId, accounts, pid: child.pid, stop }
  } catch (e) {
    await stop()
    throw e
  }
}

/** Reads anvil's stdout until it reports its port. */
function waitForListening(
  child: ChildProcess,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = ''
    let err = ''
    const done = (f: () => void) => {
      clearTimeout(timer)
      child.stdout?.removeListener('data', onOut)
      child.stderr?.removeListener('data', onErr)
      child.removeListener('exit', onChildExit)
      child.removeListener('error', onError)
      signal?.removeEventListener('abort', onAbort)
      // Keep draining the pipes so anvil never blocks on a full stdout.
      child.stdout?.resume()
      child.stderr?.resume()
      f()
    }
    const onOut = (b: Buffer) => {
      out += b.toString('utf8')
      const m = /Listening on [^\s:]+:(\d+)/.exec(out)
      if (m) done(() => resolve(Number(m[1])))
    }
    const onErr = (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-4000)
    }
    const onChildExit = (code: number | null) =>
      done(() =>
        reject(new Error(`anvil exited (code ${code}) before listening: ${err.trim() || out.slice(-1000)}`)),
      )
    const onError = (e: Error) => done(() => reject(e))
    const onAbort = () => done(() => reject(signal?.reason ?? new Error('aborted')))
    const timer = setTimeout(
      () => done(() => reject(new Error(`anvil did not start within ${timeoutMs} ms`))),
      timeoutMs,
    )
    child.stdout?.on('data', onOut)
    child.stderr?.on('data', onErr)
    child.once('exit', onChildExit)
    child.once('error', onError)
    signal?.addEventListener('abort', onAbort, { once: true })
    if (signal?.aborted) onAbort()
  })
}

/** Polls `eth_chainId` until the RPC answers. */
async function waitForRpc(
  rpcUrl: string,
  child: ChildProcess,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    signal?.throwIfAborted()
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}`)
    try {
      const res = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        ...(signal ? { signal } : {}),
      })
      if (res.ok) {
        await res.json()
        return
      }
    } catch (e) {
      if (signal?.aborted) throw e
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`anvil at ${rpcUrl} did not answer`)
}
