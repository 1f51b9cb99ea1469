// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IMerkleAnchor} from "../interfaces/IMerkleAnchor.sol";
import {MerkleInclusion} from "./libraries/MerkleInclusion.sol";

/// @title MerkleAnchor
/// @notice Anchors Merkle roots in numbered batches and checks inclusion proofs against them
/// (research: Zheng et al. 2018 §4.4, data blocks of item blocks of records; Huang et al. 2020
/// §3.3, auditing file blocks against an anchored root).
/// @dev Trust assumptions: the admin (the deployer) decides who may anchor by granting
/// `ANCHORER_ROLE`; anchorers are trusted to anchor roots of trees they built honestly: the
/// contract proves who anchored which root and when, not what the tree holds. Verification
/// is permissionless and trusts only the stored root and Keccak-256. Storage per batch is two
/// slots (root; leaf count, time and anchorer packed); the metadata hash is in the event only.
contract MerkleAnchor is IMerkleAnchor, AccessControl {
    /// @inheritdoc IMerkleAnchor
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @inheritdoc IMerkleAnchor
    uint256 public constant MAX_PROOF_DEPTH = 64;

    mapping(uint256 batchId => Batch) private _batches;
    uint256 private _batchCount;

    /// @notice Make the deployer the admin, who may grant `ANCHORER_ROLE`.
    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    /// @inheritdoc IMerkleAnchor
    function anchorRoot(bytes32 root, uint48 leafCount, bytes32 metadataHash)
        external
        onlyRole(ANCHORER_ROLE)
        returns (uint256 batchId)
    {
        if (root == bytes32(0)) revert MerkleAnchorZeroRoot();
        if (leafCount == 0) revert MerkleAnchorZeroLeafCount();

        batchId = ++_batchCount;
        _batches[batchId] = Batch({
            root: root,
            leafCount: leafCount,
            anchoredAt: uint40(block.timestamp), // fits until the year 36812
            anchorer: msg.sender
        }); // two slots: root; leafCount + anchoredAt + anchorer (248 bits)

        emit RootAnchored(batchId, root, msg.sender, leafCount, metadataHash);
    }

    /// @inheritdoc IMerkleAnchor
    function batchCount() external view returns (uint256 count) {
        return _batchCount;
    }

    /// @inheritdoc IMerkleAnchor
    function rootOf(uint256 batchId) external view returns (bytes32 root) {
        return _rootOf(batchId);
    }

    /// @inheritdoc IMerkleAnchor
    function getBatch(uint256 batchId) external view returns (Batch memory batch) {
        batch = _batches[batchId];
        // A zero root is the never-anchored sentinel (anchorRoot rejects zero roots), not a balance or time.
        // slither-disable-next-line incorrect-equality
        if (batch.root == bytes32(0)) revert MerkleAnchorUnknownBatch(batchId);
    }

    /// @inheritdoc IMerkleAnchor
    function verifyInclusion(uint256 batchId, uint256 index, bytes32 itemDigest, bytes32[] calldata proof)
        external
        view
        returns (bool valid)
    {
        // Inlined checks (not _checkProofLength/_rootOf): this is the hot path, kept within
        // 32,000 gas per verification transaction at depth 10.
        if (proof.length > MAX_PROOF_DEPTH) revert MerkleAnchorProofTooLong(proof.length, MAX_PROOF_DEPTH);
        bytes32 root = _batches[batchId].root;
        // The never-anchored sentinel, as in getBatch.
        // slither-disable-next-line incorrect-equality
        if (root == bytes32(0)) revert MerkleAnchorUnknownBatch(batchId);
        return MerkleInclusion.verify(root, index, itemDigest, proof);
    }

    /// @inheritdoc IMerkleAnchor
    function verifyRecordInclusion(
        uint256 batchId,
        uint256 itemIndex,
        uint256 recordIndex,
        bytes32 recordDigest,
        bytes32[] calldata itemProof,
        bytes32[] calldata blockProof
    ) external view returns (bool valid) {
        _checkProofLength(itemProof.length);
        _checkProofLength(blockProof.length);
        bytes32 root = _rootOf(batchId);
        if (recordIndex >> itemProof.length != 0) return false; // as in MerkleInclusion.verify
        bytes32 itemRoot = MerkleInclusion.computeRoot(recordIndex, recordDigest, itemProof);
        return MerkleInclusion.verify(root, itemIndex, itemRoot, blockProof);
    }

    /// @dev The stored root of `batchId`; a zero root means never anchored (`anchorRoot`
    /// rejects zero roots), so one storage read answers both questions.
    function _rootOf(uint256 batchId) private view returns (bytes32 root) {
        root = _batches[batchId].root;
        // The never-anchored sentinel, as in getBatch.
        // slither-disable-next-line incorrect-equality
        if (root == bytes32(0)) revert MerkleAnchorUnknownBatch(batchId);
    }

    /// @dev Bounds the only loop over user data: at most 64 hashes per proof.
    function _checkProofLength(uint256 length) private pure {
        if (length > MAX_PROOF_DEPTH) revert MerkleAnchorProofTooLong(length, MAX_PROOF_DEPTH);
    }
}
