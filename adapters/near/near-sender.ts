/**
 * The NEAR adapter's one serialized send path for an account key: it keeps the access key's nonce
 * locally (read from the chain once, and again after any send error), references the latest final
 * block, signs with near-api-js's `KeyPairSigner` and broadcasts with `send_tx` (`wait_until: NONE`,
 * so the node's checks — signature, nonce, block hash, permissions — answer before it returns).
 * A stale nonce (another client used the key) is retried with a fresh one, a few times, with a pause.
 */
import {
  type Account,
  type Action,
  createTransaction,
  encodeTransaction,
  type FinalExecutionOutcome,
  type JsonRpcProvider,
  type KeyPairSigner,
  type PublicKey,
} from 'near-api-js'
import { fromBase58, toBase58 } from '../../src/core/bytes.ts'
import { ChainRejected, ChainUnavailable } from '../../src/core/errors.ts'
import { sha256 } from '../../src/core/hash.ts'
import { guardNear, toChainError } from './near-errors.ts'

/** How long `sendAndWait` waits for a sent transaction's outcome. */
const WAIT_LIMIT_MS = 60_000
/** Retries after a stale nonce (each waits `pollMs × attempt`). */
const NONCE_RETRIES = 6

/** The part of a final block a transaction needs. */
export interface FinalBlock {
  readonly header: { readonly hash: string }
}

/** Sends transactions from one account key, one at a time. */
export interface NearSender {
  /** Signs and broadcasts; resolves with the transaction hash once the node accepted it. */
  send(
    what: string,
    receiverId: string,
    actions: Action[],
    signal?: AbortSignal,
    /** A final block fetched ahead (used by the first attempt). */
    block?: Promise<FinalBlock>,
  ): Promise<string>
  /** `send`, then waits for the final outcome; a failed execution throws the mapped error. */
  sendAndWait(what: string, receiverId: string, actions: Action[], signal?: AbortSignal): Promise<void>
  /** The key's current nonce on chain (= transactions sent with it so far, plus its creation nonce). */
  chainNonce(): Promise<bigint>
  /** Resolves when no send is in progress. */
  idle(): Promise<void>
}

/** Creates the send path of `account` signing with `signer`. */
export function createNearSender(
  account: Account,
  provider: JsonRpcProvider,
  signer: KeyPairSigner,
  pollMs: number,
): NearSender {
  let nextNonce: bigint | undefined
  let tail: Promise<unknown> = Promise.resolve()
  let publicKey: PublicKey | undefined
  const key = async () => {
    publicKey ??= await signer.getPublicKey()
    return publicKey
  }
  const chainNonce = async () => (await account.getAccessKey(await key())).nonce

  const send = (
    what: string,
    receiverId: string,
    actions: Action[],
    signal?: AbortSignal,
    prefetched?: Promise<FinalBlock>,
  ): Promise<string> => {
    const run = async (): Promise<string> => {
      for (let attempt = 0; ; attempt++) {
        signal?.throwIfAborted()
        try {
          const pk = await key()
          const [nonce, block] = await Promise.all([
            nextNonce === undefined ? chainNonce().then((n) => n + 1n) : Promise.resolve(nextNonce),
            (attempt === 0 && prefetched) || provider.viewBlock({ finality: 'final' }),
          ])
          const tx = createTransaction(
            account.accountId,
            pk,
            receiverId,
            nonce,
            actions,
            fromBase58(block.header.hash, 32),
          )
          const { signedTransaction } = await signer.signTransaction(tx)
          signal?.throwIfAborted()
          await provider.sendTransactionUntil(signedTransaction, 'NONE')
          nextNonce = nonce + 1n
          return toBase58(sha256(encodeTransaction(tx)))
        } catch (e) {
          nextNonce = undefined
          // Another client of this key got there first (its transaction may still be pooled, which the
          // chain's nonce does not show yet): wait a little and retry with a fresh nonce.
          if (attempt < NONCE_RETRIES && (e as Error)?.name === 'InvalidNonceError') {
            await new Promise((r) => setTimeout(r, pollMs * (attempt + 1)))
            continue
          }
          throw toChainError(e, what)
        }
      }
    }
    const p = tail.then(run, run)
    tail = p.catch(() => undefined)
    return p
  }

  return {
    send,
    async sendAndWait(what, receiverId, actions, signal) {
      const hash = await guardNear(what, signal, () => send(what, receiverId, actions, signal))
      const deadline = Date.now() + WAIT_LIMIT_MS
      for (;;) {
        if (Date.now() > deadline)
          throw new ChainUnavailable(
            `${what}: transaction ${hash} not executed within ${WAIT_LIMIT_MS / 1000} s`,
            {
              details: { operation: what, tx: hash },
            },
          )
        const outcome = await guardNear(what, signal, async () => {
          try {
            return (await provider.viewTransactionStatus({
              txHash: hash,
              accountId: account.accountId,
              waitUntil: 'FINAL',
            })) as FinalExecutionOutcome
          } catch (e) {
            if ((e as Error)?.name === 'UnknownTransactionError') return undefined
            throw e
          }
        })
        const status = outcome?.status as { Failure?: unknown } | string | undefined
        if (status && typeof status === 'object' && status.Failure !== undefined) {
          const reason = failureMessage(status.Failure)
          throw toChainError(Object.assign(new Error(reason), { name: 'TransactionFailure' }), what)
        }
        if (outcome && typeof status === 'object') return
        await new Promise((r) => setTimeout(r, pollMs))
      }
    },
    chainNonce,
    async idle() {
      await tail
    },
  }
}

/** The human message of an execution `Failure` (the panic message for contract panics). */
export function failureMessage(failure: unknown): string {
  const f = failure as {
    ActionError?: {
      kind?: {
        FunctionCallError?: { ExecutionError?: string }
        LackBalanceForState?: { account_id?: string; amount?: string }
      }
    }
  }
  const exec = f?.ActionError?.kind?.FunctionCallError?.ExecutionError
  if (typeof exec === 'string') return exec
  const lack = f?.ActionError?.kind?.LackBalanceForState
  if (lack)
    return `LackBalanceForState: ${lack.account_id} needs ${lack.amount} more yoctoNEAR to stake its storage`
  return JSON.stringify(failure).slice(0, 300)
}

/** Throws when a read-only adapter is asked to send. */
export function readOnlyError(what: string): ChainRejected {
  return new ChainRejected(`${what}: this adapter is read-only (no signer key)`, {
    details: { reason: 'ReadOnlyAdapter' },
  })
}
