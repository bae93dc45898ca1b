/**
 * A local NEAR devnet: a JSON-RPC server on 127.0.0.1 that the unmodified near-api-js v7 uses as its
 * provider. Contracts run in nearcore's VM logic (`near-mock-vm`); transactions are real borsh
 * SignedTransactions, checked like nearcore does (signature, nonce, block hash, access-key
 * permission). See `README.md` for exactly what it models and what it does not.
 *
 * @example
 * const devnet = await startNearDevnet({ port: 0, dataDir: '/tmp/near' })
 * const provider = new JsonRpcProvider({ url: devnet.url })
 * const root = new Account(devnet.rootAccount, provider, KeyPairSigner.fromSecretKey(devnet.rootSecretKey))
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BlockProducer } from './block-producer.ts'
import { type BlockRecord, ChainState, NO_CODE_HASH } from './chain-state.ts'
import { NEAR_ROOT_ACCOUNT, NEAR_ROOT_KEY } from './dev-keys.ts'
import { NearRuntime } from './near-runtime.ts'
import { internalError, NearRpcError, requestError } from './rpc-errors.ts'
import { RPC_METHODS, type RpcContext } from './rpc-methods.ts'

/** Options of {@link startNearDevnet}. */
export interface NearDevnetOptions {
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number
  /** Persist the chain in this folder (LevelDB); omitted = in memory only. */
  readonly dataDir?: string
  /** Block interval (default 200 ms). */
  readonly blockMs?: number
  /** Blocks a transaction's block hash stays valid (default 86400, nearcore's mainnet value). */
  readonly validityBlocks?: number
  /** `status.chain_id` (default `localnet`). */
  readonly chainId?: string
  /** How long `send_tx` waits for inclusion before TIMEOUT_ERROR (default 10 s). */
  readonly waitTimeoutMs?: number
  /** Largest request body (default 8 MiB: contract deploys). */
  readonly bodyLimit?: number
}

/** A running devnet. */
export interface NearDevnet {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  readonly chainId: string
  /** The genesis account (`test.near`), which may create `<name>.test.near` accounts. */
  readonly rootAccount: string
  /** Its FullAccess dev key, `ed25519:…` (public knowledge: local use only). */
  readonly rootSecretKey: string
  /** Produces a block now (with the pooled transactions). */
  mine(): Promise<BlockRecord>
  /** The latest block height. */
  height(): number
  /** Stops block production and the server, and closes the database. Idempotent. */
  stop(): Promise<void>
}

/** Starts the devnet; with `dataDir`, on the state it left there. */
export async function startNearDevnet(options: NearDevnetOptions = {}): Promise<NearDevnet> {
  const validityBlocks = options.validityBlocks ?? 86_400
  const state = await ChainState.open(options.dataDir, Math.max(validityBlocks + 1, 1000))
  const runtime = new NearRuntime(state, validityBlocks)
  const producer = new BlockProducer(state, runtime)
  if (!state.latest()) {
    state.accounts.set(NEAR_ROOT_ACCOUNT, {
      amount: 10n ** 33n,
      codeHash: NO_CODE_HASH,
      keys: new Map([[NEAR_ROOT_KEY.publicKey, { nonce: 0n, permission: 'FullAccess' }]]),
    })
    state.touchAccount(NEAR_ROOT_ACCOUNT)
    await producer.genesis()
  }
  const chainId = options.chainId ?? 'localnet'
  const ctx: RpcContext = {
    chainId,
    state,
    runtime,
    producer,
    waitTimeoutMs: options.waitTimeoutMs ?? 10_000,
  }
  const bodyLimit = options.bodyLimit ?? 8 * 1024 * 1024

  const server = createServer((req, res) => {
    handle(ctx, req, res, bodyLimit).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  producer.start(options.blockMs ?? 200)
  const port = (server.address() as AddressInfo).port
  let stopping: Promise<void> | undefined
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    chainId,
    rootAccount: NEAR_ROOT_ACCOUNT,
    rootSecretKey: NEAR_ROOT_KEY.secretKey,
    mine: () => producer.mine(),
    height: () => state.latest()!.height,
    stop() {
      stopping ??= (async () => {
        await producer.stop()
        server.closeAllConnections()
        await new Promise<void>((r) => server.close(() => r()))
        runtime.close()
        await state.close()
      })()
      return stopping
    },
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > limit) return undefined
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function handle(
  ctx: RpcContext,
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
): Promise<void> {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  if (req.method === 'GET' && (req.url === '/status' || req.url === '/health')) {
    send(200, req.url === '/status' ? await RPC_METHODS.status!(ctx, []) : {})
    return
  }
  if (req.method !== 'POST') {
    send(405, { error: 'use POST with a JSON-RPC body' })
    return
  }
  const text = await readBody(req, limit)
  let id: unknown = null
  try {
    if (text === undefined) throw requestError('PARSE_ERROR', { error_message: 'request body too large' })
    let msg: { id?: unknown; method?: unknown; params?: unknown }
    try {
      msg = JSON.parse(text)
    } catch {
      throw requestError('PARSE_ERROR', { error_message: 'invalid JSON' })
    }
    if (!msg || typeof msg !== 'object')
      throw requestError('PARSE_ERROR', { error_message: 'not a JSON-RPC request' })
    // JSON-RPC ids are strings, numbers or null; anything else is not echoed (a deeply nested id
    // would make the reply itself unserializable)
    id = typeof msg.id === 'string' || typeof msg.id === 'number' ? msg.id : null
    const method =
      typeof msg.method === 'string' && Object.hasOwn(RPC_METHODS, msg.method)
        ? RPC_METHODS[msg.method]
        : undefined
    if (!method) throw requestError('METHOD_NOT_FOUND', { method_name: String(msg.method) })
    const result = await method(ctx, msg.params)
    send(200, { jsonrpc: '2.0', id, result })
  } catch (e) {
    const err = e instanceof NearRpcError ? e : internalError(e instanceof Error ? e.message : String(e))
    send(200, { jsonrpc: '2.0', id, error: err.body })
  }
}
