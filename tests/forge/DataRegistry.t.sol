// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDataRegistry} from "../../interfaces/IDataRegistry.sol";
import {DataRegistry} from "../../contracts/DataRegistry.sol";
import {Checks, Handler, InvariantTest} from "./utils/InvariantTest.sol";

/// @title DataRegistryHandler
/// @notice Drives a `DataRegistry` with random registrations (commitments from a small pool, so
/// that collisions happen), new versions, grants, revocations and time jumps by three actors.
/// It predicts each outcome from its ghost model and checks the contract agrees.
contract DataRegistryHandler is Handler {
    struct GhostFile {
        address owner;
        uint32 version;
        bytes32 successor;
        bytes32 contentCommitment;
        bytes32 ciphertextHash;
        bytes32 merkleRoot;
        string locator;
    }

    struct GhostGrant {
        uint40 grantedAt;
        uint40 expiresAt;
        uint40 revokedAt;
    }

    DataRegistry public immutable registry = new DataRegistry();
    address[3] public actors = [address(0xA11CE), address(0xB0B), address(0xCA7)];
    uint256 public now_ = 1_700_000_000;

    bytes32[] public fileIds;
    mapping(bytes32 fileId => GhostFile) internal _files;
    mapping(bytes32 fileId => mapping(address grantee => GhostGrant)) internal _grants;
    uint256[] internal _expiries; // of the grants made, for boundary jumps

    /// @notice Register a new file (version 1) as actor `who`, commitment `commitmentSeed % 8 + 1`.
    function register(uint256 who, uint256 commitmentSeed, bytes32 ciphertextHash, uint256 locatorLength)
        external
    {
        address actor = actors[who % 3];
        bytes32 commitment = bytes32(commitmentSeed % 8 + 1);
        string memory locator = _locator(locatorLength);
        bytes32 fileId = registry.fileIdOf(actor, commitment);
        bool ok = _files[fileId].owner == address(0) && ciphertextHash != 0 && bytes(locator).length > 0
            && bytes(locator).length <= 512;
        vm.warp(now_);
        vm.prank(actor);
        try registry.registerFile(commitment, ciphertextHash, bytes32(0), locator, "") returns (bytes32 id) {
            check(ok, "an invalid or duplicate registration was accepted");
            check(id == fileId, "the file id is not fileIdOf(owner, commitment)");
            _record(fileId, actor, 1, commitment, ciphertextHash, locator);
        } catch {
            refusedAsPredicted(ok, "a valid registration was refused");
        }
    }

    /// @notice Register a new version of file `index` as actor `who` (owner or not).
    function registerVersion(uint256 index, uint256 who, uint256 commitmentSeed, bytes32 merkleRoot) external {
        if (fileIds.length == 0) return;
        bytes32 previous = fileIds[index % fileIds.length];
        address actor = actors[who % 3];
        bytes32 commitment = bytes32(commitmentSeed % 8 + 1);
        bytes32 fileId = registry.fileIdOf(actor, commitment);
        GhostFile storage old = _files[previous];
        bool ok = old.owner == actor && old.successor == 0 && _files[fileId].owner == address(0);
        vm.warp(now_);
        vm.prank(actor);
        try registry.registerVersion(previous, commitment, keccak256("ct"), merkleRoot, "s3://v", "") returns (
            bytes32 id
        ) {
            check(ok, "a version by a non-owner, of a superseded file or a duplicate was accepted");
            check(id == fileId, "the version's id is not fileIdOf(owner, commitment)");
            old.successor = id;
            _record(id, actor, old.version + 1, commitment, keccak256("ct"), "s3://v");
            _files[id].merkleRoot = merkleRoot;
        } catch {
            refusedAsPredicted(ok, "a valid version was refused");
        }
    }

    /// @notice Grant access to file `index` to actor `whom`, as actor `who`, expiring after
    /// `lifetime % 10 days` (0: never).
    function grant(uint256 index, uint256 who, uint256 whom, uint256 lifetime) external {
        if (fileIds.length == 0) return;
        bytes32 fileId = fileIds[index % fileIds.length];
        address actor = actors[who % 3];
        address grantee = actors[whom % 3];
        lifetime %= 10 days;
        uint40 expiresAt = lifetime == 0 ? 0 : uint40(now_ + lifetime);
        bool ok = _files[fileId].owner == actor && grantee != actor && !_active(_grants[fileId][grantee]);
        vm.warp(now_);
        vm.prank(actor);
        try registry.grantAccess(fileId, grantee, keccak256("policy"), expiresAt) {
            check(ok, "an invalid or duplicate grant was accepted");
            _grants[fileId][grantee] = GhostGrant(uint40(now_), expiresAt, 0);
            if (expiresAt != 0) _expiries.push(expiresAt);
        } catch {
            refusedAsPredicted(ok, "a valid grant was refused");
        }
    }

    /// @notice Revoke actor `whom`'s access to file `index`, as actor `who`.
    function revoke(uint256 index, uint256 who, uint256 whom) external {
        if (fileIds.length == 0) return;
        bytes32 fileId = fileIds[index % fileIds.length];
        address actor = actors[who % 3];
        address grantee = actors[whom % 3];
        bool ok = _files[fileId].owner == actor && _active(_grants[fileId][grantee]);
        vm.warp(now_);
        vm.prank(actor);
        try registry.revokeAccess(fileId, grantee) {
            check(ok, "a revocation by a non-owner or of no active grant was accepted");
            _grants[fileId][grantee].revokedAt = uint40(now_);
        } catch {
            refusedAsPredicted(ok, "a valid revocation was refused");
        }
    }

    /// @notice Let time pass (up to 6 days: grants expire now and then).
    function warp(uint256 seconds_) external {
        now_ += seconds_ % 6 days;
    }

    /// @notice Jump to the expiry of grant `index` (the boundary where it stops), or one second
    /// before it, if it is still ahead.
    function warpToExpiry(uint256 index, bool before) external {
        if (_expiries.length == 0) return;
        uint256 expiresAt = _expiries[index % _expiries.length] - (before ? 1 : 0);
        if (expiresAt > now_) now_ = expiresAt;
    }

    // --- ghost ---------------------------------------------------------------------------------

    function fileCount() external view returns (uint256) {
        return fileIds.length;
    }

    function fileOf(bytes32 fileId) external view returns (GhostFile memory) {
        return _files[fileId];
    }

    /// @notice Whether the ghost grant of `grantee` on `fileId` is active now.
    function activeGrant(bytes32 fileId, address grantee) external view returns (bool) {
        return _active(_grants[fileId][grantee]);
    }

    function _active(GhostGrant storage g) internal view returns (bool) {
        return g.grantedAt != 0 && g.revokedAt == 0 && (g.expiresAt == 0 || now_ < g.expiresAt);
    }

    function _record(
        bytes32 fileId,
        address owner,
        uint32 version,
        bytes32 commitment,
        bytes32 ciphertextHash,
        string memory locator
    ) internal {
        fileIds.push(fileId);
        GhostFile storage f = _files[fileId];
        (f.owner, f.version, f.contentCommitment, f.ciphertextHash, f.locator) =
            (owner, version, commitment, ciphertextHash, locator);
    }

    /// @dev A locator at a length boundary (0, 1, 32, 512, 513 bytes): empty and over-long
    /// (> MAX_LOCATOR_BYTES) ones are refused.
    function _locator(uint256 choice) internal pure returns (string memory) {
        uint16[5] memory lengths = [0, 1, 32, 512, 513];
        return string(new bytes(lengths[choice % 5]));
    }
}

