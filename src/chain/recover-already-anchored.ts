/**
 * The race every adapter loses now and then: it read "no anchor for this root", sent one, and another
 * writer's anchor of the same root landed first, so the chain answers `AlreadyAnchored`.
 */
import { AlreadyAnchored } from '../core/errors.ts'
import type { OnChainAnchor, SubmitAnchorResult } from './chain-adapter.ts'

/**
 * Handles a failed anchor send: when `e` is `AlreadyAnchored` and `readAnchor()` now finds the root's
 * anchor, resolves `{ kind: 'already-anchored', anchor }` (first write wins, the request is done);
 * otherwise rethrows `e`.
 *
 * @example
 * try {
 *   return { kind: 'submitted', tx: await send() }
 * } catch (e) {
 *   return recoverAlreadyAnchored(e, () => readAnchor(req.root, signal))
 * }
 */
export async function recoverAlreadyAnchored(
  e: unknown,
  readAnchor: () => Promise<OnChainAnchor | null>,
): Promise<SubmitAnchorResult> {
  if (e instanceof AlreadyAnchored) {
    const anchor = await readAnchor()
    if (anchor) return { kind: 'already-anchored', anchor }
  }
  throw e
}
