import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { ContractFactory, Interface, JsonRpcProvider, Network, Wallet } from 'ethers'
import { signInArtifact } from '../../contracts/ethereum/sign-in-artifacts.ts'
import { startAnvil } from '../../devnets/ethereum/anvil.ts'
import { deployAnchorContract } from '../../devnets/ethereum/deploy.ts'
import type { SignInContext } from '../../src/chain/sign-in-scheme.ts'
import { toHex } from '../../src/core/bytes.ts'
import { isMeroError } from '../../src/core/errors.ts'
import { freePort } from '../../test/helpers/child-process.ts'
import { eip155Challenge as challengeFor, signInContext } from '../../test/helpers/eip155-test-wallet.ts'
import { CONTRACT_WALLET_GAS_LIMIT, ERC1271_MAGIC, wrapErc6492 } from './contract-wallet.ts'
import { createEthereumAdapter, type EthereumAdapter } from './ethereum-adapter.ts'
import { eip155SignInScheme as scheme } from './ethereum-sign-in.ts'

const CHAIN = 'eip155:31337'
const rejects = (p: Promise<unknown>, name: string) =>
  assert.rejects(p, (e) => isMeroError(e) && e.name === name, name)
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex.slice(2), 'hex'))

describe('eip155 sign-in of contract wallets (EIP-1271, ERC-6492) on anvil', { timeout: 60_000 }, () => {
  let anvil: Awaited<ReturnType<typeof startAnvil>>
  let provider: JsonRpcProvider
  let adapter: EthereumAdapter
  let context: SignInContext
  let factory: { address: string; iface: Interface }
  const owner = Wallet.createRandom()
  const stranger = Wallet.createRandom()
  let deployedWallet: string

  /** The factory's CREATE2 address of `owner`'s wallet with `salt`, and the calldata that deploys it. */
  const counterfactual = async (ownerAddress: string, salt: string) => {
    const data = factory.iface.encodeFunctionData('walletAddress', [ownerAddress, salt])
    const [address] = factory.iface.decodeFunctionResult(
      'walletAddress',
      await provider.call({ to: factory.address, data }),
    )
    return {
      account: `${CHAIN}:${address as string}`,
      deployCalldata: bytes(factory.iface.encodeFunctionData('deploy', [ownerAddress, salt])),
    }
  }

  /** A challenge for `account`, rendered, with the proof `signer` gives (optionally ERC-6492 wrapped). */
  const signIn = async (account: string, signer: Wallet | typeof owner, wrapWith?: Uint8Array) => {
    const challenge = challengeFor(account)
    const rendered = await scheme.render(challenge, context)
    const inner = await signer.signMessage(rendered.message)
    const signature = wrapWith ? toHex(wrapErc6492(factory.address, wrapWith, bytes(inner))) : inner
    return { challenge, rendered, proof: { message: rendered.message, signature } }
  }

  before(async () => {
    anvil = await startAnvil()
    const deployer = anvil.accounts[0]!
    provider = new JsonRpcProvider(anvil.rpcUrl, Network.from(anvil.chainId), {
      staticNetwork: true,
      cacheTimeout: -1,
    })
    const signer = new Wallet(deployer.privateKey, provider)
    const { abi, bytecode } = signInArtifact('TestWalletFactory')
    const deployed = await new ContractFactory(abi as never[], bytecode, signer).deploy()
    await deployed.waitForDeployment()
    factory = { address: await deployed.getAddress(), iface: new Interface(abi as never[]) }
    const salt = toHex(randomBytes(32))
    const { account } = await counterfactual(owner.address, salt)
    const tx = await signer.sendTransaction({
      to: factory.address,
      data: factory.iface.encodeFunctionData('deploy', [owner.address, salt]),
    })
    await tx.wait()
    deployedWallet = account
    assert.notEqual(await provider.getCode(account.split(':')[2]!), '0x')
    const anchor = await deployAnchorContract(anvil.rpcUrl, deployer.privateKey)
    adapter = createEthereumAdapter({ rpcUrl: anvil.rpcUrl, chainId: CHAIN, contract: anchor, pollMs: 20 })
    context = signInContext(Date.now(), adapter)
  })
  after(async () => {
    await adapter?.close()
    provider?.destroy()
    await anvil?.stop()
  })

  it('a deployed EIP-1271 wallet signs in with its owner’s key', async () => {
    assert.equal(adapter.capabilities.signIn, true)
    const { challenge, rendered, proof } = await signIn(deployedWallet, owner)
    const verified = await scheme.verify(challenge, rendered, proof, context)
    assert.deepEqual(verified, { account: deployedWallet, method: 'eip1271' })
  })

  it('a deployed wallet refuses another key: WalletSignatureInvalid', async () => {
    const { challenge, rendered, proof } = await signIn(deployedWallet, stranger)
    await rejects(scheme.verify(challenge, rendered, proof, context), 'WalletSignatureInvalid')
  })

  it('without the chain, a contract wallet cannot be checked', async () => {
    const { challenge, rendered, proof } = await signIn(deployedWallet, owner)
    const { adapter: _a, ...offline } = context
    // 65 bytes that recover to someone else: refused as such when no chain can say otherwise.
    await rejects(scheme.verify(challenge, rendered, proof, offline), 'WalletSignatureInvalid')
    const longer = { ...proof, signature: `${proof.signature}00` }
    await rejects(scheme.verify(challenge, rendered, longer, offline), 'AccountKeyUnverifiable')
  })

  it('a counterfactual (not deployed) wallet signs in through ERC-6492, and stays undeployed', async () => {
    const { account, deployCalldata } = await counterfactual(owner.address, toHex(randomBytes(32)))
    const address = account.split(':')[2]!
    assert.equal(await provider.getCode(address), '0x')
    const { challenge, rendered, proof } = await signIn(account, owner, deployCalldata)
    assert.ok((proof.signature as string).endsWith('6492'.repeat(16)))
    const verified = await scheme.verify(challenge, rendered, proof, context)
    assert.deepEqual(verified, { account, method: 'erc6492' })
    assert.equal(await provider.getCode(address), '0x', 'the check is an eth_call: nothing is deployed')
    // The same wrapper for a wallet that is deployed meanwhile is checked against the deployed code.
    const wrappedForDeployed = await signIn(deployedWallet, owner, new Uint8Array([0xde, 0xad]))
    assert.equal(
      (
        await scheme.verify(
          wrappedForDeployed.challenge,
          wrappedForDeployed.rendered,
          wrappedForDeployed.proof,
          context,
        )
      ).method,
      'erc6492',
    )
  })

  it('a counterfactual wallet refuses another key, a wrong factory call or a broken wrapper', async () => {
    const { account, deployCalldata } = await counterfactual(owner.address, toHex(randomBytes(32)))
    const wrongKey = await signIn(account, stranger, deployCalldata)
    await rejects(
      scheme.verify(wrongKey.challenge, wrongKey.rendered, wrongKey.proof, context),
      'WalletSignatureInvalid',
    )
    // A factory call that deploys another owner's wallet leaves this address without code.
    const other = await counterfactual(stranger.address, toHex(randomBytes(32)))
    const wrongDeploy = await signIn(account, owner, other.deployCalldata)
    await rejects(
      scheme.verify(wrongDeploy.challenge, wrongDeploy.rendered, wrongDeploy.proof, context),
      'WalletSignatureInvalid',
    )
    const broken = await signIn(account, owner)
    const garbage = `${broken.proof.signature}${'6492'.repeat(16)}` // suffix without an ABI-encoded wrapper
    await rejects(
      scheme.verify(broken.challenge, broken.rendered, { ...broken.proof, signature: garbage }, context),
      'WalletSignatureInvalid',
    )
  })

  it('a wallet whose check burns more than CONTRACT_WALLET_GAS_LIMIT is not valid (EIP-1271 and ERC-6492)', async () => {
    /**
     * Runtime code of a wallet that accepts every signature after a loop of `n` rounds (26 gas each):
     * PUSH3 n; JUMPDEST; PUSH1 1; SWAP1; SUB; DUP1; PUSH1 4; JUMPI; then returns the ERC-1271 magic
     * value as a bytes32 (PUSH4 magic; PUSH1 224; SHL; PUSH1 0; MSTORE; RETURN(0, 32)).
     */
    const burner = (n: number) =>
      `0x62${n.toString(16).padStart(6, '0')}5b600190038060045763${ERC1271_MAGIC.slice(2)}60e01b60005260206000f3`
    const walletWith = async (rounds: number) => {
      const address = Wallet.createRandom().address
      await provider.send('anvil_setCode', [address, burner(rounds)])
      return `${CHAIN}:${address}`
    }
    const rounds = (gas: bigint) => Number(gas / 26n)
    // Under the limit it signs in (any key: this wallet accepts everything); over it, it does not.
    const light = await walletWith(rounds(CONTRACT_WALLET_GAS_LIMIT / 2n))
    const heavy = await walletWith(rounds(CONTRACT_WALLET_GAS_LIMIT + 1_000_000n))
    for (const wrap of [undefined, new Uint8Array([0xde, 0xad])]) {
      const ok = await signIn(light, stranger, wrap)
      assert.equal((await scheme.verify(ok.challenge, ok.rendered, ok.proof, context)).account, light)
      const burnt = await signIn(heavy, stranger, wrap)
      await rejects(
        scheme.verify(burnt.challenge, burnt.rendered, burnt.proof, context),
        'WalletSignatureInvalid',
      )
    }
  })

  it('externally owned accounts: offline when the key matches, refused on chain when it does not', async () => {
    const eoa = `${CHAIN}:${owner.address}`
    const ok = await signIn(eoa, owner)
    assert.equal((await scheme.verify(ok.challenge, ok.rendered, ok.proof, context)).method, 'eoa')
    const wrong = await signIn(eoa, stranger)
    await rejects(
      scheme.verify(wrong.challenge, wrong.rendered, wrong.proof, context),
      'WalletSignatureInvalid',
    )
    // Wrong length / high s on an account without code: the chain says no, a named error.
    await rejects(
      scheme.verify(
        ok.challenge,
        ok.rendered,
        { ...ok.proof, signature: `${ok.proof.signature}00` },
        context,
      ),
      'WalletSignatureInvalid',
    )
  })

  it('the adapter check: EIP-1271 and ERC-6492 answers, another chain refused, a dead RPC is ChainUnavailable', async () => {
    const message = new TextEncoder().encode('hello')
    const signature = bytes(await owner.signMessage(message))
    assert.equal(await adapter.verifySignIn!({ account: deployedWallet, message, signature }), true)
    assert.equal(
      await adapter.verifySignIn!({ account: deployedWallet, message: new Uint8Array([1]), signature }),
      false,
    )
    // The validator also unwraps an ERC-6492 signature of an account without code (an EOA).
    const wrapped = wrapErc6492(factory.address, new Uint8Array(), signature)
    assert.equal(
      await adapter.verifySignIn!({ account: `${CHAIN}:${owner.address}`, message, signature: wrapped }),
      true,
    )
    assert.equal(
      await adapter.verifySignIn!({ account: `${CHAIN}:${stranger.address}`, message, signature: wrapped }),
      false,
    )
    await rejects(
      adapter.verifySignIn!({ account: `eip155:1:${owner.address}`, message, signature }),
      'ChainMismatch',
    )
    const dead = createEthereumAdapter({
      rpcUrl: `http://127.0.0.1:${await freePort()}`,
      chainId: CHAIN,
      contract: adapter.contract,
      requestTimeoutMs: 2000,
    })
    try {
      await rejects(dead.verifySignIn!({ account: deployedWallet, message, signature }), 'ChainUnavailable')
    } finally {
      await dead.close()
    }
  })
})
