// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortium} from "../../interfaces/IConsortium.sol";
import {Consortium} from "../../contracts/Consortium.sol";
import {Checks, Handler, InvariantTest} from "./utils/InvariantTest.sol";

/// @title ConsortiumHandler
/// @notice Drives a `Consortium` of 5 founders (out of 7 actors) with random admissions,
/// removals, votes, expiries, group keys, records, trace requests, openings and time jumps. Its
/// ghost model predicts every outcome (acceptance or refusal, and what an approved ballot does);
/// a call that disagrees reverts the handler, which fails the run.
contract ConsortiumHandler is Handler {
    uint64 public constant VOTING_PERIOD = 3 days;
    uint256 public constant ACTORS = 7;

    struct GhostBallot {
        IConsortium.BallotKind kind;
        IConsortium.BallotStatus status; // Pending, Approved, Rejected or Expired (stored)
        address proposer;
        address subject; // admission and removal
        address recordAgency; // trace
        bytes32 fileId; // trace
        uint64 epoch;
        uint64 deadline;
        uint64 approvals;
        uint64 rejections;
        uint256 voters; // bit mask by actor index
        uint256 membersAtApproval;
        bool opened;
    }

    Consortium public immutable consortium;
    address[ACTORS] public actors;
    uint256 public now_ = 1_700_000_000;

    mapping(address => bool) public ghostMember;
    uint256 public ghostMemberCount;
    uint64 public ghostEpoch;
    mapping(address => bytes32) public ghostGroupKey;
    mapping(address => bytes32) public ghostGroupKeySeed;
    mapping(address agency => mapping(bytes32 fileId => bool)) public ghostRecord;
    GhostBallot[] internal _ballots;
    address[] internal _recordAgencies; // the submitted records, in order
    bytes32[] internal _recordFileIds;

    constructor() {
        for (uint256 i = 0; i < ACTORS; ++i) {
            actors[i] = address(uint160(0xA0 + i));
        }
        // 5 founders: quorum 4, the first count where 2/3 rounded up differs from rounded to nearest
        address[] memory founders = new address[](5);
        for (uint256 i = 0; i < 5; ++i) {
            founders[i] = actors[i];
            ghostMember[actors[i]] = true;
        }
        ghostMemberCount = 5;
        vm.warp(now_);
        consortium = new Consortium(founders, VOTING_PERIOD);
    }

    function proposeAdmission(uint256 who, uint256 whom) external {
        (address actor, address candidate) = (_proposer(who), _actor(whom));
        bool ok = ghostMember[actor] && !ghostMember[candidate];
        vm.warp(now_);
        vm.prank(actor);
        try consortium.proposeAdmission(candidate) returns (uint256 ballotId) {
            check(ok, "an invalid admission ballot was opened");
            _opened(ballotId, IConsortium.BallotKind.Admission, actor, candidate, address(0), 0);
        } catch {
            refusedAsPredicted(ok, "a valid admission ballot was refused");
        }
    }

    function proposeRemoval(uint256 who, uint256 whom) external {
        (address actor, address member) = (_proposer(who), _actor(whom));
        bool ok = ghostMember[actor] && ghostMember[member] && ghostMemberCount > 3;
        vm.warp(now_);
        vm.prank(actor);
        try consortium.proposeRemoval(member) returns (uint256 ballotId) {
            check(ok, "an invalid removal ballot was opened");
            _opened(ballotId, IConsortium.BallotKind.Removal, actor, member, address(0), 0);
        } catch {
            refusedAsPredicted(ok, "a valid removal ballot was refused");
        }
    }

    function setGroupKey(uint256 who, bytes32 keyHash, bytes32 keySeed) external {
        address actor = _actor(who);
        bool ok = ghostMember[actor] && keyHash != 0 && keySeed != 0;
        vm.prank(actor);
        try consortium.setGroupKey(keyHash, keySeed) {
            check(ok, "an invalid group key was set");
            (ghostGroupKey[actor], ghostGroupKeySeed[actor]) = (keyHash, keySeed);
        } catch {
            refusedAsPredicted(ok, "a valid group key was refused");
        }
    }

    function submitRecord(uint256 who, uint256 fileSeed) external {
        address actor = _actor(who);
        bytes32 fileId = bytes32(fileSeed % 4); // 0 is refused
        bool ok = ghostGroupKey[actor] != 0 && fileId != 0 && !ghostRecord[actor][fileId];
        vm.warp(now_);
        vm.prank(actor);
        try consortium.submitRecord(fileId, keccak256("root"), 3, keccak256("sig")) {
            check(ok, "an invalid record was accepted");
            ghostRecord[actor][fileId] = true;
            _recordAgencies.push(actor);
            _recordFileIds.push(fileId);
        } catch {
            refusedAsPredicted(ok, "a valid record was refused");
        }
    }

    /// @notice Actor `who` (mostly a member) asks to trace a submitted record (three times in
    /// four) or any agency's file id.
    function requestTrace(uint256 who, uint256 agencyIndex, uint256 fileSeed) external {
        (address actor, address agency) = (_proposer(who), _actor(agencyIndex));
        bytes32 fileId = bytes32(fileSeed % 4);
        if (fileSeed % 4 != 0 && _recordAgencies.length > 0) {
            uint256 k = (fileSeed >> 8) % _recordAgencies.length;
            (agency, fileId) = (_recordAgencies[k], _recordFileIds[k]);
        }
        bool ok = ghostMember[actor] && ghostRecord[agency][fileId];
        vm.warp(now_);
        vm.prank(actor);
        try consortium.requestTrace(agency, fileId, keccak256("reason")) returns (uint256 ballotId) {
            check(ok, "an invalid trace ballot was opened");
            _opened(ballotId, IConsortium.BallotKind.Trace, actor, address(0), agency, fileId);
        } catch {
            refusedAsPredicted(ok, "a valid trace ballot was refused");
        }
    }

    /// @notice Actor `who` (mostly a member) votes on ballot `ballotIndex` (mostly one of the
    /// latest three), for it three times in four.
    function vote(uint256 who, uint256 ballotIndex, uint256 supportSeed) external {
        bool support = supportSeed % 4 != 0;
        if (_ballots.length == 0) return;
        // mostly one of the three latest ballots, by a member: otherwise quorums are rare
        uint256 index = ballotIndex % 4 == 0 ? ballotIndex % _ballots.length : _latest(ballotIndex);
        GhostBallot storage ballot = _ballots[index];
        uint256 actorIndex = who % 4 == 0 ? who % ACTORS : _memberIndex(who);
        address actor = actors[actorIndex];
        uint256 bit = 1 << actorIndex;
        bool ok = ghostMember[actor] && ballot.status == IConsortium.BallotStatus.Pending
            && ballot.epoch == ghostEpoch && now_ <= ballot.deadline && ballot.voters & bit == 0;
        vm.warp(now_);
        vm.prank(actor);
        try consortium.vote(index + 1, support) {
            check(ok, "an invalid vote was counted");
            ballot.voters |= bit;
            if (support) ballot.approvals += 1;
            else ballot.rejections += 1;
            uint256 needed = (2 * ghostMemberCount + 2) / 3;
            if (ballot.approvals >= needed) {
                _approve(ballot);
            } else if (ballot.rejections > ghostMemberCount - needed) {
                ballot.status = IConsortium.BallotStatus.Rejected;
            }
        } catch {
            refusedAsPredicted(ok, "a valid vote was refused");
        }
    }

    function expire(uint256 ballotIndex) external {
        if (_ballots.length == 0) return;
        uint256 index = ballotIndex % _ballots.length;
        GhostBallot storage ballot = _ballots[index];
        bool ok = ballot.status == IConsortium.BallotStatus.Pending && (ballot.epoch != ghostEpoch || now_ > ballot.deadline);
        vm.warp(now_);
        try consortium.expire(index + 1) {
            check(ok, "an open ballot was expired");
            ballot.status = IConsortium.BallotStatus.Expired;
        } catch {
            refusedAsPredicted(ok, "a stale or late ballot could not be expired");
        }
    }

    /// @notice Publish the opening of ballot `ballotIndex` (mostly one of the latest three), mostly
    /// as its record's agency.
    function publishOpening(uint256 ballotIndex, uint256 who) external {
        if (_ballots.length == 0) return;
        uint256 index = ballotIndex % 4 == 0 ? ballotIndex % _ballots.length : _latest(ballotIndex);
        GhostBallot storage ballot = _ballots[index];
        address actor = who % 4 == 0 || ballot.recordAgency == address(0) ? _actor(who) : ballot.recordAgency;
        bool ok = ballot.kind == IConsortium.BallotKind.Trace && ballot.status == IConsortium.BallotStatus.Approved
            && actor == ballot.recordAgency && ghostMember[actor] && !ballot.opened;
        vm.warp(now_);
        vm.prank(actor);
        try consortium.publishOpening(index + 1, address(0x5167), hex"0badc0de") {
            check(ok, "an opening was published without an approved trace by its agency");
            ballot.opened = true;
        } catch {
            refusedAsPredicted(ok, "a valid opening was refused");
        }
    }

    function warp(uint256 seconds_) external {
        now_ += seconds_ % 2 days;
    }

    /// @notice Jump to the deadline of ballot `ballotIndex`, or one second past it (the boundary
    /// where votes stop and expiry starts), if it is still ahead.
    function warpToDeadline(uint256 ballotIndex, bool past) external {
        if (_ballots.length == 0) return;
        uint256 deadline = _ballots[_latest(ballotIndex)].deadline + (past ? 1 : 0);
        if (deadline > now_) now_ = deadline;
    }

    // --- ghost ---------------------------------------------------------------------------------

    function ballotTotal() external view returns (uint256) {
        return _ballots.length;
    }

    function ballotAt(uint256 index) external view returns (GhostBallot memory) {
        return _ballots[index];
    }

    /// @dev One of the three latest ballots.
    function _latest(uint256 seed) internal view returns (uint256) {
        uint256 back = (seed >> 8) % 3;
        return _ballots.length > back ? _ballots.length - 1 - back : 0;
    }

    /// @dev The index of a current member (the `seed`-th, cyclically).
    function _memberIndex(uint256 seed) internal view returns (uint256) {
        uint256 skip = (seed >> 8) % ghostMemberCount;
        for (uint256 i = 0; i < ACTORS; ++i) {
            if (!ghostMember[actors[i]]) continue;
            if (skip == 0) return i;
            skip -= 1;
        }
        revert CheckFailed("member count differs from the members");
    }

    /// @dev Mostly a member (three times in four), else any actor.
    function _proposer(uint256 seed) internal view returns (address) {
        return seed % 4 == 0 ? _actor(seed) : actors[_memberIndex(seed)];
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % ACTORS];
    }

    function _indexOf(address account) internal view returns (uint256) {
        for (uint256 i = 0; i < ACTORS; ++i) {
            if (actors[i] == account) return i;
        }
        revert CheckFailed("not an actor");
    }

    /// @dev A ballot was opened by `proposer` (who voted for it at once).
    function _opened(
        uint256 ballotId,
        IConsortium.BallotKind kind,
        address proposer,
        address subject,
        address recordAgency,
        bytes32 fileId
    ) internal {
        check(ballotId == _ballots.length + 1, "ballot ids are not consecutive");
        GhostBallot storage ballot = _ballots.push();
        (ballot.kind, ballot.proposer, ballot.subject, ballot.recordAgency, ballot.fileId) =
            (kind, proposer, subject, recordAgency, fileId);
        (ballot.epoch, ballot.deadline, ballot.approvals) = (ghostEpoch, uint64(now_) + VOTING_PERIOD, 1);
        ballot.voters = 1 << _indexOf(proposer);
        // a proposal is a vote: with 1 approval needed it would pass at once (never: ≥ 3 members)
    }

    /// @dev The ballot reached its quorum: what it approves happens.
    function _approve(GhostBallot storage ballot) internal {
        ballot.status = IConsortium.BallotStatus.Approved;
        ballot.membersAtApproval = ghostMemberCount;
        if (ballot.kind == IConsortium.BallotKind.Admission) {
            ghostMember[ballot.subject] = true;
            ghostMemberCount += 1;
            ghostEpoch += 1;
        } else if (ballot.kind == IConsortium.BallotKind.Removal) {
            ghostMember[ballot.subject] = false;
            ghostMemberCount -= 1;
            (ghostGroupKey[ballot.subject], ghostGroupKeySeed[ballot.subject]) = (0, 0);
            ghostEpoch += 1;
        }
    }
}

