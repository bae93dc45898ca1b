/**
 * The Ethereum adapter's one serialized send path: gas estimation (which surfaces reverts before
 * anything is sent), EIP-1559 fees from the provider, and a locally kept nonce that is re-read from the
 * chain after a send error, an observed reorg (`invalidateNonce`), or when it grows old.
 */
import type { Interface, JsonRpcProvider, TransactionRequest, Wallet } from 'ethers'
import { guardChainCall } from '../../src/chain/guard-chain-call.ts'
import { ChainRejected } from '../../src/core/errors.ts'
import { decodeRevert, isNonceError, toChainError } from './ethereum-errors.ts'

/** What {@link createTransactionSender} needs. */
export interface TransactionSenderOptions {
  readonly provider: JsonRpcProvider
  /** The signing account (not connected to a provider). Never logged. */
  readonly wallet: Wallet
  readonly contract: string
  readonly chainId: bigint
  readonly iface: Interface
  /** Extra gas over the estimate, in percent. */
  readonly gasHeadroomPercent: number
  /** Re-read the nonce from the chain when the local one is older than this. */
  readonly nonceMaxAgeMs: number
}

/** Sends contract calls from one account, one at a time. */
export interface TransactionSender {
  /** Estimates gas and fees for a call of the contract; reverts surface here as mero errors. */
  prepare(what: string, data: string, signal?: AbortSignal): Promise<TransactionRequest>
  /** Assigns the nonce, signs and broadcasts (serialized); resolves with the transaction hash. */
  send(what: string, tx: TransactionRequest): Promise<string>
  /** `prepare` + `send`, then waits for the receipt; a revert throws `ChainRejected`. */
  sendAndWait(what: string, data: string, signal?: AbortSignal): Promise<void>
  /** Forgets the local nonce (after a reorg); the next send re-reads it. */
  invalidateNonce(): void
  /** Resolves when no send is in progress. */
  idle(): Promise<void>
}

/**
 * Runs one RPC interaction: races `signal` and converts whatever is thrown into a mero error.
 *
 * @example
 * const n = await guardRpc(iface, 'blockNumber', signal, () => provider.getBlockNumber())
 */
export function guardRpc<T>(
  iface: Interface,
  what: string,
  signal: AbortSignal | undefined,
  f: () => Promise<T>,
): Promise<T> {
  return guardChainCall(signal, f, (e) => toChainError(e, iface, what))
}

/**
 * Decodes why a mined transaction reverted by replaying it against its parent block (receipts carry no
 * revert data). Best effort: `'execution reverted'` when the replay does not revert the same way.
 */
export async function revertReason(
  provider: JsonRpcProvider,
  iface: Interface,
  hash: string,
): Promise<string> {
  try {
    const [tx, receipt] = await Promise.all([
      provider.getTransaction(hash),
      provider.getTransactionReceipt(hash),
    ])
    if (!tx || !receipt) return 'execution reverted'
    await provider.call({
      from: tx.from,
      to: tx.to,
      data: tx.data,
      gasLimit: tx.gasLimit,
      blockTag: receipt.blockNumber - 1,
    })
    return 'execution reverted'
  } catch (e) {
    const err = e as { code?: string; data?: string; reason?: string }
    if (err.code === 'CALL_EXCEPTION') return decodeRevert(iface, err.data, err.reason).reason
    return 'execution reverted'
  }
}

/** Creates the send path of one account. */
export function createTransactionSender(o: TransactionSenderOptions): TransactionSender {
  const { provider, wallet, contract, iface } = o
  const headroom = BigInt(o.gasHeadroomPercent)
  let nextNonce: number | undefined
  let nonceReadAt = 0
  let tail: Promise<unknown> = Promise.resolve()

  const prepare = async (what: string, data: string, signal?: AbortSignal): Promise<TransactionRequest> => {
    const [gas, fees] = await guardRpc(iface, what, signal, () =>
      Promise.all([
        provider.estimateGas({ from: wallet.address, to: contract, data }),
        provider.getFeeData(),
      ]),
    )
    const tx: TransactionRequest = {
      to: contract,
      data,
      chainId: o.chainId,
      gasLimit: (gas * (100n + headroom)) / 100n,
    }
    if (fees.maxFeePerGas !== null && fees.maxPriorityFeePerGas !== null) {
      tx.type = 2
      tx.maxFeePerGas = fees.maxFeePerGas
      tx.maxPriorityFeePerGas = fees.maxPriorityFeePerGas
    } else {
      tx.type = 0
      tx.gasPrice = fees.gasPrice
    }
    return tx
  }

  const send = (what: string, tx: TransactionRequest): Promise<string> => {
    const run = async (): Promise<string> => {
      for (let attempt = 0; ; attempt++) {
        try {
          if (nextNonce === undefined || Date.now() - nonceReadAt > o.nonceMaxAgeMs) {
            nextNonce = await provider.getTransactionCount(wallet.address, 'pending')
            nonceReadAt = Date.now()
          }
          const signed = await wallet.signTransaction({ ...tx, nonce: nextNonce })
          const response = await provider.broadcastTransaction(signed)
          nextNonce += 1
          return response.hash
        } catch (e) {
          nextNonce = undefined
          if (attempt === 0 && isNonceError(e)) continue
          throw toChainError(e, iface, what)
        }
      }
    }
    const p = tail.then(run, run)
    tail = p.catch(() => undefined)
    return p
  }

  return {
    prepare,
    send,
    async sendAndWait(what, data, signal) {
      const hash = await send(what, await prepare(what, data, signal))
      const receipt = await guardRpc(iface, what, signal, () => provider.waitForTransaction(hash, 1))
      if (receipt && receipt.status === 0) {
        const reason = await revertReason(provider, iface, hash)
        throw new ChainRejected(`${what} reverted: ${reason}`, { details: { reason, tx: hash } })
      }
    },
    invalidateNonce() {
      nextNonce = undefined
    },
    async idle() {
      await tail
    },
  }
}
