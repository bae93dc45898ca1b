/**
 * Reads anchors back the way a verifier can against any Horizon: pages through the anchoring
 * account's transactions (`GET /accounts/:id/transactions?order=asc&cursor=…&limit=200`) and keeps a
 * root → first anchoring transaction index. Ledgers never revert once closed, so the index only
 * grows; each read pages on from the last cursor.
 */
import { ed25519 } from '@noble/curves/ed25519'
import { type Horizon, StrKey, TransactionBuilder } from '@stellar/stellar-sdk'
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
}

/** The incremental index. */
export interface AnchorIndex {
  /** Pages on to the newest transaction, then looks `root` up. */
  find(root: Uint8Array): Promise<IndexedAnchor | null>
}

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
  const root = Buffer.from(record.memo, 'base64')
  if (root.length !== 32) return null
  let tx: ReturnType<typeof TransactionBuilder.fromXDR>
  try {
    tx = TransactionBuilder.fromXDR(record.envelope_xdr, passphrase)
  } catch {
    return null
  }
  if (!('operations' in tx)) return null
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
  const byRoot = new Map<string, IndexedAnchor>()
  let cursor = ''
  let refreshing: Promise<void> | undefined

  const signerOf = async (
    hash: string,
    sigs: { hint: Buffer; signature: Buffer }[],
    candidates: () => Promise<readonly string[]>,
  ): Promise<string> => {
    const msg = Buffer.from(hash, 'hex')
    for (const key of [o.account, ...(await candidates())]) {
      const pub = StrKey.decodeEd25519PublicKey(key)
      const hint = Buffer.from(pub.subarray(28))
      for (const s of sigs) if (s.hint.equals(hint) && ed25519.verify(s.signature, msg, pub)) return key
    }
    return o.account
  }

  const refresh = async (): Promise<void> => {
    let candidates: Promise<readonly string[]> | undefined
    const lazyCandidates = () => (candidates ??= o.candidateSigners())
    for (;;) {
      let page: Horizon.ServerApi.CollectionPage<Horizon.ServerApi.TransactionRecord>
      try {
        let call = o.server.transactions().forAccount(o.account).order('asc').limit(PAGE)
        if (cursor) call = call.cursor(cursor)
        page = await call.call()
      } catch (e) {
        if (isNotFound(e)) return // no such account: no anchors
        throw e
      }
      for (const record of page.records) {
        cursor = record.paging_token
        const parsed = parseAnchorRecord(record, o.account, o.passphrase)
        if (!parsed || byRoot.has(parsed.root)) continue
        byRoot.set(parsed.root, {
          ...parsed.anchor,
          submitter: await signerOf(record.hash, parsed.signatures, lazyCandidates),
        })
      }
      if (page.records.length < PAGE) return
    }
  }

  return {
    async find(root) {
      // Concurrent reads share one refresh; a read that arrives during one waits for the next.
      const mine: Promise<void> = (refreshing ?? Promise.resolve())
        .catch(() => undefined)
        .then(refresh)
        .finally(() => {
          if (refreshing === mine) refreshing = undefined
        })
      refreshing = mine
      await mine
      return byRoot.get(Buffer.from(root).toString('hex')) ?? null
    },
  }
}
