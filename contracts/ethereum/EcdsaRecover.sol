// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title EcdsaRecover — the signer of a 65-byte secp256k1 signature, strictly.
/// @notice `r ‖ s ‖ v` with v in {0, 1, 27, 28} and s in the lower half of the curve order (EIP-2), so a
///         signature has exactly one valid encoding. Anything else gives the zero address.
library EcdsaRecover {
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice The address that signed `hash`, or the zero address when `signature` is not valid.
    function recover(bytes32 hash, bytes memory signature) internal pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(signature, 32))
            s := mload(add(signature, 64))
            v := byte(0, mload(add(signature, 96)))
        }
        if (v < 2) v += 27;
        if ((v != 27 && v != 28) || uint256(s) > HALF_ORDER) return address(0);
        return ecrecover(hash, v, r, s);
    }
}
