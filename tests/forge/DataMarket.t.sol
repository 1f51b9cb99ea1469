// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IConsortiumArbiter} from "../../interfaces/IConsortiumArbiter.sol";
import {IDataMarket} from "../../interfaces/IDataMarket.sol";
import {IDataRegistry} from "../../interfaces/IDataRegistry.sol";
import {IGroth16Verifier} from "../../interfaces/IGroth16Verifier.sol";
import {Consortium} from "../../contracts/Consortium.sol";
import {ConsortiumArbiter} from "../../contracts/ConsortiumArbiter.sol";
import {DataMarket} from "../../contracts/DataMarket.sol";
import {DataRegistry} from "../../contracts/DataRegistry.sol";
import {Groth16VerifierN8} from "../../contracts/Groth16VerifierN8.sol";
import {MarketProofs} from "./fixtures/MarketProofs.sol";
import {Checks, Handler, InvariantTest} from "./utils/InvariantTest.sol";

/// @title DataMarketHandler
/// @notice Drives a `DataMarket` (with the real 8-field Groth16 verifier and real proofs from
/// `MarketProofs`, made by the project's prover) and a `ConsortiumArbiter` of three members:
/// random postings by three buyers, submissions by three owners (with their bonds), grants,
/// confirmations, releases, disputes ruled by the arbiter's votes or by a plain account
/// arbiter, lapses, refunds and cancellations of unfilled escrow, withdrawals and time jumps.
/// Its model predicts every outcome; a disagreement reverts the handler and fails the run.
contract DataMarketHandler is Handler {
    uint32 public constant GRANT_PERIOD = 2 days;
    uint32 public constant REVIEW_PERIOD = 3 days;

    struct GhostRequirement {
        address buyer;
        uint256 proofRow; // MarketProofs row: index / OWNERS
        uint256 priceWei;
        uint256 bondWei;
        uint256 capacity;
        uint256 filled;
        uint256 expiresAt;
        bool unfilledRefunded;
        address arbiter;
    }

    struct GhostMatch {
        uint256 requirementId;
        address owner;
        IDataMarket.MatchState state;
        uint256 deadline;
        bool decided; // by the ConsortiumArbiter
        bool payOwner;
        uint256 votes; // bit mask of the arbiter members who voted
    }

    DataRegistry public immutable registry;
    DataMarket public immutable market;
    Consortium public immutable consortium;
    ConsortiumArbiter public immutable arbiter;
    address public constant PLAIN_ARBITER = address(0xAB17);
    address[3] public buyers = [address(0xB01), address(0xB02), address(0xB03)];
    address[3] public owners = [address(0xA01), address(0xA02), address(0xA03)];
    address[3] public members = [address(0xC01), address(0xC02), address(0xC03)];
    uint256 public now_ = 1_700_000_000;

    GhostRequirement[] internal _requirements; // id − 1
    GhostMatch[] internal _matches; // id − 1
    mapping(address => uint256) public ghostCredit;
    mapping(uint256 requirementId => mapping(address owner => bool)) public submitted;
    uint256 public totalIn;
    uint256 public totalOut;

    constructor() {
        vm.warp(now_);
        registry = new DataRegistry();
        uint16[] memory widths = new uint16[](1);
        widths[0] = 8;
        IGroth16Verifier[] memory verifiers = new IGroth16Verifier[](1);
        verifiers[0] = IGroth16Verifier(address(new Groth16VerifierN8()));
        market = new DataMarket(registry, widths, verifiers);
        address[] memory founders = new address[](3);
        (founders[0], founders[1], founders[2]) = (members[0], members[1], members[2]);
        consortium = new Consortium(founders, 7 days);
        arbiter = new ConsortiumArbiter(IConsortium(address(consortium)), market);
        bytes32 dataCommitment = bytes32(MarketProofs.entry(0).signals[2]);
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(owners[i]);
            registry.registerFile(dataCommitment, keccak256("ciphertext"), keccak256("root"), "s3://record", "");
        }
    }

    // --- requirements --------------------------------------------------------------------------

    /// @notice Buyer `who` posts requirement `row` (0 or 1: two commitments) with random terms;
    /// its disputes go to the ConsortiumArbiter or, if `plainArbiter`, to an account.
    function post(uint256 who, uint256 row, uint256 priceWei, uint256 bondWei, uint256 capacity, uint256 life, bool plainArbiter)
        external
    {
        address buyer = buyers[who % 3];
        row %= 2;
        GhostRequirement memory r;
        (r.buyer, r.proofRow, r.priceWei, r.bondWei, r.capacity) =
            (buyer, row, 1 + priceWei % 1 ether, 1 + bondWei % 0.1 ether, 1 + capacity % 3);
        r.expiresAt = now_ + 1 hours + life % 20 days;
        r.arbiter = plainArbiter ? PLAIN_ARBITER : address(arbiter);
        IDataMarket.RequirementTerms memory terms = IDataMarket.RequirementTerms({
            arbiter: r.arbiter,
            commitment: bytes32(MarketProofs.entry(row * MarketProofs.OWNERS).signals[1]),
            descriptionHash: keccak256("description"),
            priceWei: uint96(r.priceWei),
            capacity: uint32(r.capacity),
            fieldCount: 8,
            minSatisfied: 2,
            expiresAt: uint40(r.expiresAt),
            grantPeriod: GRANT_PERIOD,
            reviewPeriod: REVIEW_PERIOD,
            bondWei: uint96(r.bondWei)
        });
        bool ok = market.requirementIdOf(buyer, terms.commitment) == 0;
        uint256 escrowWei = r.priceWei * r.capacity;
        vm.deal(buyer, escrowWei);
        vm.warp(now_);
        vm.prank(buyer);
        try market.postRequirement{value: escrowWei}(terms) returns (uint256 requirementId) {
            check(ok, "a commitment was posted twice by one buyer");
            check(requirementId == _requirements.length + 1, "requirement ids are not consecutive");
            _requirements.push(r);
            totalIn += escrowWei;
        } catch {
            refusedAsPredicted(ok, "a valid requirement was refused");
        }
    }

    function refundUnfilled(uint256 index) external {
        if (_requirements.length == 0) return;
        uint256 requirementId = 1 + index % _requirements.length;
        GhostRequirement storage r = _requirements[requirementId - 1];
        bool ok = now_ >= r.expiresAt && !r.unfilledRefunded && r.capacity > r.filled;
        vm.warp(now_);
        try market.refundUnfilled(requirementId) {
            check(ok, "an unfilled escrow was refunded early, twice or when there was none");
            r.unfilledRefunded = true;
            ghostCredit[r.buyer] += r.priceWei * (r.capacity - r.filled);
        } catch {
            refusedAsPredicted(ok, "a valid refund was refused");
        }
    }

    function cancelUnfilled(uint256 index) external {
        if (_requirements.length == 0) return;
        uint256 requirementId = 1 + index % _requirements.length;
        GhostRequirement storage r = _requirements[requirementId - 1];
        bool ok = !r.unfilledRefunded;
        vm.warp(now_);
        vm.prank(r.buyer);
        try market.cancelUnfilled(requirementId) {
            check(ok, "a requirement was cancelled twice");
            r.unfilledRefunded = true;
            ghostCredit[r.buyer] += r.priceWei * (r.capacity - r.filled);
        } catch {
            refusedAsPredicted(ok, "a valid cancellation was refused");
        }
    }

    // --- matches -------------------------------------------------------------------------------

    /// @notice Owner `who` submits its real proof to requirement `index`, with the bond.
    function submit(uint256 index, uint256 who) external {
        if (_requirements.length == 0) return;
        uint256 requirementId = 1 + index % _requirements.length;
        GhostRequirement storage r = _requirements[requirementId - 1];
        uint256 ownerIndex = who % 3;
        address owner = owners[ownerIndex];
        MarketProofs.Entry memory proof = MarketProofs.entry(r.proofRow * MarketProofs.OWNERS + ownerIndex);
        bytes32 dataCommitment = bytes32(proof.signals[2]);
        bytes32 fileId = registry.fileIdOf(owner, dataCommitment);
        bool ok = now_ < r.expiresAt && !r.unfilledRefunded && r.filled < r.capacity && !submitted[requirementId][owner];
        vm.deal(owner, r.bondWei);
        vm.warp(now_);
        vm.prank(owner);
        try market.submit{value: r.bondWei}(requirementId, fileId, dataCommitment, proof.pA, proof.pB, proof.pC, proof.signals[0])
        returns (uint256 matchId) {
            check(ok, "an invalid submission was matched");
            check(matchId == _matches.length + 1, "match ids are not consecutive");
            submitted[requirementId][owner] = true;
            r.filled += 1;
            _matches.push(
                GhostMatch(requirementId, owner, IDataMarket.MatchState.Matched, now_ + GRANT_PERIOD, false, false, 0)
            );
            totalIn += r.bondWei;
        } catch {
            refusedAsPredicted(ok, "a valid submission with a real proof was refused");
        }
    }

    /// @notice The owner of match `index` grants the buyer access in the registry (if needed)
    /// and records the grant.
    function recordGrant(uint256 index) external {
        if (_matches.length == 0) return;
        (uint256 matchId, GhostMatch storage m, GhostRequirement storage r) = _match(index);
        bytes32 fileId = market.matchOf(matchId).fileId;
        vm.warp(now_);
        if (!registry.isGranted(fileId, r.buyer)) {
            vm.prank(m.owner);
            registry.grantAccess(fileId, r.buyer, keccak256("policy"), 0);
        }
        bool ok = m.state == IDataMarket.MatchState.Matched && now_ < m.deadline;
        vm.prank(m.owner);
        try market.recordGrant(matchId) {
            check(ok, "a grant was recorded out of state or late");
            m.state = IDataMarket.MatchState.Granted;
            m.deadline = now_ + REVIEW_PERIOD;
        } catch {
            refusedAsPredicted(ok, "a valid grant was refused");
        }
    }

    function confirmReceipt(uint256 index) external {
        if (_matches.length == 0) return;
        (uint256 matchId, GhostMatch storage m, GhostRequirement storage r) = _match(index);
        bool ok = m.state == IDataMarket.MatchState.Granted;
        vm.warp(now_);
        vm.prank(r.buyer);
        try market.confirmReceipt(matchId) {
            check(ok, "a receipt was confirmed out of state");
            _pay(m, r, m.owner, IDataMarket.MatchState.Released);
        } catch {
            refusedAsPredicted(ok, "a valid confirmation was refused");
        }
    }

    function release(uint256 index) external {
        if (_matches.length == 0) return;
        (uint256 matchId, GhostMatch storage m, GhostRequirement storage r) = _match(index);
        bool ok = m.state == IDataMarket.MatchState.Granted && now_ >= m.deadline;
        vm.warp(now_);
        try market.release(matchId) {
            check(ok, "a payment was released out of state or early");
            _pay(m, r, m.owner, IDataMarket.MatchState.Released);
        } catch {
            refusedAsPredicted(ok, "a valid release was refused");
        }
    }

    function dispute(uint256 index) external {
        if (_matches.length == 0) return;
        (uint256 matchId, GhostMatch storage m, GhostRequirement storage r) = _match(index);
        bool ok = m.state == IDataMarket.MatchState.Granted && now_ < m.deadline;
        vm.warp(now_);
        vm.prank(r.buyer);
        try market.dispute(matchId, keccak256("complaint")) {
            check(ok, "a dispute was opened out of state or late");
            m.state = IDataMarket.MatchState.Disputed;
        } catch {
            refusedAsPredicted(ok, "a valid dispute was refused");
        }
    }

    /// @notice Member `who` of the arbiter's consortium votes on match `index`.
    function arbiterVote(uint256 index, uint256 who, bool payOwner) external {
        if (_matches.length == 0) return;
        (uint256 matchId, GhostMatch storage m, GhostRequirement storage r) = _match(index);
        uint256 bit = 1 << (who % 3);
        bool ok = m.state == IDataMarket.MatchState.Disputed && r.arbiter == address(arbiter) && !m.decided
            && m.votes & bit == 0;
        vm.warp(now_);
        vm.prank(members[who % 3]);
        try arbiter.vote(matchId, payOwner) {
            check(ok, "an arbiter vote was counted out of state or twice");
            m.votes |= bit;
            IConsortiumArbiter.Tally memory tally = arbiter.tallyOf(matchId, 0);
            uint256 votes = payOwner ? tally.payOwnerVotes : tally.refundVotes;
            if (votes >= 2) {
                // quorum of 3 members: 2
                m.decided = true;
                m.payOwner = payOwner;
                _pay(m, r, payOwner ? m.owner : r.buyer, payOwner ? IDataMarket.MatchState.Released : IDataMarket.MatchState.Refunded);
            }
        } catch {
            refusedAsPredicted(ok, "a valid arbiter vote was refused");
        }
    }

    /// @notice The plain account arbiter rules on match `index`.
    function plainRuling(uint256 index, bool payOwner) external {
        if (_matches.length == 0) return;
        (uint256 matchId, GhostMatch storage m, GhostRequirement storage r) = _match(index);
        bool ok = m.state == IDataMarket.MatchState.Disputed && r.arbiter == PLAIN_ARBITER;
        vm.warp(now_);
        vm.prank(PLAIN_ARBITER);
        try market.settleDispute(matchId, payOwner, keccak256("ruling")) {
            check(ok, "a dispute was settled by another than its arbiter or out of state");
            _pay(m, r, payOwner ? m.owner : r.buyer, payOwner ? IDataMarket.MatchState.Released : IDataMarket.MatchState.Refunded);
        } catch {
            refusedAsPredicted(ok, "a valid ruling was refused");
        }
    }

    function reclaimUngranted(uint256 index) external {
        if (_matches.length == 0) return;
        (uint256 matchId, GhostMatch storage m, GhostRequirement storage r) = _match(index);
        bool ok = m.state == IDataMarket.MatchState.Matched && now_ >= m.deadline;
        vm.warp(now_);
        try market.reclaimUngranted(matchId) {
            check(ok, "a match lapsed out of state or early");
            m.state = IDataMarket.MatchState.Lapsed;
            if (r.unfilledRefunded) ghostCredit[r.buyer] += r.priceWei;
            else r.filled -= 1;
            ghostCredit[r.buyer] += r.bondWei;
        } catch {
            refusedAsPredicted(ok, "a valid lapse was refused");
        }
    }

    function withdraw(uint256 who) external {
        address[10] memory everyone = [
            buyers[0], buyers[1], buyers[2], owners[0], owners[1], owners[2], members[0], members[1], members[2], PLAIN_ARBITER
        ];
        address account = everyone[who % 10];
        uint256 owed = ghostCredit[account];
        uint256 before = account.balance;
        vm.prank(account);
        try market.withdraw() {
            check(owed > 0, "withdraw paid an account owed nothing");
            check(account.balance == before + owed, "withdraw paid another amount than owed");
            ghostCredit[account] = 0;
            totalOut += owed;
        } catch {
            refusedAsPredicted(owed > 0, "a valid withdrawal was refused");
        }
    }

    function warp(uint256 seconds_) external {
        now_ += seconds_ % 2 days;
    }

    // --- ghost views ---------------------------------------------------------------------------

    function requirementTotal() external view returns (uint256) {
        return _requirements.length;
    }

    function requirementAt(uint256 i) external view returns (GhostRequirement memory) {
        return _requirements[i];
    }

    function matchTotal() external view returns (uint256) {
        return _matches.length;
    }

    function matchAt(uint256 i) external view returns (GhostMatch memory) {
        return _matches[i];
    }

    /// @dev Match `1 + index % count` and its requirement (there is at least one match).
    function _match(uint256 index)
        internal
        view
        returns (uint256 matchId, GhostMatch storage m, GhostRequirement storage r)
    {
        matchId = 1 + index % _matches.length;
        m = _matches[matchId - 1];
        r = _requirements[m.requirementId - 1];
    }

    function _pay(GhostMatch storage m, GhostRequirement storage r, address recipient, IDataMarket.MatchState state)
        internal
    {
        m.state = state;
        ghostCredit[recipient] += r.priceWei + r.bondWei;
    }
}

