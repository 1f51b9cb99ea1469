// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMerkleAnchor
/// @notice Anchors Merkle roots (of file block trees, or of data blocks of records) and checks
/// inclusion proofs against them.
/// @dev Research: Zheng et al. 2018 §4.4 (item blocks and data blocks; only the data block's
/// root goes on chain) and Huang et al. 2020 §3.3 (an auditor checks file blocks against an
/// anchored root). The trees are those of `offchain/crypto/merkle.py` and the library
/// `MerkleInclusion`. A batch keeps two storage slots; its metadata hash travels only in the
/// `RootAnchored` event.
interface IMerkleAnchor {
    /// @notice What the anchor stores for a batch (two slots).
    /// @param root The anchored Merkle root.
    /// @param leafCount Number of items (leaves before padding) of the anchored tree; for a data
    /// block, its number of item blocks.
    /// @param anchoredAt Block timestamp of the anchoring, in seconds.
    /// @param anchorer The account that anchored the root.
    struct Batch {
        bytes32 root;
        uint48 leafCount;
        uint40 anchoredAt;
        address anchorer;
    }

    /// @notice A root was anchored as a new batch.
    /// @param batchId The new batch's id (1 for the first batch, then increasing by one).
    /// @param root The anchored root.
    /// @param anchorer The account that anchored it.
    /// @param leafCount Number of items of the anchored tree.
    /// @param metadataHash Hash of the batch's application metadata (zero if none), e.g. a
    /// keccak256 of a JSON description or of the record count; not stored.
    event RootAnchored(
        uint256 indexed batchId, bytes32 indexed root, address indexed anchorer, uint48 leafCount, bytes32 metadataHash
    );

    /// @notice The root to anchor was zero, which no tree has.
    error MerkleAnchorZeroRoot();

    /// @notice The leaf count to anchor was zero; a tree has at least one item.
    error MerkleAnchorZeroLeafCount();

    /// @notice No batch was anchored under this id.
    /// @param batchId The id asked for.
    error MerkleAnchorUnknownBatch(uint256 batchId);

    /// @notice A proof is longer than `MAX_PROOF_DEPTH` hashes.
    /// @param length The proof's length.
    /// @param maxLength The longest proof accepted.
    error MerkleAnchorProofTooLong(uint256 length, uint256 maxLength);

    /// @notice The role allowed to anchor roots; granted by the admin.
    /// @return role keccak256("ANCHORER_ROLE").
    function ANCHORER_ROLE() external view returns (bytes32 role);

    /// @notice The longest proof accepted, in hashes: trees of up to 2**64 items.
    /// @return maxLength 64.
    function MAX_PROOF_DEPTH() external view returns (uint256 maxLength);

    /// @notice Anchor `root` as a new batch.
    /// @dev Only accounts with `ANCHORER_ROLE` (OpenZeppelin's `AccessControlUnauthorizedAccount`
    /// otherwise). Reverts with `MerkleAnchorZeroRoot` or `MerkleAnchorZeroLeafCount` on zero
    /// arguments. The same root may be anchored again; it gets a new batch id.
    /// @param root The Merkle root.
    /// @param leafCount Number of items of the tree, at least 1.
    /// @param metadataHash Hash of application metadata, or zero; emitted, not stored.
    /// @return batchId The new batch's id.
    function anchorRoot(bytes32 root, uint48 leafCount, bytes32 metadataHash) external returns (uint256 batchId);

    /// @notice The number of batches anchored, which is also the id of the latest one.
    /// @return count The number of batches.
    function batchCount() external view returns (uint256 count);

    /// @notice The root of a batch.
    /// @dev Reverts with `MerkleAnchorUnknownBatch` if `batchId` was never anchored.
    /// @param batchId The batch's id.
    /// @return root Its root.
    function rootOf(uint256 batchId) external view returns (bytes32 root);

    /// @notice Everything stored for a batch.
    /// @dev Reverts with `MerkleAnchorUnknownBatch` if `batchId` was never anchored.
    /// @param batchId The batch's id.
    /// @return batch Root, leaf count, time and anchorer.
    function getBatch(uint256 batchId) external view returns (Batch memory batch);

    /// @notice Whether `proof` shows that `itemDigest` is the item at `index` of batch `batchId`.
    /// @dev Reverts with `MerkleAnchorUnknownBatch` for an id never anchored and with
    /// `MerkleAnchorProofTooLong` for a proof of more than `MAX_PROOF_DEPTH` hashes; false for
    /// any other wrong proof. Does not compare `index` with the batch's leaf count: padded slots
    /// cannot be proven.
    /// @param batchId The batch's id.
    /// @param index The item's position in the tree.
    /// @param itemDigest The claimed item digest (for a file block, its SHA-256).
    /// @param proof The sibling hashes, from the leaf's level up.
    /// @return valid True if the proof verifies.
    function verifyInclusion(uint256 batchId, uint256 index, bytes32 itemDigest, bytes32[] calldata proof)
        external
        view
        returns (bool valid);

    /// @notice Whether a record is in the data block anchored as batch `batchId`: the record is
    /// the item at `recordIndex` of an item block whose root is the item at `itemIndex` of the
    /// data block's tree.
    /// @dev Reverts like `verifyInclusion` (either proof too long, unknown batch); false for any
    /// other wrong proof.
    /// @param batchId The batch's id.
    /// @param itemIndex The item block's position in the data block.
    /// @param recordIndex The record's position in its item block.
    /// @param recordDigest The claimed record digest.
    /// @param itemProof Siblings from the record up to the item block's root.
    /// @param blockProof Siblings from the item block's root up to the data block's root.
    /// @return valid True if both levels verify.
    function verifyRecordInclusion(
        uint256 batchId,
        uint256 itemIndex,
        uint256 recordIndex,
        bytes32 recordDigest,
        bytes32[] calldata itemProof,
        bytes32[] calldata blockProof
    ) external view returns (bool valid);
}
