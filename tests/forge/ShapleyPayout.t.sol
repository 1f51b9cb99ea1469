// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IDataRegistry} from "../../interfaces/IDataRegistry.sol";
import {IShapleyPayout} from "../../interfaces/IShapleyPayout.sol";
import {Consortium} from "../../contracts/Consortium.sol";
import {DataRegistry} from "../../contracts/DataRegistry.sol";
import {ShapleyPayout} from "../../contracts/ShapleyPayout.sol";
import {Handler, InvariantTest} from "./utils/InvariantTest.sol";

/// @title ShapleyPayoutHandler
/// @notice Drives a `ShapleyPayout` of a three-agency `Consortium` (quorum 2): random Merkle
/// rounds of two leaves (sometimes funded one wei short of the leaves) and on-chain-Shapley
/// rounds of two owners, approvals, settlements, claims (valid, with the other payee's proof or
/// another amount, repeated), withdrawals (by the owner or the other one), time jumps and
/// reclaims (by the funder or not). Its ghost model predicts every outcome; a disagreement
/// reverts the handler and fails the run.
contract ShapleyPayoutHandler is Handler {
    uint64 public constant PERIOD = 2 days;

    struct Ghost {
        IShapleyPayout.SplitMode mode;
        IShapleyPayout.RoundStatus status;
        uint256 poolWei;
        uint256 paidWei;
        uint256 deadline;
        uint256[2] amounts; // Merkle leaves, or the on-chain shares once settled
        bool[2] paid;
        uint256 approvals;
        bytes32 root;
    }

    DataRegistry public immutable registry;
    Consortium public immutable consortium;
    ShapleyPayout public immutable payout;
    address public constant FUNDER = address(0xF00);
    address[3] public agencies = [address(0xC01), address(0xC02), address(0xC03)];
    address[2] public payees = [address(0xA01), address(0xA02)];
    bytes32[] internal _fileIds;
    uint256[] internal _table;
    uint256 public now_ = 1_700_000_000;

    Ghost[] internal _rounds; // id − 1
    mapping(uint256 roundId => mapping(uint256 index => uint256 payments)) public payments;
    mapping(uint256 roundId => mapping(address agency => bool)) internal _approved;

    constructor() {
        vm.warp(now_);
        registry = new DataRegistry();
        address[] memory founders = new address[](3);
        (founders[0], founders[1], founders[2]) = (agencies[0], agencies[1], agencies[2]);
        consortium = new Consortium(founders, 7 days);
        payout = new ShapleyPayout(IConsortium(address(consortium)), IDataRegistry(address(registry)));
        for (uint256 i = 0; i < 2; ++i) {
            vm.prank(payees[i]);
            _fileIds.push(
                registry.registerFile(bytes32(i + 1), keccak256("ciphertext"), keccak256("root"), "s3://record", "")
            );
        }
        _table = [uint256(0), 60, 30, 100]; // v(∅), v({0}), v({1}), v({0, 1})
    }

    // --- opening and funding ------------------------------------------------------------------

    /// @notice The funder opens a Merkle round of two leaves; `short`: one wei below the leaves.
    function openMerkle(uint256 first, uint256 second, bool short) external {
        uint256[2] memory amounts = [1 + first % 1 ether, 1 + second % 1 ether];
        bytes32 root = _hashPair(_leaf(0, payees[0], amounts[0]), _leaf(1, payees[1], amounts[1]));
        uint256 pool = amounts[0] + amounts[1] - (short ? 1 : 0);
        vm.deal(FUNDER, pool);
        vm.warp(now_);
        vm.prank(FUNDER);
        uint256 roundId = payout.openMerkleRound{value: pool}(root, 2, _valuation(), PERIOD);
        _opened(roundId, IShapleyPayout.SplitMode.Merkle, pool, amounts, root);
    }

    /// @notice The funder opens an on-chain-Shapley round of the two owners.
    function openShapley(uint256 pool) external {
        pool = 1 + pool % 1 ether;
        vm.deal(FUNDER, pool);
        vm.warp(now_);
        vm.prank(FUNDER);
        uint256 roundId = payout.openShapleyRound{value: pool}(keccak256(abi.encodePacked(_table)), _valuation(), PERIOD);
        _opened(roundId, IShapleyPayout.SplitMode.OnChainShapley, pool, [uint256(0), 0], bytes32(0));
    }

    // --- approval and settlement --------------------------------------------------------------

    function approve(uint256 index, uint256 who) external {
        if (_rounds.length == 0) return;
        (uint256 roundId, Ghost storage g) = _pick(index);
        address agency = agencies[who % 3];
        bool ok = g.status == IShapleyPayout.RoundStatus.Proposed && now_ <= g.deadline && !_approved[roundId][agency];
        bytes32 commitment = payout.commitmentOf(roundId);
        vm.warp(now_);
        vm.prank(agency);
        try payout.approve(roundId, commitment) {
            check(ok, "an approval was counted twice, late or after the quorum");
            _approved[roundId][agency] = true;
            g.approvals += 1;
            if (g.approvals >= consortium.quorum()) {
                g.status = g.mode == IShapleyPayout.SplitMode.Merkle
                    ? IShapleyPayout.RoundStatus.Payable
                    : IShapleyPayout.RoundStatus.Approved;
            }
        } catch {
            refusedAsPredicted(ok, "a valid approval was refused");
        }
    }

    function settle(uint256 index) external {
        if (_rounds.length == 0) return;
        (uint256 roundId, Ghost storage g) = _pick(index);
        bool ok = g.mode == IShapleyPayout.SplitMode.OnChainShapley && g.status == IShapleyPayout.RoundStatus.Approved
            && now_ <= g.deadline;
        vm.warp(now_);
        try payout.settleShapley(roundId, _table) {
            check(ok, "a table was settled twice, unapproved or late");
            (g.amounts[0], g.amounts[1]) = (payout.shareOf(roundId, 0), payout.shareOf(roundId, 1));
            check(g.amounts[0] + g.amounts[1] == g.poolWei, "the shares do not sum to the pool");
            g.status = IShapleyPayout.RoundStatus.Payable;
        } catch {
            refusedAsPredicted(ok, "a valid settlement was refused");
        }
    }

    // --- payments -----------------------------------------------------------------------------

    /// @notice Payee `leaf` claims its leaf; variant 1: the other payee presents the proof;
    /// variant 2: one wei more than the leaf.
    function claim(uint256 index, uint256 leaf, uint256 variant) external {
        if (_rounds.length == 0) return;
        (uint256 roundId, Ghost storage g) = _pick(index);
        leaf %= 2;
        variant %= 3;
        address sender = variant == 1 ? payees[1 - leaf] : payees[leaf];
        uint256 amount = g.amounts[leaf] + (variant == 2 ? 1 : 0);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = _leaf(1 - leaf, payees[1 - leaf], g.amounts[1 - leaf]);
        bool ok = _payable(g, IShapleyPayout.SplitMode.Merkle) && !g.paid[leaf] && variant == 0
            && amount <= g.poolWei - g.paidWei;
        vm.warp(now_);
        vm.prank(sender);
        try payout.claim(roundId, leaf, amount, proof) {
            check(ok, "a forged, repeated or oversized claim was paid");
            _paid(roundId, g, leaf, amount);
        } catch {
            refusedAsPredicted(ok, "a valid claim was refused");
        }
    }

    /// @notice Owner `owner` withdraws its share; `other`: the other owner asks for it.
    function withdraw(uint256 index, uint256 owner, bool other) external {
        if (_rounds.length == 0) return;
        (uint256 roundId, Ghost storage g) = _pick(index);
        owner %= 2;
        bool ok = _payable(g, IShapleyPayout.SplitMode.OnChainShapley) && !g.paid[owner] && !other;
        vm.warp(now_);
        vm.prank(other ? payees[1 - owner] : payees[owner]);
        try payout.withdraw(roundId, owner) {
            check(ok, "a share was paid twice, early or to another account");
            _paid(roundId, g, owner, g.amounts[owner]);
        } catch {
            refusedAsPredicted(ok, "a valid withdrawal was refused");
        }
    }

    function reclaim(uint256 index, bool byFunder) external {
        if (_rounds.length == 0) return;
        (uint256 roundId, Ghost storage g) = _pick(index);
        bool ok = byFunder && g.status != IShapleyPayout.RoundStatus.Closed && now_ > g.deadline;
        vm.warp(now_);
        vm.prank(byFunder ? FUNDER : payees[0]);
        try payout.reclaim(roundId) {
            check(ok, "a round was reclaimed early, twice or by another account");
            g.status = IShapleyPayout.RoundStatus.Closed;
        } catch {
            refusedAsPredicted(ok, "a valid reclaim was refused");
        }
    }

    function jump(uint256 hoursAhead) external {
        now_ += 1 hours + (hoursAhead % 30) * 1 hours;
    }

    // --- ghost views ------------------------------------------------------------------------

    function roundTotal() external view returns (uint256) {
        return _rounds.length;
    }

    function roundAt(uint256 i) external view returns (Ghost memory) {
        return _rounds[i];
    }

    // --- internals ----------------------------------------------------------------------------

    function _opened(
        uint256 roundId,
        IShapleyPayout.SplitMode mode,
        uint256 pool,
        uint256[2] memory amounts,
        bytes32 root
    ) internal {
        check(roundId == _rounds.length + 1, "round ids are not consecutive");
        Ghost storage g = _rounds.push();
        (g.mode, g.status, g.poolWei) = (mode, IShapleyPayout.RoundStatus.Proposed, pool);
        (g.deadline, g.amounts, g.root) = (now_ + PERIOD, amounts, root);
    }

    function _paid(uint256 roundId, Ghost storage g, uint256 index, uint256 amount) internal {
        g.paid[index] = true;
        g.paidWei += amount;
        payments[roundId][index] += 1;
    }

    function _payable(Ghost storage g, IShapleyPayout.SplitMode mode) internal view returns (bool) {
        return g.mode == mode && g.status == IShapleyPayout.RoundStatus.Payable && now_ <= g.deadline;
    }

    /// @dev Mostly the newest rounds (where the action is), sometimes any.
    function _pick(uint256 index) internal view returns (uint256 roundId, Ghost storage g) {
        uint256 count = _rounds.length;
        roundId = index % 4 != 0 && count > 2 ? count - index % 3 : 1 + index % count;
        g = _rounds[roundId - 1];
    }

    function _valuation() internal view returns (IShapleyPayout.Valuation memory) {
        return IShapleyPayout.Valuation(keccak256("record"), keccak256("test set"), _fileIds);
    }

    function _leaf(uint256 index, address payee, uint256 amount) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(index, payee, amount))));
    }

    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }
}

