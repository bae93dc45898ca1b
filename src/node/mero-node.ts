/**
 * The composition root of a node: opens the store and wires contexts, attester, log, anchor
 * scheduler, jobs, proofs, metrics and the HTTP API into one object. Chain adapters come in from
 * the caller (the CLI builds them from configuration); nothing here imports an adapter.
 */

import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { anchorQueueName, createAnchorJobHandler } from '../anchor/anchor-job.ts'
import { AnchorScheduler } from '../anchor/anchor-scheduler.ts'
import { buildApi } from '../api/build-api.ts'
import { Attester } from '../attest/attester.ts'
import { AuthService } from '../auth/auth-service.ts'
import { AuthStore } from '../auth/auth-store.ts'
import { walletProofCheck } from '../auth/wallet-proof.ts'
import type { ChainAdapter } from '../chain/chain-adapter.ts'
import type { SignInScheme } from '../chain/sign-in-scheme.ts'
import { ContextManager } from '../context/context-manager.ts'
import { fromHex, toBase58, toHex } from '../core/bytes.ts'
import type { Config } from '../core/config.ts'
import { type Ed25519KeyPair, generateKeyPair, keyPairFromSecret } from '../core/ed25519.ts'
import { InvalidConfig, UnknownCheckpoint } from '../core/errors.ts'
import { type Logger, silentLogger } from '../core/logger.ts'
import { createBullmqJobQueue } from '../jobs/bullmq-job-queue.ts'
import { createEmbeddedJobQueue } from '../jobs/embedded-job-queue.ts'
import type { JobQueue, JobWorker } from '../jobs/job-queue.ts'
import { LogService, type StoredCheckpoint } from '../log/log-service.ts'
import { ProofService } from '../proof/proof-service.ts'
import { openStore, type Store, section } from '../store/store.ts'
import { createNodeMetrics, type NodeMetrics } from './node-metrics.ts'

/** Options of {@link MeroNode.start}. */
export interface MeroNodeOptions {
  config: Config
  logger?: Logger
  /** Chain adapters by the chains of `config.chains` (submitting ones when workers run here). */
  adapters?: ChainAdapter[]
  /** Job queue; default from config: bullmq when `jobs.redisUrl`, else embedded in the node's LevelDB. */
  jobs?: JobQueue
  /** Listen on `config.api` (default true); false builds the API for `inject()` only. */
  listen?: boolean
  /** Wallet sign-in schemes by CAIP-2 namespace (the CLI wires them from `adapters/`). */
  signInSchemes?: ReadonlyMap<string, () => Promise<SignInScheme>>
}

