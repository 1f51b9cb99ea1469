// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IDataRegistry
/// @notice Registry of encrypted files: who owns a file, what plaintext it commits to, where
/// and in what form its ciphertext is stored, its versions, and who was granted access when.
/// @dev The full record (commitment, ciphertext hash, Merkle root, locator, metadata) travels in
/// calldata and in the `FileRegistered` event; storage keeps the owner, the time and a digest of
/// the record, so that any reader can check an event's fields against state with `verifyRecord`.
/// This keeps registration near two storage slots (research: Zheng et al. 2018 §4.3, "the hash
/// of the data goes on chain, the data stays off chain").
interface IDataRegistry {
    /// @notice What the registry stores for a file.
    /// @param owner The account that registered the file.
    /// @param registeredAt Block timestamp of the registration, in seconds.
    /// @param version 1 for a new file, previous version + 1 for `registerVersion`.
    /// @param recordDigest keccak256 of the ABI-encoded record, see `recordDigestOf`.
    struct FileRecord {
        address owner; // owner, registeredAt and version share one slot
        uint40 registeredAt;
        uint32 version;
        bytes32 recordDigest;
    }

    /// @notice An access grant: the owner let `grantee` receive the file's data key through
    /// proxy re-encryption (research: Feng et al. 2022 §6.8, traceable sharing).
    /// @param grantedAt Block timestamp of the grant, in seconds; zero if never granted.
    /// @param expiresAt Timestamp from which the grant no longer holds; zero for no expiry.
    /// @param revokedAt Timestamp of the revocation; zero while not revoked.
    /// @param policyHash Commitment to the re-encryption policy (receiving key, proxies, threshold).
    struct Grant {
        uint40 grantedAt;
        uint40 expiresAt;
        uint40 revokedAt;
        bytes32 policyHash;
    }

    /// @notice A file was registered.
    /// @param fileId The file's id, `fileIdOf(owner, contentCommitment)`.
    /// @param owner The registering account.
    /// @param contentCommitment Commitment to the plaintext (hiding: salted, or Poseidon with a salt).
    /// @param ciphertextHash Hash of the stored ciphertext (the research's K_f*).
    /// @param merkleRoot Root of the Merkle tree over the ciphertext's blocks (zero if none).
    /// @param locator Where the ciphertext is stored (a content address or URL).
    /// @param metadata Application metadata (ABI-encoded or JSON bytes), at most `MAX_METADATA_BYTES`.
    event FileRegistered(
        bytes32 indexed fileId,
        address indexed owner,
        bytes32 indexed contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string locator,
        bytes metadata
    );

    /// @notice A file was registered as the next version of another.
    /// @param previousFileId The version it supersedes.
    /// @param fileId The new version's id.
    /// @param version The new version's number.
    event FileVersioned(bytes32 indexed previousFileId, bytes32 indexed fileId, uint32 version);

    /// @notice The owner granted `grantee` access to a file.
    /// @param fileId The file.
    /// @param grantee The account granted access.
    /// @param policyHash Commitment to the re-encryption policy.
    /// @param expiresAt Timestamp from which the grant lapses; zero for no expiry.
    event AccessGranted(bytes32 indexed fileId, address indexed grantee, bytes32 policyHash, uint40 expiresAt);

    /// @notice The owner revoked the grant of `grantee`.
    /// @param fileId The file.
    /// @param grantee The account whose grant was revoked.
    event AccessRevoked(bytes32 indexed fileId, address indexed grantee);

    /// @notice The owner already registered a file with this content commitment.
    /// @param fileId The id under which it is registered.
    error DataRegistryAlreadyRegistered(bytes32 fileId);

    /// @notice No file is registered under this id.
    /// @param fileId The id asked for.
    error DataRegistryUnknownFile(bytes32 fileId);

    /// @notice Only the file's owner may do this.
    /// @param fileId The file.
    /// @param caller The account that tried.
    error DataRegistryNotOwner(bytes32 fileId, address caller);

    /// @notice The file already has a next version; versions form a chain, not a tree.
    /// @param fileId The file.
    /// @param successor Its existing next version.
    error DataRegistryAlreadySuperseded(bytes32 fileId, bytes32 successor);

    /// @notice The grantee already holds an active grant for the file.
    /// @param fileId The file.
    /// @param grantee The grantee.
    error DataRegistryAlreadyGranted(bytes32 fileId, address grantee);

    /// @notice The grantee holds no active grant for the file.
    /// @param fileId The file.
    /// @param grantee The grantee.
    error DataRegistryNoActiveGrant(bytes32 fileId, address grantee);

    /// @notice The grantee is the zero address or the owner itself.
    /// @param grantee The grantee given.
    error DataRegistryInvalidGrantee(address grantee);

    /// @notice A non-zero expiry must lie in the future.
    /// @param expiresAt The expiry given.
    /// @param nowTimestamp The current block timestamp.
    error DataRegistryInvalidExpiry(uint40 expiresAt, uint256 nowTimestamp);

    /// @notice A required 32-byte field was zero.
    /// @param field Name of the field ("contentCommitment" or "ciphertextHash").
    error DataRegistryZeroField(string field);

    /// @notice The locator is empty or longer than `MAX_LOCATOR_BYTES`.
    /// @param length The locator's length in bytes.
    /// @param maxLength The largest length accepted.
    error DataRegistryInvalidLocator(uint256 length, uint256 maxLength);

    /// @notice The metadata is longer than `MAX_METADATA_BYTES`.
    /// @param length The metadata's length in bytes.
    /// @param maxLength The largest length accepted.
    error DataRegistryMetadataTooLarge(uint256 length, uint256 maxLength);

