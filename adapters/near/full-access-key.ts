/**
 * The on-chain half of NEAR sign-in (NEP-413, DESIGN §8): after the identity layer has verified the
 * Ed25519 signature over `sha256(borsh(2^31+413) ‖ borsh(payload))` with the key the wallet presented,
 * the key must be a FullAccess key of the account — checked here with the RPC's `view_access_key`.
 * A FunctionCall key, a key of another account, an unknown account or a malformed key give `false`;
 * an unreachable RPC throws `ChainUnavailable`.
 */
import { type JsonRpcProvider, PublicKey } from 'near-api-js'
import { guardNear } from './near-errors.ts'

const NOT_THERE = new Set(['AccessKeyDoesNotExistError', 'AccountDoesNotExistError', 'InvalidAccountError'])

/**
 * Whether `publicKey` (`ed25519:<base58>`) is a FullAccess key of `accountId` at the final block.
 *
 * @example
 * await isFullAccessKey(provider, 'alice.near', 'ed25519:6E8sCci9badyRkXb3JoRpBj5p8C6Tw41ELDZoiihKEtp') // true
 */
export async function isFullAccessKey(
  provider: JsonRpcProvider,
  accountId: string,
  publicKey: string,
  signal?: AbortSignal,
): Promise<boolean> {
  let key: PublicKey
  try {
    if (!publicKey.startsWith('ed25519:')) return false
    key = PublicKey.fromString(publicKey)
  } catch {
    return false
  }
  return guardNear('viewAccessKey', signal, async () => {
    try {
      const ak = await provider.viewAccessKey({
        accountId,
        publicKey: key,
        finalityQuery: { finality: 'final' },
      })
      return ak.permission === 'FullAccess'
    } catch (e) {
      if (NOT_THERE.has((e as Error)?.name)) return false
      throw e
    }
  })
}
