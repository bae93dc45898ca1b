/**
 * The anchors an adapter sent, so that one whose transaction the chain dropped gets resent. nearcore
 * accepts two pooled transactions with the same key nonce (two clients of one key) and drops one at
 * block production: that transaction never gets an outcome (`tx` answers UNKNOWN_TRANSACTION). An
 * anchor whose transaction stays unknown while its root is missing for `resendAfterBlocks` blocks is
 * therefore resent with a fresh nonce; the caller keeps polling with the first hash, which maps to
 * the newest one.
 */
import type { AnchorRequest } from '../../src/chain/chain-adapter.ts'

interface Sent {
  readonly req: AnchorRequest
  unknownSince?: number
}

/** What to do about a sent transaction that is unknown to the chain while its root is missing. */
export type UnknownVerdict = 'not-ours' | 'wait' | { readonly resend: AnchorRequest }

/** Tracks sent anchor transactions (at most `limit`, oldest forgotten first). */
export class SentAnchors {
  private readonly sent = new Map<string, Sent>()
  private readonly replaced = new Map<string, string>()

  constructor(
    private readonly resendAfterBlocks: number,
    private readonly limit = 10_000,
  ) {}

  /** Records a sent anchor transaction. */
  remember(tx: string, req: AnchorRequest): void {
    this.sent.set(tx, { req })
    for (const old of this.sent.keys()) {
      if (this.sent.size <= this.limit) break
      this.sent.delete(old)
    }
    for (const old of this.replaced.keys()) {
      if (this.replaced.size <= this.limit) break
      this.replaced.delete(old)
    }
  }

  /** The newest transaction that replaced `tx` (or `tx` itself). */
  latest(tx: string): string {
    let t = tx
    for (let i = 0; i < 100; i++) {
      const next = this.replaced.get(t)
      if (!next) return t
      t = next
    }
    return t
  }

  /** `tx` (unknown to the chain, its root missing) seen at `height`: wait, resend, or not ours. */
  unknownAt(tx: string, height: number): UnknownVerdict {
    const s = this.sent.get(tx)
    if (!s) return 'not-ours'
    s.unknownSince ??= height
    return height - s.unknownSince >= this.resendAfterBlocks ? { resend: s.req } : 'wait'
  }

  /** `next` was sent in place of `tx`. */
  replace(tx: string, next: string): void {
    this.sent.delete(tx)
    if (next !== tx) this.replaced.set(tx, next)
  }

  /** `tx` has an outcome (or its root is anchored): nothing more to track. */
  forget(tx: string): void {
    this.sent.delete(tx)
  }
}