    /// @notice Register a file owned by the caller.
    /// @dev Reverts with `DataRegistryAlreadyRegistered` if the caller registered the same
    /// commitment before, `DataRegistryZeroField` on a zero commitment or ciphertext hash,
    /// `DataRegistryInvalidLocator` and `DataRegistryMetadataTooLarge` on bad sizes.
    /// @param contentCommitment Commitment to the plaintext.
    /// @param ciphertextHash Hash of the ciphertext.
    /// @param merkleRoot Root of the ciphertext's block Merkle tree, or zero.
    /// @param locator Where the ciphertext is stored.
    /// @param metadata Application metadata.
    /// @return fileId The new file's id.
    function registerFile(
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) external returns (bytes32 fileId);

    /// @notice Register a new version of a file the caller owns.
    /// @dev Same checks as `registerFile`, plus: reverts with `DataRegistryUnknownFile` if
    /// `previousFileId` is not registered, `DataRegistryNotOwner` if the caller does not own it,
    /// `DataRegistryAlreadySuperseded` if it already has a next version. Emits `FileRegistered`
    /// and `FileVersioned`. Grants are per version: grant the new version again if needed.
    /// @param previousFileId The version this one supersedes.
    /// @param contentCommitment Commitment to the new plaintext.
    /// @param ciphertextHash Hash of the new ciphertext.
    /// @param merkleRoot Root of the new ciphertext's block Merkle tree, or zero.
    /// @param locator Where the new ciphertext is stored.
    /// @param metadata Application metadata.
    /// @return fileId The new version's id.
    function registerVersion(
        bytes32 previousFileId,
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) external returns (bytes32 fileId);

    /// @notice Grant `grantee` access to a file the caller owns (recorded for traceability;
    /// proxies re-encrypt only for active grants).
    /// @dev Reverts with `DataRegistryUnknownFile`, `DataRegistryNotOwner`,
    /// `DataRegistryInvalidGrantee` (zero address or the owner), `DataRegistryInvalidExpiry`
    /// (non-zero and not in the future) or `DataRegistryAlreadyGranted` (an active grant exists).
    /// A revoked or expired grant may be granted again.
    /// @param fileId The file.
    /// @param grantee The account to grant.
    /// @param policyHash Commitment to the re-encryption policy (see `offchain.chain.registry`).
    /// @param expiresAt Timestamp from which the grant lapses; zero for no expiry.
    function grantAccess(bytes32 fileId, address grantee, bytes32 policyHash, uint40 expiresAt) external;

    /// @notice Revoke the active grant of `grantee` on a file the caller owns.
    /// @dev Reverts with `DataRegistryUnknownFile`, `DataRegistryNotOwner` or
    /// `DataRegistryNoActiveGrant`. WARNING: revocation stops future re-encryptions by honest
    /// proxies; it cannot take back a key the grantee already decrypted.
    /// @param fileId The file.
    /// @param grantee The grantee.
    function revokeAccess(bytes32 fileId, address grantee) external;

    /// @notice Whether `grantee` holds an active (granted, not revoked, not expired) grant.
    /// @param fileId The file.
    /// @param grantee The account.
    /// @return granted True if active.
    function isGranted(bytes32 fileId, address grantee) external view returns (bool granted);

    /// @notice The grant record of `grantee` on a file (all zero if never granted).
    /// @param fileId The file.
    /// @param grantee The account.
    /// @return grant The record.
    function getGrant(bytes32 fileId, address grantee) external view returns (Grant memory grant);

    /// @notice The next version of a file, or zero if it is the latest.
    /// @param fileId The file.
    /// @return successor The next version's id.
    function successorOf(bytes32 fileId) external view returns (bytes32 successor);

    /// @notice The stored part of a file's record.
    /// @dev Reverts with `DataRegistryUnknownFile` if nothing is registered under `fileId`.
    /// @param fileId The file's id.
    /// @return record Owner, registration time, version and record digest.
    function getFile(bytes32 fileId) external view returns (FileRecord memory record);

    /// @notice Whether a file is registered under `fileId`.
    /// @param fileId The file's id.
    /// @return registered True if registered.
    function isRegistered(bytes32 fileId) external view returns (bool registered);

    /// @notice Whether the given fields are exactly those registered under `fileId`.
    /// @dev False for an unknown file. Use it to check fields read from an event or an
    /// off-chain copy before trusting them.
    /// @param fileId The file's id.
    /// @param contentCommitment Claimed commitment.
    /// @param ciphertextHash Claimed ciphertext hash.
    /// @param merkleRoot Claimed Merkle root.
    /// @param locator Claimed locator.
    /// @param metadata Claimed metadata.
    /// @return matches True if the digest of the fields equals the stored digest.
    function verifyRecord(
        bytes32 fileId,
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) external view returns (bool matches);

    /// @notice The id a file gets: keccak256(abi.encode(owner, contentCommitment)).
    /// @dev Binding the id to the owner stops a front-runner from claiming someone else's
    /// commitment under the same id.
    /// @param owner The registering account.
    /// @param contentCommitment The commitment.
    /// @return fileId The id.
    function fileIdOf(address owner, bytes32 contentCommitment) external pure returns (bytes32 fileId);

    /// @notice The digest stored for a record: keccak256(abi.encode(contentCommitment,
    /// ciphertextHash, merkleRoot, keccak256(bytes(locator)), keccak256(metadata))).
    /// @param contentCommitment The commitment.
    /// @param ciphertextHash The ciphertext hash.
    /// @param merkleRoot The Merkle root.
    /// @param locator The locator.
    /// @param metadata The metadata.
    /// @return digest The record digest.
    function recordDigestOf(
        bytes32 contentCommitment,
        bytes32 ciphertextHash,
        bytes32 merkleRoot,
        string calldata locator,
        bytes calldata metadata
    ) external pure returns (bytes32 digest);
}
