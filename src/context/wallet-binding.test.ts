import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromBase58 } from '../core/bytes.ts'
import { generateKeyPair } from '../core/ed25519.ts'
import { decodeCanonical, encodeCanonical } from '../dag/canonical-cbor.ts'
import {
  bindingResource,
  MAX_WALLET_EXTRA_DEPTH,
  MAX_WALLET_SIGNATURE_PARTS,
  parseAccount,
  parseWalletProof,
  walletProofToCbor,
} from './wallet-binding.ts'

class Refused extends Error {}
const fail = (m: string): never => {
  throw new Refused(m)
}
const ACCOUNT = 'starknet:SN_DEVNET:0x064b48806902a367c8598f4f95c305e8c1a1acba5f082d294a43793113115691'
const base = { chainId: 'starknet:SN_DEVNET', message: '{"types":{}}' }

test('bindingResource names the context and the identity in base58', () => {
  const contextId = generateKeyPair().publicKey
  const identity = generateKeyPair().publicKey
  const r = bindingResource(contextId, identity)
  const [scheme, verb, c, i] = r.split(':')
  assert.deepEqual([scheme, verb], ['mero', 'bind'])
  assert.deepEqual(fromBase58(c!, 32), contextId)
  assert.deepEqual(fromBase58(i!, 32), identity)
  assert.notEqual(bindingResource(identity, contextId), r)
})

test('parseAccount takes the CAIP-10 accounts of every devnet chain and gives their CAIP-2 chain', () => {
  for (const [account, chainId] of [
    ['eip155:31337:0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'eip155:31337'],
    ['near:localnet:alice.test.near', 'near:localnet'],
    ['icp:local:2vxsx-fae', 'icp:local'],
    ['stellar:standalone:GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H', 'stellar:standalone'],
    [ACCOUNT, 'starknet:SN_DEVNET'],
  ] as const)
    assert.deepEqual(parseAccount(account, fail), { account, chainId })
  for (const bad of ['', 'eip155:31337', 'eip155:31337:0x ab', 'E:1:0xab', `eip155:1:${'a'.repeat(129)}`, 7])
    assert.throws(() => parseAccount(bad, fail), Refused, String(bad))
})

test('parseWalletProof keeps a well-formed proof as is, and it survives canonical CBOR', () => {
  const full = {
    ...base,
    signature: ['0x1', '0x2'],
    extra: { publicKey: '0xabc', nested: { list: [1, 2.5, true, null, 'x'] } },
  }
  for (const proof of [base, { ...base, signature: '0xsig' }, full]) {
    const parsed = parseWalletProof(proof, ACCOUNT, fail)
    assert.deepEqual(parsed, proof)
    const back = decodeCanonical(encodeCanonical(walletProofToCbor(parsed)))
    assert.deepEqual(parseWalletProof(back, ACCOUNT, fail), proof)
  }
})

test('parseWalletProof refuses a wrong chain, unknown fields and out-of-bounds or non-JSON values', () => {
  let deep: unknown = 'leaf'
  for (let i = 0; i <= MAX_WALLET_EXTRA_DEPTH; i++) deep = { d: deep }
  const cases: [string, unknown][] = [
    ['not a map', 'proof'],
    ['other chain', { ...base, chainId: 'starknet:SN_SEPOLIA' }],
    ['unknown field', { ...base, signer: 'me' }],
    ['empty message', { ...base, message: '' }],
    ['message too long', { ...base, message: 'm'.repeat(8193) }],
    ['empty signature list', { ...base, signature: [] }],
    ['too many parts', { ...base, signature: Array(MAX_WALLET_SIGNATURE_PARTS + 1).fill('0x1') }],
    ['non-string part', { ...base, signature: ['0x1', 2] }],
    ['signature too long', { ...base, signature: 's'.repeat(8193) }],
    ['extra not a map', { ...base, extra: ['x'] }],
    ['bytes in extra', { ...base, extra: { k: new Uint8Array(1) } }],
    ['bigint in extra', { ...base, extra: { n: 1n } }],
    ['NaN in extra', { ...base, extra: { n: Number.NaN } }],
    ['too deep', { ...base, extra: deep }],
    ['too large', { ...base, extra: { big: 'x'.repeat(32_768) } }],
    ['__proto__ key', { ...base, extra: JSON.parse('{"__proto__": {"x": 1}}') }],
  ]
  for (const [what, proof] of cases)
    assert.throws(() => parseWalletProof(proof, ACCOUNT, fail), Refused, what)
})
