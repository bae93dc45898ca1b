/**
 * The on-chain half of Ethereum sign-in (DESIGN §8): whether a contract wallet accepts a signature
 * over an EIP-191 (`personal_sign`) message.
 *
 * - A plain signature is checked with EIP-1271: `isValidSignature(bytes32 hash, bytes signature)` on
 *   the account must return the magic value `0x1626ba7e` (an account without code never does).
 * - A signature that ends with the ERC-6492 suffix (`0x6492…6492`, 32 bytes) may come from a wallet
 *   that is not deployed yet. It is checked by running the creation code of our own deployless
 *   `SignatureValidator` (contracts/ethereum) in one `eth_call`: the validator deploys the wallet
 *   through the factory calldata inside the call when the account has no code, asks the wallet through
 *   EIP-1271, or — for an account that stays without code — recovers the inner ECDSA signature.
 *   Nothing is written on chain.
 *
 * Each call runs with {@link CONTRACT_WALLET_GAS_LIMIT}. A revert, running out of gas or a malformed
 * answer means "not valid"; transport failures are `ChainUnavailable`.
 */
import { AbiCoder, concat, getAddress, hashMessage, Interface, isError, type JsonRpcProvider } from 'ethers'
import { signInArtifact } from '../../contracts/ethereum/sign-in-artifacts.ts'
import type { SignInCheck } from '../../src/chain/chain-adapter.ts'
import { toHex } from '../../src/core/bytes.ts'
import { ChainMismatch, InvalidInput } from '../../src/core/errors.ts'
import { guardRpc } from './transaction-sender.ts'

/** The ERC-6492 magic suffix of a wrapped (counterfactual) signature. */
export const ERC6492_SUFFIX: Uint8Array = new Uint8Array(Buffer.from('6492'.repeat(16), 'hex'))

/** The EIP-1271 magic value `isValidSignature` returns for a valid signature. */
export const ERC1271_MAGIC = '0x1626ba7e'

/** Largest signature checked (ERC-6492 wrappers carry the factory calldata). */
export const MAX_CONTRACT_SIGNATURE_BYTES = 32_768

/**
 * Gas limit of each sign-in `eth_call` (EIP-1271 `isValidSignature`, the ERC-6492 validator with the
 * wallet's deployment): ample for real wallets (a factory deployment plus a WebAuthn check in
 * Solidity costs well under 1 M), and a wallet that burns more is "not valid" — without a limit the
 * node would run each hostile check up to its RPC's gas cap (often the block gas limit).
 */
export const CONTRACT_WALLET_GAS_LIMIT = 3_000_000n

const WALLET = new Interface([
  'function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)',
])
const VALID_1271 = `${ERC1271_MAGIC}${'0'.repeat(56)}`

/** Whether `signature` ends with the ERC-6492 suffix. */
export function hasErc6492Suffix(signature: Uint8Array): boolean {
  if (signature.length < 32) return false
  const tail = signature.length - 32
  for (let i = 0; i < 32; i++) if (signature[tail + i] !== ERC6492_SUFFIX[i]) return false
  return true
}

/** An ERC-6492 wrapper's parts: `abi.encode(factory, factoryCalldata, signature) ‖ suffix`. */
export interface Erc6492Parts {
  readonly factory: string
  readonly factoryCalldata: Uint8Array
  readonly signature: Uint8Array
}

/** Decodes an ERC-6492 wrapped signature; `undefined` when it is not one. */
export function unwrapErc6492(signature: Uint8Array): Erc6492Parts | undefined {
  if (!hasErc6492Suffix(signature)) return undefined
  try {
    const [factory, calldata, inner] = AbiCoder.defaultAbiCoder().decode(
      ['address', 'bytes', 'bytes'],
      signature.subarray(0, signature.length - 32),
    )
    return {
      factory: getAddress(factory as string),
      factoryCalldata: bytes(calldata as string),
      signature: bytes(inner as string),
    }
  } catch {
    return undefined
  }
}

/** Wraps `signature` for a wallet that `factory` deploys with `factoryCalldata` (ERC-6492). */
export function wrapErc6492(factory: string, factoryCalldata: Uint8Array, signature: Uint8Array): Uint8Array {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ['address', 'bytes', 'bytes'],
    [factory, factoryCalldata, signature],
  )
  return bytes(concat([encoded, ERC6492_SUFFIX]))
}

/** Checks a contract-wallet sign-in; resolves false when the wallet does not accept the signature. */
export type ContractWalletCheck = (check: SignInCheck, signal?: AbortSignal) => Promise<boolean>

/**
 * The contract-wallet check of the adapter on `chainId` (`eip155:<n>`).
 *
 * @example
 * const check = createContractWalletCheck(provider, 'eip155:31337')
 * await check({ account, message: utf8(text), signature })
 */
export function createContractWalletCheck(provider: JsonRpcProvider, chainId: string): ContractWalletCheck {
  let validator: string | undefined // creation code, loaded on first use
  return async (check, signal) => {
    const address = accountAddress(check.account, chainId)
    if (!(check.message instanceof Uint8Array) || !(check.signature instanceof Uint8Array))
      throw new InvalidInput('message and signature must be bytes')
    if (check.signature.length > MAX_CONTRACT_SIGNATURE_BYTES)
      throw new InvalidInput(`signature longer than ${MAX_CONTRACT_SIGNATURE_BYTES} bytes`)
    const hash = hashMessage(check.message)
    const sig = toHex(check.signature)
    return guardRpc(WALLET, 'verifySignIn', signal, async () => {
      try {
        if (hasErc6492Suffix(check.signature)) {
          validator ??= signInArtifact('SignatureValidator').bytecode
          const args = AbiCoder.defaultAbiCoder().encode(
            ['address', 'bytes32', 'bytes'],
            [address, hash, sig],
          )
          const data = concat([validator, args])
          return (await provider.call({ data, gasLimit: CONTRACT_WALLET_GAS_LIMIT })) === '0x01'
        }
        const data = WALLET.encodeFunctionData('isValidSignature', [hash, sig])
        const result = await provider.call({ to: address, data, gasLimit: CONTRACT_WALLET_GAS_LIMIT })
        return result.slice(0, VALID_1271.length).toLowerCase() === VALID_1271
      } catch (e) {
        if (isError(e, 'CALL_EXCEPTION')) return false // the wallet (or the validator) reverted: not valid
        throw e
      }
    })
  }
}

function accountAddress(account: string, chainId: string): string {
  if (typeof account !== 'string' || !account.startsWith(`${chainId}:`))
    throw new ChainMismatch(`the account is not on ${chainId}`, { details: { chainId } })
  try {
    return getAddress(account.slice(chainId.length + 1))
  } catch {
    throw new InvalidInput('the account is not an Ethereum address')
  }
}

function bytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.slice(2), 'hex'))
}
