import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ec, hash, stark } from 'starknet'
import type { ChainAdapter } from '../../src/chain/chain-adapter.ts'
import { named, signInChallenge, signInContext } from '../../test/helpers/sign-in-fixtures.ts'
import { createStarknetTestWallet } from '../../test/helpers/starknet-test-wallet.ts'
import {
  COUNTERFACTUAL_CACHE_SIZE,
  counterfactualAddress,
  createCounterfactualAddressCache,
} from './counterfactual-address.ts'
import { createStarknetSignInScheme, DEVNET_ACCOUNT_CLASS_HASH } from './starknet-sign-in-scheme.ts'

const CLASS = BigInt(DEVNET_ACCOUNT_CLASS_HASH)
const OTHER_CLASS = 0x1234abcdn
const freshKey = () => BigInt(ec.starkCurve.getStarkKey(stark.randomAddress()))
/** starknet.js's own derivation, as a wallet computes its account's address before deploying it. */
const starknetJs = (x: bigint, classHash: bigint) => {
  const k = `0x${x.toString(16)}`
  return BigInt(hash.calculateContractAddressFromHash(k, `0x${classHash.toString(16)}`, [k], 0))
}

describe('counterfactual address cache', () => {
  it('the uncached derivation and the cache give the address starknet.js derives, hit or miss', () => {
    const cache = createCounterfactualAddressCache()
    for (let i = 0; i < 4; i++) {
      const x = freshKey()
      for (const classHash of [CLASS, OTHER_CLASS]) {
        const expected = starknetJs(x, classHash)
        assert.equal(counterfactualAddress(x, classHash), expected)
        assert.equal(cache.has(x, classHash), false)
        assert.equal(cache.get(x, classHash), expected) // miss
        assert.equal(cache.has(x, classHash), true)
        assert.equal(cache.get(x, classHash), expected) // hit
      }
    }
    // The class hash is part of the key: one key, two classes, two addresses.
    const x = freshKey()
    assert.notEqual(cache.get(x, CLASS), cache.get(x, OTHER_CLASS))
  })

  it('stays bounded, dropping the least recently used entry first', () => {
    assert.equal(COUNTERFACTUAL_CACHE_SIZE, 10_000)
    const cache = createCounterfactualAddressCache(3)
    const [a, b, c, d, e] = Array.from({ length: 5 }, freshKey) as [bigint, bigint, bigint, bigint, bigint]
    for (const x of [a, b, c]) cache.get(x, CLASS)
    assert.equal(cache.size, 3)
    cache.get(a, CLASS) // a is now the most recently used: b is the oldest
    cache.get(d, CLASS)
    assert.equal(cache.size, 3)
    assert.deepEqual(
      [a, b, c, d].map((x) => cache.has(x, CLASS)),
      [true, false, true, true],
    )
    cache.get(e, CLASS) // c is the oldest now
    assert.deepEqual(
      [a, c, d, e].map((x) => cache.has(x, CLASS)),
      [true, false, true, true],
    )
    // An evicted key is derived again, to the same address.
    assert.equal(cache.get(b, CLASS), starknetJs(b, CLASS))
    assert.equal(cache.size, 3)
  })

  it('a limit of 0 caches nothing and still derives; a bad limit is refused', () => {
    const none = createCounterfactualAddressCache(0)
    const x = freshKey()
    assert.equal(none.get(x, CLASS), starknetJs(x, CLASS))
    assert.equal(none.size, 0)
    assert.equal(none.has(x, CLASS), false)
    for (const bad of [-1, 1.5, Number.NaN])
      assert.throws(() => createCounterfactualAddressCache(bad), RangeError)
  })

  it('through the scheme: a repeated sign-in (cache hit) verifies as the first did, and only for its own address', async () => {
    const nothingDeployed = {
      chainId: 'starknet:SN_DEVNET',
      classHashAt: async () => undefined,
      verifySignIn: async () => false,
    } as unknown as ChainAdapter
    const ctx = () => signInContext({ adapter: nothingDeployed })
    for (const scheme of [
      createStarknetSignInScheme(),
      createStarknetSignInScheme({ counterfactualCacheSize: 0 }),
    ]) {
      const w = createStarknetTestWallet()
      for (let i = 0; i < 2; i++) {
        const c = signInChallenge(w.account)
        const rendered = await scheme.render(c, ctx())
        const who = await scheme.verify(c, rendered, await w.sign(rendered), ctx())
        assert.equal(who.method, 'snip12-counterfactual')
      }
      // w's key, now cached, signing for another undeployed account: still refused.
      const victim = createStarknetTestWallet()
      const c = signInChallenge(victim.account)
      const rendered = await scheme.render(c, ctx())
      const forged = { ...(await victim.sign(rendered)), extra: (await w.sign(rendered)).extra }
      await assert.rejects(scheme.verify(c, rendered, forged, ctx()), named('WalletSignatureInvalid'))
    }
  })
})
