/**
 * Test support: compares what the independent Rust XDR decoder (`@stellar/stellar-xdr-json`) reads
 * from an envelope with what `@stellar/stellar-sdk` reads from it — source, sequence, fee, memo,
 * operations and the transaction hash under the network passphrase. Two decoders agreeing field by
 * field is the cross-check; byte-identical re-encoding alone would not catch a decoder that reads a
 * field into the wrong place.
 */
import { type Transaction, TransactionBuilder } from '@stellar/stellar-sdk'
import {
  type EnvelopeJson,
  type OperationJson,
  type TxJson,
  transactionHash,
  xdrToJson,
} from './stellar-xdr.ts'

const STROOPS = 10_000_000n

/** `"12.5"` (SDK amount) → stroops. */
const stroops = (amount: string): string => {
  const [i = '0', f = ''] = amount.split('.')
  return (BigInt(i) * STROOPS + BigInt(f.padEnd(7, '0').slice(0, 7))).toString()
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** The fields of one operation as the SDK sees them, in the Rust decoder's vocabulary. */
function sdkOp(op: Transaction['operations'][number]): Record<string, unknown> {
  const base = { type: snake(op.type), source: op.source ?? null }
  switch (op.type) {
    case 'manageData':
      return { ...base, name: op.name, value: op.value ? Buffer.from(op.value).toString('hex') : null }
    case 'payment':
      return { ...base, destination: op.destination, amount: stroops(op.amount) }
    case 'createAccount':
      return { ...base, destination: op.destination, amount: stroops(op.startingBalance) }
    case 'setOptions':
      return { ...base, signer: 'ed25519PublicKey' in (op.signer ?? {}) ? op.signer : null }
    default:
      return base
  }
}

/** The same fields from the Rust decoder's JSON. */
function rustOp(op: OperationJson): Record<string, unknown> {
  const [type, body] =
    typeof op.body === 'string'
      ? [op.body, {}]
      : (Object.entries(op.body)[0] as [string, Record<string, unknown>])
  const base = { type, source: op.source_account }
  switch (type) {
    case 'manage_data':
      return { ...base, name: body.data_name, value: body.data_value ?? null }
    case 'payment':
      return { ...base, destination: body.destination, amount: String(body.amount) }
    case 'create_account':
      return { ...base, destination: body.destination, amount: String(body.starting_balance) }
    case 'set_options': {
      const s = body.signer as { key: string; weight: number } | null
      return { ...base, signer: s ? { ed25519PublicKey: s.key, weight: s.weight } : null }
    }
    default:
      return base
  }
}

/** Both decoders' view of `envelope`, for `assert.deepEqual(a.rust, a.sdk)`. */
export function decodeBoth(
  envelope: string,
  passphrase: string,
): { rust: Record<string, unknown>; sdk: Record<string, unknown> } {
  const env = xdrToJson<EnvelopeJson>('TransactionEnvelope', envelope) as { tx: { tx: TxJson } }
  const tx = env.tx.tx
  const memo = tx.memo as unknown
  const parsed = TransactionBuilder.fromXDR(envelope, passphrase)
  if (!('operations' in parsed)) throw new Error('fee-bump envelopes are not cross-checked')
  const sdkTx = parsed as Transaction
  const m = sdkTx.memo
  return {
    rust: {
      source: tx.source_account,
      sequence: String(tx.seq_num),
      fee: String(tx.fee),
      memo: memo === 'none' ? ['none', null] : Object.entries(memo as object)[0]!.map(String),
      operations: tx.operations.map(rustOp),
      hash: transactionHash(tx, passphrase).toString('hex'),
    },
    sdk: {
      source: sdkTx.source,
      sequence: sdkTx.sequence,
      fee: sdkTx.fee,
      memo: [
        m.type,
        m.value === null
          ? null
          : typeof m.value === 'object'
            ? Buffer.from(m.value as Uint8Array).toString('hex')
            : String(m.value),
      ],
      operations: sdkTx.operations.map(sdkOp),
      hash: Buffer.from(sdkTx.hash()).toString('hex'),
    },
  }
}
