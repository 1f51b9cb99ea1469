// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMerkleAnchor} from "../../interfaces/IMerkleAnchor.sol";
import {MerkleAnchor} from "../../contracts/MerkleAnchor.sol";
import {Checks, Handler, InvariantTest} from "./utils/InvariantTest.sol";

/// @title MerkleAnchorHandler
/// @notice Drives a `MerkleAnchor` with random anchorings (by anchorers and by strangers), role
/// grants and revocations, and time jumps. Trees are built here, independently of
/// `MerkleInclusion` (keccak256(0x00 ‖ d) leaves, keccak256(0x01 ‖ l ‖ r) nodes, padded with
/// bytes32(0) items), and every batch's items and roots are kept as ghosts.
contract MerkleAnchorHandler is Handler {
    MerkleAnchor public immutable anchor;
    bytes32 public immutable anchorerRole;
    address[4] public actors = [address(0xA11CE), address(0xB0B), address(0xCA7), address(0xD06)];

    uint256 public now_ = 1_700_000_000;
    mapping(address => bool) public ghostAnchorer;
    bytes32[][] internal _items; // batch id − 1 → the tree's items (unpadded)
    IMerkleAnchor.Batch[] internal _batches; // batch id − 1 → what was anchored

    constructor() {
        anchor = new MerkleAnchor(); // this handler is the admin
        anchorerRole = anchor.ANCHORER_ROLE();
        anchor.grantRole(anchorerRole, actors[0]);
        ghostAnchorer[actors[0]] = true;
    }

    /// @notice Anchor the root of a tree of 1..9 items (derived from `seed`) as actor `who`.
    function anchorTree(uint256 who, uint256 seed, uint256 size, bytes32 metadataHash) external {
        address actor = actors[who % actors.length];
        size = 1 + size % 9;
        bytes32[] memory items = new bytes32[](size);
        for (uint256 i = 0; i < size; ++i) {
            items[i] = keccak256(abi.encode(seed, i));
        }
        bytes32 root = rootOf(items);
        vm.warp(now_);
        vm.prank(actor);
        try anchor.anchorRoot(root, uint48(size), metadataHash) returns (uint256 batchId) {
            check(ghostAnchorer[actor], "a non-anchorer anchored a root");
            check(batchId == _batches.length + 1, "batch ids are not consecutive");
            _items.push(items);
            _batches.push(
                IMerkleAnchor.Batch({
                    root: root,
                    leafCount: uint48(size),
                    anchoredAt: uint40(now_),
                    anchorer: actor
                })
            );
        } catch {
            refusedAsPredicted(ghostAnchorer[actor], "an anchorer was refused");
        }
    }

    /// @notice Anchor a zero root or a zero leaf count as an anchorer: always refused.
    function anchorDegenerate(bool zeroRoot, bytes32 root, uint48 leafCount) external {
        if (zeroRoot) root = bytes32(0);
        else leafCount = 0;
        vm.prank(actors[0]);
        try anchor.anchorRoot(root, leafCount, bytes32(0)) {
            check(false, "a zero root or leaf count was anchored");
        } catch {
            refusedAsPredicted(false, "");
        }
    }

    /// @notice Grant or revoke the anchorer role of actor `who` (as the admin).
    function setAnchorer(uint256 who, bool granted) external {
        address actor = actors[who % actors.length];
        if (granted) anchor.grantRole(anchorerRole, actor);
        else anchor.revokeRole(anchorerRole, actor);
        ghostAnchorer[actor] = granted;
    }

    /// @notice Let time pass (up to 30 days).
    function warp(uint256 seconds_) external {
        now_ += seconds_ % 30 days;
    }

    // --- the independent tree ----------------------------------------------------------------

    /// @notice The root of `items` padded to a power of two with zero items.
    function rootOf(bytes32[] memory items) public pure returns (bytes32) {
        uint256 width = 1;
        while (width < items.length) width <<= 1;
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i = 0; i < width; ++i) {
            level[i] = keccak256(abi.encodePacked(bytes1(0x00), i < items.length ? items[i] : bytes32(0)));
        }
        for (; width > 1; width >>= 1) {
            for (uint256 i = 0; i < width / 2; ++i) {
                level[i] = keccak256(abi.encodePacked(bytes1(0x01), level[2 * i], level[2 * i + 1]));
            }
        }
        return level[0];
    }

    /// @notice The proof of item `index` of `items` (sibling hashes from the leaf level up).
    function proofOf(bytes32[] memory items, uint256 index) public pure returns (bytes32[] memory proof) {
        uint256 width = 1;
        uint256 depth = 0;
        while (width < items.length) (width, depth) = (width << 1, depth + 1);
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i = 0; i < width; ++i) {
            level[i] = keccak256(abi.encodePacked(bytes1(0x00), i < items.length ? items[i] : bytes32(0)));
        }
        proof = new bytes32[](depth);
        for (uint256 d = 0; d < depth; ++d) {
            proof[d] = level[index ^ 1];
            for (uint256 i = 0; i < width / 2; ++i) {
                level[i] = keccak256(abi.encodePacked(bytes1(0x01), level[2 * i], level[2 * i + 1]));
            }
            (width, index) = (width >> 1, index >> 1);
        }
    }

    // --- ghost views -------------------------------------------------------------------------

    function batchTotal() external view returns (uint256) {
        return _batches.length;
    }

    function batchAt(uint256 i) external view returns (IMerkleAnchor.Batch memory) {
        return _batches[i];
    }

    function itemsAt(uint256 i) external view returns (bytes32[] memory) {
        return _items[i];
    }
}