/// @title DataRegistryInvariants
/// @notice Invariants of `DataRegistry` over random sequences: every registered file keeps its
/// owner (who is the one in its id), its version is its predecessor's plus one, a file has at
/// most one successor, owned by the same account; `verifyRecord` accepts the registered fields
/// and rejects a changed one; `isGranted` is exactly the model's active grant (expiry included).
contract DataRegistryInvariants is InvariantTest {
    DataRegistryHandler internal handler;

    function setUp() public {
        handler = new DataRegistryHandler();
        targetContract(address(handler));
    }

    /// @notice All of them, after every call (one campaign for the suite).
    function invariant_dataRegistry() external {
        DataRegistry registry = handler.registry();
        vm.warp(handler.now_());
        address[3] memory actors = [handler.actors(0), handler.actors(1), handler.actors(2)];
        for (uint256 i = 0; i < handler.fileCount(); ++i) {
            bytes32 fileId = handler.fileIds(i);
            DataRegistryHandler.GhostFile memory expected = handler.fileOf(fileId);
            IDataRegistry.FileRecord memory stored = registry.getFile(fileId);
            check(stored.owner == expected.owner, "a file's owner changed");
            check(registry.fileIdOf(stored.owner, expected.contentCommitment) == fileId, "owner and id disagree");
            check(stored.version == expected.version, "a version number is wrong");
            bytes32 successor = registry.successorOf(fileId);
            check(successor == expected.successor, "a successor differs from the model");
            if (successor != 0) {
                IDataRegistry.FileRecord memory next = registry.getFile(successor);
                check(next.owner == stored.owner, "a successor has another owner");
                check(next.version == stored.version + 1, "a successor's version is not the next");
            }
            check(
                registry.verifyRecord(
                    fileId, expected.contentCommitment, expected.ciphertextHash, expected.merkleRoot, expected.locator, ""
                ),
                "verifyRecord rejects the registered fields"
            );
            check(
                !registry.verifyRecord(
                    fileId, expected.contentCommitment, expected.ciphertextHash, expected.merkleRoot, expected.locator, "x"
                ),
                "verifyRecord accepts changed metadata"
            );
            for (uint256 a = 0; a < 3; ++a) {
                check(
                    registry.isGranted(fileId, actors[a]) == handler.activeGrant(fileId, actors[a]),
                    "isGranted differs from the model"
                );
            }
        }
    }
}
