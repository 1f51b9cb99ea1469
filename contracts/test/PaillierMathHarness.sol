// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PaillierMath} from "../libraries/PaillierMath.sol";

/// @title PaillierMathHarness
/// @notice Test-only wrapper exposing the internal functions of `PaillierMath` for differential
/// tests against Python's integers; never deployed outside tests.
/// @dev Trust assumptions: none; anyone may set the modulus. Every view takes numbers of the
/// library's length (`ciphertextBytes`) and reverts with `PaillierMathHarnessWrongLength`
/// otherwise, since the library itself assumes its callers checked lengths.
contract PaillierMathHarness {
    using PaillierMath for PaillierMath.Workspace;

    /// @notice A number of the wrong length was given.
    /// @param given Its length in bytes.
    /// @param expected `ciphertextBytes`.
    error PaillierMathHarnessWrongLength(uint256 given, uint256 expected);

    /// @notice The data contract `PaillierMath.store` wrote.
    address public dataContract;
    /// @notice The length of N = n² in bytes.
    uint256 public ciphertextBytes;

    /// @notice `PaillierMath.store(modulus)`, kept for the views.
    /// @param modulus_ n, big-endian, a whole number of 32-byte words.
    function setModulus(bytes calldata modulus_) external {
        dataContract = PaillierMath.store(modulus_);
        ciphertextBytes = 2 * modulus_.length;
    }

    /// @notice `PaillierMath.modulusOf`.
    /// @return modulus n.
    function modulus() external view returns (bytes memory) {
        return PaillierMath.modulusOf(dataContract, ciphertextBytes / 2);
    }

    /// @notice N as loaded into a workspace.
    /// @return nSquared N = n².
    function nSquared() external view returns (bytes memory) {
        return _workspace().nSquared;
    }

    /// @notice `PaillierMath.nOperand`.
    /// @return operand n, left-padded to N's length.
    function nOperand() external view returns (bytes memory) {
        return PaillierMath.nOperand(dataContract, ciphertextBytes);
    }

    /// @notice `PaillierMath.mulMod`: a · b mod N.
    /// @param a The first factor.
    /// @param b The second factor.
    /// @return product The product.
    function mulMod(bytes memory a, bytes memory b) external view returns (bytes memory product) {
        _checkLength(a);
        _checkLength(b);
        product = new bytes(ciphertextBytes);
        _workspace().mulMod(a, b, product);
    }

    /// @notice `PaillierMath.mulMod` of each pair (a[i], b[i]), in one call: one workspace serves
    /// every product, as in a ledger transfer.
    /// @param a The first factors.
    /// @param b The second factors, as many.
    /// @return products The products.
    function mulModEach(bytes[] memory a, bytes[] memory b) external view returns (bytes[] memory products) {
        PaillierMath.Workspace memory workspace = _workspace();
        products = new bytes[](a.length);
        for (uint256 i = 0; i < a.length; ++i) {
            _checkLength(a[i]);
            _checkLength(b[i]);
            products[i] = new bytes(ciphertextBytes);
            workspace.mulMod(a[i], b[i], products[i]);
        }
    }

    /// @notice `PaillierMath.mulMod` writing over its first factor (`product` = a).
    /// @param a The first factor, overwritten.
    /// @param b The second factor.
    /// @return product The product.
    function mulModInPlace(bytes memory a, bytes memory b) external view returns (bytes memory) {
        _checkLength(a);
        _checkLength(b);
        _workspace().mulMod(a, b, a);
        return a;
    }

    /// @notice `PaillierMath.encryptPublic`: 1 + amount·n mod N, or N + 1 − amount·n.
    /// @param amount The amount.
    /// @param negative True for E(−amount).
    /// @return ciphertext The ciphertext.
    function encryptPublic(uint256 amount, bool negative) external view returns (bytes memory ciphertext) {
        ciphertext = new bytes(ciphertextBytes);
        _workspace().encryptPublic(PaillierMath.nOperand(dataContract, ciphertextBytes), amount, negative, ciphertext);
    }

    /// @notice `PaillierMath.isCiphertext`: 1 ≤ value < N.
    /// @param value The number.
    /// @return valid The library's answer.
    function isCiphertext(bytes memory value) external view returns (bool) {
        _checkLength(value);
        return _workspace().isCiphertext(value);
    }

    /// @notice `PaillierMath.isNotMultipleOfN`: value mod n ≠ 0.
    /// @param value The number.
    /// @return notMultiple The library's answer.
    function isNotMultipleOfN(bytes memory value) external view returns (bool) {
        _checkLength(value);
        return _workspace().isNotMultipleOfN(value);
    }

    function _workspace() private view returns (PaillierMath.Workspace memory) {
        return PaillierMath.load(dataContract, ciphertextBytes);
    }

    function _checkLength(bytes memory value) private view {
        if (value.length != ciphertextBytes) revert PaillierMathHarnessWrongLength(value.length, ciphertextBytes);
    }
}
