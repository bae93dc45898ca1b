/**
 * The Stellar adapter's one serialized send path. Stellar core accepts one pending transaction per
 * source account and each needs the exact next sequence number, so transactions go out one at a time
 * (Horizon's `POST /transactions` answers once the ledger closed) with a locally kept sequence per
 * source account, re-read from Horizon after any failure and retried on `tx_bad_seq` (another
 * process used the account). Concurrent callers queue and land in order.
 */
import {
  Account,
  type Horizon,
  type Keypair,
  type Memo,
  TransactionBuilder,
  type xdr,
} from '@stellar/stellar-sdk'
import { Aborted, ChainRejected } from '../../src/core/errors.ts'
import { guardHorizon, isNotFound, resultCodesOf, toChainError } from './horizon-errors.ts'

/** One transaction to send. */
export interface SendRequest {
  /** Operation name for errors, e.g. `anchor`. */
  readonly what: string
  /** Source account (the anchoring or registry account). */
  readonly source: string
  readonly memo?: Memo
  readonly operations: readonly xdr.Operation[]
  /** Checked before the transaction is built; an aborted request sends nothing. */
  readonly signal?: AbortSignal
}

/** A transaction in a closed ledger. */
export interface Sent {
  readonly hash: string
  readonly ledger: number
  /** Size of the signed envelope, bytes. */
  readonly envelopeBytes: number
}

/** Options of {@link createSequenceSender}. */
export interface SequenceSenderOptions {
  readonly server: Horizon.Server
  /** The submitter's key. Never logged. */
  readonly keypair: Keypair
  readonly passphrase: string
  /** Transaction validity window, seconds (time bound `maxTime = now + this`). */
  readonly validitySec: number
}

/** Serialized sender. */
export interface SequenceSender {
  /** Queues one transaction; resolves once its ledger closed. */
  send(request: SendRequest): Promise<Sent>
  /**
   * Runs `job` in the queue (in call order), with a `send` that goes out immediately: a job's checks
   * and its transaction are atomic with respect to every other job of this sender.
   */
  exclusive<T>(job: (send: (request: SendRequest) => Promise<Sent>) => Promise<T>): Promise<T>
  /** Transactions currently queued or in flight. */
  pending(): number
  /** Resolves when nothing is in flight. */
  idle(): Promise<void>
}

/** Retries after `tx_bad_seq` (backing off 50 ms … 2 s, about 10 s in all). */
const BAD_SEQ_RETRIES = 9

/** Creates the send path of one submitter key. */
export function createSequenceSender(o: SequenceSenderOptions): SequenceSender {
  const seqs = new Map<string, bigint>()
  let baseFee: number | undefined
  let tail: Promise<unknown> = Promise.resolve()
  let inFlight = 0

  const run = async (r: SendRequest): Promise<Sent> => {
    let feeRetried = false
    for (let attempt = 0; ; attempt++) {
      if (r.signal?.aborted)
        throw new Aborted(`${r.what}: aborted before sending`, { cause: r.signal.reason })
      let seq = seqs.get(r.source)
      if (seq === undefined) {
        try {
          seq = BigInt(
            (await guardHorizon(r.what, undefined, () => o.server.loadAccount(r.source))).sequenceNumber(),
          )
        } catch (e) {
          if (isNotFound(e) || isNotFound((e as { cause?: unknown }).cause))
            throw new ChainRejected(`${r.what}: account ${r.source} does not exist on this network`, {
              details: { reason: 'AccountMissing', account: r.source },
            })
          throw e
        }
      }
      baseFee ??= await guardHorizon(r.what, undefined, () => o.server.fetchBaseFee())
      const builder = new TransactionBuilder(new Account(r.source, seq.toString()), {
        fee: String(baseFee),
        networkPassphrase: o.passphrase,
      })
      for (const op of r.operations) builder.addOperation(op)
      if (r.memo) builder.addMemo(r.memo)
      const tx = builder.setTimeout(o.validitySec).build()
      tx.sign(o.keypair)
      const envelope = tx.toEnvelope().toXDR('base64')
      try {
        const res = await o.server.submitTransaction(tx, { skipMemoRequiredCheck: true })
        seqs.set(r.source, seq + 1n)
        return { hash: res.hash, ledger: res.ledger, envelopeBytes: Buffer.from(envelope, 'base64').length }
      } catch (e) {
        // Whether the sequence was consumed depends on where it failed: re-read it.
        seqs.delete(r.source)
        const code = resultCodesOf(e)?.transaction
        if (attempt < BAD_SEQ_RETRIES && code === 'tx_bad_seq') {
          // Another sender holds the account's pending sequence: wait for a ledger close, re-read.
          await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)))
          continue
        }
        if (code === 'tx_insufficient_fee' && !feeRetried) {
          feeRetried = true
          baseFee = undefined
          continue
        }
        throw toChainError(e, r.what)
      }
    }
  }

  const exclusive = <T>(job: (send: (request: SendRequest) => Promise<Sent>) => Promise<T>): Promise<T> => {
    inFlight++
    const go = () => job(run)
    const p = tail.then(go, go).finally(() => {
      inFlight--
    })
    tail = p.catch(() => undefined)
    return p
  }

  return {
    send: (r) => exclusive((send) => send(r)),
    exclusive,
    pending: () => inFlight,
    async idle() {
      await tail
    },
  }
}
