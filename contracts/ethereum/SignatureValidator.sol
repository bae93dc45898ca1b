// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EcdsaRecover} from "./EcdsaRecover.sol";

/// @title SignatureValidator — mero's deployless ERC-1271 / ERC-6492 signature check.
/// @notice Never deployed: a node runs its creation code in an `eth_call` with the constructor
///         arguments `(signer, hash, signature)`, and the constructor returns one byte: 0x01 when
///         `signature` is valid for `signer` over `hash`, 0x00 otherwise.
///         - A signature that ends with the ERC-6492 suffix is `abi.encode(factory, factoryCalldata,
///           innerSignature) ‖ suffix`. When `signer` has no code yet, `factory` is called with
///           `factoryCalldata` first (inside the `eth_call`: nothing reaches the chain), so that a
///           counterfactual wallet is deployed before it is asked; the inner signature is then checked.
///         - A signer with code is asked through ERC-1271 `isValidSignature(hash, signature)`.
///         - A signer without code (an externally owned account) is checked with `ecrecover`.
///         A wrapper that does not ABI-decode makes the call revert, which a node reads as invalid.
contract SignatureValidator {
    bytes32 private constant ERC6492_SUFFIX = 0x6492649264926492649264926492649264926492649264926492649264926492;
    bytes4 private constant ERC1271_MAGIC = 0x1626ba7e;

    constructor(address signer, bytes32 hash, bytes memory signature) {
        bool valid = isValid(signer, hash, signature);
        assembly {
            mstore(0, valid)
            return(31, 1)
        }
    }

    function isValid(address signer, bytes32 hash, bytes memory signature) private returns (bool) {
        if (signature.length >= 32 && lastWord(signature) == ERC6492_SUFFIX) {
            assembly {
                mstore(signature, sub(mload(signature), 32)) // drop the suffix in place
            }
            (address factory, bytes memory factoryCalldata, bytes memory inner) =
                abi.decode(signature, (address, bytes, bytes));
            if (signer.code.length == 0) {
                // A failed deployment leaves the signer without code: it is then checked as an account.
                (bool deployed,) = factory.call(factoryCalldata);
                deployed;
            }
            signature = inner;
        }
        if (signer.code.length > 0) {
            (bool ok, bytes memory ret) =
                signer.staticcall(abi.encodeWithSelector(ERC1271_MAGIC, hash, signature));
            return ok && ret.length >= 32 && bytes4(abi.decode(ret, (bytes32))) == ERC1271_MAGIC;
        }
        address recovered = EcdsaRecover.recover(hash, signature);
        return recovered != address(0) && recovered == signer;
    }

    function lastWord(bytes memory data) private pure returns (bytes32 word) {
        assembly {
            word := mload(add(data, mload(data)))
        }
    }
}
