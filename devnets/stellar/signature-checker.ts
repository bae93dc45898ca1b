/**
 * stellar-core's `SignatureChecker` for ed25519 signers: signatures are walked in order, each is
 * verified against the account's signers (hint and signature, always), a signer counts at most once,
 * and a check stops as soon as the needed weight is reached. Signatures that never helped any check
 * make the transaction `tx_bad_auth_extra`.
 */
import { ed25519 } from '@noble/curves/ed25519'
import { StrKey } from '@stellar/stellar-sdk'
import type { AccountState } from './stellar-operations.ts'
import type { SignatureJson } from './stellar-xdr.ts'

function verify(sigHex: string, msg: Uint8Array, pub: Uint8Array): boolean {
  try {
    return sigHex.length === 128 && ed25519.verify(Buffer.from(sigHex, 'hex'), msg, pub)
  } catch {
    return false
  }
}

/** The signatures of one transaction and which of them have been used by a check. */
export class SignatureChecker {
  private readonly used: boolean[]

  /**
   * @param hash the transaction's signature payload hash (network passphrase included)
   * @param signatures the envelope's decorated signatures
   */
  constructor(
    private readonly hash: Uint8Array,
    private readonly signatures: readonly SignatureJson[],
  ) {
    this.used = signatures.map(() => false)
  }

  /**
   * Whether `account`'s signers that signed reach `needed` weight (at least one valid signature is
   * always required, as in core, even when the threshold is 0).
   */
  check(account: AccountState, needed: number): boolean {
    const signers = [
      ...(account.masterWeight > 0 ? [{ key: account.id, weight: account.masterWeight }] : []),
      ...account.signers,
    ].map((s) => {
      const pub = StrKey.decodeEd25519PublicKey(s.key)
      return { pub, hint: Buffer.from(pub.subarray(28)).toString('hex'), weight: s.weight }
    })
    let total = 0
    for (const [i, sig] of this.signatures.entries()) {
      const k = signers.findIndex((s) => s.hint === sig.hint && verify(sig.signature, this.hash, s.pub))
      if (k < 0) continue
      this.used[i] = true
      total += signers[k]!.weight
      if (total >= needed) return true
      signers.splice(k, 1)
    }
    return false
  }

  /** True when every signature was used by some check (else core answers `tx_bad_auth_extra`). */
  allUsed(): boolean {
    return this.used.every(Boolean)
  }
}
