// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestWallet1271} from "./TestWallet1271.sol";

/// @title TestWalletFactory — deploys `TestWallet1271`s with CREATE2, for counterfactual (ERC-6492) tests.
/// @notice A wallet's address depends only on this factory, its owner and a salt, so it is known (and can
///         sign in) before it is deployed. Test fixture only.
contract TestWalletFactory {
    /// A wallet was deployed.
    event WalletDeployed(address indexed wallet, address indexed owner, bytes32 salt);

    /// @notice Deploys the wallet of `owner` and `salt` unless it exists; returns its address.
    function deploy(address owner, bytes32 salt) external returns (address wallet) {
        wallet = walletAddress(owner, salt);
        if (wallet.code.length == 0) {
            new TestWallet1271{salt: salt}(owner);
            emit WalletDeployed(wallet, owner, salt);
        }
    }

    /// @notice The CREATE2 address of the wallet of `owner` and `salt`.
    function walletAddress(address owner, bytes32 salt) public view returns (address) {
        bytes32 initCode = keccak256(abi.encodePacked(type(TestWallet1271).creationCode, abi.encode(owner)));
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCode)))));
    }
}
