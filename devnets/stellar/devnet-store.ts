/**
 * Persistence of the Stellar devnet: an account snapshot written atomically (temp file + rename)
 * and an append-only transaction log. Transactions from ledgers after the snapshot are ignored on
 * load, so a crash between the two writes never leaves history the accounts do not reflect.
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TxRecord } from './stellar-ledger.ts'
import type { AccountState } from './stellar-operations.ts'

/** What is persisted. */
export interface DevnetSnapshot {
  readonly passphrase: string
  readonly ledger: number
  readonly closedAt: number
  readonly accounts: readonly AccountState[]
  readonly txs: readonly TxRecord[]
}

type Stored = Omit<AccountState, 'balance' | 'seq'> & { balance: string; seq: string }

/** Loads the state in `dir`, or `undefined` when there is none. */
export async function loadSnapshot(dir: string): Promise<DevnetSnapshot | undefined> {
  let raw: string
  try {
    raw = await readFile(join(dir, 'stellar-state.json'), 'utf8')
  } catch {
    return undefined
  }
  const s = JSON.parse(raw) as { passphrase: string; ledger: number; closedAt: number; accounts: Stored[] }
  let log = ''
  try {
    log = await readFile(join(dir, 'stellar-transactions.jsonl'), 'utf8')
  } catch {}
  const txs: TxRecord[] = []
  const seen = new Set<string>()
  let dropped = false
  for (const line of log.split('\n')) {
    if (!line) continue
    try {
      const t = JSON.parse(line) as TxRecord
      if (t.ledger > s.ledger || seen.has(t.hash))
        dropped = true // past the snapshot, or re-sent after a failed save
      else {
        seen.add(t.hash)
        txs.push(t)
      }
    } catch {
      dropped = true // a torn last line from a crash
    }
  }
  if (dropped) {
    // Cut what the snapshot does not reflect, so the next ledgers do not append after stale lines.
    const file = join(dir, 'stellar-transactions.jsonl')
    await writeFile(`${file}.tmp`, txs.map((t) => `${JSON.stringify(t)}\n`).join(''))
    await rename(`${file}.tmp`, file)
  }
  return {
    passphrase: s.passphrase,
    ledger: s.ledger,
    closedAt: s.closedAt,
    accounts: s.accounts.map((a) => ({ ...a, balance: BigInt(a.balance), seq: BigInt(a.seq) })),
    txs,
  }
}

/** Appends the transactions of a closed ledger, then writes the account snapshot atomically. */
export async function saveLedger(
  dir: string,
  head: { passphrase: string; ledger: number; closedAt: number },
  accounts: Iterable<AccountState>,
  newTxs: readonly TxRecord[],
): Promise<void> {
  await mkdir(dir, { recursive: true })
  if (newTxs.length)
    await appendFile(
      join(dir, 'stellar-transactions.jsonl'),
      newTxs.map((t) => `${JSON.stringify(t)}\n`).join(''),
    )
  const stored = [...accounts].map((a) => ({ ...a, balance: a.balance.toString(), seq: a.seq.toString() }))
  const file = join(dir, 'stellar-state.json')
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify({ ...head, accounts: stored }))
  await rename(tmp, file)
}
