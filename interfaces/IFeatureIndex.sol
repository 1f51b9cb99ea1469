// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IConsortium} from "./IConsortium.sol";
import {IMerkleAnchor} from "./IMerkleAnchor.sol";

/// @title IFeatureIndex
/// @notice The consortium's index of encrypted image features for content-based retrieval
/// (research: Shen, Zhu, Xu, "Blockchain-based privacy-preserving data sharing", ch. 6: §6.3.1
/// and Fig. 6.3–6.4, hospitals publish feature records; §6.5.2, add, delete and update as new
/// versions; §6.5.1, a user's query and the service's answer are both on record).
/// @dev A hospital (a consortium member) publishes a batch of at most `MAX_BATCH_RECORDS`
/// records; the contract computes the batch's Merkle root over the record digests
/// (`recordDigest`, trees of `offchain/crypto/merkle.py`) and anchors it through `MerkleAnchor`,
/// so the anchored root is the root of exactly the emitted records. Records travel in events;
/// storage keeps one slot per image (owner, current version, batch, deleted) so that only the
/// owner supersedes or deletes it. A record with a zero feature digest is a tombstone: it
/// deletes the image. Features are encrypted to the retrieval service off chain; only their
/// digest, label and locator are public.
interface IFeatureIndex {
    /// @notice One feature record as a hospital publishes it.
    /// @param imageId The image's id (non-zero).
    /// @param version 1 for a new image, the current version + 1 for an update or a deletion.
    /// @param label The image's diagnosis label code (public, as in the research).
    /// @param featureDigest keccak256 of the encrypted feature blob; zero deletes the image.
    /// @param locator Where the encrypted feature blob is stored (empty for a deletion).
    struct Record {
        bytes32 imageId;
        uint32 version;
        uint32 label;
        bytes32 featureDigest;
        string locator;
    }

    /// @notice What is stored per image (one slot).
    /// @param hospital Its publisher and owner (zero: unknown image).
    /// @param version Its current version.
    /// @param batchId The feature batch holding its current version.
    /// @param deleted Whether the current version is a deletion.
    struct Image {
        address hospital;
        uint32 version;
        uint48 batchId;
        bool deleted;
    }

    /// @notice What is stored per feature batch (one slot).
    /// @param hospital Its publisher.
    /// @param anchorBatchId The `MerkleAnchor` batch holding its root.
    /// @param recordCount Its number of records.
    struct FeatureBatch {
        address hospital;
        uint48 anchorBatchId;
        uint16 recordCount;
    }

    /// @notice What is stored per query (three slots).
    /// @param user Who asked.
    /// @param submittedAt When, in seconds.
    /// @param answeredAt When the service answered, in seconds (0: not yet).
    /// @param topK How many results were asked for.
    /// @param privateMode Whether the query is encrypted to the user's own key (CKKS).
    /// @param queryHash keccak256 of the (encrypted) query.
    /// @param resultHash keccak256 of the answer (zero: not yet).
    struct Query {
        address user;
        uint32 submittedAt;
        uint32 answeredAt;
        uint16 topK;
        bool privateMode;
        bytes32 queryHash;
        bytes32 resultHash;
    }

    /// @notice A record was published (added or updated) in batch `batchId` at position `index`.
    /// @param batchId The feature batch.
    /// @param imageId The image.
    /// @param hospital The publisher.
    /// @param index The record's position in the batch's Merkle tree.
    /// @param version The record's version.
    /// @param label The label code.
    /// @param featureDigest keccak256 of the encrypted feature blob.
    /// @param locator Where the blob is stored.
    event RecordPublished(
        uint256 indexed batchId,
        bytes32 indexed imageId,
        address indexed hospital,
        uint256 index,
        uint32 version,
        uint32 label,
        bytes32 featureDigest,
        string locator
    );

    /// @notice A tombstone record deleted `imageId` as version `version`.
    /// @param batchId The feature batch.
    /// @param imageId The image.
    /// @param hospital The owner.
    /// @param index The tombstone's position in the batch's Merkle tree.
    /// @param version The tombstone's version.
    /// @param label The label code carried by the tombstone.
    event RecordDeleted(
        uint256 indexed batchId,
        bytes32 indexed imageId,
        address indexed hospital,
        uint256 index,
        uint32 version,
        uint32 label
    );

