// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title MeroAnchor — the on-chain registry of mero log checkpoints and attested nodes (DESIGN §7, §9).
/// @notice Registered submitters anchor RFC 6962 log roots; the first write of a root wins. The contract
///         owner (the deployer) registers and revokes attested nodes, each with the account that submits
///         for it. `verifyInclusion` checks an RFC 9162 §2.1.3.2 inclusion path with SHA-256.
contract MeroAnchor {
    /// An anchored checkpoint root. `treeSize == 0` means "no anchor".
    struct Anchor {
        bytes32 logId;
        uint64 treeSize;
        uint64 height;
        uint64 timestamp;
        address submitter;
    }

    /// An attested node: its Ed25519 key maps to the account that submits its anchors.
    struct Node {
        address submitter;
        bool active;
        string metadata;
    }

    /// The deployer; the only account that may change the node registry.
    address public immutable owner;

    mapping(bytes32 root => Anchor) private anchors;
    mapping(bytes32 nodeKey => Node) private nodes;
    /// Number of active nodes whose submitter is the account; > 0 means "registered submitter".
    mapping(address submitter => uint256) private activeNodes;

    /// A root was anchored (first write).
    event Anchored(bytes32 indexed logId, bytes32 indexed root, uint64 treeSize, address submitter);
    /// A node key was registered or its submitter / metadata changed.
    event NodeRegistered(bytes32 indexed nodeKey, address indexed submitter, string metadata);
    /// A node key was revoked.
    event NodeRevoked(bytes32 indexed nodeKey, address indexed submitter);

    /// The caller is not the submitter of any active registered node.
    error NotSubmitter(address caller);
    /// The root is already anchored (first write wins).
    error AlreadyAnchored(bytes32 root);
    /// Only the owner may change the node registry.
    error NotOwner(address caller);
    /// Tree sizes start at 1.
    error InvalidTreeSize();
    /// The zero root and zero log id are not valid.
    error InvalidRoot();
    /// The zero address cannot submit.
    error InvalidSubmitter();
    /// The node key is not an active registered node.
    error UnknownNode(bytes32 nodeKey);

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Anchors `root` of log `logId` at `treeSize`. Registered submitters only; first write wins.
    function anchor(bytes32 logId, uint64 treeSize, bytes32 root) external {
        if (activeNodes[msg.sender] == 0) revert NotSubmitter(msg.sender);
        if (treeSize == 0) revert InvalidTreeSize();
        if (root == bytes32(0) || logId == bytes32(0)) revert InvalidRoot();
        Anchor storage a = anchors[root];
        if (a.treeSize != 0) revert AlreadyAnchored(root);
        a.logId = logId;
        a.treeSize = treeSize;
        a.height = uint64(block.number);
        a.timestamp = uint64(block.timestamp);
        a.submitter = msg.sender;
        emit Anchored(logId, root, treeSize, msg.sender);
    }

    /// @notice The anchor of `root`; `treeSize == 0` when none.
    function anchorOf(bytes32 root)
        external
        view
        returns (bytes32 logId, uint64 treeSize, uint64 height, uint64 timestamp, address submitter)
    {
        Anchor storage a = anchors[root];
        return (a.logId, a.treeSize, a.height, a.timestamp, a.submitter);
    }

    /// @notice Registers (or updates) node `nodeKey` with the account that submits for it. Owner only.
    function registerNode(bytes32 nodeKey, address submitter, string calldata metadata) external onlyOwner {
        if (submitter == address(0)) revert InvalidSubmitter();
        Node storage n = nodes[nodeKey];
        if (n.active) activeNodes[n.submitter] -= 1;
        n.submitter = submitter;
        n.active = true;
        n.metadata = metadata;
        activeNodes[submitter] += 1;
        emit NodeRegistered(nodeKey, submitter, metadata);
    }

    /// @notice Revokes node `nodeKey`; its submitter can no longer anchor for it. Owner only.
    function revokeNode(bytes32 nodeKey) external onlyOwner {
        Node storage n = nodes[nodeKey];
        if (!n.active) revert UnknownNode(nodeKey);
        n.active = false;
        activeNodes[n.submitter] -= 1;
        emit NodeRevoked(nodeKey, n.submitter);
    }

    /// @notice Whether `nodeKey` is an active registered node.
    function isNode(bytes32 nodeKey) external view returns (bool) {
        return nodes[nodeKey].active;
    }

    /// @notice The registry entry of `nodeKey` (zero submitter when never registered).
    function nodeOf(bytes32 nodeKey) external view returns (address submitter, bool active, string memory metadata) {
        Node storage n = nodes[nodeKey];
        return (n.submitter, n.active, n.metadata);
    }

    /// @notice Whether `account` is the submitter of at least one active node.
    function isSubmitter(address account) external view returns (bool) {
        return activeNodes[account] != 0;
    }

    /// @notice Checks an RFC 9162 §2.1.3.2 inclusion path of leaf hash `leafHash` at `index` in a tree of
    ///         `treeSize` leaves against `root` (SHA-256, interior prefix 0x01).
    function verifyInclusion(bytes32 root, bytes32 leafHash, uint64 index, uint64 treeSize, bytes32[] calldata path)
        external
        pure
        returns (bool)
    {
        if (index >= treeSize) return false;
        uint64 fn = index;
        uint64 sn = treeSize - 1;
        bytes32 r = leafHash;
        for (uint256 i = 0; i < path.length; ++i) {
            if (sn == 0) return false;
            bytes32 p = path[i];
            if (fn & 1 == 1 || fn == sn) {
                r = sha256(abi.encodePacked(bytes1(0x01), p, r));
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = sha256(abi.encodePacked(bytes1(0x01), r, p));
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r == root;
    }
}
