// mero anchor registry for NEAR (DESIGN §7): anchors of Merkle-log checkpoint roots, written by the
// submitters of registered nodes, first write wins; a node registry kept by the owner; an RFC 9162
// inclusion check with the host's sha256. JSON arguments and results, NEP-297 event logs.

import {
  block_index,
  block_timestamp,
  callInput,
  currentAccount,
  fail,
  hash,
  logEvent,
  predecessor,
  returnString,
  storageGet,
  storageRemove,
  storageSet,
  utf8,
} from './host'
import { Args, bytes32, quote, toHex } from './json'
import { getU64, isZero, key, Node, putU64, validAccountId } from './storage'

const EVENT_HEAD = '{"standard":"mero_anchor","version":"1.0.0","event":"'

function loadOwner(): string {
  const o = storageGet(utf8('o'))
  if (o == null) {
    fail('NotInitialized')
    return ''
  }
  return String.UTF8.decode(o.buffer)
}

function onlyOwner(): void {
  const caller = predecessor()
  if (caller != loadOwner()) fail('NotOwner: ' + caller)
}

function submitterCount(account: string): u32 {
  const v = storageGet(key('s', utf8(account)))
  if (v == null || v.length != 4) return 0
  return <u32>v[0] | (<u32>v[1] << 8) | (<u32>v[2] << 16) | (<u32>v[3] << 24)
}

function setSubmitterCount(account: string, n: u32): void {
  const k = key('s', utf8(account))
  if (n == 0) {
    storageRemove(k)
    return
  }
  const v = new Uint8Array(4)
  for (let i = 0; i < 4; i++) v[i] = <u8>(n >> (<u32>(8 * i)))
  storageSet(k, v)
}

/**
 * `init({"owner": "account.id"})`: once, by the contract account itself or by its parent account (the
 * account that created it, e.g. in the same transaction as the deploy).
 */
export function init(): void {
  if (storageGet(utf8('o')) != null) fail('AlreadyInitialized')
  const caller = predecessor()
  const self = currentAccount()
  if (caller != self && !self.endsWith('.' + caller))
    fail('NotOwner: init must be called by the contract account or its parent')
  const args = new Args(callInput())
  const o = args.bytes('owner')
  if (!validAccountId(o)) fail('InvalidArgs: owner is not a valid account id')
  storageSet(utf8('o'), o)
}

/** `owner()` → `"account.id"`. */
export function owner(): void {
  returnString(quote(loadOwner()))
}

/** `anchor({"log_id": "0x…", "tree_size": n, "root": "0x…"})`: registered submitters only; first write wins. */
export function anchor(): void {
  const args = new Args(callInput())
  const logId = bytes32(args.bytes('log_id'), 'log_id')
  const root = bytes32(args.bytes('root'), 'root')
  const treeSize = args.u64('tree_size')
  const caller = predecessor()
  if (submitterCount(caller) == 0) fail('NotSubmitter: ' + caller)
  if (treeSize == 0) fail('InvalidTreeSize')
  if (isZero(root) || isZero(logId)) fail('InvalidRoot')
  const k = key('a', root)
  if (storageGet(k) != null) fail('AlreadyAnchored: ' + toHex(root))
  const c = utf8(caller)
  const v = new Uint8Array(56 + c.length)
  v.set(logId, 0)
  putU64(v, 32, treeSize)
  putU64(v, 40, block_index())
  putU64(v, 48, block_timestamp() / 1_000_000)
  v.set(c, 56)
  storageSet(k, v)
  logEvent(
    EVENT_HEAD +
      'anchored","data":[{"log_id":"' +
      toHex(logId) +
      '","root":"' +
      toHex(root) +
      '","tree_size":' +
      treeSize.toString() +
      ',"submitter":' +
      quote(caller) +
      '}]}',
  )
}

/** `anchor_of({"root": "0x…"})` → `{"log_id","tree_size","height","timestamp" (ms),"submitter"}` or `null`. */
export function anchor_of(): void {
  const args = new Args(callInput())
  const root = bytes32(args.bytes('root'), 'root')
  const v = storageGet(key('a', root))
  if (v == null) {
    returnString('null')
    return
  }
  returnString(
    '{"log_id":"' +
      toHex(v.subarray(0, 32)) +
      '","tree_size":' +
      getU64(v, 32).toString() +
      ',"height":' +
      getU64(v, 40).toString() +
      ',"timestamp":' +
      getU64(v, 48).toString() +
      ',"submitter":' +
      quote(String.UTF8.decode(v.subarray(56).slice().buffer)) +
      '}',
  )
}