    /// @notice A batch was published and its root anchored.
    /// @param batchId The feature batch.
    /// @param hospital The publisher.
    /// @param anchorBatchId The `MerkleAnchor` batch id.
    /// @param root The Merkle root of its record digests.
    /// @param recordCount Its number of records.
    event BatchPublished(
        uint256 indexed batchId, address indexed hospital, uint256 indexed anchorBatchId, bytes32 root, uint256 recordCount
    );

    /// @notice `agency` registered `user` as a retrieval user.
    /// @param user The user.
    /// @param agency The registering consortium member.
    event UserRegistered(address indexed user, address indexed agency);

    /// @notice `agency` revoked `user`.
    /// @param user The user.
    /// @param agency The agency that had registered it.
    event UserRevoked(address indexed user, address indexed agency);

    /// @notice `user` submitted query `queryId`.
    /// @param queryId The query.
    /// @param user The user.
    /// @param queryHash keccak256 of the (encrypted) query.
    /// @param topK Results asked for.
    /// @param privateMode Whether the query is encrypted.
    event QuerySubmitted(
        uint256 indexed queryId, address indexed user, bytes32 queryHash, uint16 topK, bool privateMode
    );

    /// @notice The service answered `queryId`.
    /// @param queryId The query.
    /// @param user Who asked.
    /// @param resultHash keccak256 of the answer.
    event QueryAnswered(uint256 indexed queryId, address indexed user, bytes32 resultHash);

    /// @notice A constructor argument has no code.
    /// @param account The address.
    error FeatureIndexNoCode(address account);
    /// @notice A field that must be non-zero (or non-empty) was zero.
    /// @param field Its name.
    error FeatureIndexZeroField(string field);
    /// @notice The caller is not a consortium member.
    /// @param account The caller.
    error FeatureIndexNotMember(address account);
    /// @notice A batch has no records or more than `MAX_BATCH_RECORDS`.
    /// @param count Its size.
    /// @param maxCount The largest size accepted.
    error FeatureIndexBatchSize(uint256 count, uint256 maxCount);
    /// @notice A locator is longer than `MAX_LOCATOR_BYTES`.
    /// @param length Its length.
    /// @param maxLength The longest accepted.
    error FeatureIndexLocatorTooLong(uint256 length, uint256 maxLength);
    /// @notice A record's version is not the image's current version + 1.
    /// @param imageId The image.
    /// @param version The version given.
    /// @param expected The version expected.
    error FeatureIndexBadVersion(bytes32 imageId, uint32 version, uint32 expected);
    /// @notice The caller does not own the image.
    /// @param imageId The image.
    /// @param caller The caller.
    /// @param hospital The owner.
    error FeatureIndexNotImageOwner(bytes32 imageId, address caller, address hospital);
    /// @notice A tombstone names an image that is unknown or already deleted.
    /// @param imageId The image.
    error FeatureIndexNothingToDelete(bytes32 imageId);
    /// @notice The user is already registered.
    /// @param user The user.
    error FeatureIndexUserExists(address user);
    /// @notice The caller did not register this user (or it is not registered).
    /// @param user The user.
    /// @param caller The caller.
    error FeatureIndexNotUserAgency(address user, address caller);
    /// @notice The caller is not a registered user whose agency is still a member.
    /// @param account The caller.
    error FeatureIndexNotUser(address account);
    /// @notice `topK` is zero or above `MAX_TOP_K`.
    /// @param topK The value given.
    /// @param maxTopK The largest accepted.
    error FeatureIndexBadTopK(uint256 topK, uint256 maxTopK);
    /// @notice The caller is not the retrieval service.
    /// @param account The caller.
    error FeatureIndexNotService(address account);
    /// @notice No query has this id.
    /// @param queryId The id.
    error FeatureIndexUnknownQuery(uint256 queryId);
    /// @notice The query was already answered.
    /// @param queryId The id.
    error FeatureIndexAlreadyAnswered(uint256 queryId);

    /// @notice Largest number of records per batch (bounds the publishing loop).
    /// @return maxCount 64.
    function MAX_BATCH_RECORDS() external view returns (uint256 maxCount);

    /// @notice Longest locator, in bytes.
    /// @return maxLength 128.
    function MAX_LOCATOR_BYTES() external view returns (uint256 maxLength);

    /// @notice Largest `topK` of a query.
    /// @return maxTopK 1000.
    function MAX_TOP_K() external view returns (uint256 maxTopK);

    /// @notice The consortium whose members are the hospitals and the user-registering agencies.
    /// @return consortium_ The consortium.
    function consortium() external view returns (IConsortium consortium_);

