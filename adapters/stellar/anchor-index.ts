/**
 * Reads anchors back the way a verifier can against any Horizon: pages through the anchoring
 * account's transactions (`GET /accounts/:id/transactions?order=asc&cursor=…&limit=200`) and keeps a
 * root → first anchoring transaction index. Ledgers never revert once closed, so the index only
 * grows; each read pages on from the last cursor.
 */
import { ed25519 } from '@noble/curves/ed25519'
import { type Horizon, StrKey, Transaction, TransactionBuilder } from '@stellar/stellar-sdk'
import { parseAnchorData } from './anchor-format.ts'
import { isNotFound } from './horizon-errors.ts'

/** One anchor found on chain. */
export interface IndexedAnchor {
  readonly tx: string
  readonly ledger: number
  readonly timestamp: number
  readonly logId: Uint8Array
  readonly treeSize: number
  /** The `G…` key that signed it (a signer of the anchoring account), or the account itself. */
  readonly submitter: string
}

/** Options of {@link createAnchorIndex}. */
export interface AnchorIndexOptions {
  readonly server: Horizon.Server
  readonly passphrase: string
  /** The anchoring account. */
  readonly account: string
  /** Keys that may have signed anchors (the anchoring account's signers, registered submitters). */
  readonly candidateSigners: () => Promise<readonly string[]>
  /**
   * Roots kept in memory (default 100 000). Past it the oldest are dropped, and a later miss pages the
   * history again from the start for that one root.
   */
  readonly maxRoots?: number
}

/** The incremental index. */
export interface AnchorIndex {
  /**
   * Pages on to the newest transaction, then returns the first anchor of `root` — the first with
   * `logId` when given (anchors of one root under other log ids are kept apart).
   */
  find(root: Uint8Array, logId?: Uint8Array): Promise<IndexedAnchor | null>
  /** Every anchor of `root` indexed so far, first per log id, in ledger order (after paging on). */
  all(root: Uint8Array): Promise<readonly IndexedAnchor[]>
  /**
   * Reads one transaction (`GET /transactions/:hash`) and returns it as an anchor of `root` when it is
   * one: successful, from the anchoring account, memo = root, a `mero:` entry, signed by a known key.
   * `null` otherwise (the caller falls back to {@link find}).
   */
  byTx(hash: string, root: Uint8Array): Promise<IndexedAnchor | null>
}

/** Distinct log ids kept per root (the first anchor of each). */
const MAX_PER_ROOT = 8

const PAGE = 200

/** Parses one Horizon transaction record as an anchor of `account`, or `null`. */
export function parseAnchorRecord(
  record: Horizon.ServerApi.TransactionRecord,
  account: string,
  passphrase: string,
): {
  root: string
  anchor: Omit<IndexedAnchor, 'submitter'>
  signatures: { hint: Buffer; signature: Buffer }[]
} | null {
  if (!record.successful || record.memo_type !== 'hash' || record.source_account !== account || !record.memo)
    return null
  let parsedTx: ReturnType<typeof TransactionBuilder.fromXDR>
  try {
    parsedTx = TransactionBuilder.fromXDR(record.envelope_xdr, passphrase)
  } catch {
    return null
  }
  if (!(parsedTx instanceof Transaction)) return null // fee bumps are not anchors
  const tx = parsedTx
  // Trust the signed envelope, not Horizon's summary of it: source, memo and hash must match.
  const memo = tx.memo.value
  if (tx.source !== account || tx.memo.type !== 'hash' || !(memo instanceof Uint8Array)) return null
  const root = Buffer.from(memo)
  if (root.length !== 32 || root.toString('base64') !== record.memo) return null
  if (Buffer.from(tx.hash()).toString('hex') !== record.hash) return null
  for (const op of tx.operations) {
    if (op.type !== 'manageData' || (op.source && op.source !== account) || !op.value) continue
    const parsed = parseAnchorData(op.name, op.value)
    if (!parsed) continue
    return {
      root: root.toString('hex'),
      anchor: {
        tx: record.hash,
        ledger: record.ledger_attr,
        timestamp: Date.parse(record.created_at),
        ...parsed,
      },
      signatures: tx.signatures.map((s) => ({
        hint: Buffer.from(s.hint.toBytes()),
        signature: Buffer.from(s.signature.toBytes()),
      })),
    }
  }
  return null
}

