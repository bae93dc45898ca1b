/**
 * Certification of the devnet's state: labeled trees, the IC hash tree (CBOR shape
 * `[0] | [1, l, r] | [2, label, t] | [3, value] | [4, hash]`), its root hash with the IC's domain
 * separators, and certificates `{tree, signature}` signed with the devnet's BLS12-381 root key in the
 * IC's min-sig scheme (signatures in G1, public key in G2, DST
 * `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`) over `"\x0Dic-state-root" ‖ root_hash`.
 */
import { createHash } from 'node:crypto'
import { bls12_381 } from '@noble/curves/bls12-381'
import { encode } from 'cborg'
import { domainSeparator } from './request-auth.ts'

/** A labeled tree: a leaf value, or children by label (labels compared as raw bytes). */
export type LabeledTree = Uint8Array | Map<string, LabeledTree>

/** An IC hash tree. */
export type HashTree =
  | [0]
  | [1, HashTree, HashTree]
  | [2, Uint8Array, HashTree]
  | [3, Uint8Array]
  | [4, Uint8Array]

/** DER prefix of an IC BLS12-381 G2 public key. */
export const IC_ROOT_KEY_DER_PREFIX = Buffer.from(
  '308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100',
  'hex',
)

/** A label from bytes or text (kept as a binary string so Map keys sort by bytes). */
export function label(l: Uint8Array | string): string {
  return typeof l === 'string' ? Buffer.from(l, 'utf8').toString('latin1') : Buffer.from(l).toString('latin1')
}

/** The hash tree revealing all of `t`. */
export function hashTreeOf(t: LabeledTree): HashTree {
  if (t instanceof Uint8Array) return [3, t]
  const nodes: HashTree[] = [...t.keys()]
    .sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')))
    .map((k) => [2, new Uint8Array(Buffer.from(k, 'latin1')), hashTreeOf(t.get(k)!)])
  const fork = (xs: HashTree[]): HashTree => {
    if (xs.length === 0) return [0]
    if (xs.length === 1) return xs[0]!
    const mid = Math.ceil(xs.length / 2)
    return [1, fork(xs.slice(0, mid)), fork(xs.slice(mid))]
  }
  return fork(nodes)
}

const h = (...parts: Uint8Array[]) => {
  const x = createHash('sha256')
  for (const p of parts) x.update(p)
  return new Uint8Array(x.digest())
}

/** Root hash of a hash tree. */
export function reconstruct(t: HashTree): Uint8Array {
  switch (t[0]) {
    case 0:
      return h(domainSeparator('ic-hashtree-empty'))
    case 1:
      return h(domainSeparator('ic-hashtree-fork'), reconstruct(t[1]), reconstruct(t[2]))
    case 2:
      return h(domainSeparator('ic-hashtree-labeled'), t[1], reconstruct(t[2]))
    case 3:
      return h(domainSeparator('ic-hashtree-leaf'), t[1])
    case 4:
      return t[1]
  }
}

/** The devnet's root key pair. */
export interface RootKey {
  readonly secretKey: Uint8Array
  /** DER-wrapped G2 public key (133 bytes), what `/api/v2/status` serves as `root_key`. */
  readonly publicKeyDer: Uint8Array
}

/** Derives the root key pair from a 32-byte secret. */
export function rootKeyFrom(secretKey: Uint8Array): RootKey {
  const pk = bls12_381.getPublicKeyForShortSignatures(secretKey)
  return { secretKey, publicKeyDer: new Uint8Array(Buffer.concat([IC_ROOT_KEY_DER_PREFIX, pk])) }
}

/** A fresh random root key secret (a valid BLS12-381 scalar). */
export function randomRootSecret(): Uint8Array {
  return bls12_381.utils.randomPrivateKey()
}

/** Signs `tree` and returns the CBOR certificate `{tree, signature}`. */
export function certify(tree: LabeledTree, key: RootKey): Uint8Array {
  const ht = hashTreeOf(tree)
  const msg = Buffer.concat([domainSeparator('ic-state-root'), reconstruct(ht)])
  return encode({ tree: ht, signature: bls12_381.signShortSignature(msg, key.secretKey) })
}
