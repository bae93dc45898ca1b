// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EcdsaRecover} from "./EcdsaRecover.sol";

/// @title TestWallet1271 — a minimal ERC-1271 smart-contract wallet for tests.
/// @notice One externally owned account owns it; a signature is valid when the owner signed the hash.
///         Test fixture only: it holds nothing and does nothing else.
contract TestWallet1271 {
    bytes4 private constant ERC1271_MAGIC = 0x1626ba7e;

    /// The externally owned account whose signatures this wallet accepts.
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice ERC-1271: `0x1626ba7e` when the owner signed `hash`, `0xffffffff` otherwise.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        address signer = EcdsaRecover.recover(hash, signature);
        return signer != address(0) && signer == owner ? ERC1271_MAGIC : bytes4(0xffffffff);
    }
}
