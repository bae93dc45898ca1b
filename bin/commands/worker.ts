/**
 * `merod worker`: anchoring workers in their own process, on bullmq. The worker holds the chain
 * signer keys (from its config); job data carries only ids and hashes. The node learns outcomes
 * from bullmq's queue events.
 */

import { anchorQueueName, createAnchorJobHandler } from '../../src/anchor/anchor-job.ts'
import type { Config } from '../../src/core/config.ts'
import { InvalidConfig } from '../../src/core/errors.ts'
import { createLogger } from '../../src/core/logger.ts'
import { createBullmqJobQueue } from '../../src/jobs/bullmq-job-queue.ts'
import { createChainAdapter } from '../chain-adapters.ts'

/** Starts workers; returns a stop function that closes them cleanly (SIGTERM). */
export async function runWorker(options: {
  config: Config
  chains?: string[]
  concurrency?: number
}): Promise<() => Promise<void>> {
  const { config } = options
  if (!config.jobs.redisUrl)
    throw new InvalidConfig('merod worker needs jobs.redisUrl (or REDIS_URL)', {
      details: { errors: [{ path: '/jobs/redisUrl', message: 'required for workers' }] },
    })
  const chains = config.chains.filter((c) => !options.chains || options.chains.includes(c.chainId))
  const unknown = (options.chains ?? []).filter((id) => !config.chains.some((c) => c.chainId === id))
  if (unknown.length)
    throw new InvalidConfig(`not configured: ${unknown.join(', ')}`, {
      details: { errors: unknown.map((u) => ({ path: '/chains', message: `missing ${u}` })) },
    })
  const logger = createLogger({ level: config.log.level, name: 'merod-worker' })
  const jobs = createBullmqJobQueue({
    connection: config.jobs.redisUrl,
    prefix: config.jobs.prefix,
    logger,
    maxBackoffMs: 30_000,
  })
  const adapters = await Promise.all(chains.map((c) => createChainAdapter(c)))
  const workers = chains.map((c, i) =>
    jobs.process(
      anchorQueueName(c.chainId),
      createAnchorJobHandler(new Map([[c.chainId, adapters[i]!]]), { pollMs: c.pollMs }),
      {
        concurrency: options.concurrency ?? 8,
      },
    ),
  )
  logger.info({ chains: chains.map((c) => c.chainId) }, 'anchoring workers started')
  console.log(
    `merod worker: anchoring ${chains.map((c) => c.chainId).join(', ')} from ${config.jobs.prefix} queues`,
  )
  return async () => {
    await Promise.all(workers.map((w) => w.close()))
    await jobs.close()
    await Promise.all(adapters.map((a) => a.close()))
    logger.flush()
  }
}