/** `register_node({"node_key": "0x…", "submitter": "account.id", "metadata": "…"})`: owner only. */
export function register_node(): void {
  onlyOwner()
  const args = new Args(callInput())
  const nodeKey = bytes32(args.bytes('node_key'), 'node_key')
  const s = args.bytes('submitter')
  if (!validAccountId(s)) fail('InvalidSubmitter')
  const submitter = String.UTF8.decode(s.buffer)
  const metadata = args.has('metadata') ? args.string('metadata') : ''
  const old = Node.load(nodeKey)
  if (old != null && old.active) setSubmitterCount(old.submitter, submitterCount(old.submitter) - 1)
  new Node(true, submitter, metadata).save(nodeKey)
  setSubmitterCount(submitter, submitterCount(submitter) + 1)
  logEvent(
    EVENT_HEAD +
      'node_registered","data":[{"node_key":"' +
      toHex(nodeKey) +
      '","submitter":' +
      quote(submitter) +
      ',"metadata":' +
      quote(metadata) +
      '}]}',
  )
}

/** `revoke_node({"node_key": "0x…"})`: owner only; panics `UnknownNode` when not active. */
export function revoke_node(): void {
  onlyOwner()
  const args = new Args(callInput())
  const nodeKey = bytes32(args.bytes('node_key'), 'node_key')
  const n = Node.load(nodeKey)
  if (n == null || !n.active) {
    fail('UnknownNode: ' + toHex(nodeKey))
    return
  }
  n.active = false
  n.save(nodeKey)
  setSubmitterCount(n.submitter, submitterCount(n.submitter) - 1)
  logEvent(
    EVENT_HEAD +
      'node_revoked","data":[{"node_key":"' +
      toHex(nodeKey) +
      '","submitter":' +
      quote(n.submitter) +
      '}]}',
  )
}

/** `is_node({"node_key": "0x…"})` → `true` | `false`. */
export function is_node(): void {
  const args = new Args(callInput())
  const n = Node.load(bytes32(args.bytes('node_key'), 'node_key'))
  returnString(n != null && n.active ? 'true' : 'false')
}

/** `node_of({"node_key": "0x…"})` → `{"submitter","active","metadata"}` or `null`. */
export function node_of(): void {
  const args = new Args(callInput())
  const n = Node.load(bytes32(args.bytes('node_key'), 'node_key'))
  if (n == null) {
    returnString('null')
    return
  }
  returnString(
    '{"submitter":' +
      quote(n.submitter) +
      ',"active":' +
      (n.active ? 'true' : 'false') +
      ',"metadata":' +
      quote(n.metadata) +
      '}',
  )
}

/** `is_submitter({"account_id": "…"})` → whether the account submits for at least one active node. */
export function is_submitter(): void {
  const args = new Args(callInput())
  returnString(submitterCount(args.string('account_id')) > 0 ? 'true' : 'false')
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const b = new Uint8Array(65)
  b[0] = 1
  b.set(left, 1)
  b.set(right, 33)
  return hash(b)
}

function equal(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false
  return true
}

/**
 * `verify_inclusion({"root","leaf_hash","index","tree_size","path":["0x…"]})` → RFC 9162 §2.1.3.2
 * inclusion check with SHA-256 (interior prefix 0x01) → `true` | `false`.
 */
export function verify_inclusion(): void {
  const args = new Args(callInput())
  const root = bytes32(args.bytes('root'), 'root')
  let r = bytes32(args.bytes('leaf_hash'), 'leaf_hash')
  const index = args.u64('index')
  const treeSize = args.u64('tree_size')
  const path = args.strings('path')
  if (index >= treeSize) {
    returnString('false')
    return
  }
  let fn = index
  let sn = treeSize - 1
  for (let i = 0; i < path.length; i++) {
    const p = bytes32(path[i], 'path element')
    if (sn == 0) {
      returnString('false')
      return
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = nodeHash(p, r)
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1
        sn >>= 1
      }
    } else {
      r = nodeHash(r, p)
    }
    fn >>= 1
    sn >>= 1
  }
  returnString(sn == 0 && equal(r, root) ? 'true' : 'false')
}
