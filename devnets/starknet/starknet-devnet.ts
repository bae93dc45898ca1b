/**
 * A local Starknet devnet: a JSON-RPC 0.9 server on 127.0.0.1 that the unmodified starknet.js
 * (`RpcProvider({nodeUrl, specVersion: '0.9.0'})`, `Account`) talks to. Real transaction hashing and
 * Stark-curve signature checks (starknet.js); contract logic is a MODEL of the Cairo anchor contract
 * (contracts/starknet/anchor-model.ts), not executed Cairo — no Cairo VM runs here. See README.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type AccountVariant,
  type DevnetAccount,
  deriveAccounts,
  MODEL_CLASS_HASHES,
} from './devnet-accounts.ts'
import { DevnetChain } from './devnet-chain.ts'
import { UDC_ADDRESS } from './devnet-execution.ts'
import { RpcFailure, rpcErrors } from './rpc-errors.ts'
import { handleRpc, type RpcParams } from './rpc-methods.ts'

/** Options of {@link startStarknetDevnet}. */
export interface StarknetDevnetOptions {
  /** Bind address (default 127.0.0.1). */
  readonly host?: string
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number
  /** Persist the chain here (append-only `starknet-blocks.jsonl`); omitted = in memory only. */
  readonly dataDir?: string
  /** Close a block every `blockMs` ms when transactions are pending; 0 (default) = a block per transaction. */
  readonly blockMs?: number
  /** Chain id short string (default `SN_DEVNET`; the CAIP-2 id is `starknet:<it>`). */
  readonly chainId?: string
  /** Seed of the predeployed dev accounts (default `mero-starknet-devnet`). */
  readonly seed?: string
  /** Number of predeployed accounts (default 6: five OpenZeppelin-style, the last Argent-style). */
  readonly accounts?: number
  /** Implementation of account i (overrides the default layout), e.g. `['openzeppelin', 'cairo0']`. */
  readonly accountVariants?: readonly AccountVariant[]
  /** Largest request body, bytes (default 4 MiB). */
  readonly maxBodyBytes?: number
}

/** A running devnet. */
export interface StarknetDevnet {
  /** `http://127.0.0.1:<port>/rpc`. */
  readonly url: string
  readonly port: number
  /** The chain id short string, e.g. `SN_DEVNET`. */
  readonly chainId: string
  /** Predeployed accounts (dev keys: public knowledge). */
  readonly accounts: readonly DevnetAccount[]
  /** Model class hash of the anchor contract (deploy it through the UDC with this class hash). */
  readonly anchorClassHash: string
  /** The Universal Deployer address. */
  readonly udcAddress: string
  /** The chain state (for tests). */
  readonly chain: DevnetChain
  /** Closes a block now (even an empty one). */
  mine(): void
  /** Stops the server and the block timer. Idempotent. */
  stop(): Promise<void>
}

/** The JSON-RPC spec version served. */
export const STARKNET_SPEC_VERSION = '0.9.0'

/**
 * Starts the devnet.
 *
 * @example
 * const devnet = await startStarknetDevnet({ port: 0, dataDir: '/tmp/sn' })
 * const provider = new RpcProvider({ nodeUrl: devnet.url, specVersion: '0.9.0' })
 */
export async function startStarknetDevnet(options: StarknetDevnetOptions = {}): Promise<StarknetDevnet> {
  const chainId = options.chainId ?? 'SN_DEVNET'
  if (!/^[\x20-\x7e]{1,31}$/.test(chainId))
    throw new Error('chainId must be a short string (1-31 ASCII chars)')
  const accounts = deriveAccounts(
    options.seed ?? 'mero-starknet-devnet',
    options.accounts ?? 6,
    options.accountVariants,
  )
  const chain = DevnetChain.open({ dataDir: options.dataDir, chainId, accounts })
  const blockMs = options.blockMs ?? 0
  const maxBody = options.maxBodyBytes ?? 4 * 1024 * 1024

  const one = (req: unknown): object | undefined => {
    const r = req as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown }
    const rawId = r && typeof r === 'object' && 'id' in r ? (r.id ?? null) : null
    // JSON-RPC 2.0: an id is a string, a number or null. Anything else is not echoed (a deeply nested
    // id would overflow the stack when the answer is serialized).
    const idOk = rawId === null || typeof rawId === 'string' || typeof rawId === 'number'
    const id = idOk ? rawId : null
    try {
      if (!r || typeof r !== 'object' || r.jsonrpc !== '2.0' || typeof r.method !== 'string' || !idOk)
        throw rpcErrors.invalidRequest()
      if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null))
        throw rpcErrors.invalidParams('params must be an object or an array')
      const result =
        r.method === 'devnet_getPredeployedAccounts'
          ? accounts.map((a) => ({
              address: a.address,
              public_key: a.publicKey,
              private_key: a.privateKey,
              initial_balance: '0',
            }))
          : handleRpc(chain, r.method, r.params as RpcParams, STARKNET_SPEC_VERSION)
      if (r.method === 'starknet_addInvokeTransaction' && blockMs === 0) chain.closeBlock()
      return { jsonrpc: '2.0', id, result }
    } catch (e) {
      const err = e instanceof RpcFailure ? e : rpcErrors.unexpected('internal error')
      return { jsonrpc: '2.0', id, error: err.toJSON() }
    }
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown) => {
      let text: string
      try {
        text = JSON.stringify(body)
      } catch {
        // never let an answer that cannot be serialized take the server down
        status = 200
        text = JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: rpcErrors.unexpected('unserializable answer'),
        })
      }
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(text)
    }
    if (req.method !== 'POST')
      return send(405, { jsonrpc: '2.0', id: null, error: rpcErrors.invalidRequest() })
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > maxBody) {
        send(413, { jsonrpc: '2.0', id: null, error: rpcErrors.invalidRequest().toJSON() })
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => {
      if (res.writableEnded) return
      let body: unknown
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return send(200, { jsonrpc: '2.0', id: null, error: rpcErrors.parseError().toJSON() })
      }
      if (Array.isArray(body)) {
        if (body.length === 0)
          return send(200, { jsonrpc: '2.0', id: null, error: rpcErrors.invalidRequest() })
        return send(200, body.map(one))
      }
      send(200, one(body))
    })
    req.on('error', () => res.destroy())
  }

  const server = createServer(onRequest)
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const timer =
    blockMs > 0
      ? setInterval(() => {
          try {
            chain.closeBlock()
          } catch {
            // persisting failed (disk): keep serving; the next block retries the write
          }
        }, blockMs)
      : undefined
  const port = (server.address() as AddressInfo).port
  let stopped: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}/rpc`,
    port,
    chainId,
    accounts,
    anchorClassHash: MODEL_CLASS_HASHES.anchor,
    udcAddress: UDC_ADDRESS,
    chain,
    mine: () => {
      chain.closeBlock(true)
    },
    stop: () => {
      stopped ??= (async () => {
        if (timer) clearInterval(timer)
        if (chain.pendingTxs.length > 0) chain.closeBlock()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        chain.close()
      })()
      return stopped
    },
  }
}