    /// @notice The anchor holding the batches' roots (this contract needs its `ANCHORER_ROLE`).
    /// @return anchor_ The anchor.
    function anchor() external view returns (IMerkleAnchor anchor_);

    /// @notice The retrieval service, the only account that answers queries.
    /// @return service_ The service.
    function service() external view returns (address service_);

    /// @notice Publish a batch of records, anchor its Merkle root and emit each record.
    /// @dev Caller: a consortium member (`FeatureIndexNotMember`). Reverts with
    /// `FeatureIndexBatchSize`, `FeatureIndexZeroField` (imageId, locator), `FeatureIndexLocatorTooLong`,
    /// `FeatureIndexBadVersion`, `FeatureIndexNotImageOwner`, `FeatureIndexNothingToDelete`.
    /// @param records The records, in tree order.
    /// @return batchId The feature batch id (from 1).
    /// @return root The anchored root.
    function publishBatch(Record[] calldata records) external returns (uint256 batchId, bytes32 root);

    /// @notice Register `user`, who may then submit queries while the caller is a member.
    /// @dev Caller: a consortium member. Reverts with `FeatureIndexZeroField("user")`, `FeatureIndexUserExists`.
    /// @param user The user.
    function registerUser(address user) external;

    /// @notice Revoke `user`, registered by the caller.
    /// @dev Reverts with `FeatureIndexNotUserAgency`.
    /// @param user The user.
    function revokeUser(address user) external;

    /// @notice Submit a query: its hash goes on record.
    /// @dev Caller: a registered user (`FeatureIndexNotUser`). Reverts with
    /// `FeatureIndexZeroField("queryHash")`, `FeatureIndexBadTopK`.
    /// @param queryHash keccak256 of the (encrypted) query.
    /// @param topK Results asked for, 1..`MAX_TOP_K`.
    /// @param privateMode Whether the query is encrypted to the user's key.
    /// @return queryId The query's id (from 1).
    function submitQuery(bytes32 queryHash, uint16 topK, bool privateMode) external returns (uint256 queryId);

    /// @notice Answer a query: the result's hash goes on record, once.
    /// @dev Caller: `service` (`FeatureIndexNotService`). Reverts with `FeatureIndexUnknownQuery`,
    /// `FeatureIndexAlreadyAnswered`, `FeatureIndexZeroField("resultHash")`.
    /// @param queryId The query.
    /// @param resultHash keccak256 of the answer.
    function answerQuery(uint256 queryId, bytes32 resultHash) external;

    /// @notice The digest of a record published by `hospital`: the Merkle tree's item.
    /// @param hospital The publisher.
    /// @param record The record.
    /// @return digest keccak256(abi.encode(this, hospital, imageId, version, label, featureDigest, keccak256(locator))).
    function recordDigest(address hospital, Record calldata record) external view returns (bytes32 digest);

    /// @notice Whether `record` is the current, undeleted version of its image and `proof` shows
    /// it at `index` of its batch's anchored root.
    /// @param record The record.
    /// @param index Its position in the batch.
    /// @param proof The sibling hashes.
    /// @return valid True if current and included.
    function verifyRecord(Record calldata record, uint256 index, bytes32[] calldata proof)
        external
        view
        returns (bool valid);

    /// @notice What is stored for an image (zero hospital: unknown).
    /// @param imageId The image.
    /// @return image Its state.
    function imageOf(bytes32 imageId) external view returns (Image memory image);

    /// @notice What is stored for a feature batch (zero hospital: unknown).
    /// @param batchId The batch.
    /// @return batch Its state.
    function batchOf(uint256 batchId) external view returns (FeatureBatch memory batch);

    /// @notice Number of feature batches published.
    /// @return count The count.
    function batchCount() external view returns (uint256 count);

    /// @notice The agency that registered `user` (zero: none).
    /// @param user The user.
    /// @return agency The agency.
    function agencyOf(address user) external view returns (address agency);

    /// @notice Whether `user` may submit queries (registered, its agency still a member).
    /// @param user The user.
    /// @return allowed True if so.
    function isUser(address user) external view returns (bool allowed);

    /// @notice What is stored for a query (zero user: unknown).
    /// @param queryId The query.
    /// @return query Its state.
    function queryOf(uint256 queryId) external view returns (Query memory query);

    /// @notice Number of queries submitted.
    /// @return count The count.
    function queryCount() external view returns (uint256 count);
}
