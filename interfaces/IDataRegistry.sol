// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IDataRegistry
/// @notice Registry of encrypted files: who owns a file, what plaintext it commits to, and
/// where and in what form its ciphertext is stored.
/// @dev The full record (commitment, ciphertext hash, Merkle root, locator, metadata) travels in
/// calldata and in the `FileRegistered` event; storage keeps the owner, the time and a digest of
/// the record, so that any reader can check an event's fields against state with `verifyRecord`.
/// This keeps registration near two storage slots (research: Zheng et al. 2018 §4.3, "the hash
/// of the data goes on chain, the data stays off chain").
interface IDataRegistry {
    /// @notice What the registry stores for a file.
    /// @param owner The account that registered the file.
    /// @param registeredAt Block timestamp of the registration, in seconds.
    /// @param recordDigest keccak256 of the ABI-encoded record, see `recordDigestOf`.
    struct FileRecord {
        address owner;
        uint40 registeredAt;
        bytes32 recordDigest;
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

    /// @notice The owner already registered a file with this content commitment.
    /// @param fileId The id under which it is registered.
    error DataRegistryAlreadyRegistered(bytes32 fileId);

    /// @notice No file is registered under this id.
    /// @param fileId The id asked for.
    error DataRegistryUnknownFile(bytes32 fileId);

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

    /// @notice The stored part of a file's record.
    /// @dev Reverts with `DataRegistryUnknownFile` if nothing is registered under `fileId`.
    /// @param fileId The file's id.
    /// @return record Owner, registration time and record digest.
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