/// @title DataMarketInvariants
/// @notice Invariants of `DataMarket` and `ConsortiumArbiter` over random sequences: the ether
/// held is what came in minus what was withdrawn, and exactly the credits owed plus the unfilled
/// escrow of open requirements plus price and bond of every match not yet ended (so every
/// ending, release, refund, ruling or lapse, moves the escrow exactly once); credits, states and
/// fill counts equal the model's; fills never exceed capacity; the arbiter decides a dispute
/// only with a quorum for one side, and its ruling is the match's ending.
contract DataMarketInvariants is InvariantTest {
    DataMarketHandler internal handler;

    function setUp() public {
        handler = new DataMarketHandler();
        targetContract(address(handler));
    }

    /// @notice All of them, after every call (one campaign for the suite).
    function invariant_dataMarket() external view {
        DataMarket market = handler.market();
        ConsortiumArbiter arbiter = handler.arbiter();
        uint256 owed;
        for (uint256 i = 0; i < handler.requirementTotal(); ++i) {
            DataMarketHandler.GhostRequirement memory expected = handler.requirementAt(i);
            IDataMarket.Requirement memory stored = market.requirementOf(i + 1);
            check(stored.filled == expected.filled, "a fill count differs from the model");
            check(stored.filled <= stored.capacity, "a requirement is filled past its capacity");
            check(stored.unfilledRefunded == expected.unfilledRefunded, "a refund flag differs from the model");
            if (!expected.unfilledRefunded) owed += expected.priceWei * (expected.capacity - expected.filled);
        }
        for (uint256 i = 0; i < handler.matchTotal(); ++i) {
            DataMarketHandler.GhostMatch memory expected = handler.matchAt(i);
            IDataMarket.Match memory stored = market.matchOf(i + 1);
            check(stored.state == expected.state, "a match state differs from the model");
            check(stored.owner == expected.owner, "a match owner differs from the model");
            IDataMarket.MatchState state = stored.state;
            if (
                state == IDataMarket.MatchState.Matched || state == IDataMarket.MatchState.Granted
                    || state == IDataMarket.MatchState.Disputed
            ) {
                DataMarketHandler.GhostRequirement memory r = handler.requirementAt(expected.requirementId - 1);
                owed += r.priceWei + r.bondWei;
            }
            IConsortiumArbiter.Ruling memory ruling = arbiter.rulingOf(i + 1);
            check(ruling.decided == expected.decided, "an arbiter ruling differs from the model");
            IConsortiumArbiter.Tally memory tally = arbiter.tallyOf(i + 1, 0);
            check(tally.payOwnerVotes + tally.refundVotes <= 3, "more arbiter votes than members");
            if (ruling.decided) {
                check(ruling.payOwner == expected.payOwner, "a ruling's side differs from the model");
                uint256 side = ruling.payOwner ? tally.payOwnerVotes : tally.refundVotes;
                check(side >= handler.consortium().quorum(), "a ruling without a quorum");
                check(
                    state == (ruling.payOwner ? IDataMarket.MatchState.Released : IDataMarket.MatchState.Refunded),
                    "a ruling is not the match's ending"
                );
            }
        }
        address[10] memory everyone = [
            handler.buyers(0),
            handler.buyers(1),
            handler.buyers(2),
            handler.owners(0),
            handler.owners(1),
            handler.owners(2),
            handler.members(0),
            handler.members(1),
            handler.members(2),
            handler.PLAIN_ARBITER()
        ];
        for (uint256 i = 0; i < 10; ++i) {
            uint256 credit = market.creditOf(everyone[i]);
            check(credit == handler.ghostCredit(everyone[i]), "a credit differs from the model");
            owed += credit;
        }
        uint256 held = address(market).balance;
        check(held == handler.totalIn() - handler.totalOut(), "ether held is not payments in - withdrawals");
        check(held == owed, "ether held is not the credits, open escrow and live matches");
        check(market.requirementCount() == handler.requirementTotal(), "requirementCount differs from the model");
        check(market.matchCount() == handler.matchTotal(), "matchCount differs from the model");
    }
}
