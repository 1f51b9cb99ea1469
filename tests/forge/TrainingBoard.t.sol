// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITrainingBoard} from "../../interfaces/ITrainingBoard.sol";
import {TrainingBoard} from "../../contracts/TrainingBoard.sol";
import {Handler, InvariantTest} from "./utils/InvariantTest.sol";

/// @title TrainingBoardHandler
/// @notice Drives a `TrainingBoard` with random sessions (2 to 4 of 5 actors, 1 to 3 rounds,
/// ordered or not), IVs, DVs, model hashes, accusations, stalled aborts and time jumps, mostly on
/// the latest session. Its ghost model predicts every outcome (acceptance or refusal, round
/// completion, the end of training, completion and aborts); a call that disagrees reverts the
/// handler, which fails the run. After every call it also checks the latest session's step: the
/// round stays or moves on by one, and the status moves only along a legal transition.
contract TrainingBoardHandler is Handler {
    uint64 public constant STEP_TIMEOUT = 1 hours;
    uint256 public constant ACTORS = 5;

    struct GhostSession {
        ITrainingBoard.SessionStatus status;
        bool ordered;
        uint32 rounds;
        uint32 round;
        uint64 deadline;
        uint16 ivMask;
        uint16 dvMask;
        uint16 modelMask;
        uint8 ivCount;
        uint8 dvCount;
        uint8 modelCount;
        address[] participants;
    }

    TrainingBoard public immutable board;
    address[ACTORS] public actors;
    uint256 public now_ = 1_700_000_000;
    GhostSession[] internal _sessions; // session id − 1
    mapping(uint256 sessionId => mapping(uint32 round => mapping(uint256 index => bytes32))) public ghostIv;
    mapping(uint256 sessionId => mapping(uint32 round => mapping(uint256 index => bytes32))) public ghostDv;
    mapping(uint256 sessionId => mapping(uint256 index => bytes32)) public ghostModel;
    uint256 public roundsCompleted;
    uint256 public sessionsCompleted;

    constructor() {
        for (uint256 i = 0; i < ACTORS; ++i) {
            actors[i] = address(uint160(0xB0A0 + i));
        }
        board = new TrainingBoard();
        _open(3, 2, false, 0);
    }

    /// @notice Open a session of 2..4 actors (rotated by `seed`), 1..3 rounds, mostly only when the
    /// latest one is closed, mostly by one of its participants.
    function openSession(uint256 seed, uint256 roundSeed, bool ordered, uint256 who) external {
        GhostSession storage latest = _sessions[_sessions.length - 1];
        if (_active(latest) && seed % 8 != 5) return;
        _open(seed, roundSeed, ordered, who);
    }

    /// @notice 1..6 IVs (one call per IV, each checked on its own), so that rounds complete often.
    function postIntermediates(uint256 sessionSeed, uint256 who, uint256 shift, bytes32 payloadSeed, uint256 count)
        external
    {
        for (uint256 k = 0; k <= count % 6; ++k) {
            _postIntermediate(sessionSeed, _derive(who, k), shift, keccak256(abi.encode(payloadSeed, k)));
        }
    }

    /// @notice 1..6 DVs.
    function postDecryptions(uint256 sessionSeed, uint256 who, uint256 shift, bytes32 payloadSeed, uint256 count)
        external
    {
        for (uint256 k = 0; k <= count % 6; ++k) {
            _postDecryption(sessionSeed, _derive(who, k), shift, keccak256(abi.encode(payloadSeed, k)));
        }
    }

    /// @notice 1..6 partial model hashes.
    function postModels(uint256 sessionSeed, uint256 who, bytes32 modelHash, uint256 count) external {
        for (uint256 k = 0; k <= count % 6; ++k) {
            _postModel(sessionSeed, _derive(who, k), keccak256(abi.encode(modelHash, k)));
        }
    }

    /// @dev `seed` itself for the first of a batch, then fresh seeds.
    function _derive(uint256 seed, uint256 k) internal pure returns (uint256) {
        return k == 0 ? seed : uint256(keccak256(abi.encode(seed, k)));
    }

    /// @dev An IV of the latest session (one time in eight another's), mostly by a participant
    /// who has not posted (the one whose turn it is, in an ordered session), mostly in its round.
    function _postIntermediate(uint256 sessionSeed, uint256 who, uint256 shift, bytes32 payloadSeed) internal {
        (uint256 sessionId, GhostSession storage s) = _pick(sessionSeed);
        address actor = _poster(s, who, s.ivMask);
        if (s.ordered && who % 8 != 5 && s.ivCount < s.participants.length) actor = s.participants[s.ivCount];
        uint32 round = _round(s, shift);
        bytes memory payload = _payload(payloadSeed);
        (bool ok, uint256 index) = _postable(s, actor, round, payload);
        ok = ok && s.ivMask & (1 << index) == 0 && (!s.ordered || s.ivCount == index);
        _before(sessionId);
        vm.prank(actor);
        try board.postIntermediate(sessionId, round, payload) {
            check(ok, "an invalid IV was accepted");
            ghostIv[sessionId][round][index] = keccak256(payload);
            s.ivMask |= uint16(1 << index);
            s.ivCount += 1;
            s.deadline = uint64(now_) + STEP_TIMEOUT;
        } catch {
            refusedAsPredicted(ok, "a valid IV was refused");
        }
        _after(sessionId);
    }

    /// @dev A DV of the latest session, mostly by a participant who has not posted, mostly in its round.
    function _postDecryption(uint256 sessionSeed, uint256 who, uint256 shift, bytes32 payloadSeed) internal {
        (uint256 sessionId, GhostSession storage s) = _pick(sessionSeed);
        address actor = _poster(s, who, s.dvMask);
        uint32 round = _round(s, shift);
        bytes memory payload = _payload(payloadSeed);
        (bool ok, uint256 index) = _postable(s, actor, round, payload);
        ok = ok && s.dvMask & (1 << index) == 0 && s.ivCount == s.participants.length;
        _before(sessionId);
        vm.prank(actor);
        try board.postDecryption(sessionId, round, payload) {
            check(ok, "an invalid DV was accepted");
            ghostDv[sessionId][round][index] = keccak256(payload);
            s.deadline = uint64(now_) + STEP_TIMEOUT;
            if (s.dvCount + 1 < s.participants.length) {
                s.dvMask |= uint16(1 << index);
                s.dvCount += 1;
            } else {
                (s.ivMask, s.dvMask, s.ivCount, s.dvCount) = (0, 0, 0, 0);
                s.round = round + 1;
                roundsCompleted += 1;
                if (s.round == s.rounds) s.status = ITrainingBoard.SessionStatus.Finishing;
            }
        } catch {
            refusedAsPredicted(ok, "a valid DV was refused");
        }
        _after(sessionId);
    }

    /// @dev A partial model hash (zero one time in sixteen), mostly by a participant who has not posted.
    function _postModel(uint256 sessionSeed, uint256 who, bytes32 modelHash) internal {
        (uint256 sessionId, GhostSession storage s) = _pick(sessionSeed);
        address actor = _poster(s, who, s.modelMask);
        if (who % 16 == 3) modelHash = 0;
        (bool member, uint256 index) = _indexOf(s, actor);
        bool ok = s.status == ITrainingBoard.SessionStatus.Finishing && member && now_ <= s.deadline
            && s.modelMask & (1 << index) == 0 && modelHash != 0;
        _before(sessionId);
        vm.prank(actor);
        try board.postModel(sessionId, modelHash) {
            check(ok, "an invalid model hash was accepted");
            ghostModel[sessionId][index] = modelHash;
            s.modelMask |= uint16(1 << index);
            s.modelCount += 1;
            s.deadline = uint64(now_) + STEP_TIMEOUT;
            if (s.modelCount == s.participants.length) {
                s.status = ITrainingBoard.SessionStatus.Completed;
                sessionsCompleted += 1;
            }
        } catch {
            refusedAsPredicted(ok, "a valid model hash was refused");
        }
        _after(sessionId);
    }

    /// @notice An accusation of a DV of the current or the previous round, mostly by a participant;
    /// made in one call of four only (an accepted one ends the session, so rounds would be rare).
    function report(uint256 sessionSeed, uint256 who, uint256 whom, bool previous) external {
        if (sessionSeed % 4 != 1) return;
        (uint256 sessionId, GhostSession storage s) = _pick(sessionSeed);
        address accuser = _poster(s, who, 0);
        address accused = _poster(s, whom, 0);
        uint32 round = previous && s.round > 0 ? s.round - 1 : s.round;
        (bool accuserIn,) = _indexOf(s, accuser);
        (bool accusedIn, uint256 accusedIndex) = _indexOf(s, accused);
        bool ok = _active(s) && accuserIn && accusedIn && accuser != accused
            && ghostDv[sessionId][round][accusedIndex] != 0;
        _before(sessionId);
        vm.prank(accuser);
        try board.reportInvalidDecryption(sessionId, round, accused) {
            check(ok, "an invalid accusation was taken");
            s.status = ITrainingBoard.SessionStatus.Aborted;
        } catch {
            refusedAsPredicted(ok, "a valid accusation was refused");
        }
        _after(sessionId);
    }

    /// @notice Anyone aborts a session, which works only once it is past its deadline.
    function abortStalled(uint256 sessionSeed, uint256 who) external {
        (uint256 sessionId, GhostSession storage s) = _pick(sessionSeed);
        bool ok = _active(s) && now_ > s.deadline;
        _before(sessionId);
        vm.prank(actors[who % ACTORS]);
        try board.abortStalled(sessionId) {
            check(ok, "a session was aborted before its deadline or after its end");
            s.status = ITrainingBoard.SessionStatus.Aborted;
        } catch {
            refusedAsPredicted(ok, "a stalled session could not be aborted");
        }
        _after(sessionId);
    }

    /// @notice Let time pass: mostly under ten minutes, one time in eight up to two hours (past
    /// the step timeout).
    function warp(uint256 seconds_) external {
        now_ += seconds_ % 8 == 5 ? seconds_ % 2 hours : seconds_ % 10 minutes;
    }

    /// @notice Jump to the latest session's deadline, or (one time in four) one second past it.
    function warpToDeadline(uint256 seed) external {
        uint256 deadline = _sessions[_sessions.length - 1].deadline + (seed % 4 == 1 ? 1 : 0);
        if (deadline > now_) now_ = deadline;
    }

    // --- ghost ---------------------------------------------------------------------------------

    function sessionTotal() external view returns (uint256) {
        return _sessions.length;
    }

    function sessionAt(uint256 index) external view returns (GhostSession memory) {
        return _sessions[index];
    }

    function _open(uint256 seed, uint256 roundSeed, bool ordered, uint256 who) internal {
        uint256 count = 2 + seed % 3;
        address[] memory listed = new address[](count);
        for (uint256 i = 0; i < count; ++i) {
            listed[i] = actors[(seed % ACTORS + i) % ACTORS];
        }
        uint32 rounds = uint32(1 + roundSeed % 3);
        address opener = who % 8 == 5 ? actors[who % ACTORS] : listed[who % count];
        bool ok;
        for (uint256 i = 0; i < count; ++i) {
            ok = ok || listed[i] == opener;
        }
        vm.warp(now_);
        vm.prank(opener);
        try board.openSession(listed, keccak256("key"), keccak256("samples"), rounds, STEP_TIMEOUT, ordered) returns (
            uint256 sessionId
        ) {
            check(ok, "a stranger opened a session");
            check(sessionId == _sessions.length + 1, "session ids are not consecutive");
            GhostSession storage s = _sessions.push();
            (s.status, s.ordered, s.rounds, s.deadline, s.participants) =
                (ITrainingBoard.SessionStatus.Training, ordered, rounds, uint64(now_) + STEP_TIMEOUT, listed);
        } catch {
            refusedAsPredicted(ok, "a valid session was refused");
        }
    }

    /// @dev The latest session, one time in eight any.
    function _pick(uint256 seed) internal view returns (uint256 sessionId, GhostSession storage s) {
        uint256 index = seed % 8 == 5 ? (seed >> 8) % _sessions.length : _sessions.length - 1;
        return (index + 1, _sessions[index]);
    }

    /// @dev Mostly a participant whose bit is not in `mask`, one time in eight any actor.
    function _poster(GhostSession storage s, uint256 seed, uint16 mask) internal view returns (address) {
        uint256 count = s.participants.length;
        if (seed % 8 != 5) {
            for (uint256 k = 0; k < count; ++k) {
                uint256 i = (seed % count + k) % count;
                if (mask & (1 << i) == 0) return s.participants[i];
            }
        }
        return actors[(seed >> 8) % ACTORS];
    }

    /// @dev Mostly the current round, one time in eight the next one or the previous one.
    function _round(GhostSession storage s, uint256 shift) internal view returns (uint32) {
        if (shift % 8 != 5) return s.round;
        return shift & 8 != 0 || s.round == 0 ? s.round + 1 : s.round - 1;
    }

    /// @dev An empty payload one time in sixteen, else 1..96 bytes.
    function _payload(bytes32 seed) internal pure returns (bytes memory payload) {
        uint256 length = uint256(seed) % 16 == 7 ? 0 : 1 + uint256(seed >> 8) % 96;
        payload = new bytes(length);
        for (uint256 i = 0; i < length; ++i) {
            payload[i] = seed[i % 32];
        }
    }

    /// @dev The checks IVs and DVs share: Training, its round, a participant, before the deadline,
    /// a nonempty payload. Returns the poster's index (0 for a stranger).
    function _postable(GhostSession storage s, address actor, uint32 round, bytes memory payload)
        internal
        view
        returns (bool ok, uint256 index)
    {
        bool member;
        (member, index) = _indexOf(s, actor);
        ok = s.status == ITrainingBoard.SessionStatus.Training && round == s.round && member && now_ <= s.deadline
            && payload.length > 0;
    }

    function _indexOf(GhostSession storage s, address account) internal view returns (bool, uint256) {
        for (uint256 i = 0; i < s.participants.length; ++i) {
            if (s.participants[i] == account) return (true, i);
        }
        return (false, 0);
    }

    function _active(GhostSession storage s) internal view returns (bool) {
        return s.status == ITrainingBoard.SessionStatus.Training || s.status == ITrainingBoard.SessionStatus.Finishing;
    }

    // --- the step checks -----------------------------------------------------------------------

    ITrainingBoard.SessionStatus internal _statusBefore;
    uint32 internal _roundBefore;

    function _before(uint256 sessionId) internal {
        vm.warp(now_);
        ITrainingBoard.Session memory stored = board.sessionOf(sessionId);
        (_statusBefore, _roundBefore) = (stored.status, stored.round);
    }

    /// @dev The call moved the session's round by at most one, and its status legally.
    function _after(uint256 sessionId) internal view {
        ITrainingBoard.Session memory stored = board.sessionOf(sessionId);
        check(stored.round == _roundBefore || stored.round == _roundBefore + 1, "a round was skipped");
        check(_legal(_statusBefore, stored.status), "an illegal status transition");
    }

    function _legal(ITrainingBoard.SessionStatus from, ITrainingBoard.SessionStatus to) internal pure returns (bool) {
        if (from == to) return true;
        if (from == ITrainingBoard.SessionStatus.Training) {
            return to == ITrainingBoard.SessionStatus.Finishing || to == ITrainingBoard.SessionStatus.Aborted;
        }
        if (from == ITrainingBoard.SessionStatus.Finishing) {
            return to == ITrainingBoard.SessionStatus.Completed || to == ITrainingBoard.SessionStatus.Aborted;
        }
        return false; // Completed and Aborted are final
    }
}

