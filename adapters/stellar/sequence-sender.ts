/**
 * The Stellar adapter's one serialized send path. Stellar core accepts one pending transaction per
 * source account and each needs the exact next sequence number, so transactions go out one at a time
 * (Horizon's `POST /transactions` answers once the ledger closed) with a locally kept sequence per
 * source account, re-read from Horizon after any failure and retried on `tx_bad_seq` (another
 * process used the account) and `tx_too_late`. An answer that leaves the outcome open — a 5xx
 * without result codes (TRY_AGAIN_LATER, a submission timeout), no answer at all (Horizon restarted,
 * connection reset, request timeout) — resends the identical envelope until it is in a ledger, is
 * refused, or its time bound has passed (then it can never land): a rebuilt transaction is sent
 * only once the earlier one is certain not to land, so an outage mid-submission never anchors twice.
 * Concurrent callers queue and land in order.
 */
import {
  Account,
  type Horizon,
  type Keypair,
  type Memo,
  type Transaction,
  TransactionBuilder,
  type xdr,
} from '@stellar/stellar-sdk'
import { Aborted, ChainRejected, ChainUnavailable } from '../../src/core/errors.ts'
import { guardHorizon, httpFailure, isNotFound, resultCodesOf, toChainError } from './horizon-errors.ts'

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
  /** The adapter's close: stops waiting and retrying at once. */
  readonly closing?: AbortSignal
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

/** Retries of a temporary failure (backing off 50 ms … 2 s, about 10 s in all). */
const RETRIES = 9

/**
 * Per-operation fee, stroops: the 70th percentile of the fees charged recently (what it takes to
 * get in when ledgers fill up), never below the last ledger's base fee.
 */
async function chooseFee(server: Horizon.Server, what: string): Promise<number> {
  const stats = await guardHorizon(what, undefined, () => server.feeStats())
  const base = Number(stats.last_ledger_base_fee)
  const p70 = Number(stats.fee_charged?.p70)
  const fee = Math.max(Number.isFinite(base) ? base : 100, Number.isFinite(p70) ? p70 : 0)
  return Math.min(Math.max(fee, 100), 1_000_000)
}

/** Waits `ms`, or less when `signal` aborts (no timer is left behind). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

const hashOf = (tx: Transaction) => Buffer.from(tx.hash()).toString('hex')

/** Margin after a transaction's `maxTime` before it is taken as never landing (clock skew), s. */
const EXPIRY_MARGIN_SEC = 10

/** Creates the send path of one submitter key. */
export function createSequenceSender(o: SequenceSenderOptions): SequenceSender {
  const seqs = new Map<string, bigint>()
  let baseFee: number | undefined
  let tail: Promise<unknown> = Promise.resolve()
  let inFlight = 0

  const loadSeq = async (r: SendRequest): Promise<bigint> => {
    try {
      return BigInt(
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

  /** The transaction `hash` if it is in a closed ledger (an earlier copy we sent may have landed). */
  const landed = async (hash: string): Promise<Horizon.ServerApi.TransactionRecord | undefined> => {
    try {
      return await o.server.transactions().transaction(hash).call()
    } catch {
      return undefined
    }
  }

  const run = async (r: SendRequest): Promise<Sent> => {
    let feeRetried = false
    // A transaction that may still be pending (Horizon timed out / TRY_AGAIN_LATER): resent as is,
    // never rebuilt with the same sequence number, so it cannot land twice.
    let pending: Transaction | undefined
    for (let attempt = 0; ; attempt++) {
      if (o.closing?.aborted)
        throw new ChainUnavailable(`${r.what}: adapter closed before the transaction was confirmed`, {
          details: { reason: 'Closed', operation: r.what, ...(pending ? { tx: hashOf(pending) } : {}) },
        })
      if (r.signal?.aborted && !pending)
        throw new Aborted(`${r.what}: aborted before sending`, { cause: r.signal.reason })
      let tx = pending
      if (!tx) {
        const seq = seqs.get(r.source) ?? (await loadSeq(r))
        baseFee ??= await chooseFee(o.server, r.what)
        const builder = new TransactionBuilder(new Account(r.source, seq.toString()), {
          fee: String(baseFee),
          networkPassphrase: o.passphrase,
        })
        for (const op of r.operations) builder.addOperation(op)
        if (r.memo) builder.addMemo(r.memo)
        tx = builder.setTimeout(o.validitySec).build()
        tx.sign(o.keypair)
      }
      const hash = hashOf(tx)
      const seq = BigInt(tx.sequence)
      const envelopeBytes = tx.toEnvelope().toXDR().length
      try {
        const res = await o.server.submitTransaction(tx, { skipMemoRequiredCheck: true })
        seqs.set(r.source, seq)
        return { hash: res.hash, ledger: res.ledger, envelopeBytes }
      } catch (e) {
        const code = resultCodesOf(e)?.transaction
        const status = httpFailure(e)?.status
        if (pending && code === 'tx_bad_seq') {
          // Our earlier copy may be what used the sequence number.
          const rec = await landed(hash)
          if (rec?.successful) {
            seqs.set(r.source, seq)
            return { hash, ledger: rec.ledger_attr, envelopeBytes }
          }
        }
        // TRY_AGAIN_LATER (another transaction of the account is pending), a submission timeout, a
        // 5xx, or no answer (Horizon down or restarted, connection reset): the transaction may still
        // land. Resend it unchanged until that is settled; past its time bound it never can.
        const open = !code && (status === undefined || status === 0 || status >= 500)
        const maxTime = Number(tx.timeBounds?.maxTime ?? 0)
        const expired = maxTime > 0 && Date.now() / 1000 > maxTime + EXPIRY_MARGIN_SEC
        if (open && !o.closing?.aborted && (attempt < RETRIES || (maxTime > 0 && !expired))) {
          pending = tx
          await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)), o.closing)
          continue
        }
        pending = undefined
        // Whether the sequence was consumed depends on where it failed: re-read it.
        seqs.delete(r.source)
        if (attempt < RETRIES && (code === 'tx_bad_seq' || code === 'tx_too_late')) {
          // Another sender used the account's sequence, or the window passed: wait, re-read, rebuild.
          await sleep(Math.min(2000, 50 * 2 ** attempt), o.closing)
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
