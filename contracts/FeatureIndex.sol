// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IFeatureIndex} from "../interfaces/IFeatureIndex.sol";
import {IMerkleAnchor} from "../interfaces/IMerkleAnchor.sol";
import {MerkleInclusion} from "./libraries/MerkleInclusion.sol";

/// @title FeatureIndex
/// @notice Encrypted image feature records of the consortium's hospitals, their anchored batch
/// roots, registered retrieval users, and queries with their answers on record (research:
/// Shen, Zhu, Xu, ch. 6, §6.3.1, §6.5.1, §6.5.2). See `IFeatureIndex`.
/// @dev Trust assumptions. Hospitals are consortium members and are trusted to publish the
/// features of their own images; the contract guarantees that the anchored root is the root of
/// exactly the emitted records, that only an image's owner supersedes or deletes it, and that
/// versions increase by one. The retrieval service (immutable) is trusted with the features
/// and to answer honestly: the contract records which answer it gave, not that it is the true
/// top K. The `MerkleAnchor` is trusted (it is called during publishing; this contract needs its
/// `ANCHORER_ROLE`). No ether is held; the only loops are over a batch, bounded by
/// `MAX_BATCH_RECORDS`.
contract FeatureIndex is IFeatureIndex {
    /// @inheritdoc IFeatureIndex
    uint256 public constant MAX_BATCH_RECORDS = 64;
    /// @inheritdoc IFeatureIndex
    uint256 public constant MAX_LOCATOR_BYTES = 128;
    /// @inheritdoc IFeatureIndex
    uint256 public constant MAX_TOP_K = 1000;

    /// @inheritdoc IFeatureIndex
    IConsortium public immutable consortium;
    /// @inheritdoc IFeatureIndex
    IMerkleAnchor public immutable anchor;
    /// @inheritdoc IFeatureIndex
    address public immutable service;

    mapping(bytes32 imageId => Image) private _images;
    mapping(uint256 batchId => FeatureBatch) private _batches;
    mapping(address user => address agency) private _userAgency;
    mapping(uint256 queryId => Query) private _queries;
    uint256 private _batchCount;
    uint256 private _queryCount;

    /// @notice An index over `consortium_`'s hospitals, anchoring in `anchor_`, answered by `service_`.
    /// @dev Reverts with `FeatureIndexNoCode` for a contract argument without code and
    /// `FeatureIndexZeroField("service")` for a zero service.
    /// @param consortium_ The consortium.
    /// @param anchor_ The Merkle anchor (grant this contract its `ANCHORER_ROLE`).
    /// @param service_ The retrieval service's account.
    constructor(IConsortium consortium_, IMerkleAnchor anchor_, address service_) {
        if (address(consortium_).code.length == 0) revert FeatureIndexNoCode(address(consortium_));
        if (address(anchor_).code.length == 0) revert FeatureIndexNoCode(address(anchor_));
        if (service_ == address(0)) revert FeatureIndexZeroField("service");
        consortium = consortium_;
        anchor = anchor_;
        service = service_;
    }

    /// @inheritdoc IFeatureIndex
    function publishBatch(Record[] calldata records) external returns (uint256 batchId, bytes32 root) {
        if (!consortium.isMember(msg.sender)) revert FeatureIndexNotMember(msg.sender);
        uint256 count = records.length;
        if (count == 0 || count > MAX_BATCH_RECORDS) revert FeatureIndexBatchSize(count, MAX_BATCH_RECORDS);

        batchId = ++_batchCount;
        bytes32[] memory level = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            Record calldata record = records[i];
            _apply(record, batchId, i);
            level[i] = MerkleInclusion.leafHash(_digest(msg.sender, record));
        }
        root = _root(level);
        // The anchor is this deployment's own trusted MerkleAnchor; the batch slot is written
        // after the call because it holds the anchor's batch id.
        uint256 anchorBatchId = anchor.anchorRoot(root, uint48(count), keccak256(abi.encode(address(this), batchId)));
        // slither-disable-next-line reentrancy-no-eth,reentrancy-benign
        _batches[batchId] =
            FeatureBatch({hospital: msg.sender, anchorBatchId: uint48(anchorBatchId), recordCount: uint16(count)});
        // slither-disable-next-line reentrancy-events
        emit BatchPublished(batchId, msg.sender, anchorBatchId, root, count);
    }

    /// @inheritdoc IFeatureIndex
    function registerUser(address user) external {
        if (!consortium.isMember(msg.sender)) revert FeatureIndexNotMember(msg.sender);
        if (user == address(0)) revert FeatureIndexZeroField("user");
        if (_userAgency[user] != address(0)) revert FeatureIndexUserExists(user);
        _userAgency[user] = msg.sender;
        emit UserRegistered(user, msg.sender);
    }

    /// @inheritdoc IFeatureIndex
    function revokeUser(address user) external {
        if (user == address(0) || _userAgency[user] != msg.sender) revert FeatureIndexNotUserAgency(user, msg.sender);
        delete _userAgency[user];
        emit UserRevoked(user, msg.sender);
    }

    /// @inheritdoc IFeatureIndex
    function submitQuery(bytes32 queryHash, uint16 topK, bool privateMode) external returns (uint256 queryId) {
        if (!_isUser(msg.sender)) revert FeatureIndexNotUser(msg.sender);
        if (queryHash == bytes32(0)) revert FeatureIndexZeroField("queryHash");
        if (topK == 0 || topK > MAX_TOP_K) revert FeatureIndexBadTopK(topK, MAX_TOP_K);
        queryId = ++_queryCount;
        _queries[queryId] = Query({
            user: msg.sender,
            submittedAt: uint32(block.timestamp), // fits until the year 2106
            answeredAt: 0,
            topK: topK,
            privateMode: privateMode,
            queryHash: queryHash,
            resultHash: bytes32(0)
        });
        emit QuerySubmitted(queryId, msg.sender, queryHash, topK, privateMode);
    }

    /// @inheritdoc IFeatureIndex
    function answerQuery(uint256 queryId, bytes32 resultHash) external {
        if (msg.sender != service) revert FeatureIndexNotService(msg.sender);
        Query storage query = _queries[queryId];
        address user = query.user;
        if (user == address(0)) revert FeatureIndexUnknownQuery(queryId);
        if (query.answeredAt != 0) revert FeatureIndexAlreadyAnswered(queryId);
        if (resultHash == bytes32(0)) revert FeatureIndexZeroField("resultHash");
        query.answeredAt = uint32(block.timestamp);
        query.resultHash = resultHash;
        emit QueryAnswered(queryId, user, resultHash);
    }

    /// @inheritdoc IFeatureIndex
    function recordDigest(address hospital, Record calldata record) external view returns (bytes32 digest) {
        return _digest(hospital, record);
    }

    /// @inheritdoc IFeatureIndex
    function verifyRecord(Record calldata record, uint256 index, bytes32[] calldata proof)
        external
        view
        returns (bool valid)
    {
        Image storage image = _images[record.imageId];
        address hospital = image.hospital;
        if (hospital == address(0) || image.deleted || image.version != record.version) return false;
        uint256 anchorBatchId = _batches[image.batchId].anchorBatchId;
        return anchor.verifyInclusion(anchorBatchId, index, _digest(hospital, record), proof);
    }

    /// @inheritdoc IFeatureIndex
    function imageOf(bytes32 imageId) external view returns (Image memory image) {
        return _images[imageId];
    }

    /// @inheritdoc IFeatureIndex
    function batchOf(uint256 batchId) external view returns (FeatureBatch memory batch) {
        return _batches[batchId];
    }

    /// @inheritdoc IFeatureIndex
    function batchCount() external view returns (uint256 count) {
        return _batchCount;
    }

    /// @inheritdoc IFeatureIndex
    function agencyOf(address user) external view returns (address agency) {
        return _userAgency[user];
    }

    /// @inheritdoc IFeatureIndex
    function isUser(address user) external view returns (bool allowed) {
        return _isUser(user);
    }

    /// @inheritdoc IFeatureIndex
    function queryOf(uint256 queryId) external view returns (Query memory query) {
        return _queries[queryId];
    }

    /// @inheritdoc IFeatureIndex
    function queryCount() external view returns (uint256 count) {
        return _queryCount;
    }

    /// @dev Check one record against the image's state, update it and emit the record.
    function _apply(Record calldata record, uint256 batchId, uint256 index) private {
        bytes32 imageId = record.imageId;
        if (imageId == bytes32(0)) revert FeatureIndexZeroField("imageId");
        Image storage image = _images[imageId];
        address owner = image.hospital;
        if (owner != address(0) && owner != msg.sender) revert FeatureIndexNotImageOwner(imageId, msg.sender, owner);
        uint32 expected = image.version + 1;
        if (record.version != expected) revert FeatureIndexBadVersion(imageId, record.version, expected);
        uint256 locatorLength = bytes(record.locator).length;
        if (locatorLength > MAX_LOCATOR_BYTES) revert FeatureIndexLocatorTooLong(locatorLength, MAX_LOCATOR_BYTES);
        bool deletion = record.featureDigest == bytes32(0);
        if (deletion) {
            if (owner == address(0) || image.deleted) revert FeatureIndexNothingToDelete(imageId);
        } else if (locatorLength == 0) {
            revert FeatureIndexZeroField("locator");
        }
        _images[imageId] =
            Image({hospital: msg.sender, version: expected, batchId: uint48(batchId), deleted: deletion});
        _emitRecord(record, batchId, index, deletion);
    }

    /// @dev The record's event (its version was checked to be the new current one).
    function _emitRecord(Record calldata record, uint256 batchId, uint256 index, bool deletion) private {
        if (deletion) {
            emit RecordDeleted(batchId, record.imageId, msg.sender, index, record.version, record.label);
        } else {
            emit RecordPublished(
                batchId,
                record.imageId,
                msg.sender,
                index,
                record.version,
                record.label,
                record.featureDigest,
                record.locator
            );
        }
    }

    /// @dev The record's digest, bound to this contract and its publisher.
    function _digest(address hospital, Record calldata record) private view returns (bytes32) {
        return keccak256(
            abi.encode(
                address(this),
                hospital,
                record.imageId,
                record.version,
                record.label,
                record.featureDigest,
                keccak256(bytes(record.locator))
            )
        );
    }

    /// @dev The root of `offchain/crypto/merkle.py`'s tree over leaves `level` (already leaf
    /// hashes): a missing right child at height k is the all-padding subtree Z_k. Overwrites `level`.
    function _root(bytes32[] memory level) private pure returns (bytes32) {
        uint256 width = level.length;
        bytes32 padding; // Z_0 = 0
        while (width > 1) {
            uint256 half = (width + 1) / 2;
            for (uint256 i; i < half; ++i) {
                uint256 left = 2 * i;
                bytes32 right = left + 1 < width ? level[left + 1] : padding;
                level[i] = MerkleInclusion.nodeHash(level[left], right);
            }
            padding = MerkleInclusion.nodeHash(padding, padding);
            width = half;
        }
        return level[0];
    }

    /// @dev Registered and its agency still a consortium member.
    function _isUser(address user) private view returns (bool) {
        address agency = _userAgency[user];
        return agency != address(0) && consortium.isMember(agency);
    }
}
