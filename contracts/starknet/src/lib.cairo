//! MeroAnchor — the on-chain registry of mero log checkpoints and attested nodes (DESIGN §7), Starknet.
//!
//! Registered submitters anchor RFC 6962 log roots; the first write of a root wins. The owner (set in
//! the constructor) registers and revokes attested nodes, each with the account that submits for it;
//! an account is a registered submitter while it submits for at least one active node.
//! 32-byte values (log ids, roots, node keys) are `u256`. `anchor_of` answers tree_size 0 for none.
//!
//! The local devnet (devnets/starknet) cannot run Cairo: it runs a TypeScript model of this contract
//! (contracts/starknet/anchor-model.ts). Both are held to the same case table (anchor-cases.json,
//! generated into tests/test_anchor_cases.cairo): keep the checks, their order and the panic strings
//! of the two in lockstep.

use starknet::ContractAddress;

#[starknet::interface]
pub trait IMeroAnchor<TContractState> {
    /// Anchors `root` of log `log_id` at `tree_size`. Registered submitters only; first write wins.
    fn anchor(ref self: TContractState, log_id: u256, tree_size: u64, root: u256);
    /// `(log_id, tree_size, height, timestamp, submitter)` of `root`; tree_size 0 = none.
    fn anchor_of(self: @TContractState, root: u256) -> (u256, u64, u64, u64, ContractAddress);
    /// Registers (or updates) node `node_key` with the account that submits for it. Owner only.
    fn register_node(
        ref self: TContractState, node_key: u256, submitter: ContractAddress, metadata: ByteArray,
    );
    /// Revokes node `node_key`. Owner only.
    fn revoke_node(ref self: TContractState, node_key: u256);
    /// Whether `node_key` is an active registered node.
    fn is_node(self: @TContractState, node_key: u256) -> bool;
    /// `(submitter, active, metadata)` of `node_key` (zero submitter when never registered).
    fn node_of(self: @TContractState, node_key: u256) -> (ContractAddress, bool, ByteArray);
    /// Whether `account` submits for at least one active node.
    fn is_submitter(self: @TContractState, account: ContractAddress) -> bool;
    /// The owner set in the constructor.
    fn owner(self: @TContractState) -> ContractAddress;
}

