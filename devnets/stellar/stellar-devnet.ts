/**
 * A Horizon-compatible Stellar devnet on 127.0.0.1 for tests and `merod dev`: the unmodified
 * `Horizon.Server(url, { allowHttp: true })` of `@stellar/stellar-sdk` talks to it. Submitted
 * transactions are checked like stellar-core's `checkValid` (see `stellar-ledger.ts`), queued, and
 * applied when the next ledger closes on a timer; `POST /transactions` answers once that ledger has
 * closed, like Horizon's synchronous submit. State persists in `dataDir`. See README.md for exactly
 * what is and is not modelled.
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Account, Keypair, Operation, TransactionBuilder } from '@stellar/stellar-sdk'
import { loadSnapshot, saveLedger } from './devnet-store.ts'
import { identify, internalError, memoFields, tryAgainLater } from './devnet-submissions.ts'
import { problem } from './horizon-resources.ts'
import { createHorizonRoutes } from './horizon-routes.ts'
import {
  applyTransaction,
  type Checked,
  chargeFailed,
  checkTransaction,
  type Rejection,
  type TxRecord,
} from './stellar-ledger.ts'
import { type AccountState, newAccount, STROOPS } from './stellar-operations.ts'

/** The standalone network's passphrase (stellar/quickstart `--local`). */
export const STANDALONE_PASSPHRASE = 'Standalone Network ; February 2017'

/** Options of {@link startStellarDevnet}. */
export interface StellarDevnetOptions {
  readonly host?: string
  /** 0 (default) picks a free port. */
  readonly port?: number
  /** Folder for the ledger state; omit to keep it in memory only. */
  readonly dataDir?: string
  /** Ledger close interval, ms (default 1000); 0 closes ledgers only on {@link StellarDevnet.closeLedger}. */
  readonly blockMs?: number
  /** Network passphrase (default the standalone network's). */
  readonly passphrase?: string
  /** XLM friendbot gives a new account (default 10 000). */
  readonly friendbotXlm?: number
  /**
   * stellar-core's queue rule: one pending transaction per source account; a second one before the
   * ledger closes is answered TRY_AGAIN_LATER (HTTP 503). Default true.
   */
  readonly onePendingPerAccount?: boolean
  /** Where operational errors go (a failed state save). Default `console.error`. */
  readonly log?: (message: string) => void
  /** Test hook: replaces the state save of a closed ledger. */
  readonly saveLedger?: typeof saveLedger
}

/** A running devnet. */
export interface StellarDevnet {
  /** Horizon base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  readonly passphrase: string
  /** The network root account (`Keypair.master(passphrase)`), holder of all lumens. */
  readonly root: Keypair
  /** Latest closed ledger. */
  ledger(): number
  /** Transactions waiting for the next ledger. */
  pending(): number
  /**
   * Closes a ledger now (besides the timer's); resolves once it is closed and its save attempted (a failed
   * save answers that ledger's submitters 503, as on the timer); rejects if closing it throws.
   */
  closeLedger(): Promise<void>
  /** Every envelope accepted into a ledger, base64 XDR (for cross-checks in tests). */
  acceptedEnvelopes(): readonly string[]
  /** Funds `account` from the root account like friendbot; resolves once its ledger closed. */
  fund(account: string, xlm?: number): Promise<void>
  /** Stops the timer and the server, answers pending submissions with 503, persists. Idempotent. */
  stop(): Promise<void>
}

type Outcome = { ok: true; record: TxRecord } | Rejection

interface Pending {
  readonly checked: Checked
  /** Answers every submission of this envelope (a resubmission while queued waits here too). */
  done: (r: Outcome) => void
}

/**
 * Starts the devnet.
 *
 * @example
 * const net = await startStellarDevnet({ dataDir: '/tmp/x', blockMs: 200 })
 * const server = new Horizon.Server(net.url, { allowHttp: true })
 * await net.fund(Keypair.random().publicKey())
 */
