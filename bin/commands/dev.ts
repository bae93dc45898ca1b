/**
 * `merod dev`: one node, a real local Ethereum chain (anvil from npm) with the anchor contract
 * deployed and the node registered, the API on 127.0.0.1, and a summary in `<data>/dev.json`.
 * Everything lives in the data folder and survives restarts (anvil's state included).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { JsonRpcProvider } from 'ethers'
import { startAnvil } from '../../devnets/ethereum/anvil.ts'
import { deployAnchorContract } from '../../devnets/ethereum/deploy.ts'
import { toBase58 } from '../../src/core/bytes.ts'
import { loadConfig } from '../../src/core/config.ts'
import { createLogger } from '../../src/core/logger.ts'
import { loadNodeKey, MeroNode } from '../../src/node/mero-node.ts'
import { createChainAdapter } from '../chain-adapters.ts'

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
  /** Use this Ethereum RPC (e.g. a compose service) instead of starting anvil; anvil's dev accounts must exist there. */
  ethRpc?: string
  /** bullmq on this Redis instead of the embedded queue. */
  redisUrl?: string
  /** Run anchoring workers in the node (default true; false when `merod worker` processes do it). */
  workers?: boolean
}

/** anvil's first well-known dev account (mnemonic "test test … junk"): public knowledge, for local chains only. */
const ANVIL_DEV_ACCOUNT = {
  address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
}

/**
 * A `merod dev` killed with -9 leaves its anvil running (and dumping state into the same file). The
 * pid file names the anvil this data folder started; stop it — only if it still is that anvil — before
 * starting a new one, so two chains never write one state file.
 */
async function stopStaleAnvil(pidFile: string, stateFile: string): Promise<void> {
  let pid: number
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim())
  } catch {
    return
  }
  let cmdline = ''
  try {
    cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ')
  } catch {
    return // not running (or no /proc): nothing to stop
  }
  if (!Number.isInteger(pid) || !cmdline.includes('anvil') || !cmdline.includes(stateFile)) return
  process.kill(pid, 'SIGTERM')
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  process.kill(pid, 'SIGKILL')
}

/** An external chain for `--eth-rpc`: same shape as a started anvil, nothing to stop. */
async function externalChain(rpcUrl: string) {
  const provider = new JsonRpcProvider(rpcUrl)
  const network = await provider.getNetwork()
  provider.destroy()
  return { rpcUrl, chainId: Number(network.chainId), accounts: [ANVIL_DEV_ACCOUNT], stop: async () => {} }
}

/** The summary written to `<data>/dev.json`. */
export interface DevSummary {
  api: string
  adminTokenFile: string
  nodeKey: string
  chains: { chainId: string; rpcUrl: string; contract: string }[]
}

/** Starts the dev environment; resolves once everything is up, returns a stop function. */
export async function runDev(
  options: DevOptions,
): Promise<{ summary: DevSummary; stop: () => Promise<void> }> {
  const data = resolve(options.data)
  await mkdir(data, { recursive: true })
  const logger = createLogger({ level: options.logLevel ?? 'info', destination: join(data, 'merod.log') })
  const stateFile = join(data, 'anvil-state.json')
  const pidFile = join(data, 'anvil.pid')
  if (!options.ethRpc) await stopStaleAnvil(pidFile, stateFile)
  const anvil = options.ethRpc
    ? await externalChain(options.ethRpc)
    : await startAnvil({ port: 0, stateFile, chainId: 31337 })
  if ('pid' in anvil) await writeFile(pidFile, `${anvil.pid}\n`)
  try {
    const chainId = `eip155:${anvil.chainId}`
    // Dev uses anvil's first well-known account as contract owner and as the node's submitter.
    const owner = anvil.accounts[0]
    if (!owner) throw new Error('anvil returned no dev accounts')
    // The contract survives restarts in anvil's state; redeploy only when it is not there.
    const chainFile = join(data, 'ethereum.json')
    let contract: string | undefined
    try {
      contract = JSON.parse(await readFile(chainFile, 'utf8')).contract
    } catch {}
    const provider = new JsonRpcProvider(anvil.rpcUrl, anvil.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    })
    if (!contract || (await provider.getCode(contract)) === '0x') {
      contract = await deployAnchorContract(anvil.rpcUrl, owner.privateKey)
      await writeFile(chainFile, `${JSON.stringify({ chainId, contract }, null, 2)}\n`)
    }
    provider.destroy()
    const signerKeyFile = join(data, 'ethereum-submitter.key')
    await writeFile(signerKeyFile, `${owner.privateKey}\n`, { mode: 0o600 })

    const nodeKey = await loadNodeKey(data)
    const chain = {
      chainId,
      kind: 'ethereum',
      rpcUrl: anvil.rpcUrl,
      contract,
      confirmations: 1,
      anchorEveryMs: 0,
      pollMs: 50,
      signerKeyFile,
    }
    // Register the node's key on chain (owner-only); the registered submitter is the signing account.
    const ownerAdapter = await createChainAdapter(chain)
    if (!(await ownerAdapter.isNode(nodeKey.publicKey)))
      await ownerAdapter.registerNode(nodeKey.publicKey, 'merod dev')
    await ownerAdapter.close()

    const rawConfig = {
      dataDir: data,
      api: { port: options.port, host: options.host ?? '127.0.0.1' },
      batch: { intervalMs: options.intervalMs ?? 1000 },
      log: { level: options.logLevel ?? 'info' },
      jobs: {
        ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
        runWorkers: options.workers !== false,
      },
      chains: [chain],
    }
    const config = loadConfig(rawConfig)
    // The config this node runs with, for `merod worker --config` and for reference (no secrets: key files only).
    await writeFile(join(data, 'config.json'), `${JSON.stringify(rawConfig, null, 2)}\n`)
    const adapter = await createChainAdapter(config.chains[0]!)
    const node = await MeroNode.start({ config, logger, adapters: [adapter] })
    const summary: DevSummary = {
      api: node.url,
      adminTokenFile: join(data, 'admin.token'),
      nodeKey: toBase58(nodeKey.publicKey),
      chains: [{ chainId, rpcUrl: anvil.rpcUrl, contract }],
    }
    await writeFile(join(data, 'dev.json'), `${JSON.stringify(summary, null, 2)}\n`)
    if (!options.quiet) {
      console.log(
        [
          'merod dev is running',
          `  API           ${summary.api}   (OpenAPI: ${summary.api}/docs)`,
          `  node key      ${summary.nodeKey}`,
          `  chain         ${chainId}  ${anvil.rpcUrl}  ${options.ethRpc ? '(external RPC)' : `(anvil, state in ${join(data, 'anvil-state.json')})`}`,
          `  contract      ${contract}`,
          `  admin token   ${summary.adminTokenFile}`,
          `  data          ${data}   (logs: ${join(data, 'merod.log')})`,
          `  summary       ${join(data, 'dev.json')}`,
          '',
          'Try:  npx meroctl demo',
        ].join('\n'),
      )
    }
    const stop = async () => {
      await node.close()
      await adapter.close()
      await anvil.stop()
      await rm(pidFile, { force: true })
      logger.flush()
    }
    return { summary, stop }
  } catch (e) {
    await anvil.stop()
    throw e
  }
}
