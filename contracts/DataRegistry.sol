// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDataRegistry} from "../interfaces/IDataRegistry.sol";

/// @title DataRegistry
/// @notice On-chain registry of encrypted files (research: Zheng et al. 2018 §4.3 upload;
/// Huang et al. 2020 §3.3 "Data sharing"; Feng et al. 2022 §6.8 traceable sharing): each
/// record binds an owner to a commitment to the plaintext, the hash and Merkle root of the
/// ciphertext, and the ciphertext's locator; owners add versions and grant or revoke access.
/// @dev Trust assumptions: registration is permissionless and the caller becomes the owner;
/// only the owner versions, grants and revokes. The registry proves who registered and shared
/// what and when, not that the ciphertext matches the commitment (that is checked off chain on
/// download, and by zk-SNARK in `DataMarket`), nor that proxies honour revocations (honest
/// proxies check `isGranted` before re-encrypting). Storage per file is two slots: owner, time
/// and version; and a digest of the full record, whose fields are emitted in `FileRegistered`.
/// Readers check event fields with `verifyRecord`.
contract DataRegistry is IDataRegistry {
    /// @notice Largest locator accepted, in bytes.
    uint256 public constant MAX_LOCATOR_BYTES = 512;
    /// @notice Largest metadata accepted, in bytes.
    uint256 public constant MAX_METADATA_BYTES = 4096;

    mapping(bytes32 fileId => FileRecord) private _files;
    mapping(bytes32 fileId => bytes32 successor) private _successors;
    mapping(bytes32 fileId => mapping(address grantee => Grant)) private _grants;

    /// @dev Reverts unless `fileId` is registered and owned by the caller.
    modifier onlyFileOwner(bytes32 fileId) {
        address owner = _files[fileId].owner;
        if (owner == address(0)) revert DataRegistryUnknownFile(fileId);
        if (owner != msg.sender) revert DataRegistryNotOwner(fileId, msg.sender);
        _;
    }

    /// @inheritdoc IDataRegistry
    function registerFile(
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) external returns (bytes32 fileId) {
        return _register(1, contentCommitment, ciphertextHash, merkleRoot, locator, metadata);
    }

    /// @inheritdoc IDataRegistry
    function registerVersion(
        bytes32 previousFileId,
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) external onlyFileOwner(previousFileId) returns (bytes32 fileId) {
        bytes32 successor = _successors[previousFileId];
        if (successor != bytes32(0)) revert DataRegistryAlreadySuperseded(previousFileId, successor);
        uint32 version = _files[previousFileId].version + 1;
        fileId = _register(version, contentCommitment, ciphertextHash, merkleRoot, locator, metadata);
        _successors[previousFileId] = fileId;
        emit FileVersioned(previousFileId, fileId, version);
    }

    /// @inheritdoc IDataRegistry
    function grantAccess(bytes32 fileId, address grantee, bytes32 policyHash, uint40 expiresAt)
        external
        onlyFileOwner(fileId)
    {
        if (grantee == address(0) || grantee == msg.sender) revert DataRegistryInvalidGrantee(grantee);
        if (expiresAt != 0 && expiresAt <= block.timestamp) revert DataRegistryInvalidExpiry(expiresAt, block.timestamp);
        if (_isActive(_grants[fileId][grantee])) revert DataRegistryAlreadyGranted(fileId, grantee);
        _grants[fileId][grantee] =
            Grant({grantedAt: uint40(block.timestamp), expiresAt: expiresAt, revokedAt: 0, policyHash: policyHash});
        emit AccessGranted(fileId, grantee, policyHash, expiresAt);
    }

    /// @inheritdoc IDataRegistry
    function revokeAccess(bytes32 fileId, address grantee) external onlyFileOwner(fileId) {
        Grant storage grant = _grants[fileId][grantee];
        if (!_isActive(grant)) revert DataRegistryNoActiveGrant(fileId, grantee);
        grant.revokedAt = uint40(block.timestamp);
        emit AccessRevoked(fileId, grantee);
    }

    /// @inheritdoc IDataRegistry
    function isGranted(bytes32 fileId, address grantee) external view returns (bool granted) {
        return _isActive(_grants[fileId][grantee]);
    }

    /// @inheritdoc IDataRegistry
    function getGrant(bytes32 fileId, address grantee) external view returns (Grant memory grant) {
        return _grants[fileId][grantee];
    }

    /// @inheritdoc IDataRegistry
    function successorOf(bytes32 fileId) external view returns (bytes32 successor) {
        return _successors[fileId];
    }

    function _isActive(Grant storage grant) private view returns (bool) {
        return grant.grantedAt != 0 && grant.revokedAt == 0
            && (grant.expiresAt == 0 || block.timestamp < grant.expiresAt);
    }

    function _register(
        uint32 version,
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) private returns (bytes32 fileId) {
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
        record.version = version;
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