/// @title MerkleAnchorInvariants
/// @notice Invariants of `MerkleAnchor` over random sequences: batch ids are consecutive from 1;
/// every anchored batch keeps the root, leaf count, time and anchorer it was anchored with (roots
/// are immutable); only anchorers anchor; every item of every batch verifies at its index and
/// not at another; ids past the count are unknown.
contract MerkleAnchorInvariants is InvariantTest {
    MerkleAnchorHandler internal handler;

    function setUp() public {
        handler = new MerkleAnchorHandler();
        targetContract(address(handler));
    }

    /// @notice All of them, after every call (one campaign: each `invariant_*` function would get
    /// a campaign of its own, 256 × 50 calls each).
    function invariant_merkleAnchor() external view {
        countMatchesAnchorings();
        batchesImmutable();
        unknownBatchesRevert();
        latestBatchItemsVerify();
    }

    /// @notice batchCount is the number of accepted anchorings.
    function countMatchesAnchorings() internal view {
        check(handler.anchor().batchCount() == handler.batchTotal(), "batchCount differs from the anchorings");
    }

    /// @notice Every batch is stored as anchored, for good.
    function batchesImmutable() internal view {
        MerkleAnchor anchor = handler.anchor();
        for (uint256 i = 0; i < handler.batchTotal(); ++i) {
            IMerkleAnchor.Batch memory expected = handler.batchAt(i);
            IMerkleAnchor.Batch memory stored = anchor.getBatch(i + 1);
            check(stored.root == expected.root && anchor.rootOf(i + 1) == expected.root, "a root changed");
            check(stored.leafCount == expected.leafCount, "a leaf count changed");
            check(stored.anchoredAt == expected.anchoredAt, "an anchoring time changed");
            check(stored.anchorer == expected.anchorer, "an anchorer changed");
        }
    }

    /// @notice The batch after the last is unknown (reverts), and batch 0 never exists.
    function unknownBatchesRevert() internal view {
        MerkleAnchor anchor = handler.anchor();
        uint256 count = handler.batchTotal();
        try anchor.rootOf(count + 1) {
            check(false, "an unanchored batch has a root");
        } catch {}
        try anchor.rootOf(0) {
            check(false, "batch 0 has a root");
        } catch {}
    }

    /// @notice In the latest batch, each item verifies at its index and fails at the next one.
    function latestBatchItemsVerify() internal view {
        uint256 count = handler.batchTotal();
        if (count == 0) return;
        MerkleAnchor anchor = handler.anchor();
        bytes32[] memory items = handler.itemsAt(count - 1);
        for (uint256 i = 0; i < items.length; ++i) {
            bytes32[] memory proof = handler.proofOf(items, i);
            check(anchor.verifyInclusion(count, i, items[i], proof), "an anchored item does not verify");
            uint256 other = (i + 1) % items.length;
            if (other != i && items[other] != items[i]) {
                check(!anchor.verifyInclusion(count, other, items[i], proof), "an item verifies at another index");
            }
        }
    }
}