/// @title TrainingBoardInvariants
/// @notice Invariants of `TrainingBoard` over random sequences: every session's state is the
/// model's (status, round, masks, counts, deadline, participants), its round never passes its
/// rounds and is the last one exactly when training finished, every completed round holds exactly
/// one IV hash and one DV hash from each participant (those posted, nonzero), nothing is stored
/// for rounds not reached, and a completed session's combined hash is that of its models in
/// participant order.
contract TrainingBoardInvariants is InvariantTest {
    TrainingBoardHandler internal handler;

    function setUp() public {
        handler = new TrainingBoardHandler();
        targetContract(address(handler));
    }

    /// @notice All of them, after every call (one campaign for the suite).
    function invariant_trainingBoard() external {
        TrainingBoard board = handler.board();
        vm.warp(handler.now_());
        uint256 total = handler.sessionTotal();
        check(board.sessionCount() == total, "sessionCount differs from the model");
        for (uint256 i = 0; i < total; ++i) {
            _session(board, i + 1, handler.sessionAt(i));
        }
    }

    function _session(TrainingBoard board, uint256 sessionId, TrainingBoardHandler.GhostSession memory ghost)
        internal
        view
    {
        ITrainingBoard.Session memory stored = board.sessionOf(sessionId);
        check(stored.status == ghost.status, "a status differs from the model");
        check(stored.round == ghost.round && stored.rounds == ghost.rounds, "a round differs from the model");
        check(stored.deadline == ghost.deadline, "a deadline differs from the model");
        check(stored.ordered == ghost.ordered, "ordered differs from the model");
        check(stored.participantCount == ghost.participants.length, "the participant count differs");
        check(stored.round <= stored.rounds, "the round passed the rounds");
        bool finished = stored.status == ITrainingBoard.SessionStatus.Finishing
            || stored.status == ITrainingBoard.SessionStatus.Completed;
        check(!finished || stored.round == stored.rounds, "training finished before its last round");
        if (stored.status == ITrainingBoard.SessionStatus.Training) {
            check(stored.intermediateMask == ghost.ivMask && stored.decryptionMask == ghost.dvMask, "masks differ");
            check(stored.intermediateCount == ghost.ivCount && stored.decryptionCount == ghost.dvCount, "counts differ");
        }
        check(stored.modelMask == ghost.modelMask && stored.modelCount == ghost.modelCount, "models differ");
        address[] memory participants = board.participantsOf(sessionId);
        uint256 n = participants.length;
        for (uint256 p = 0; p < n; ++p) {
            check(participants[p] == ghost.participants[p], "a participant differs from the model");
            check(board.indexOf(sessionId, participants[p]) == p, "indexOf differs from the order");
            check(board.modelHash(sessionId, p) == handler.ghostModel(sessionId, p), "a model hash differs");
            for (uint32 r = 0; r <= stored.round && r < stored.rounds; ++r) {
                bytes32 iv = board.ivHash(sessionId, r, p);
                bytes32 dv = board.dvHash(sessionId, r, p);
                check(iv == handler.ghostIv(sessionId, r, p), "an IV hash differs from the model");
                check(dv == handler.ghostDv(sessionId, r, p), "a DV hash differs from the model");
                if (r < stored.round) check(iv != 0 && dv != 0, "a completed round lacks an IV or a DV");
            }
            check(board.ivHash(sessionId, stored.round + 1, p) == 0, "an IV is stored for a round not reached");
        }
        if (stored.status == ITrainingBoard.SessionStatus.Completed) {
            bytes32[] memory hashes = new bytes32[](n);
            for (uint256 p = 0; p < n; ++p) {
                hashes[p] = handler.ghostModel(sessionId, p);
            }
            check(board.combinedModelHash(sessionId) == keccak256(abi.encodePacked(hashes)), "the combined hash differs");
        } else {
            check(board.combinedModelHash(sessionId) == 0, "a combined hash before completion");
        }
    }
}
