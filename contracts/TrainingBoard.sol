// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITrainingBoard} from "../interfaces/ITrainingBoard.sol";

/// @title TrainingBoard
/// @notice The board through which the participants of a vertical training session exchange,
/// round by round, their intermediate values (IV) and decrypted values (DV), and at the end
/// record their partial models' hashes (research: Shen, Zhu, Xu, "Blockchain-based
/// privacy-preserving data sharing", ch. 5, §5.4–5.6: the blockchain service platform keeps the
/// iteration round; participants talk only through it). See `ITrainingBoard` for the life of a
/// session.
/// @dev Trust assumptions. The contract orders and timestamps the exchange and fixes who said
/// what: one IV and one DV per participant per round, from `msg.sender`, in the current round
/// only, hashed in storage with the bytes in the events. It does not understand payloads: the
/// participants check each other's values off chain (Paillier ciphertexts and partial
/// decryptions with their proofs), and a participant who finds a wrong partial decryption
/// names it (`reportInvalidDecryption`), which aborts the session; since every payload is on
/// the chain, anyone can redo that check and tell an honest accuser from a false one. Any
/// single participant can stop a session (by staying silent, or by accusing): the board
/// guarantees progress only among participants who all keep posting, and a clean end
/// (`abortStalled`) otherwise. No ether is held or sent.
///
/// Gas and loops. A session is one storage slot of state (status, round, counts, masks,
/// deadline) plus two of key fingerprint and sample commitment, and two slots per participant
/// (its address and its index). A post writes one hash slot and the state slot; its payload is
/// paid as calldata and log data (about 24 gas a byte). The only loops run over a session's
/// participants (at most `MAX_PARTICIPANTS`): at opening and when the last model hash arrives.
contract TrainingBoard is ITrainingBoard {
    /// @inheritdoc ITrainingBoard
    uint256 public constant MIN_PARTICIPANTS = 2;
    /// @inheritdoc ITrainingBoard
    uint256 public constant MAX_PARTICIPANTS = 16;
    /// @inheritdoc ITrainingBoard
    uint32 public constant MAX_ROUNDS = 1_000_000;
    /// @inheritdoc ITrainingBoard
    uint64 public constant MIN_STEP_TIMEOUT = 1 minutes;
    /// @inheritdoc ITrainingBoard
    uint64 public constant MAX_STEP_TIMEOUT = 30 days;
    /// @inheritdoc ITrainingBoard
    uint256 public constant MAX_PAYLOAD_BYTES = 192 * 1024;

    uint256 private _sessionCount;
    mapping(uint256 sessionId => Session) private _sessions;
    mapping(uint256 sessionId => address[] participants) private _participants;
    mapping(uint256 sessionId => mapping(address account => uint256 indexPlusOne)) private _slots; // 0: stranger
    mapping(uint256 sessionId => mapping(uint256 round => mapping(uint256 index => bytes32))) private _ivHashes;
    mapping(uint256 sessionId => mapping(uint256 round => mapping(uint256 index => bytes32))) private _dvHashes;
    mapping(uint256 sessionId => mapping(uint256 index => bytes32)) private _modelHashes;

    // --- sessions -----------------------------------------------------------------------------

    /// @inheritdoc ITrainingBoard
    function openSession(
        address[] calldata participants,
        bytes32 keyFingerprint,
        bytes32 sampleCommitment,
        uint32 rounds,
        uint64 stepTimeout,
        bool ordered
    ) external returns (uint256 sessionId) {
        uint256 count = participants.length;
        if (count < MIN_PARTICIPANTS || count > MAX_PARTICIPANTS) {
            revert TrainingBoardInvalidParticipantCount(count, MIN_PARTICIPANTS, MAX_PARTICIPANTS);
        }
        if (keyFingerprint == bytes32(0)) revert TrainingBoardZeroField("keyFingerprint");
        if (sampleCommitment == bytes32(0)) revert TrainingBoardZeroField("sampleCommitment");
        if (rounds == 0 || rounds > MAX_ROUNDS) revert TrainingBoardInvalidRounds(rounds, MAX_ROUNDS);
        if (stepTimeout < MIN_STEP_TIMEOUT || stepTimeout > MAX_STEP_TIMEOUT) {
            revert TrainingBoardInvalidStepTimeout(stepTimeout, MIN_STEP_TIMEOUT, MAX_STEP_TIMEOUT);
        }

        sessionId = ++_sessionCount;
        mapping(address => uint256) storage slots = _slots[sessionId];
        for (uint256 i = 0; i < count; ++i) {
            // bounded by MAX_PARTICIPANTS
            address participant = participants[i];
            if (participant == address(0)) revert TrainingBoardZeroParticipant(i);
            if (slots[participant] != 0) revert TrainingBoardDuplicateParticipant(participant);
            slots[participant] = i + 1;
        }
        if (slots[msg.sender] == 0) revert TrainingBoardOpenerNotParticipant(msg.sender);
        _participants[sessionId] = participants;

        uint64 deadline = uint64(block.timestamp) + stepTimeout;
        Session storage session = _sessions[sessionId];
        session.status = SessionStatus.Training;
        session.ordered = ordered;
        session.participantCount = uint8(count); // ≤ MAX_PARTICIPANTS
        session.rounds = rounds;
        session.stepTimeout = uint32(stepTimeout); // ≤ MAX_STEP_TIMEOUT < 2^32
        session.deadline = deadline;
        session.keyFingerprint = keyFingerprint;
        session.sampleCommitment = sampleCommitment;

        emit SessionOpened(
            sessionId, msg.sender, participants, keyFingerprint, sampleCommitment, rounds, stepTimeout, ordered, deadline
        );
    }

    // --- rounds -------------------------------------------------------------------------------

    /// @inheritdoc ITrainingBoard
    function postIntermediate(uint256 sessionId, uint32 round, bytes calldata payload) external {
        Session storage session = _session(sessionId);
        uint256 index = _checkPost(sessionId, session, round);
        uint16 bit = uint16(1 << index);
        if (session.intermediateMask & bit != 0) revert TrainingBoardAlreadyPosted(sessionId, round, msg.sender);
        uint8 posted = session.intermediateCount;
        if (session.ordered && posted != index) revert TrainingBoardNotYourTurn(posted, index);
        bytes32 payloadHash = _payloadHash(payload);

        _ivHashes[sessionId][round][index] = payloadHash;
        session.intermediateMask |= bit;
        session.intermediateCount = posted + 1;
        session.deadline = uint64(block.timestamp) + session.stepTimeout;

        emit IntermediatePosted(sessionId, round, msg.sender, index, payloadHash, payload);
    }

    /// @inheritdoc ITrainingBoard
    function postDecryption(uint256 sessionId, uint32 round, bytes calldata payload) external {
        Session storage session = _session(sessionId);
        uint256 index = _checkPost(sessionId, session, round);
        uint16 bit = uint16(1 << index);
        if (session.decryptionMask & bit != 0) revert TrainingBoardAlreadyPosted(sessionId, round, msg.sender);
        uint8 count = session.participantCount;
        uint8 intermediates = session.intermediateCount;
        if (intermediates != count) {
            revert TrainingBoardIntermediatesIncomplete(sessionId, round, intermediates, count);
        }
        bytes32 payloadHash = _payloadHash(payload);

        _dvHashes[sessionId][round][index] = payloadHash;
        uint8 posted = session.decryptionCount + 1;
        session.deadline = uint64(block.timestamp) + session.stepTimeout;
        emit DecryptionPosted(sessionId, round, msg.sender, index, payloadHash, payload);

        if (posted < count) {
            session.decryptionMask |= bit;
            session.decryptionCount = posted;
            return;
        }
        // The round's last DV: the next round starts with empty masks (one slot write with the above).
        session.intermediateMask = 0;
        session.decryptionMask = 0;
        session.intermediateCount = 0;
        session.decryptionCount = 0;
        uint32 next = round + 1;
        session.round = next;
        emit RoundCompleted(sessionId, round);
        if (next >= session.rounds) {
            // `==` in effect (the round rises by one from below `rounds`); `>=` for Slither's strict-equality check
            session.status = SessionStatus.Finishing;
            emit TrainingFinished(sessionId);
        }
    }

    // --- models -------------------------------------------------------------------------------

    /// @inheritdoc ITrainingBoard
    function postModel(uint256 sessionId, bytes32 partialModelHash) external {
        Session storage session = _session(sessionId);
        SessionStatus status = session.status;
        if (status != SessionStatus.Finishing) revert TrainingBoardNotFinishing(sessionId, status);
        uint256 index = _indexOf(sessionId, msg.sender);
        _requireBeforeDeadline(sessionId, session);
        uint16 bit = uint16(1 << index);
        if (session.modelMask & bit != 0) revert TrainingBoardAlreadyPosted(sessionId, session.rounds, msg.sender);
        if (partialModelHash == bytes32(0)) revert TrainingBoardZeroField("modelHash");

        _modelHashes[sessionId][index] = partialModelHash;
        uint8 posted = session.modelCount + 1;
        session.modelMask |= bit;
        session.modelCount = posted;
        session.deadline = uint64(block.timestamp) + session.stepTimeout;
        emit ModelPosted(sessionId, msg.sender, index, partialModelHash);

        if (posted >= session.participantCount) {
            // `==` in effect (one model per participant); `>=` for Slither's strict-equality check
            session.status = SessionStatus.Completed;
            emit SessionCompleted(sessionId, _combinedModelHash(sessionId, posted));
        }
    }

    // --- aborts -------------------------------------------------------------------------------

    /// @inheritdoc ITrainingBoard
    function reportInvalidDecryption(uint256 sessionId, uint32 round, address accused) external {
        Session storage session = _session(sessionId);
        _requireActive(sessionId, session);
        _indexOf(sessionId, msg.sender);
        uint256 accusedIndex = _indexOf(sessionId, accused);
        if (accused == msg.sender) revert TrainingBoardSelfAccusation(msg.sender);
        bytes32 disputed = _dvHashes[sessionId][round][accusedIndex]; // zero for rounds not reached
        if (disputed == bytes32(0)) revert TrainingBoardNoDecryptionToDispute(sessionId, round, accused);

        session.status = SessionStatus.Aborted;
        emit InvalidDecryptionReported(sessionId, round, msg.sender, accused, disputed);
        emit SessionAborted(sessionId, session.round, AbortReason.InvalidDecryption);
    }

    /// @inheritdoc ITrainingBoard
    function abortStalled(uint256 sessionId) external {
        Session storage session = _session(sessionId);
        _requireActive(sessionId, session);
        uint64 deadline = session.deadline;
        if (block.timestamp <= deadline) revert TrainingBoardNotStalled(sessionId, deadline);

        session.status = SessionStatus.Aborted;
        emit SessionAborted(sessionId, session.round, AbortReason.Stalled);
    }

    // --- views --------------------------------------------------------------------------------

    /// @inheritdoc ITrainingBoard
    function sessionCount() external view returns (uint256 count) {
        return _sessionCount;
    }

    /// @inheritdoc ITrainingBoard
    function sessionOf(uint256 sessionId) external view returns (Session memory session) {
        return _session(sessionId);
    }

    /// @inheritdoc ITrainingBoard
    function participantsOf(uint256 sessionId) external view returns (address[] memory participants) {
        _session(sessionId);
        return _participants[sessionId];
    }

    /// @inheritdoc ITrainingBoard
    function indexOf(uint256 sessionId, address account) external view returns (uint256 index) {
        _session(sessionId);
        return _indexOf(sessionId, account);
    }

    /// @inheritdoc ITrainingBoard
    function isParticipant(uint256 sessionId, address account) external view returns (bool participant) {
        return _slots[sessionId][account] != 0;
    }

    /// @inheritdoc ITrainingBoard
    function ivHash(uint256 sessionId, uint32 round, uint256 index) external view returns (bytes32 payloadHash) {
        return _ivHashes[sessionId][round][index];
    }

    /// @inheritdoc ITrainingBoard
    function dvHash(uint256 sessionId, uint32 round, uint256 index) external view returns (bytes32 payloadHash) {
        return _dvHashes[sessionId][round][index];
    }

    /// @inheritdoc ITrainingBoard
    function modelHash(uint256 sessionId, uint256 index) external view returns (bytes32 hash) {
        return _modelHashes[sessionId][index];
    }

    /// @inheritdoc ITrainingBoard
    function postedMasks(uint256 sessionId)
        external
        view
        returns (uint16 intermediateMask, uint16 decryptionMask, uint16 modelMask)
    {
        Session storage session = _session(sessionId);
        return (session.intermediateMask, session.decryptionMask, session.modelMask);
    }

    /// @inheritdoc ITrainingBoard
    function combinedModelHash(uint256 sessionId) external view returns (bytes32 combined) {
        Session storage session = _session(sessionId);
        if (session.status != SessionStatus.Completed) return bytes32(0);
        return _combinedModelHash(sessionId, session.participantCount);
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev The stored session, or `TrainingBoardUnknownSession`.
    function _session(uint256 sessionId) private view returns (Session storage session) {
        session = _sessions[sessionId];
        if (session.status == SessionStatus.None) revert TrainingBoardUnknownSession(sessionId);
    }

    /// @dev The checks shared by IVs and DVs (status, round, participant, deadline); returns the
    /// caller's index.
    function _checkPost(uint256 sessionId, Session storage session, uint32 round) private view returns (uint256) {
        SessionStatus status = session.status;
        if (status != SessionStatus.Training) revert TrainingBoardNotTraining(sessionId, status);
        uint32 current = session.round;
        if (round != current) revert TrainingBoardWrongRound(current, round);
        uint256 index = _indexOf(sessionId, msg.sender);
        _requireBeforeDeadline(sessionId, session);
        return index;
    }

    /// @dev The index of `account`, or `TrainingBoardNotAParticipant`.
    function _indexOf(uint256 sessionId, address account) private view returns (uint256) {
        uint256 slot = _slots[sessionId][account];
        if (slot == 0) revert TrainingBoardNotAParticipant(sessionId, account);
        return slot - 1;
    }

    /// @dev Reverts with `TrainingBoardDeadlinePassed` after the session's deadline.
    function _requireBeforeDeadline(uint256 sessionId, Session storage session) private view {
        uint64 deadline = session.deadline;
        if (block.timestamp > deadline) revert TrainingBoardDeadlinePassed(sessionId, deadline);
    }

    /// @dev Reverts with `TrainingBoardSessionClosed` unless the session is `Training` or `Finishing`.
    function _requireActive(uint256 sessionId, Session storage session) private view {
        SessionStatus status = session.status;
        if (status != SessionStatus.Training && status != SessionStatus.Finishing) {
            revert TrainingBoardSessionClosed(sessionId, status);
        }
    }

    /// @dev keccak256 of a payload of 1 .. `MAX_PAYLOAD_BYTES` bytes.
    function _payloadHash(bytes calldata payload) private pure returns (bytes32) {
        uint256 length = payload.length;
        if (length == 0) revert TrainingBoardEmptyPayload();
        if (length > MAX_PAYLOAD_BYTES) revert TrainingBoardPayloadTooLarge(length, MAX_PAYLOAD_BYTES);
        return keccak256(payload);
    }

    /// @dev keccak256(partialModelHash0 ‖ … ‖ partialModelHash{count−1}); a loop over the participants.
    function _combinedModelHash(uint256 sessionId, uint256 count) private view returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](count);
        mapping(uint256 => bytes32) storage stored = _modelHashes[sessionId];
        for (uint256 i = 0; i < count; ++i) {
            // bounded by MAX_PARTICIPANTS
            hashes[i] = stored[i];
        }
        return keccak256(abi.encodePacked(hashes));
    }
}
