// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MerkleInclusion
/// @notice Inclusion proofs for the toolkit's Merkle trees (`offchain/crypto/merkle.py`):
/// binary trees over 32-byte item digests, padded to a power of two with `bytes32(0)`, with
/// `leafHash(d) = keccak256(0x00 || d)` and `nodeHash(l, r) = keccak256(0x01 || l || r)`.
/// @dev The one-byte prefixes separate leaves from inner nodes, so an inner node can never be
/// proven as an item; pairs are ordered (not sorted), so a proof also proves the item's index.
/// Hashing runs in inline assembly in the scratch space: a node's 65-byte preimage spans bytes
/// 0x00..0x40, the last of which is the top byte of the free memory pointer, which is saved and
/// restored around the hashing (memory allocated by Solidity is never touched). A level costs
/// 48 gas of Keccak-256 (30 + 6 per word of the 65 bytes) and about 60 of loop, two levels per
/// iteration; a depth-10 check through `MerkleAnchor.verifyInclusion` is under 32,000 gas for
/// the whole transaction.
///
/// WARNING: `verify` checks one thing: that `itemDigest` is the item at `index` of the tree
/// whose root is `root`. It does not check that `root` is trusted (read it from storage, e.g.
/// `MerkleAnchor`), that `index` is below the tree's item count (padded slots cannot be proven
/// anyway), nor the length of `proof` (callers bound it to stop gas griefing), and it does not
/// hash the item: `itemDigest` is whatever the tree's items are (a SHA-256 of a file block, a
/// record digest, another tree's root).
library MerkleInclusion {
    /// @notice The leaf of an item: keccak256(0x00 || itemDigest).
    /// @param itemDigest The 32-byte item digest.
    /// @return leaf The leaf hash.
    function leafHash(bytes32 itemDigest) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            mstore(0x00, 0) // byte 0x00 is the leaf prefix 0x00
            mstore(0x01, itemDigest)
            leaf := keccak256(0x00, 0x21)
        }
    }

    /// @notice An inner node: keccak256(0x01 || left || right), ordered.
    /// @param left The left child.
    /// @param right The right child.
    /// @return node The node hash.
    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32 node) {
        assembly ("memory-safe") {
            let freeMemoryPointer := mload(0x40)
            mstore8(0x00, 0x01)
            mstore(0x01, left)
            mstore(0x21, right) // writes byte 0x40, the free memory pointer's top byte
            node := keccak256(0x00, 0x41)
            mstore(0x40, freeMemoryPointer)
        }
    }

    /// @notice Whether `proof` shows that `itemDigest` is the item at `index` under `root`.
    /// @dev False, not a revert, for any wrong proof, including an `index` that does not fit in
    /// `proof.length` bits (otherwise `index` and `index + 2**depth` would share a proof).
    /// WARNING: see the library's notes: `root` must be trusted and `proof.length` bounded by
    /// the caller.
    /// @param root The trusted root.
    /// @param index The item's position in the tree.
    /// @param itemDigest The claimed item digest.
    /// @param proof The sibling hashes, from the leaf's level up.
    /// @return valid True if the proof verifies.
    function verify(bytes32 root, uint256 index, bytes32 itemDigest, bytes32[] calldata proof)
        internal
        pure
        returns (bool valid)
    {
        if (index >> proof.length != 0) return false; // shifts of 256 bits or more give 0
        return computeRoot(index, itemDigest, proof) == root;
    }

    /// @notice The root reached from `itemDigest` at `index` through `proof`.
    /// @dev Ignores the bits of `index` above `proof.length`: check
    /// `index >> proof.length == 0` first, as `verify` does, or a proof holds for many indices.
    /// @param index The item's position in the tree.
    /// @param itemDigest The item digest.
    /// @param proof The sibling hashes, from the leaf's level up.
    /// @return root The root the proof leads to.
    function computeRoot(uint256 index, bytes32 itemDigest, bytes32[] calldata proof)
        internal
        pure
        returns (bytes32 root)
    {
        assembly ("memory-safe") {
            mstore(0x00, 0) // byte 0x00 is the leaf prefix 0x00
            mstore(0x01, itemDigest)
            root := keccak256(0x00, 0x21)
            let freeMemoryPointer := mload(0x40)
            mstore8(0x00, 0x01) // from here on byte 0x00 is the node prefix
            let offset := proof.offset
            let end := add(offset, shl(5, proof.length))
            // One level: index bit 0 puts the node at 0x01 and the sibling at 0x21, bit 1
            // the other way round. An odd level first, then two per iteration (saves the
            // loop's bookkeeping on every other level).
            if and(proof.length, 1) {
                let shift := shl(5, and(index, 1))
                mstore(add(0x01, shift), root)
                mstore(xor(0x21, shift), calldataload(offset))
                root := keccak256(0x00, 0x41)
                offset := add(offset, 0x20)
                index := shr(1, index)
            }
            for {} lt(offset, end) {} {
                let shift := shl(5, and(index, 1))
                mstore(add(0x01, shift), root)
                mstore(xor(0x21, shift), calldataload(offset))
                root := keccak256(0x00, 0x41)
                shift := and(shl(4, index), 0x20) // bit 1 of index
                mstore(add(0x01, shift), root)
                mstore(xor(0x21, shift), calldataload(add(offset, 0x20)))
                root := keccak256(0x00, 0x41)
                offset := add(offset, 0x40)
                index := shr(2, index)
            }
            mstore(0x40, freeMemoryPointer) // byte 0x40 was overwritten by the node hashing
        }
    }
}
