import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  Account,
  Asset,
  Keypair,
  Operation,
  StrKey,
  TransactionBuilder,
  type xdr,
} from '@stellar/stellar-sdk'
import { STANDALONE_PASSPHRASE } from './stellar-devnet.ts'
import { applyTransaction, type CheckContext, checkTransaction } from './stellar-ledger.ts'
import { type AccountState, newAccount } from './stellar-operations.ts'

const now = () => Math.floor(Date.now() / 1000)

function ctxOf(accounts: Map<string, AccountState>, closeTime = now()): CheckContext {
  return {
    passphrase: STANDALONE_PASSPHRASE,
    accounts,
    closeTime,
    nextSeq: (id) => (accounts.get(id) ? accounts.get(id)!.seq + 1n : undefined),
  }
}

function envelope(
  accounts: Map<string, AccountState>,
  source: string,
  ops: xdr.Operation[],
  signers: Keypair[],
  timebounds?: { minTime: number; maxTime: number },
): string {
  const b = new TransactionBuilder(new Account(source, accounts.get(source)!.seq.toString()), {
    fee: '1000',
    networkPassphrase: STANDALONE_PASSPHRASE,
    ...(timebounds ? { timebounds } : {}),
  })
  for (const op of ops) b.addOperation(op)
  const tx = (timebounds ? b : b.setTimeout(60)).build()
  tx.sign(...signers)
  return tx.toEnvelope().toXDR('base64')
}

const fund = (id: string, extra: Partial<AccountState> = {}): AccountState => ({
  ...newAccount(id, 100_000_000_000n, 2, Date.now()),
  ...extra,
})

const codes = (r: ReturnType<typeof checkTransaction>) => (r.ok ? 'accepted' : r.codes)

describe('stellar devnet signature checks (stellar-core SignatureChecker)', () => {
  it('verifies every signature: a victim whose key shares the attacker’s 4-byte hint is not authorised', () => {
    const attacker = Keypair.random()
    const hint = attacker.rawPublicKey().subarray(28)
    const victim = StrKey.encodeEd25519PublicKey(Buffer.concat([randomBytes(28), hint]))
    const accounts = new Map([
      [attacker.publicKey(), fund(attacker.publicKey())],
      [victim, fund(victim)],
    ])
    const pay = Operation.payment({
      source: victim,
      destination: attacker.publicKey(),
      asset: Asset.native(),
      amount: '5000',
    })
    const r = checkTransaction(envelope(accounts, attacker.publicKey(), [pay], [attacker]), ctxOf(accounts))
    assert.deepEqual(codes(r), { transaction: 'tx_failed', operations: ['op_bad_auth'] })
  })

  it('counts a signer once: the master signing twice does not reach a medium threshold of 2', () => {
    const k = Keypair.random()
    const accounts = new Map([[k.publicKey(), fund(k.publicKey(), { low: 1, med: 2 })]])
    const op = Operation.manageData({ name: 'a', value: 'b' })
    const r = checkTransaction(envelope(accounts, k.publicKey(), [op], [k, k]), ctxOf(accounts))
    assert.deepEqual(codes(r), { transaction: 'tx_failed', operations: ['op_bad_auth'] })
  })

  it('stops at the needed weight: thresholds 0 signed by master and cosigner is tx_bad_auth_extra', () => {
    const k = Keypair.random()
    const co = Keypair.random()
    const accounts = new Map([
      [k.publicKey(), fund(k.publicKey(), { signers: [{ key: co.publicKey(), weight: 1 }] })],
    ])
    const op = Operation.manageData({ name: 'a', value: 'b' })
    const r = checkTransaction(envelope(accounts, k.publicKey(), [op], [k, co]), ctxOf(accounts))
    assert.deepEqual(codes(r), { transaction: 'tx_bad_auth_extra' })
    assert.equal(
      codes(checkTransaction(envelope(accounts, k.publicKey(), [op], [k]), ctxOf(accounts))),
      'accepted',
    )
  })

  it('setOptions that changes signers needs the high threshold: medium weight gets op_bad_auth', () => {
    const k = Keypair.random()
    const co = Keypair.random()
    const accounts = new Map([
      [
        k.publicKey(),
        fund(k.publicKey(), {
          masterWeight: 2,
          low: 1,
          med: 2,
          high: 3,
          signers: [{ key: co.publicKey(), weight: 1 }],
        }),
      ],
    ])
    const add = Operation.setOptions({
      signer: { ed25519PublicKey: Keypair.random().publicKey(), weight: 5 },
    })
    const r = checkTransaction(envelope(accounts, k.publicKey(), [add], [k]), ctxOf(accounts))
    assert.deepEqual(codes(r), { transaction: 'tx_failed', operations: ['op_bad_auth'] })
    assert.equal(
      codes(checkTransaction(envelope(accounts, k.publicKey(), [add], [k, co]), ctxOf(accounts))),
      'accepted',
    )
  })

  it('rejects a transaction whose min_time is after the next close with tx_too_early', () => {
    const k = Keypair.random()
    const accounts = new Map([[k.publicKey(), fund(k.publicKey())]])
    const op = Operation.manageData({ name: 'a', value: 'b' })
    const env = envelope(accounts, k.publicKey(), [op], [k], { minTime: now() + 3600, maxTime: 0 })
    assert.deepEqual(codes(checkTransaction(env, ctxOf(accounts))), { transaction: 'tx_too_early' })
  })

  it('treats data names like __proto__ and constructor as plain entries', () => {
    const k = Keypair.random()
    const accounts = new Map([[k.publicKey(), fund(k.publicKey())]])
    const del = checkTransaction(
      envelope(accounts, k.publicKey(), [Operation.manageData({ name: 'hasOwnProperty', value: null })], [k]),
      ctxOf(accounts),
    )
    assert.ok(del.ok)
    assert.deepEqual(applyTransaction(del, accounts, 3, Date.now()).codes.operations, [
      'op_data_name_not_found',
    ])
    for (const name of ['__proto__', 'constructor']) {
      const set = checkTransaction(
        envelope(accounts, k.publicKey(), [Operation.manageData({ name, value: 'xyz' })], [k]),
        ctxOf(accounts),
      )
      assert.ok(set.ok)
      assert.deepEqual(applyTransaction(set, accounts, 3, Date.now()).codes.operations, ['op_success'])
      assert.equal(Object.hasOwn(accounts.get(k.publicKey())!.data, name), true, name)
    }
  })
})
