/**
 * Test helper: a real `merod dev` process on a data folder, anchoring on a chain the test owns
 * (`--eth-rpc`), so the chain outlives a `kill -9` of the node. Talks to it over HTTP on 127.0.0.1.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type ApiClient, apiClient } from '../../bin/api-client.ts'
import { type ChildHandle, spawnNode, waitFor } from './child-process.ts'

/** A started `merod dev`. */
export interface MerodDev {
  readonly process: ChildHandle
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly adminToken: string
  /** Admin-authenticated client. */
  readonly client: ApiClient
}

/** Options of {@link startMerodDev}. */
export interface MerodDevOptions {
  data: string
  port: number
  /** Chain RPC (`--eth-rpc`). */
  ethRpc: string
  /** Chain kinds to start (`--chains`, default `['ethereum']`); Ethereum always uses `ethRpc`. */
  chains?: readonly string[]
  /** Checkpoint interval, ms (default 200). */
  intervalMs?: number
  /** Extra CLI flags (e.g. `--no-workers`). */
  extraArgs?: string[]
  env?: NodeJS.ProcessEnv
  /** How long to wait for `/health` (default 30 s). */
  startTimeoutMs?: number
}

/**
 * Spawns `node bin/merod.js dev …` and resolves once `/health` answers; the caller stops it by PID
 * (`process.stop()` / `process.kill9()`). A start that fails stops the child and throws with its output.
 */
export async function startMerodDev(o: MerodDevOptions): Promise<MerodDev> {
  const args = [
    'bin/merod.js',
    'dev',
    '--data',
    o.data,
    '--port',
    String(o.port),
    '--interval',
    String(o.intervalMs ?? 200),
    '--eth-rpc',
    o.ethRpc,
    '--chains',
    (o.chains ?? ['ethereum']).join(','),
    '--log-level',
    'warn',
    ...(o.extraArgs ?? []),
  ]
  const child = spawnNode(args, o.env ? { env: o.env } : {})
  const url = `http://127.0.0.1:${o.port}`
  try {
    await waitFor(
      'merod dev /health',
      async () => (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).ok,
      { timeoutMs: o.startTimeoutMs ?? 30_000, intervalMs: 50, alive: child },
    )
    const adminToken = (await readFile(join(o.data, 'admin.token'), 'utf8')).trim()
    return { process: child, url, adminToken, client: apiClient(url, adminToken) }
  } catch (e) {
    await child.stop(2000)
    throw e
  }
}