export async function startStellarDevnet(options: StellarDevnetOptions = {}): Promise<StellarDevnet> {
  const passphrase = options.passphrase ?? STANDALONE_PASSPHRASE
  const blockMs = options.blockMs ?? 1000
  const root = Keypair.master(passphrase)
  const saved = options.dataDir ? await loadSnapshot(options.dataDir) : undefined
  if (saved && saved.passphrase !== passphrase)
    throw new Error(`devnet state in ${options.dataDir} belongs to network '${saved.passphrase}'`)
  const accounts = new Map<string, AccountState>()
  let ledger = saved?.ledger ?? 1
  let closedAt = saved?.closedAt ?? Date.now()
  if (saved) for (const a of saved.accounts) accounts.set(a.id, a)
  else
    accounts.set(root.publicKey(), {
      ...newAccount(root.publicKey(), 100_000_000_000n * STROOPS, 1, closedAt),
      seq: 0n,
    })
  const txs: TxRecord[] = [...(saved?.txs ?? [])]
  const byHash = new Map(txs.map((t) => [t.hash, t]))
  const byAccount = new Map<string, TxRecord[]>()
  const index = (t: TxRecord) => {
    for (const p of t.participants) {
      const list = byAccount.get(p) ?? []
      list.push(t)
      byAccount.set(p, list)
    }
  }
  for (const t of txs) index(t)
  const accepted: string[] = []
  let queue: Pending[] = []
  let saving: Promise<void> = Promise.resolve()
  let stopped = false

  let unsaved: TxRecord[] = []
  const strict = options.onePendingPerAccount ?? true
  const log = options.log ?? ((m: string) => console.error(m))
  const save = options.saveLedger ?? saveLedger
  const nextSeq = (id: string): bigint | undefined => {
    const a = accounts.get(id)
    if (!a) return undefined
    const last = queue.findLast((p) => p.checked.tx.source_account === id)
    return (last ? BigInt(last.checked.tx.seq_num) : a.seq) + 1n
  }
  const check = (envelope: string, queued: boolean) =>
    checkTransaction(envelope, {
      passphrase,
      accounts,
      closeTime: Math.floor(Date.now() / 1000),
      nextSeq: queued ? nextSeq : (id) => (accounts.get(id)?.seq ?? -2n) + 1n,
    })

  const closeLedger = async () => {
    const batch = queue
    queue = []
    ledger += 1
    closedAt = Date.now()
    const records: TxRecord[] = []
    const answers: (() => void)[] = []
    for (const p of batch) {
      // Re-validate against the state the earlier transactions of this ledger left (core does too).
      const recheck = check(p.checked.envelopeXdr, false)
      const failed = recheck.ok ? undefined : chargeFailed(p.checked, recheck, accounts, ledger, closedAt)
      if (!recheck.ok && !failed) {
        answers.push(() => p.done(recheck))
        continue
      }
      const again = recheck.ok ? recheck : p.checked
      const applied = failed ?? applyTransaction(again, accounts, ledger, closedAt)
      const { tx } = again
      const memo = memoFields(tx.memo)
      const time = typeof tx.cond === 'object' && 'time' in tx.cond ? tx.cond.time : undefined
      const record: TxRecord = {
        hash: again.hash,
        ledger,
        index: records.length + 1,
        closedAt,
        source: tx.source_account,
        seq: tx.seq_num,
        fee: tx.fee,
        feeCharged: Number(applied.feeCharged),
        opCount: tx.operations.length,
        envelopeXdr: again.envelopeXdr,
        resultXdr: applied.resultXdr,
        successful: applied.successful,
        ...memo,
        signatures: again.signatures.map((s) => Buffer.from(s.signature, 'hex').toString('base64')),
        ...(time ? { validAfter: Number(time.min_time), validBefore: Number(time.max_time) } : {}),
        participants: applied.participants,
      }
      records.push(record)
      byHash.set(record.hash, record)
      txs.push(record)
      index(record)
      accepted.push(again.envelopeXdr)
      answers.push(() =>
        applied.successful
          ? p.done({ ok: true, record })
          : p.done({ ok: false, resultXdr: applied.resultXdr, codes: applied.codes }),
      )
    }
    if (options.dataDir) {
      // Empty ledgers are saved too, so the ledger number never goes back after a restart.
      const dir = options.dataDir
      const head = { passphrase, ledger, closedAt }
      // Records of a ledger whose save failed go out with the next save (the load drops duplicates).
      const pendingRecords = [...unsaved, ...records]
      saving = saving.then(() => save(dir, head, accounts.values(), pendingRecords))
      const ok = await saving.then(
        () => {
          unsaved = []
          return true
        },
        (e: unknown) => {
          log(`stellar devnet: saving ledger ${ledger} failed: ${String(e).slice(0, 200)}`)
          return false
        },
      )
      saving = Promise.resolve()
      if (!ok) {
        unsaved = pendingRecords
        // Not durable: do not tell submitters it worked (the client retries and finds what landed).
        for (const p of batch) p.done(internalError('ledger state could not be saved'))
        return
      }
    }
    for (const a of answers) a()
  }

  let closing: Promise<void> = Promise.resolve()
  /** Closes the next ledger after the one closing; the promise rejects when that close fails. */
  const closeNext = (): Promise<void> => {
    const run = closing.then(closeLedger)
    // A throw must never become an unhandled rejection (it would take merod down with it).
    closing = run.catch((e: unknown) => {
      log(`stellar devnet: closing ledger ${ledger} failed: ${String(e).slice(0, 200)}`)
    })
    return run
  }
  const timer = blockMs > 0 ? setInterval(() => void closeNext().catch(() => {}), blockMs) : undefined

  const submit = (envelope: string, internal = false): Promise<Outcome> => {
    // Horizon's submission is idempotent: an envelope already in a ledger gets its saved result, and
    // one already queued gets the answer of its ledger (never TRY_AGAIN_LATER or tx_bad_seq).
    const id = identify(envelope, passphrase)
    const landed = id && byHash.get(id.hash)
    if (landed?.successful)
      // Not durable yet (its ledger's save failed): the same 503 as the first answer.
      return Promise.resolve(
        unsaved.includes(landed)
          ? internalError('ledger state could not be saved')
          : { ok: true, record: landed },
      )
    const queued = id && queue.find((p) => p.checked.hash === id.hash)
    if (queued)
      return new Promise((resolve) => {
        const first = queued.done
        queued.done = (r) => {
          first(r)
          resolve(r)
        }
      })
    if (strict && !internal && id?.source && queue.some((p) => p.checked.tx.source_account === id.source))
      return Promise.resolve(tryAgainLater())
    const checked = check(envelope, true)
    if (!checked.ok) return Promise.resolve(checked)
    return new Promise((done) => queue.push({ checked, done }))
  }

  const fund = async (account: string, xlm = options.friendbotXlm ?? 10_000): Promise<void> => {
    const seq = nextSeq(root.publicKey())! - 1n
    const tx = new TransactionBuilder(new Account(root.publicKey(), seq.toString()), {
      fee: '100',
      networkPassphrase: passphrase,
    })
      .addOperation(Operation.createAccount({ destination: account, startingBalance: String(xlm) }))
      .setTimeout(0)
      .build()
    tx.sign(root)
    const r = await submit(tx.toEnvelope().toXDR('base64'), true)
    if (!r.ok)
      throw Object.assign(
        new Error(`friendbot: ${r.codes.transaction} ${r.codes.operations?.join(',') ?? ''}`),
        { codes: r.codes },
      )
  }

  let base = ''
  const server = createServer((req, res) => {
    handle(req).then(
      (p) => send(res, p.status, p.body, !req.complete),
      (e) => {
        const p =
          e instanceof URIError
            ? problem(400, 'bad_request', 'Bad Request', 'the URL does not decode')
            : problem(500, 'server_error', 'Internal Server Error', String(e).slice(0, 200))
        send(res, p.status, p.body, !req.complete)
      },
    )
  })

  const handle = createHorizonRoutes({
    base: () => base,
    passphrase,
    ledger: () => ledger,
    closedAt: () => closedAt,
    accounts,
    byHash,
    byAccount,
    submit,
    fund,
    stopped: () => stopped,
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const addr = server.address() as AddressInfo
  base = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`

  return {
    url: base,
    passphrase,
    root,
    ledger: () => ledger,
    pending: () => queue.length,
    closeLedger: () => (stopped ? Promise.resolve() : closeNext()),
    acceptedEnvelopes: () => accepted,
    fund,
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(timer)
      await closing
      for (const p of queue) p.done(internalError('devnet stopping'))
      queue = []
      if (options.dataDir) {
        const dir = options.dataDir
        saving = saving.then(() => saveLedger(dir, { passphrase, ledger, closedAt }, accounts.values(), []))
        await saving
      }
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

/** Writes a JSON answer; `close` ends the connection after it (a request body left unread). */
function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent || res.destroyed) return
  const json = JSON.stringify(body)
  res.writeHead(status, {
    ...(close ? { connection: 'close' } : {}),
    'content-type':
      status >= 400 ? 'application/problem+json; charset=utf-8' : 'application/hal+json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'access-control-allow-origin': '*',
  })
  res.end(json)
}
