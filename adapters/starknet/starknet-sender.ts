/**
 * The adapter's one send path: every INVOKE of the account goes through a queue that owns the
 * account's nonce (kept locally, re-read from the node after any failure), so concurrent submissions
 * never race for a nonce. starknet.js's `Account.execute` estimates, hashes, signs and broadcasts.
 */
import { type Account, type Call, RpcError } from 'starknet'
import { Aborted, isMeroError } from '../../src/core/errors.ts'
import { wrapStarknetError } from './starknet-errors.ts'

/** The serialized sender of one account. */
export interface StarknetSender {
  /** Broadcasts `calls` as one INVOKE v3; resolves with the transaction hash. */
  send(what: string, calls: Call[], signal?: AbortSignal): Promise<string>
  /** Sends and waits until the transaction is in a block; throws `ChainRejected` when it reverted. */
  sendAndWait(what: string, calls: Call[], signal?: AbortSignal): Promise<string>
  /**
   * Forget the local nonce (re-read before the next send). Ignored while a send is queued or in
   * flight: that send sets the nonce from its own value, and forgetting it mid-flight would race.
   */
  invalidateNonce(): void
  /** Forget the local nonce even mid-flight (a sent transaction was dropped): sends in flight do not restore it. */
  forgetNonce(): void
  /** Resolves when no send is running. */
  idle(): Promise<void>
}

/** Creates the sender of `account`. */
export function createStarknetSender(
  account: Account,
  waitForReceipt: (what: string, tx: string, signal?: AbortSignal) => Promise<void>,
): StarknetSender {
  let nonce: bigint | undefined
  let queue: Promise<unknown> = Promise.resolve()
  let queued = 0 // sends queued or running
  let generation = 0 // bumped by forgetNonce: an in-flight send must not restore a forgotten nonce

  const once = async (what: string, calls: Call[], signal?: AbortSignal): Promise<string> => {
    // The nonce this send uses is local: nothing outside the queue may change it mid-flight.
    const gen = generation
    const used = nonce ?? BigInt(await account.getNonce('pre_confirmed'))
    if (signal?.aborted) throw new Aborted(`${what}: aborted before broadcasting`)
    const r = await account.execute(calls, { nonce: used, tip: 0 })
    if (gen === generation) nonce = used + 1n
    return r.transaction_hash
  }

  const send = (what: string, calls: Call[], signal?: AbortSignal): Promise<string> => {
    const run = async () => {
      if (signal?.aborted) throw new Aborted(`${what}: aborted`)
      try {
        return await once(what, calls, signal)
      } catch (e) {
        nonce = undefined
        // Someone else used the account's nonce: re-read it and try once more.
        if (e instanceof RpcError && e.code === 52 && !signal?.aborted) {
          try {
            return await once(what, calls, signal)
          } catch (e2) {
            nonce = undefined
            throw wrapStarknetError(what, e2, signal)
          }
        }
        throw wrapStarknetError(what, e, signal)
      }
    }
    queued++
    const p = queue.then(run, run).finally(() => {
      queued--
    })
    queue = p.catch(() => {})
    return p
  }

  return {
    send,
    async sendAndWait(what, calls, signal) {
      const tx = await send(what, calls, signal)
      try {
        await waitForReceipt(what, tx, signal)
      } catch (e) {
        // Never seen or timed out: the nonce it used may be free again.
        if (isMeroError(e) && e.name === 'ChainUnavailable') {
          generation++
          nonce = undefined
        }
        throw e
      }
      return tx
    },
    invalidateNonce() {
      if (queued === 0) nonce = undefined
    },
    forgetNonce() {
      generation++
      nonce = undefined
    },
    async idle() {
      await queue
    },
  }
}