/// @title ShapleyPayoutInvariants
/// @notice Invariants of `ShapleyPayout` over random sequences: the contract holds exactly
/// Σ (pool − paid) of the rounds not reclaimed; no share is paid twice; no round pays more than
/// its pool; every round's stored status, pool and paid total are the model's.
contract ShapleyPayoutInvariants is InvariantTest {
    ShapleyPayoutHandler internal handler;

    function setUp() public {
        handler = new ShapleyPayoutHandler();
        targetContract(address(handler));
    }

    /// @notice All of them, after every call (one campaign).
    function invariant_shapleyPayout() external view {
        ShapleyPayout payout = handler.payout();
        uint256 count = handler.roundTotal();
        check(payout.roundCount() == count, "roundCount differs from the openings");
        uint256 held = 0;
        for (uint256 i = 0; i < count; ++i) {
            ShapleyPayoutHandler.Ghost memory g = handler.roundAt(i);
            IShapleyPayout.Round memory stored = payout.roundOf(i + 1);
            check(stored.status == g.status, "a status differs from the model");
            check(stored.poolWei == g.poolWei && stored.paidWei == g.paidWei, "a pool or paid total differs");
            check(stored.paidWei <= stored.poolWei, "a round paid more than its pool");
            uint256 paidSum = 0;
            for (uint256 j = 0; j < 2; ++j) {
                check(handler.payments(i + 1, j) <= 1, "a share was paid twice");
                check(payout.isPaid(i + 1, j) == g.paid[j], "a paid mark differs from the model");
                if (g.paid[j]) paidSum += g.amounts[j];
            }
            check(paidSum == stored.paidWei, "the paid total is not the sum of the paid shares");
            if (g.status != IShapleyPayout.RoundStatus.Closed) held += g.poolWei - g.paidWei;
        }
        check(address(payout).balance == held, "the balance is not the unclaimed shares of live rounds");
    }
}
