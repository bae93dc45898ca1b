/**
 * Published Pedersen / Poseidon vectors and a checked-in SNIP-12 vector, against starknet.js (the
 * hashing the devnet and the adapter rely on).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { ec, hash, shortString, typedData } from 'starknet'
import { checkInvokeFields, invokeTxHash } from './invoke-fields.ts'
import { type Snip12TypedData, snip12MessageHash } from './snip12-hash.ts'

describe('starknet crypto vectors', () => {
  it('INVOKE v3 hash: a real Sepolia transaction hashes to its network hash through the devnet path', () => {
    const v = JSON.parse(
      readFileSync(new URL('./vectors/invoke-v3-sepolia.json', import.meta.url), 'utf8'),
    ) as { chainId: string; transaction: Record<string, unknown>; hash: string }
    const checked = checkInvokeFields(v.transaction)
    const got = invokeTxHash(v.transaction, checked, 3n, shortString.encodeShortString(v.chainId))
    assert.equal(BigInt(got), BigInt(v.hash))
    // One changed field gives another hash (the vector pins every field the hash covers).
    const tipped = { ...v.transaction, tip: '0x1' }
    assert.notEqual(
      BigInt(invokeTxHash(tipped, checkInvokeFields(tipped), 3n, shortString.encodeShortString(v.chainId))),
      BigInt(v.hash),
    )
  })

  it('Pedersen: StarkWare crypto-cpp pedersen_hash_test.cc and Cairo corelib values', () => {
    // starkware-libs/crypto-cpp src/starkware/crypto/pedersen_hash_test.cc
    assert.equal(
      ec.starkCurve.pedersen(
        '0x3d937c035c878245caf64531a5756109c53068da139362728feb561405371cb',
        '0x208a0a10250e382e1e4bbe2880906c2791bf6275695e02fbbc6aeff9cd8b31a',
      ),
      '0x30e480bed5fe53fa909cc0f8c4d99b8f9f2c016be4c41e13a4848797979c662',
    )
    // core::pedersen::pedersen(1, 2) as asserted in Cairo contract tests (e.g. HerodotusDev/hdp-cairo)
    assert.equal(
      ec.starkCurve.pedersen(1n, 2n),
      '0x5bb9440e27889a364bcb678b1f679ecd1347acdedcbf36e83494f857cc58026',
    )
    // pedersen(0, 0), @scure/starknet test suite
    assert.equal(
      ec.starkCurve.pedersen(0n, 0n),
      '0x49ee3eba8c1600700ee1b87eb599f16716b0b1022947733551fde4050ca6804',
    )
  })

  it('Poseidon: cairo-lang builtin test values', () => {
    // cairo-lang common/builtin_poseidon tests: poseidon_hash_single
    assert.equal(
      BigInt(
        ec.starkCurve.poseidonHashSingle(
          218676008889449692916464780911713710628115973574242889792891157041292792362n,
        ),
      ),
      2835120893146788752888137145656423078969524407843035783270702964188823073934n,
    )
    // poseidon_hash_many([0]) and ([3, 2, 1, 0]), as published in starknet.dart's poseidon_test.dart
    assert.equal(
      BigInt(hash.computePoseidonHashOnElements([0n])),
      2384960345383653703825803024708982182127528589318022519244349682493582074337n,
    )
    assert.equal(
      BigInt(hash.computePoseidonHashOnElements([3n, 2n, 1n, 0n])),
      959881287299178068212229797802921067420697642955658182090092369705512874535n,
    )
  })

  it('SNIP-12 rev 1: an independent implementation, the checked-in vector and starknet.js agree', () => {
    const v = JSON.parse(readFileSync(new URL('./vectors/snip12-rev1.json', import.meta.url), 'utf8')) as {
      account: string
      typedData: Snip12TypedData
      messageHash: string
    }
    assert.equal(snip12MessageHash(v.typedData, v.account), v.messageHash)
    assert.equal(typedData.getMessageHash(v.typedData as never, v.account), v.messageHash)
    const changed = { ...v.typedData, message: { ...v.typedData.message, nonce: '0x2b' } }
    assert.notEqual(snip12MessageHash(changed, v.account), v.messageHash)
  })
})
