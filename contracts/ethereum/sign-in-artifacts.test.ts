import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Interface } from 'ethers'
import { compileSignInContracts, readSignInSources, signInSourceHash } from './compile-sign-in-contracts.ts'
import { SIGN_IN_CONTRACTS, signInArtifact } from './sign-in-artifacts.ts'

describe('sign-in contract artifacts', () => {
  it('are up to date with their Solidity sources, byte for byte (run `npm run build` when this fails)', () => {
    const fresh = compileSignInContracts()
    const hash = signInSourceHash(readSignInSources())
    for (const name of SIGN_IN_CONTRACTS) {
      const checkedIn = signInArtifact(name)
      assert.equal(checkedIn.sourceHash, hash, `${name}: sources changed since the last build`)
      assert.deepEqual(fresh[name], checkedIn, name)
    }
  })

  it('expose the interfaces the adapter and the tests use', () => {
    const fns = (name: (typeof SIGN_IN_CONTRACTS)[number]) =>
      new Interface(signInArtifact(name).abi as never[]).fragments.map((f) => f.format('minimal')).sort()
    assert.deepEqual(fns('SignatureValidator'), ['constructor(address,bytes32,bytes)'])
    assert.deepEqual(fns('TestWallet1271'), [
      'constructor(address)',
      'function isValidSignature(bytes32,bytes) view returns (bytes4)',
      'function owner() view returns (address)',
    ])
    assert.deepEqual(fns('TestWalletFactory'), [
      'event WalletDeployed(address indexed,address indexed,bytes32)',
      'function deploy(address,bytes32) returns (address)',
      'function walletAddress(address,bytes32) view returns (address)',
    ])
    assert.equal(
      new Interface(signInArtifact('TestWallet1271').abi as never[]).getFunction('isValidSignature')
        ?.selector,
      '0x1626ba7e',
    )
  })
})
