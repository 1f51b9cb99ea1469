// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDataRegistry} from "../interfaces/IDataRegistry.sol";

/// @title DataRegistry
/// @notice On-chain registry of encrypted files (research: Zheng et al. 2018 §4.3 upload;
/// Huang et al. 2020 §3.3 "Data sharing"): each record binds an owner to a commitment to the
/// plaintext, the hash and Merkle root of the ciphertext, and the ciphertext's locator.
/// @dev Trust assumptions: registration is permissionless and the caller becomes the owner;
/// the registry proves who registered what and when, not that the ciphertext matches the
/// commitment (that is checked off chain on download, and by zk-SNARK in `DataMarket`).
/// Storage per file is two slots: owner + time, and a digest of the full record, whose fields
/// are emitted in `FileRegistered`. Readers check event fields with `verifyRecord`.
contract DataRegistry is IDataRegistry {
    /// @notice Largest locator accepted, in bytes.
    uint256 public constant MAX_LOCATOR_BYTES = 512;
    /// @notice Largest metadata accepted, in bytes.
    uint256 public constant MAX_METADATA_BYTES = 4096;

    mapping(bytes32 fileId => FileRecord) private _files;

    /// @inheritdoc IDataRegistry
    function registerFile(
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) external returns (bytes32 fileId) {
        if (contentCommitment == bytes32(0)) revert DataRegistryZeroField("contentCommitment");
        if (ciphertextHash == bytes32(0)) revert DataRegistryZeroField("ciphertextHash");
        uint256 locatorLength = bytes(locator).length;
        if (locatorLength == 0 || locatorLength > MAX_LOCATOR_BYTES) {
            revert DataRegistryInvalidLocator(locatorLength, MAX_LOCATOR_BYTES);
        }
        if (metadata.length > MAX_METADATA_BYTES) {
            revert DataRegistryMetadataTooLarge(metadata.length, MAX_METADATA_BYTES);
        }
        fileId = fileIdOf(msg.sender, contentCommitment);
        FileRecord storage record = _files[fileId];
        if (record.owner != address(0)) revert DataRegistryAlreadyRegistered(fileId);

        record.owner = msg.sender;
        record.registeredAt = uint40(block.timestamp); // fits until the year 36812
        record.recordDigest = recordDigestOf(contentCommitment, ciphertextHash, merkleRoot, locator, metadata);

        emit FileRegistered(fileId, msg.sender, contentCommitment, ciphertextHash, merkleRoot, locator, metadata);
    }

    /// @inheritdoc IDataRegistry
    function getFile(bytes32 fileId) external view returns (FileRecord memory record) {
        record = _files[fileId];
        if (record.owner == address(0)) revert DataRegistryUnknownFile(fileId);
    }

    /// @inheritdoc IDataRegistry
    function isRegistered(bytes32 fileId) external view returns (bool registered) {
        return _files[fileId].owner != address(0);
    }

    /// @inheritdoc IDataRegistry
    function verifyRecord(
        bytes32 fileId,
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) external view returns (bool matches) {
        FileRecord storage record = _files[fileId];
        if (record.owner == address(0)) return false;
        if (fileIdOf(record.owner, contentCommitment) != fileId) return false;
        return record.recordDigest == recordDigestOf(contentCommitment, ciphertextHash, merkleRoot, locator, metadata);
    }

    /// @inheritdoc IDataRegistry
    function fileIdOf(address owner, bytes32 contentCommitment) public pure returns (bytes32 fileId) {
        return keccak256(abi.encode(owner, contentCommitment));
    }

    /// @inheritdoc IDataRegistry
    function recordDigestOf(
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) public pure returns (bytes32 digest) {
        return keccak256(
            abi.encode(contentCommitment, ciphertextHash, merkleRoot, keccak256(bytes(locator)), keccak256(metadata))
        );
    }
}
