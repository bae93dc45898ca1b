/**
 * The `MeroAnchor` contract's ABI as the adapter uses it (human-readable fragments). Kept here so the
 * adapter depends on nothing but the chain interface; a test asserts it equals the compiled artifact's.
 */
import { Interface } from 'ethers'

/** Human-readable ABI of `contracts/ethereum/MeroAnchor.sol` (DESIGN §7 reference ABI plus helper views). */
export const ANCHOR_ABI: readonly string[] = [
  'constructor()',
  'function anchor(bytes32 logId, uint64 treeSize, bytes32 root)',
  'function anchorOf(bytes32 root) view returns (bytes32 logId, uint64 treeSize, uint64 height, uint64 timestamp, address submitter)',
  'function registerNode(bytes32 nodeKey, address submitter, string metadata)',
  'function revokeNode(bytes32 nodeKey)',
  'function isNode(bytes32 nodeKey) view returns (bool)',
  'function nodeOf(bytes32 nodeKey) view returns (address submitter, bool active, string metadata)',
  'function isSubmitter(address account) view returns (bool)',
  'function owner() view returns (address)',
  'function verifyInclusion(bytes32 root, bytes32 leafHash, uint64 index, uint64 treeSize, bytes32[] path) pure returns (bool)',
  'event Anchored(bytes32 indexed logId, bytes32 indexed root, uint64 treeSize, address submitter)',
  'event NodeRegistered(bytes32 indexed nodeKey, address indexed submitter, string metadata)',
  'event NodeRevoked(bytes32 indexed nodeKey, address indexed submitter)',
  'error NotSubmitter(address caller)',
  'error AlreadyAnchored(bytes32 root)',
  'error NotOwner(address caller)',
  'error InvalidTreeSize()',
  'error InvalidRoot()',
  'error InvalidSubmitter()',
  'error UnknownNode(bytes32 nodeKey)',
]

/** A fresh ethers `Interface` over {@link ANCHOR_ABI}. */
export function anchorInterface(): Interface {
  return new Interface(ANCHOR_ABI)
}