/** Creates the index for one anchoring account. */
export function createAnchorIndex(o: AnchorIndexOptions): AnchorIndex {
  const maxRoots = o.maxRoots ?? 100_000
  const byRoot = new Map<string, IndexedAnchor[]>()
  let evicted = false
  let cursor = ''
  let refreshing: Promise<void> | undefined

  /** The candidate key that signed `hash`, or `undefined`. Non-ed25519 signer keys are skipped. */
  const signerOf = async (
    hash: string,
    sigs: { hint: Buffer; signature: Buffer }[],
    candidates: () => Promise<readonly string[]>,
  ): Promise<string | undefined> => {
    const msg = Buffer.from(hash, 'hex')
    for (const key of [o.account, ...(await candidates())]) {
      if (!StrKey.isValidEd25519PublicKey(key)) continue
      const pub = StrKey.decodeEd25519PublicKey(key)
      const hint = Buffer.from(pub.subarray(28))
      for (const s of sigs) {
        if (!s.hint.equals(hint) || s.signature.length !== 64) continue
        try {
          if (ed25519.verify(s.signature, msg, pub)) return key
        } catch {
          // a malformed signature is no signature
        }
      }
    }
    return undefined
  }

  const add = (root: string, anchor: IndexedAnchor) => {
    const list = byRoot.get(root)
    if (list) {
      if (list.length < MAX_PER_ROOT && !list.some((a) => Buffer.compare(a.logId, anchor.logId) === 0))
        list.push(anchor)
      return
    }
    byRoot.set(root, [anchor])
    if (byRoot.size > maxRoots) {
      byRoot.delete(byRoot.keys().next().value!)
      evicted = true
    }
  }

  /** Pages from `from` calling `visit` on each record; the cursor it returns is past the last record visited. */
  const pageFrom = async (
    from: string,
    visit: (record: Horizon.ServerApi.TransactionRecord) => Promise<boolean>,
    advance: (token: string) => void,
  ): Promise<void> => {
    let at = from
    for (;;) {
      let page: Horizon.ServerApi.CollectionPage<Horizon.ServerApi.TransactionRecord>
      try {
        let call = o.server.transactions().forAccount(o.account).order('asc').limit(PAGE)
        if (at) call = call.cursor(at)
        page = await call.call()
      } catch (e) {
        if (isNotFound(e)) return // no such account: no anchors
        throw e
      }
      for (const record of page.records) {
        // The cursor moves only once the record is processed: a failure re-reads it next time.
        if (await visit(record)) return
        at = record.paging_token
        advance(at)
      }
      if (page.records.length < PAGE) return
    }
  }

  const refresh = async (): Promise<void> => {
    let candidates: Promise<readonly string[]> | undefined
    const lazyCandidates = () => (candidates ??= o.candidateSigners())
    await pageFrom(
      cursor,
      async (record) => {
        const parsed = parseAnchorRecord(record, o.account, o.passphrase)
        if (!parsed) return false
        const submitter = (await signerOf(record.hash, parsed.signatures, lazyCandidates)) ?? o.account
        add(parsed.root, { ...parsed.anchor, submitter })
        return false
      },
      (token) => {
        cursor = token
      },
    )
  }

  /** After eviction: pages the whole history again for one root (nothing else is kept). */
  const rescan = async (root: string): Promise<IndexedAnchor[]> => {
    const found: IndexedAnchor[] = []
    let candidates: Promise<readonly string[]> | undefined
    const lazyCandidates = () => (candidates ??= o.candidateSigners())
    await pageFrom(
      '',
      async (record) => {
        const parsed = parseAnchorRecord(record, o.account, o.passphrase)
        if (!parsed || parsed.root !== root) return false
        if (found.some((a) => Buffer.compare(a.logId, parsed.anchor.logId) === 0)) return false
        const submitter = (await signerOf(record.hash, parsed.signatures, lazyCandidates)) ?? o.account
        found.push({ ...parsed.anchor, submitter })
        return found.length >= MAX_PER_ROOT
      },
      () => undefined,
    )
    return found
  }

  const anchorsOf = async (root: Uint8Array): Promise<readonly IndexedAnchor[]> => {
    // Concurrent reads share one refresh; a read that arrives during one waits for the next.
    const mine: Promise<void> = (refreshing ?? Promise.resolve())
      .catch(() => undefined)
      .then(refresh)
      .finally(() => {
        if (refreshing === mine) refreshing = undefined
      })
    refreshing = mine
    await mine
    const key = Buffer.from(root).toString('hex')
    const list = byRoot.get(key)
    if (list || !evicted) return list ?? []
    return rescan(key)
  }

  return {
    all: anchorsOf,
    async find(root, logId) {
      const list = await anchorsOf(root)
      return (logId ? list.find((a) => Buffer.compare(a.logId, logId) === 0) : list[0]) ?? null
    },
    async byTx(hash, root) {
      let record: Horizon.ServerApi.TransactionRecord
      try {
        record = await o.server.transactions().transaction(hash).call()
      } catch (e) {
        if (isNotFound(e)) return null
        throw e
      }
      const parsed = parseAnchorRecord(record, o.account, o.passphrase)
      if (!parsed || record.hash !== hash.toLowerCase() || parsed.root !== Buffer.from(root).toString('hex'))
        return null
      const submitter = await signerOf(record.hash, parsed.signatures, o.candidateSigners)
      return submitter ? { ...parsed.anchor, submitter } : null
    },
  }
}