/** Reads a secret file, or creates it with `make()` (mode 0600). */
async function loadOrCreate(path: string, make: () => string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    const v = make()
    await writeFile(path, `${v}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    })
    return (await readFile(path, 'utf8')).trim()
  }
}

/** The node's key pair, kept in `<dataDir>/node.key`. */
export async function loadNodeKey(dataDir: string): Promise<Ed25519KeyPair> {
  await mkdir(dataDir, { recursive: true })
  const hex = await loadOrCreate(join(dataDir, 'node.key'), () => toHex(generateKeyPair().secretKey))
  return keyPairFromSecret(fromHex(hex, 32, 'node.key'))
}

/** The admin bearer token, kept in `<dataDir>/admin.token`. */
export async function loadAdminToken(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true })
  return loadOrCreate(join(dataDir, 'admin.token'), () => randomBytes(32).toString('base64url'))
}

/** A running node. */
export class MeroNode {
  private closed = false
  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly nodeKey: Ed25519KeyPair,
    readonly adminToken: string,
    readonly store: Store,
    readonly contexts: ContextManager,
    readonly log: LogService,
    readonly attester: Attester,
    readonly anchors: AnchorScheduler,
    readonly proofs: ProofService,
    readonly jobs: JobQueue,
    readonly metrics: NodeMetrics,
    readonly api: FastifyInstance,
    private readonly workers: JobWorker[],
    private readonly ownsJobs: boolean,
    private readonly unsubscribe: (() => void)[],
  ) {}

  /** Base URL of the API when listening. */
  get url(): string {
    const a = this.api.server.address()
    if (!a || typeof a === 'string') return `http://${this.config.api.host}:${this.config.api.port}`
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
  }

  /** Opens everything and (by default) starts listening. */
  static async start(options: MeroNodeOptions): Promise<MeroNode> {
    const { config } = options
    const logger = options.logger ?? silentLogger()
    const adapters = new Map((options.adapters ?? []).map((a) => [a.chainId, a]))
    const missing = config.chains.filter((c) => !adapters.has(c.chainId)).map((c) => c.chainId)
    if (missing.length)
      throw new InvalidConfig(`no adapter given for ${missing.join(', ')}`, {
        details: { errors: missing.map((m) => ({ path: '/chains', message: `no adapter for ${m}` })) },
      })

    await mkdir(config.dataDir, { recursive: true })
    const nodeKey = await loadNodeKey(config.dataDir)
    const adminToken = await loadAdminToken(config.dataDir)
    const store = await openStore(join(config.dataDir, 'db'))
    const origin = config.log.origin ?? `mero/${toBase58(nodeKey.publicKey)}`

    let listening: (() => string) | undefined
    const auth = new AuthService({
      config,
      store: await AuthStore.open(section(store, 'auth')),
      nodeKey,
      schemes: options.signInSchemes ?? new Map(),
      adapters,
      origin: () => {
        const url = new URL(listening?.() ?? `http://${config.api.host}:${config.api.port}`)
        return { domain: url.host, uri: url.origin }
      },
    })
    const contexts = await ContextManager.open({
      store,
      limits: config.limits,
      logger,
      walletProofCheck: walletProofCheck(auth),
    })
    const jobs =
      options.jobs ??
      (config.jobs.redisUrl
        ? createBullmqJobQueue({
            connection: config.jobs.redisUrl,
            prefix: config.jobs.prefix,
            logger,
            maxBackoffMs: 30_000,
          })
        : createEmbeddedJobQueue({ section: section(store, 'jobs'), logger, maxBackoffMs: 30_000 }))

    let metrics: NodeMetrics | undefined
    let proofs: ProofService | undefined
    const log = await LogService.open({
      store,
      nodeKey,
      origin,
      intervalMs: config.batch.intervalMs,
      maxLeaves: config.batch.maxLeaves,
      logger,
      authorize: async (leaf) =>
        Buffer.compare(leaf.attester, nodeKey.publicKey) === 0 ||
        (await contexts.hasCapability(leaf.contextId, leaf.attester, 'Attest')),
    })
    const attester = await Attester.open({
      store,
      source: contexts,
      nodeKey,
      logger,
      ingest: (l) => log.ingest(l),
    })
    const anchors = await AnchorScheduler.open({
      store,
      jobs,
      logId: log.logId,
      logger,
      readers: adapters,
      chains: config.chains.map((c) => ({
        chainId: c.chainId,
        contract: c.contract,
        anchorEveryMs: c.anchorEveryMs,
      })),
      onChange: (r, prev) => {
        metrics?.anchorTransitions.inc({ chain: r.chainId, status: r.state })
        proofs?.anchorChanged(r.root, r.state)
        if (r.state === 'final' && prev !== 'final')
          metrics?.anchorLatency.observe({ chain: r.chainId }, (Date.now() - r.queuedAt) / 1000)
      },
    })
    metrics = createNodeMetrics({ logSize: () => log.size, anchorCounts: () => anchors.counts() })
    const unsubscribe = [
      log.onTick(() => attester.flush()),
      log.onCheckpoint((cp) => {
        metrics?.checkpointsCut.inc()
        void anchors.onCheckpoint(cp).catch((e) => logger.error({ err: e }, 'scheduling anchors failed'))
      }),
      contexts.onStateMutation(() => metrics?.deltasApplied.inc()),
    ]
    // A kill -9 between a checkpoint cut and its anchor record leaves checkpoints unscheduled.
    let latest: StoredCheckpoint | undefined
    try {
      latest = log.latestCheckpoint()
    } catch (e) {
      if (!(e instanceof UnknownCheckpoint)) throw e
    }
    await anchors.resume(latest, (min) => log.checkpointsFrom(min))
    const workers: JobWorker[] = []
    if (config.jobs.runWorkers) {
      for (const c of config.chains) {
        const handler = createAnchorJobHandler(new Map([[c.chainId, adapters.get(c.chainId)!]]), {
          pollMs: c.pollMs,
        })
        workers.push(jobs.process(anchorQueueName(c.chainId), handler, { concurrency: 8 }))
      }
    }
    proofs = new ProofService({
      chainCount: config.chains.length,
      log,
      anchors,
      attester,
      readers: adapters,
      hasContext: async (id) => (await contexts.listContextIds()).some((c) => Buffer.compare(c, id) === 0),
    })

    const api = await buildApi({
      config,
      logger,
      adminToken,
      auth,
      nodeKey: nodeKey.publicKey,
      contexts,
      proofs,
      metrics: metrics.registry,
      health: async () => ({
        ok: true,
        details: {
          logSize: log.size,
          pendingAttestations: attester.pending,
          chains: config.chains.map((c) => c.chainId),
        },
      }),
    })
    const node = new MeroNode(
      config,
      logger,
      nodeKey,
      adminToken,
      store,
      contexts,
      log,
      attester,
      anchors,
      proofs,
      jobs,
      metrics,
      api,
      workers,
      !options.jobs,
      unsubscribe,
    )
    if (options.listen !== false) await api.listen({ host: config.api.host, port: config.api.port })
    listening = () => node.url
    logger.info({ url: node.url, origin, nodeKey: toBase58(nodeKey.publicKey) }, 'node started')
    return node
  }

  /** Attests dirty contexts and cuts a checkpoint now (tests and tools; the timer does it every batch interval). */
  async flush(): Promise<void> {
    await this.attester.flush()
    await this.log.cutCheckpoint()
  }

  /** Stops the API, workers, timers and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.api.close()
    for (const u of this.unsubscribe) u()
    this.attester.close()
    await Promise.all(this.workers.map((w) => w.close()))
    await this.anchors.close()
    await this.log.close()
    if (this.ownsJobs) await this.jobs.close()
    await this.contexts.close()
    await this.store.close()
  }
}
