/**
 * The devnet's ingress history: the status of every update call until its `ingress_expiry`, so a
 * captured signed call replayed within its expiry window is answered from history, never executed
 * twice — also across a restart. Each call's request id, expiry and sender are appended to
 * `requests.log` in the data folder before it executes (at most once: a crash in between loses the
 * call, never repeats it); replies are kept in memory only, so after a restart a known request reads
 * as `done` (the IC's status once a reply was pruned). Only expired entries are evicted; when the
 * history is full of unexpired ones, new calls get 503, as an overloaded replica answers.
 */
import { appendFileSync, readFileSync } from 'node:fs'
import type { MessageResult } from './canister-types.ts'
import { writeAtomic } from './devnet-store.ts'
import { HttpRejection } from './request-auth.ts'

/** What the history keeps per request. */
export interface RequestStatus {
  readonly sender: Uint8Array
  /** `ingress_expiry` of the call, ns since epoch. */
  readonly expiry: bigint
  /** The outcome; undefined when it was not kept (after a restart): status `done`. */
  readonly result: MessageResult | undefined
}

/** The ingress history of one devnet. */
export interface RequestHistory {
  get(requestIdHex: string): RequestStatus | undefined
  /**
   * Records a call before it runs (throws 503 {@link HttpRejection} when full of unexpired calls),
   * then runs `execute` and keeps its result.
   */
  run(requestIdHex: string, sender: Uint8Array, expiry: bigint, execute: () => MessageResult): RequestStatus
  readonly size: number
}

/** Opens the history persisted at `file`, keeping at most `max` unexpired calls. */
export function openRequestHistory(file: string, max: number, nowNs: () => bigint): RequestHistory {
  const map = new Map<string, RequestStatus>()
  const line = (id: string, s: RequestStatus) =>
    `${id} ${s.expiry} ${Buffer.from(s.sender).toString('hex')}\n`
  const compact = () => writeAtomic(file, [...map].map(([id, s]) => line(id, s)).join(''))
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {}
  const now = nowNs()
  for (const l of text.split('\n')) {
    const m = /^([0-9a-f]{64}) (\d{1,30}) ([0-9a-f]{0,64})$/.exec(l) // a torn last line is skipped
    if (m && BigInt(m[2]!) >= now)
      map.set(m[1]!, { expiry: BigInt(m[2]!), sender: Buffer.from(m[3]!, 'hex'), result: undefined })
  }
  compact()
  return {
    get: (id) => map.get(id),
    get size() {
      return map.size
    },
    run(id, sender, expiry, execute) {
      if (map.size >= max) {
        const t = nowNs()
        for (const [k, s] of map) if (s.expiry < t) map.delete(k)
        compact()
        if (map.size >= max)
          throw new HttpRejection(
            503,
            `Service unavailable: the ingress history holds ${max} unexpired requests; retry later`,
          )
      }
      const pending: RequestStatus = { sender, expiry, result: undefined }
      map.set(id, pending)
      appendFileSync(file, line(id, pending))
      const done = { ...pending, result: execute() }
      map.set(id, done)
      return done
    },
  }
}
