import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ec, num, RpcProvider, type TypedData, typedData } from 'starknet'
import { FELT_PRIME } from '../../contracts/starknet/anchor-calldata.ts'
import type { AccountVariant } from '../../devnets/starknet/devnet-accounts.ts'
import { type StarknetDevnet, startStarknetDevnet } from '../../devnets/starknet/starknet-devnet.ts'
import { isMeroError } from '../../src/core/errors.ts'
import { isValidSignature, verifyStarknetSignIn } from './sign-in.ts'

const VARIANTS: AccountVariant[] = ['openzeppelin', 'argent', 'argent-0.2', 'cairo0']
const td: TypedData = {
  types: {
    StarknetDomain: [
      { name: 'name', type: 'shortstring' },
      { name: 'version', type: 'shortstring' },
      { name: 'chainId', type: 'shortstring' },
      { name: 'revision', type: 'shortstring' },
    ],
    SignIn: [{ name: 'nonce', type: 'felt' }],
  },
  primaryType: 'SignIn',
  domain: { name: 'mero', version: '1', chainId: 'SN_DEVNET', revision: '1' },
  message: { nonce: '0x2a' },
}

describe('starknet sign-in across account implementations', { timeout: 60_000 }, () => {
  let d: StarknetDevnet
  let provider: RpcProvider
  before(async () => {
    d = await startStarknetDevnet({ port: 0, accounts: VARIANTS.length, accountVariants: VARIANTS })
    provider = new RpcProvider({ nodeUrl: d.url, specVersion: '0.9.0' })
  })
  after(async () => {
    await d?.stop()
  })

  for (const [i, variant] of VARIANTS.entries())
    it(`${variant}: a valid signature is accepted, a forged one refused`, async () => {
      const a = d.accounts[i]!
      assert.equal(a.variant, variant)
      const h = typedData.getMessageHash(td, a.address)
      const s = ec.starkCurve.sign(h, a.privateKey)
      assert.equal(await isValidSignature(provider, a.address, h, [num.toHex(s.r), num.toHex(s.s)]), true)
      assert.equal(
        await isValidSignature(provider, a.address, h, [num.toHex(s.r), num.toHex(s.s + 1n)]),
        false,
      )
      assert.equal(await isValidSignature(provider, a.address, h, [num.toHex(s.r)]), false)
      const check = {
        account: `starknet:SN_DEVNET:${a.address}`,
        message: new TextEncoder().encode(JSON.stringify(td)),
        signature: new Uint8Array(0),
        extra: { signature: [num.toHex(s.r), num.toHex(s.s)] },
      }
      assert.equal(await verifyStarknetSignIn(provider, 'SN_DEVNET', check), true)
    })

  it('malformed input: a signature that is not felts is false; a bad address is InvalidInput', async () => {
    const a = d.accounts[0]!
    assert.equal(await isValidSignature(provider, a.address, '0x1', ['zz']), false)
    assert.equal(await isValidSignature(provider, a.address, '0x1', [FELT_PRIME + 1n, 5n]), false)
    assert.equal(await isValidSignature(provider, a.address, '0x1', []), false)
    await assert.rejects(
      isValidSignature(provider, 'zz', '0x1', ['0x1']),
      (e) => isMeroError(e) && e.name === 'InvalidInput',
    )
    await assert.rejects(
      isValidSignature(provider, a.address, FELT_PRIME, ['0x1']),
      (e) => isMeroError(e) && e.name === 'InvalidInput',
    )
    const check = {
      account: `starknet:SN_DEVNET:${a.address}`,
      message: new TextEncoder().encode(JSON.stringify(td)),
      signature: new Uint8Array(5),
    }
    assert.equal(await verifyStarknetSignIn(provider, 'SN_DEVNET', check), false)
    assert.equal(
      await verifyStarknetSignIn(provider, 'SN_DEVNET', { ...check, extra: { signature: ['zz'] } }),
      false,
    )
  })
})
