/**
 * Maps what ethers / the RPC throws onto mero's error catalogue: reverts become `ChainRejected`,
 * `AlreadyAnchored` or `NotRegisteredSubmitter` with the decoded custom error in `details.reason`;
 * transport failures become `ChainUnavailable` (retryable). Messages carry no secrets: only the error
 * code, the decoded revert and the RPC's short message.
 */
import { type Interface, isError } from 'ethers'
import type { MeroError } from '../../src/core/errors.ts'
import {
  AlreadyAnchored,
  ChainRejected,
  ChainUnavailable,
  isMeroError,
  NotRegisteredSubmitter,
} from '../../src/core/errors.ts'

/** A decoded revert: the custom error's name and its arguments as strings. */
export interface DecodedRevert {
  readonly reason: string
  readonly args: readonly string[]
}

/** Decodes revert data against the contract's custom errors (and `Error(string)` / `Panic(uint256)`). */
export function decodeRevert(
  iface: Interface,
  data: string | null | undefined,
  fallback?: string | null,
): DecodedRevert {
  if (data && data !== '0x') {
    try {
      const parsed = iface.parseError(data)
      if (parsed) {
        const args = parsed.args.toArray().map((a: unknown) => String(a))
        if (parsed.name === 'Error' && args[0] !== undefined) return { reason: args[0], args: [] }
        return { reason: parsed.name, args }
      }
    } catch {
      // fall through: unknown selector
    }
    return { reason: `revert ${data.slice(0, 10)}`, args: [] }
  }
  return { reason: fallback ?? 'execution reverted', args: [] }
}

/** True for the RPC answers that mean "the nonce this adapter used is stale". */
export function isNonceError(e: unknown): boolean {
  if (
    isError(e, 'NONCE_EXPIRED') ||
    isError(e, 'REPLACEMENT_UNDERPRICED') ||
    isError(e, 'TRANSACTION_REPLACED')
  )
    return true
  const msg = errorText(e).toLowerCase()
  return msg.includes('nonce too low') || msg.includes('nonce too high') || msg.includes('already known')
}

/** Converts any thrown value of an RPC interaction into a mero error. */
export function toChainError(e: unknown, iface: Interface, what: string): MeroError {
  if (isMeroError(e)) return e
  if (isError(e, 'CALL_EXCEPTION')) {
    const { reason, args } = decodeRevert(iface, e.data, e.reason)
    const details = { reason, args, operation: what }
    if (reason === 'NotSubmitter')
      return new NotRegisteredSubmitter(
        `${what}: ${args[0] ?? 'the account'} is not a registered submitter`,
        { details, cause: e },
      )
    if (reason === 'AlreadyAnchored')
      return new AlreadyAnchored(`${what}: root already anchored`, { details, cause: e })
    return new ChainRejected(`${what} reverted: ${reason}`, { details, cause: e })
  }
  if (isError(e, 'INSUFFICIENT_FUNDS'))
    return new ChainRejected(`${what}: insufficient funds for gas`, {
      details: { reason: 'InsufficientFunds', operation: what },
      cause: e,
    })
  if (isError(e, 'BAD_DATA'))
    return new ChainRejected(
      `${what}: the RPC returned data that does not decode (is the contract deployed there?)`,
      {
        details: { reason: 'BadData', operation: what },
        cause: e,
      },
    )
  if (isError(e, 'INVALID_ARGUMENT') || isError(e, 'UNSUPPORTED_OPERATION'))
    return new ChainRejected(`${what}: ${shortText(e)}`, {
      details: { reason: (e as { code: string }).code, operation: what },
      cause: e,
    })
  const code = (e as { code?: unknown } | null)?.code
  return new ChainUnavailable(`${what}: chain RPC unavailable (${shortText(e)})`, {
    details: { operation: what, ...(typeof code === 'string' ? { code } : {}) },
    cause: e,
  })
}

function errorText(e: unknown): string {
  const o = e as { shortMessage?: unknown; message?: unknown; error?: { message?: unknown } } | null
  return [o?.shortMessage, o?.message, o?.error?.message].filter((s) => typeof s === 'string').join(' ')
}

function shortText(e: unknown): string {
  const o = e as { shortMessage?: unknown; message?: unknown; code?: unknown } | null
  const s =
    typeof o?.shortMessage === 'string'
      ? o.shortMessage
      : typeof o?.message === 'string'
        ? o.message
        : String(e)
  return s.slice(0, 200)
}
