/**
 * `merod dev`: one node, local devnets of the enabled chains (a real anvil for Ethereum; emulators
 * that run the real contract code for NEAR and ICP; Horizon and Starknet RPC emulators) with the anchor
 * contracts deployed and the node registered, the API on 127.0.0.1, and a summary in `<data>/dev.json`.
 * Everything lives in the data folder (one sub-folder per chain) and survives restarts.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { DevChain } from '../../devnets/dev-chain.ts'
import { toBase58 } from '../../src/core/bytes.ts'
import { loadConfig } from '../../src/core/config.ts'
import { InvalidInput } from '../../src/core/errors.ts'
import { createLogger } from '../../src/core/logger.ts'
import { loadNodeKey, MeroNode } from '../../src/node/mero-node.ts'
import { createChainAdapter, DEV_CHAINS, type DevChainKind, SIGN_IN_SCHEMES } from '../chain-adapters.ts'

/** Options of `merod dev`. */
export interface DevOptions {
  data: string
  port: number
  intervalMs?: number
  logLevel?: string
  /** Print the human summary (default true). */
  quiet?: boolean
  /** Bind address of the API (default 127.0.0.1). */
  host?: string
  /** Chain kinds to enable, in order (default: all of {@link DEV_CHAINS}). */
  chains?: readonly string[]
  /** Attach to these RPCs (kind → URL, e.g. a compose service) instead of starting the local devnet. */
  rpc?: Readonly<Record<string, string>>
  /** Use this Ethereum RPC (e.g. a compose service) instead of starting anvil; anvil's dev accounts must exist there. */
  ethRpc?: string
  /** bullmq on this Redis instead of the embedded queue. */
  redisUrl?: string
  /** Run anchoring workers in the node (default true; false when `merod worker` processes do it). */
  workers?: boolean
}

/** The summary written to `<data>/dev.json`. */
export interface DevSummary {
  api: string
  adminTokenFile: string
  nodeKey: string
  chains: { chainId: string; kind: string; rpcUrl: string; contract: string }[]
}

/** The enabled chain kinds, validated. */
export function devChainKinds(chains: readonly string[] | undefined): DevChainKind[] {
  const kinds = chains ?? Object.keys(DEV_CHAINS)
  const unknown = kinds.filter((k) => !Object.hasOwn(DEV_CHAINS, k))
  if (unknown.length > 0 || kinds.length === 0)
    throw new InvalidInput(
      `--chains must list some of ${Object.keys(DEV_CHAINS).join(', ')}; got '${kinds.join(',')}'`,
    )
  return [...new Set(kinds)] as DevChainKind[]
}

/** Starts the dev environment; resolves once everything is up, returns a stop function. */
export async function runDev(
  options: DevOptions,
): Promise<{ summary: DevSummary; stop: () => Promise<void> }> {
  const kinds = devChainKinds(options.chains)
  const data = resolve(options.data)
  await mkdir(data, { recursive: true })
  const logger = createLogger({ level: options.logLevel ?? 'info', destination: join(data, 'merod.log') })
  const nodeKey = await loadNodeKey(data)
  const rpc: Record<string, string> = {
    ...(options.ethRpc ? { ethereum: options.ethRpc } : {}),
    ...options.rpc,
  }

  // Chains start side by side; if one fails, the others are stopped before the error surfaces.
  const started = await Promise.allSettled(
    kinds.map(async (kind) => {
      const dataDir = join(data, kind)
      await mkdir(dataDir, { recursive: true })
      const start = await DEV_CHAINS[kind]()
      return start({ dataDir, nodeKey: nodeKey.publicKey, ...(rpc[kind] ? { rpcUrl: rpc[kind] } : {}) })
    }),
  )
  const chains = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const stopChains = () => Promise.allSettled(chains.map((c) => c.stop()))
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) {
    await stopChains()
    throw (failed as PromiseRejectedResult).reason
  }

  try {
    const rawConfig = {
      dataDir: data,
      api: { port: options.port, host: options.host ?? '127.0.0.1' },
      batch: { intervalMs: options.intervalMs ?? 1000 },
      log: { level: options.logLevel ?? 'info' },
      jobs: {
        ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
        runWorkers: options.workers !== false,
      },
      chains: chains.map((c) => c.config),
    }
    const config = loadConfig(rawConfig)
    // The config this node runs with, for `merod worker --config` and for reference (no secrets: key files only).
    await writeFile(join(data, 'config.json'), `${JSON.stringify(rawConfig, null, 2)}\n`)
    const adapters = await Promise.all(config.chains.map((c) => createChainAdapter(c)))
    const node = await MeroNode.start({ config, logger, adapters, signInSchemes: SIGN_IN_SCHEMES }).catch(
      async (e) => {
        await Promise.all(adapters.map((a) => a.close()))
        throw e
      },
    )
    const summary: DevSummary = {
      api: node.url,
      adminTokenFile: join(data, 'admin.token'),
      nodeKey: toBase58(nodeKey.publicKey),
      chains: chains.map(({ config: c }) => ({
        chainId: c.chainId,
        kind: c.kind,
        rpcUrl: c.rpcUrl,
        contract: c.contract,
      })),
    }
    await writeFile(join(data, 'dev.json'), `${JSON.stringify(summary, null, 2)}\n`)
    if (!options.quiet) console.log(summaryText(summary, chains, data))
    let stopping: Promise<void> | undefined
    const stop = () => {
      stopping ??= (async () => {
        await node.close()
        await Promise.all(adapters.map((a) => a.close()))
        await stopChains()
        logger.flush()
      })()
      return stopping
    }
    return { summary, stop }
  } catch (e) {
    await stopChains()
    throw e
  }
}

/** The human summary `merod dev` prints. */
function summaryText(summary: DevSummary, chains: DevChain[], data: string): string {
  const width = Math.max(...chains.map((c) => c.config.chainId.length))
  return [
    'merod dev is running',
    `  API           ${summary.api}   (OpenAPI: ${summary.api}/docs)`,
    `  node key      ${summary.nodeKey}`,
    ...chains.flatMap((c, i) => [
      `  ${i === 0 ? 'chains' : '      '}        ${c.config.chainId.padEnd(width)}  ${c.config.rpcUrl}  (${c.description})`,
      `                ${' '.repeat(width)}  contract ${c.config.contract}`,
    ]),
    `  admin token   ${summary.adminTokenFile}`,
    `  data          ${data}   (logs: ${join(data, 'merod.log')})`,
    `  summary       ${join(data, 'dev.json')}`,
    '',
    'Try:  npx meroctl demo',
  ].join('\n')
}
