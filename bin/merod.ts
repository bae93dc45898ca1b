/**
 * merod — the mero node daemon.
 *
 *   merod dev [--data DIR] [--port N]          one node + local devnets of five chains, ready to use
 *   merod run --config FILE                    a node from a JSON config file (see README)
 *   merod worker --config FILE [--chain ID…]   anchoring workers on bullmq (jobs.redisUrl required)
 */
import { readFile } from 'node:fs/promises'
import { Command, InvalidArgumentError, Option } from 'commander'
import { loadConfig } from '../src/core/config.ts'
import { isMeroError } from '../src/core/errors.ts'
import { createLogger } from '../src/core/logger.ts'
import { MeroNode } from '../src/node/mero-node.ts'
import { createChainAdapter, DEV_CHAINS, SIGN_IN_SCHEMES } from './chain-adapters.ts'
import { runDev } from './commands/dev.ts'
import { parsePairs } from './commands/verify.ts'
import { runWorker } from './commands/worker.ts'

/** `a, b,c` → `['a', 'b', 'c']`. */
const list = (v: string) =>
  v
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)

const int = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer')
  return n
}

/** Reads a config file; environment overrides are applied here and only here. */
async function configFrom(file: string) {
  const raw = JSON.parse(await readFile(file, 'utf8'))
  if (process.env.REDIS_URL) raw.jobs = { ...(raw.jobs ?? {}), redisUrl: process.env.REDIS_URL }
  return loadConfig(raw)
}

/** Runs until SIGINT/SIGTERM, then stops cleanly. */
function untilSignal(stop: () => Promise<void>): void {
  let stopping = false
  const onSignal = (sig: string) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`\n${sig}: stopping…\n`)
    stop().then(
      () => process.exit(0),
      (e) => {
        console.error(e)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
}

const program = new Command('merod').description('mero node daemon').showHelpAfterError()

program
  .command('dev')
  .description(
    'start one node with local devnets (anvil for Ethereum; NEAR, ICP, Stellar, Starknet emulators), the anchor contracts deployed and the node registered',
  )
  .option('--data <dir>', 'data folder', '.mero/dev')
  .option('--port <n>', 'API port on 127.0.0.1', int, 2528)
  .option('--interval <ms>', 'checkpoint interval (batch.intervalMs)', int, 1000)
  .option('--log-level <level>', 'log level', 'info')
  .option('--host <addr>', 'API bind address', '127.0.0.1')
  .addOption(
    new Option(
      '--chains <kinds>',
      `comma-separated chains to start and anchor on (default: all: ${Object.keys(DEV_CHAINS).join(',')})`,
    )
      .env('MERO_CHAINS')
      .argParser(list),
  )
  .addOption(
    new Option(
      '--rpc <kind=url,…>',
      'attach to this RPC for a chain kind instead of starting its local devnet (repeatable or comma-separated, e.g. stellar=http://127.0.0.1:8000)',
    )
      .env('MERO_RPC')
      .argParser((v: string, previous: string[] = []) => [...previous, ...list(v)]),
  )
  .option(
    '--eth-rpc <url>',
    'use this Ethereum RPC instead of starting anvil (its anvil dev accounts are used)',
  )
  .option(
    '--no-workers',
    'do not run anchoring workers in the node (run `merod worker` instead; needs REDIS_URL)',
  )
  .action(async (o) => {
    const { stop } = await runDev({
      data: o.data,
      port: o.port,
      intervalMs: o.interval,
      logLevel: o.logLevel,
      host: o.host,
      ethRpc: o.ethRpc,
      chains: o.chains,
      rpc: Object.fromEntries(parsePairs(o.rpc, '--rpc')),
      workers: o.workers,
      redisUrl: process.env.REDIS_URL,
    })
    untilSignal(stop)
  })

program
  .command('run')
  .description('start a node from a JSON config file')
  .requiredOption('--config <file>', 'config file (JSON)')
  .action(async (o) => {
    const config = await configFrom(o.config)
    const logger = createLogger({ level: config.log.level })
    const adapters = await Promise.all(
      config.chains.map((c) => createChainAdapter(c, { readOnly: !config.jobs.runWorkers })),
    )
    const node = await MeroNode.start({ config, logger, adapters, signInSchemes: SIGN_IN_SCHEMES })
    console.log(`merod listening on ${node.url}`)
    untilSignal(async () => {
      await node.close()
      await Promise.all(adapters.map((a) => a.close()))
    })
  })

program
  .command('worker')
  .description('run anchoring workers on bullmq for some or all configured chains (separate process)')
  .requiredOption('--config <file>', 'config file (JSON); jobs.redisUrl or REDIS_URL must be set')
  .option('--chain <chainId...>', 'only these CAIP-2 chains')
  .option('--concurrency <n>', 'jobs in flight per chain', int, 8)
  .action(async (o) => {
    const config = await configFrom(o.config)
    const stop = await runWorker({ config, chains: o.chain, concurrency: o.concurrency })
    untilSignal(stop)
  })

program.parseAsync().catch((e) => {
  if (isMeroError(e)) console.error(`merod: ${e.name}: ${e.message}`)
  else console.error('merod:', e)
  process.exit(1)
})
