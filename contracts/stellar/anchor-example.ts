/**
 * Generates the worked example of contracts/stellar/README.md from fixed inputs: the anchor
 * transaction (MEMO_HASH + manageData) and a node registry entry, as real signed XDR with the
 * JSON the Rust `stellar-xdr` decoder gives for it. Deterministic (ed25519 signatures are).
 *
 * Run: `npx tsx contracts/stellar/anchor-example.ts`
 */
import { createHash } from 'node:crypto'
import { Account, Keypair, Memo, Operation, TransactionBuilder } from '@stellar/stellar-sdk'
import {
  anchorDataName,
  anchorDataValue,
  nodeDataName,
  nodeDataValue,
} from '../../adapters/stellar/anchor-format.ts'
import { xdrToJson } from '../../devnets/stellar/stellar-xdr.ts'

/** The standalone network passphrase the example signs for. */
export const EXAMPLE_PASSPHRASE = 'Standalone Network ; February 2017'

const sha256 = (s: string) => createHash('sha256').update(s).digest()

/** The example's inputs and every derived value, as printed in the README. */
export interface AnchorExample {
  readonly operator: string
  readonly origin: string
  readonly logId: string
  readonly treeSize: number
  readonly root: string
  readonly dataName: string
  readonly dataValue: string
  readonly envelopeXdr: string
  readonly txHash: string
  readonly envelopeJson: unknown
  readonly nodeKey: string
  readonly nodeDataName: string
  readonly nodeDataValue: string
}

/** Builds the example (fixed key, sequence, time bounds). */
export function anchorExample(): AnchorExample {
  const operator = Keypair.fromRawEd25519Seed(sha256('mero stellar example operator'))
  const origin = 'example.org/log'
  const logId = sha256(origin)
  const root = sha256('example root')
  const treeSize = 1234
  const name = anchorDataName(logId)
  const value = anchorDataValue(treeSize, logId)
  const tx = new TransactionBuilder(new Account(operator.publicKey(), '8589934592'), {
    fee: '100',
    networkPassphrase: EXAMPLE_PASSPHRASE,
    timebounds: { minTime: 0, maxTime: 0 }, // no expiry, so the devnet test can replay it
  })
    .addOperation(Operation.manageData({ name, value }))
    .addMemo(Memo.hash(root))
    .build()
  tx.sign(operator)
  const envelopeXdr = tx.toEnvelope().toXDR('base64')
  const nodeKey = sha256('example node key')
  return {
    operator: operator.publicKey(),
    origin,
    logId: logId.toString('hex'),
    treeSize,
    root: root.toString('hex'),
    dataName: name,
    dataValue: value.toString('hex'),
    envelopeXdr,
    txHash: Buffer.from(tx.hash()).toString('hex'),
    envelopeJson: xdrToJson('TransactionEnvelope', envelopeXdr),
    nodeKey: nodeKey.toString('hex'),
    nodeDataName: nodeDataName(nodeKey),
    nodeDataValue: nodeDataValue(operator.publicKey(), 'merod dev').toString('hex'),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(anchorExample(), null, 2))
