// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleInclusion} from "../libraries/MerkleInclusion.sol";

/// @title MerkleInclusionHarness
/// @notice Test-only wrapper exposing the internal functions of `MerkleInclusion`; never deployed
/// outside tests.
/// @dev Trust assumptions: none; it holds no state.
contract MerkleInclusionHarness {
    /// @notice `MerkleInclusion.leafHash`.
    /// @param itemDigest The item digest.
    /// @return leaf The leaf hash.
    function leafHash(bytes32 itemDigest) external pure returns (bytes32 leaf) {
        return MerkleInclusion.leafHash(itemDigest);
    }

    /// @notice `MerkleInclusion.nodeHash`.
    /// @param left The left child.
    /// @param right The right child.
    /// @return node The node hash.
    function nodeHash(bytes32 left, bytes32 right) external pure returns (bytes32 node) {
        return MerkleInclusion.nodeHash(left, right);
    }

    /// @notice `MerkleInclusion.verify`.
    /// @param root The root.
    /// @param index The item's position.
    /// @param itemDigest The item digest.
    /// @param proof The sibling hashes.
    /// @return valid The library's answer.
    function verify(bytes32 root, uint256 index, bytes32 itemDigest, bytes32[] calldata proof)
        external
        pure
        returns (bool valid)
    {
        return MerkleInclusion.verify(root, index, itemDigest, proof);
    }

    /// @notice Hash a node and verify a proof between two memory allocations, to show that the
    /// library leaves the free memory pointer and allocated memory as it found them.
    /// @param left The left child of the node hashed.
    /// @param right Its right child.
    /// @param proof A proof run through `computeRoot` (index 0, digest `left`).
    /// @return before The free memory pointer before hashing.
    /// @return afterHashing The free memory pointer after hashing.
    /// @return marker A word allocated before hashing, read back after (must be `right`).
    /// @return node `nodeHash(left, right)`.
    /// @return root `computeRoot(0, left, proof)`.
    function freeMemoryPointerAround(bytes32 left, bytes32 right, bytes32[] calldata proof)
        external
        pure
        returns (uint256 before, uint256 afterHashing, bytes32 marker, bytes32 node, bytes32 root)
    {
        bytes32[] memory allocated = new bytes32[](1);
        allocated[0] = right;
        assembly ("memory-safe") {
            before := mload(0x40)
        }
        node = MerkleInclusion.nodeHash(left, right);
        root = MerkleInclusion.computeRoot(0, left, proof);
        assembly ("memory-safe") {
            afterHashing := mload(0x40)
        }
        marker = allocated[0];
    }
}
