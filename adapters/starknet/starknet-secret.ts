/**
 * The Starknet signer secret (the content of a chain's `signerKeyFile`): the account contract's
 * address and its Stark private key, as JSON `{"address":"0x…","privateKey":"0x…"}` or as
 * `0x<address>:0x<privateKey>`. Errors never echo the key.
 */
import { InvalidInput } from '../../src/core/errors.ts'

/** A Starknet account: contract address plus Stark-curve private key. */
export interface StarknetSecret {
  readonly address: string
  readonly privateKey: string
}

const FELT = /^0x[0-9a-fA-F]{1,64}$/

/**
 * Parses a signer secret.
 *
 * @example
 * parseStarknetSecret('{"address":"0x123…","privateKey":"0xabc…"}')
 * parseStarknetSecret('0x123…:0xabc…')
 */
export function parseStarknetSecret(secret: string): StarknetSecret {
  const text = secret.trim()
  let address: unknown
  let privateKey: unknown
  if (text.startsWith('{')) {
    try {
      ;({ address, privateKey } = JSON.parse(text) as Record<string, unknown>)
    } catch {
      throw new InvalidInput('Starknet signer secret is not valid JSON')
    }
  } else {
    ;[address, privateKey] = text.split(':')
  }
  if (typeof address !== 'string' || !FELT.test(address))
    throw new InvalidInput('Starknet signer secret: address must be a 0x-hex felt')
  if (typeof privateKey !== 'string' || !FELT.test(privateKey) || BigInt(privateKey) === 0n)
    throw new InvalidInput('Starknet signer secret: privateKey must be a non-zero 0x-hex felt')
  return { address, privateKey }
}

/** Serializes a secret in the JSON form. */
export function formatStarknetSecret(s: StarknetSecret): string {
  return JSON.stringify({ address: s.address, privateKey: s.privateKey })
}