#[starknet::contract]
pub mod MeroAnchor {
    use core::num::traits::Zero;
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_block_number, get_block_timestamp, get_caller_address};

    /// An anchored checkpoint root; tree_size 0 means none.
    #[derive(Drop, Serde, Copy, starknet::Store)]
    pub struct Anchor {
        pub log_id: u256,
        pub tree_size: u64,
        pub height: u64,
        pub timestamp: u64,
        pub submitter: ContractAddress,
    }

    #[storage]
    struct Storage {
        owner: ContractAddress,
        anchors: Map<u256, Anchor>,
        node_submitter: Map<u256, ContractAddress>,
        node_active: Map<u256, bool>,
        node_metadata: Map<u256, ByteArray>,
        /// Number of active nodes an account submits for; > 0 means "registered submitter".
        active_nodes: Map<ContractAddress, u32>,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        Anchored: Anchored,
        NodeRegistered: NodeRegistered,
        NodeRevoked: NodeRevoked,
    }

    /// A root was anchored (first write).
    #[derive(Drop, starknet::Event)]
    pub struct Anchored {
        #[key]
        pub log_id: u256,
        #[key]
        pub root: u256,
        pub tree_size: u64,
        pub submitter: ContractAddress,
    }

    /// A node key was registered or its submitter / metadata changed.
    #[derive(Drop, starknet::Event)]
    pub struct NodeRegistered {
        #[key]
        pub node_key: u256,
        #[key]
        pub submitter: ContractAddress,
        pub metadata: ByteArray,
    }

    /// A node key was revoked.
    #[derive(Drop, starknet::Event)]
    pub struct NodeRevoked {
        #[key]
        pub node_key: u256,
        #[key]
        pub submitter: ContractAddress,
    }

    /// Whether `metadata` has the form `ByteArray`'s own methods build: a pending word of at most 30
    /// bytes that fits its length. Its derived `Serde` accepts any pending word and length (u32), which
    /// would store a value no wallet or indexer reads back the same way.
    fn is_canonical(metadata: @ByteArray) -> bool {
        let mut out: Array<felt252> = array![];
        metadata.serialize(ref out);
        let n = out.len();
        let len: u32 = match (*out.at(n - 1)).try_into() {
            Option::Some(l) => l,
            Option::None => { return false; },
        };
        if len > 30 {
            return false;
        }
        let word: u256 = (*out.at(n - 2)).into();
        let mut bound: u256 = 1;
        let mut i: u32 = 0;
        while i < len {
            bound = bound * 256;
            i += 1;
        }
        word < bound
    }

    #[constructor]
    fn constructor(ref self: ContractState, owner: ContractAddress) {
        assert(!owner.is_zero(), 'INVALID_OWNER');
        self.owner.write(owner);
    }

    #[abi(embed_v0)]
    impl MeroAnchorImpl of super::IMeroAnchor<ContractState> {
        fn anchor(ref self: ContractState, log_id: u256, tree_size: u64, root: u256) {
            let caller = get_caller_address();
            assert(self.active_nodes.read(caller) != 0, 'NOT_SUBMITTER');
            assert(tree_size != 0, 'INVALID_TREE_SIZE');
            assert(root != 0 && log_id != 0, 'INVALID_ROOT');
            assert(self.anchors.read(root).tree_size == 0, 'ALREADY_ANCHORED');
            self
                .anchors
                .write(
                    root,
                    Anchor {
                        log_id,
                        tree_size,
                        height: get_block_number(),
                        timestamp: get_block_timestamp(),
                        submitter: caller,
                    },
                );
            self.emit(Anchored { log_id, root, tree_size, submitter: caller });
        }

        fn anchor_of(self: @ContractState, root: u256) -> (u256, u64, u64, u64, ContractAddress) {
            let a = self.anchors.read(root);
            (a.log_id, a.tree_size, a.height, a.timestamp, a.submitter)
        }

        fn register_node(
            ref self: ContractState, node_key: u256, submitter: ContractAddress, metadata: ByteArray,
        ) {
            assert(get_caller_address() == self.owner.read(), 'NOT_OWNER');
            assert(!submitter.is_zero(), 'INVALID_SUBMITTER');
            assert(is_canonical(@metadata), 'INVALID_METADATA');
            if self.node_active.read(node_key) {
                let old = self.node_submitter.read(node_key);
                self.active_nodes.write(old, self.active_nodes.read(old) - 1);
            }
            self.node_submitter.write(node_key, submitter);
            self.node_active.write(node_key, true);
            self.node_metadata.write(node_key, metadata.clone());
            self.active_nodes.write(submitter, self.active_nodes.read(submitter) + 1);
            self.emit(NodeRegistered { node_key, submitter, metadata });
        }

        fn revoke_node(ref self: ContractState, node_key: u256) {
            assert(get_caller_address() == self.owner.read(), 'NOT_OWNER');
            assert(self.node_active.read(node_key), 'UNKNOWN_NODE');
            let submitter = self.node_submitter.read(node_key);
            self.node_active.write(node_key, false);
            self.active_nodes.write(submitter, self.active_nodes.read(submitter) - 1);
            self.emit(NodeRevoked { node_key, submitter });
        }

        fn is_node(self: @ContractState, node_key: u256) -> bool {
            self.node_active.read(node_key)
        }

        fn node_of(self: @ContractState, node_key: u256) -> (ContractAddress, bool, ByteArray) {
            (
                self.node_submitter.read(node_key),
                self.node_active.read(node_key),
                self.node_metadata.read(node_key),
            )
        }

        fn is_submitter(self: @ContractState, account: ContractAddress) -> bool {
            self.active_nodes.read(account) != 0
        }

        fn owner(self: @ContractState) -> ContractAddress {
            self.owner.read()
        }
    }
}