/// @title ConsortiumInvariants
/// @notice Invariants of `Consortium` over random sequences: the member list is exactly the
/// model's (distinct, enumerable, never below 3), the epoch counts the executed admissions and
/// removals, each ballot's tallies equal its distinct voters, an approved ballot had at least
/// 2/3 of the members (rounded up) for it, and a trace is opened only after such an approval
/// and only by its record's agency.
contract ConsortiumInvariants is InvariantTest {
    ConsortiumHandler internal handler;

    function setUp() public {
        handler = new ConsortiumHandler();
        targetContract(address(handler));
    }

    /// @notice All of them, after every call (one campaign for the suite).
    function invariant_consortium() external {
        Consortium consortium = handler.consortium();
        vm.warp(handler.now_());
        _members(consortium);
        _ballots(consortium);
    }

    function _members(Consortium consortium) internal view {
        uint256 count = consortium.memberCount();
        check(count == handler.ghostMemberCount(), "memberCount differs from the model");
        check(count >= 3, "fewer than 3 members");
        check(consortium.membershipEpoch() == handler.ghostEpoch(), "the epoch differs from the model");
        uint256 listed;
        for (uint256 i = 0; i < count; ++i) {
            address member = consortium.memberAt(i);
            check(handler.ghostMember(member), "memberAt lists a non-member");
            for (uint256 j = 0; j < i; ++j) {
                check(consortium.memberAt(j) != member, "a member is listed twice");
            }
            listed += 1;
        }
        for (uint256 a = 0; a < handler.ACTORS(); ++a) {
            address actor = handler.actors(a);
            check(consortium.isMember(actor) == handler.ghostMember(actor), "isMember differs from the model");
            check(consortium.groupKeyOf(actor) == handler.ghostGroupKey(actor), "a group key differs from the model");
            check(
                consortium.groupKeySeedOf(actor) == handler.ghostGroupKeySeed(actor), "a group key seed differs from the model"
            );
        }
        check(listed == count, "memberAt does not enumerate memberCount members");
    }

    function _ballots(Consortium consortium) internal view {
        uint256 total = handler.ballotTotal();
        check(consortium.ballotCount() == total, "ballotCount differs from the model");
        for (uint256 i = 0; i < total; ++i) {
            ConsortiumHandler.GhostBallot memory expected = handler.ballotAt(i);
            IConsortium.Ballot memory stored = consortium.ballotOf(i + 1);
            check(stored.approvals == expected.approvals, "approvals differ from the model");
            check(stored.rejections == expected.rejections, "rejections differ from the model");
            uint256 voters;
            for (uint256 a = 0; a < handler.ACTORS(); ++a) {
                bool voted = consortium.hasVoted(i + 1, handler.actors(a));
                check(voted == (expected.voters & (1 << a) != 0), "hasVoted differs from the model");
                if (voted) voters += 1;
            }
            check(stored.approvals + stored.rejections == voters, "tallies are not the distinct voters");
            IConsortium.BallotStatus status = expected.status;
            if (status == IConsortium.BallotStatus.Pending) {
                if (expected.epoch != handler.ghostEpoch()) status = IConsortium.BallotStatus.Stale;
                else if (handler.now_() > expected.deadline) status = IConsortium.BallotStatus.Expired;
            }
            check(stored.status == status, "a ballot's status differs from the model");
            if (stored.status == IConsortium.BallotStatus.Approved) {
                check(3 * stored.approvals >= 2 * expected.membersAtApproval, "approved with under 2/3 of the members");
            }
            bool opened;
            try consortium.openingOf(i + 1) {
                opened = true;
            } catch {}
            check(opened == expected.opened, "an opening differs from the model");
            if (opened) {
                check(
                    stored.kind == IConsortium.BallotKind.Trace && stored.status == IConsortium.BallotStatus.Approved,
                    "an opening without an approved trace"
                );
            }
        }
    }
}
