// Storage layout of the registry and its small helpers. Keys: "o" → owner; "a" ‖ root → anchor;
// "n" ‖ node key → node; "s" ‖ account → number of active nodes it submits for (u32 LE).

import { storageGet, storageSet, utf8 } from './host'

export function key(prefix: string, rest: Uint8Array): Uint8Array {
  const p = utf8(prefix)
  const k = new Uint8Array(p.length + rest.length)
  k.set(p, 0)
  k.set(rest, p.length)
  return k
}

export function putU64(b: Uint8Array, at: i32, v: u64): void {
  for (let i = 0; i < 8; i++) b[at + i] = <u8>(v >> (<u64>(8 * i)))
}

export function getU64(b: Uint8Array, at: i32): u64 {
  let v: u64 = 0
  for (let i = 0; i < 8; i++) v |= (<u64>b[at + i]) << (<u64>(8 * i))
  return v
}

export function isZero(b: Uint8Array): bool {
  for (let i = 0; i < b.length; i++) if (b[i] != 0) return false
  return true
}

/** NEAR account id rules: 2..64 chars of [a-z0-9], separated by single '-', '_' or '.'. */
export function validAccountId(a: Uint8Array): bool {
  if (a.length < 2 || a.length > 64) return false
  let prevSep = true
  for (let i = 0; i < a.length; i++) {
    const c = a[i]
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)
    if (alnum) prevSep = false
    else if (c == 0x2d || c == 0x5f || c == 0x2e) {
      if (prevSep) return false
      prevSep = true
    } else return false
  }
  return !prevSep
}

/** Stored node: active (1 byte), submitter length (1 byte), submitter, metadata. */
export class Node {
  constructor(
    public active: bool,
    public submitter: string,
    public metadata: string,
  ) {}

  static load(nodeKey: Uint8Array): Node | null {
    const v = storageGet(key('n', nodeKey))
    if (v == null) return null
    const n = <i32>v[1]
    return new Node(
      v[0] == 1,
      String.UTF8.decode(v.subarray(2, 2 + n).slice().buffer),
      String.UTF8.decode(v.subarray(2 + n).slice().buffer),
    )
  }

  save(nodeKey: Uint8Array): void {
    const s = utf8(this.submitter)
    const m = utf8(this.metadata)
    const v = new Uint8Array(2 + s.length + m.length)
    v[0] = this.active ? 1 : 0
    v[1] = <u8>s.length
    v.set(s, 2)
    v.set(m, 2 + s.length)
    storageSet(key('n', nodeKey), v)
  }
}

