// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITrainingBoard
/// @notice The on-chain board of a vertical training session: participants who hold different
/// features of the same samples post, round after round, their intermediate values (IV) and
/// decrypted values (DV) for one joint step of training, and at the end the hashes of their
/// partial models (research: Shen, Zhu, Xu, "Blockchain-based privacy-preserving data sharing",
/// ch. 5, §5.4–5.6: the "blockchain service platform" keeps the iteration round, and every IV
/// (Table 5.2) and DV (Table 5.3) travels through it).
/// @dev The life of a session. `openSession` names 2 .. `MAX_PARTICIPANTS` participants (the
/// opener among them), the fingerprint of their threshold Paillier key, a commitment to the
/// sample order, the number of rounds and a step timeout. Status `Training`: in round r
/// (0-based) every participant posts one IV (`postIntermediate`), then, once all IVs of the round
/// are in, one DV (`postDecryption`); the last DV of a round emits `RoundCompleted` and starts
/// round r + 1 with empty masks. After the last round the status is `Finishing`: every
/// participant posts the hash of its partial model (`postModel`); the last one makes the session
/// `Completed` and emits the combined hash. A session is `Aborted` by `abortStalled` (anyone,
/// once nobody made progress for `stepTimeout` seconds) or by `reportInvalidDecryption` (a
/// participant names a DV whose partial decryption fails its proof).
///
/// Payloads (IV and DV bytes, e.g. Paillier ciphertexts, blinding values, partial decryptions
/// with their proofs, for one sample or a mini-batch) travel only in the events; storage keeps
/// keccak256 of each, so anyone can check a logged payload against the chain. The contract
/// does not interpret payloads: what they mean and whether they are correct is checked off
/// chain by the participants, who all see every payload.
///
/// Ordered sessions: when `ordered` is set, the IVs of a round are posted in participant order
/// (index i posts when exactly i IVs are in), for a blinding chain in which each participant
/// acts on the previous one's output. DVs are never ordered.
///
/// Deadline: every accepted post sets `deadline = block.timestamp + stepTimeout`; a post after
/// the deadline is refused, and from then on anyone may abort the session. A post at the
/// deadline's very second is accepted, an abort is not.
interface ITrainingBoard {
    /// @notice Where a session stands.
    enum SessionStatus {
        None,
        Training,
        Finishing,
        Completed,
        Aborted
    }

    /// @notice Why a session was aborted.
    enum AbortReason {
        Stalled,
        InvalidDecryption
    }

    /// @notice A session's state (one storage slot, plus the key fingerprint and sample
    /// commitment).
    /// @param status Where it stands.
    /// @param ordered Whether the IVs of a round are posted in participant order.
    /// @param participantCount The number of participants, 2 .. `MAX_PARTICIPANTS`.
    /// @param intermediateCount IVs posted in the current round.
    /// @param decryptionCount DVs posted in the current round.
    /// @param modelCount Partial model hashes posted (while `Finishing`).
    /// @param rounds The number of rounds of training.
    /// @param round The current round, 0-based (equal to `rounds` once training finished).
    /// @param stepTimeout Seconds allowed between two steps of progress.
    /// @param deadline Last timestamp at which a post is accepted: the last progress plus
    /// `stepTimeout`.
    /// @param intermediateMask Who posted an IV this round: bit i for participant index i.
    /// @param decryptionMask Who posted a DV this round, by index.
    /// @param modelMask Who posted a partial model hash, by index.
    /// @param keyFingerprint Fingerprint of the participants' threshold Paillier public key.
    /// @param sampleCommitment Commitment to the sample order (the training schedule).
    struct Session {
        SessionStatus status; // status .. modelMask share one slot (32 bytes)
        bool ordered;
        uint8 participantCount;
        uint8 intermediateCount;
        uint8 decryptionCount;
        uint8 modelCount;
        uint32 rounds;
        uint32 round;
        uint32 stepTimeout;
        uint64 deadline;
        uint16 intermediateMask;
        uint16 decryptionMask;
        uint16 modelMask;
        bytes32 keyFingerprint;
        bytes32 sampleCommitment;
    }

    /// @notice A session was opened.
    /// @param sessionId The session's id (1 for the first, then increasing by one).
    /// @param opener The participant that opened it.
    /// @param participants The participants, in index order.
    /// @param keyFingerprint Fingerprint of their threshold Paillier public key.
    /// @param sampleCommitment Commitment to the sample order.
    /// @param rounds The number of rounds.
    /// @param stepTimeout Seconds allowed between two steps of progress.
    /// @param ordered Whether the IVs of a round are posted in participant order.
    /// @param deadline The first deadline.
    event SessionOpened(
        uint256 indexed sessionId,
        address indexed opener,
        address[] participants,
        bytes32 keyFingerprint,
        bytes32 sampleCommitment,
        uint32 rounds,
        uint64 stepTimeout,
        bool ordered,
        uint64 deadline
    );

    /// @notice A participant posted its intermediate value (IV) of a round.
    /// @param sessionId The session.
    /// @param round The round.
    /// @param participant The poster.
    /// @param index Its participant index.
    /// @param payloadHash keccak256(payload), as stored.
    /// @param payload The IV bytes.
    event IntermediatePosted(
        uint256 indexed sessionId,
        uint32 indexed round,
        address indexed participant,
        uint256 index,
        bytes32 payloadHash,
        bytes payload
    );

    /// @notice A participant posted its decrypted value (DV: partial decryptions) of a round.
    /// @param sessionId The session.
    /// @param round The round.
    /// @param participant The poster.
    /// @param index Its participant index.
    /// @param payloadHash keccak256(payload), as stored.
    /// @param payload The DV bytes.
    event DecryptionPosted(
        uint256 indexed sessionId,
        uint32 indexed round,
        address indexed participant,
        uint256 index,
        bytes32 payloadHash,
        bytes payload
    );

    /// @notice Every participant posted its IV and DV of `round`; the next round started.
    /// @param sessionId The session.
    /// @param round The completed round.
    event RoundCompleted(uint256 indexed sessionId, uint32 indexed round);

    /// @notice The last round completed: the session is `Finishing`, waiting for the models.
    /// @param sessionId The session.
    event TrainingFinished(uint256 indexed sessionId);

    /// @notice A participant posted the hash of its partial model.
    /// @param sessionId The session.
    /// @param participant The poster.
    /// @param index Its participant index.
    /// @param modelHash The hash of its partial model.
    event ModelPosted(uint256 indexed sessionId, address indexed participant, uint256 index, bytes32 modelHash);

    /// @notice Every participant posted its partial model hash: the session is `Completed`.
    /// @param sessionId The session.
    /// @param combinedModelHash keccak256 of the model hashes in participant order
    /// (keccak256(modelHash_0 ‖ … ‖ modelHash_{n−1})).
    event SessionCompleted(uint256 indexed sessionId, bytes32 combinedModelHash);

    /// @notice A participant named another's DV as carrying a wrong partial decryption.
    /// @param sessionId The session.
    /// @param round The round of the disputed DV.
    /// @param accuser The participant who checked the DV and found it wrong.
    /// @param accused The participant who posted it.
    /// @param dvHash The stored hash of the disputed DV (its payload is in `DecryptionPosted`).
    event InvalidDecryptionReported(
        uint256 indexed sessionId, uint32 indexed round, address indexed accuser, address accused, bytes32 dvHash
    );

    /// @notice The session was aborted.
    /// @param sessionId The session.
    /// @param round Its current round at the abort.
    /// @param reason Stalled past its deadline, or an invalid decryption was reported.
    event SessionAborted(uint256 indexed sessionId, uint32 round, AbortReason reason);

    /// @notice No session has this id.
    /// @param sessionId The id asked for.
    error TrainingBoardUnknownSession(uint256 sessionId);

    /// @notice The participant count is not in `MIN_PARTICIPANTS` .. `MAX_PARTICIPANTS`.
    /// @param count The count given.
    /// @param minimum `MIN_PARTICIPANTS`.
    /// @param maximum `MAX_PARTICIPANTS`.
    error TrainingBoardInvalidParticipantCount(uint256 count, uint256 minimum, uint256 maximum);

    /// @notice A participant was the zero address.
    /// @param index Its position in the list.
    error TrainingBoardZeroParticipant(uint256 index);

    /// @notice A participant was listed twice.
    /// @param participant The account.
    error TrainingBoardDuplicateParticipant(address participant);

    /// @notice The opener of a session must be one of its participants.
    /// @param opener The caller.
    error TrainingBoardOpenerNotParticipant(address opener);

    /// @notice The number of rounds is not in 1 .. `MAX_ROUNDS`.
    /// @param rounds The number given.
    /// @param maximum `MAX_ROUNDS`.
    error TrainingBoardInvalidRounds(uint32 rounds, uint32 maximum);

    /// @notice The step timeout is not in `MIN_STEP_TIMEOUT` .. `MAX_STEP_TIMEOUT` seconds.
    /// @param stepTimeout The timeout given.
    /// @param minimum `MIN_STEP_TIMEOUT`.
    /// @param maximum `MAX_STEP_TIMEOUT`.
    error TrainingBoardInvalidStepTimeout(uint64 stepTimeout, uint64 minimum, uint64 maximum);

    /// @notice A required argument was zero.
    /// @param field Its name ("keyFingerprint", "sampleCommitment" or "modelHash").
    error TrainingBoardZeroField(string field);

    /// @notice The account is not a participant of the session.
    /// @param sessionId The session.
    /// @param account The account.
    error TrainingBoardNotAParticipant(uint256 sessionId, address account);

    /// @notice IVs and DVs are posted only while the session is `Training`.
    /// @param sessionId The session.
    /// @param status Its status.
    error TrainingBoardNotTraining(uint256 sessionId, SessionStatus status);

    /// @notice Partial models are posted only while the session is `Finishing`.
    /// @param sessionId The session.
    /// @param status Its status.
    error TrainingBoardNotFinishing(uint256 sessionId, SessionStatus status);

    /// @notice The session is `Completed` or `Aborted`: nothing more happens to it.
    /// @param sessionId The session.
    /// @param status Its status.
    error TrainingBoardSessionClosed(uint256 sessionId, SessionStatus status);

    /// @notice The post is for another round than the current one.
    /// @param expected The current round.
    /// @param given The round named.
    error TrainingBoardWrongRound(uint32 expected, uint32 given);

    /// @notice The participant already posted this kind of value in this round (or its model).
    /// @param sessionId The session.
    /// @param round The round (the number of rounds for a model).
    /// @param participant The poster.
    error TrainingBoardAlreadyPosted(uint256 sessionId, uint32 round, address participant);

    /// @notice The payload was empty.
    error TrainingBoardEmptyPayload();

    /// @notice The payload is longer than `MAX_PAYLOAD_BYTES`.
    /// @param length Its length in bytes.
    /// @param maximum `MAX_PAYLOAD_BYTES`.
    error TrainingBoardPayloadTooLarge(uint256 length, uint256 maximum);

    /// @notice The session's deadline passed: it can only be aborted now.
    /// @param sessionId The session.
    /// @param deadline Its deadline.
    error TrainingBoardDeadlinePassed(uint256 sessionId, uint64 deadline);

    /// @notice In an ordered session, another participant's IV comes first.
    /// @param expectedIndex The index whose IV is due.
    /// @param callerIndex The caller's index.
    error TrainingBoardNotYourTurn(uint256 expectedIndex, uint256 callerIndex);

    /// @notice DVs of a round are posted only once every participant posted its IV.
    /// @param sessionId The session.
    /// @param round The round.
    /// @param posted IVs posted so far.
    /// @param needed The number of participants.
    error TrainingBoardIntermediatesIncomplete(uint256 sessionId, uint32 round, uint256 posted, uint256 needed);

    /// @notice The accused posted no DV in that round (or the round has not come).
    /// @param sessionId The session.
    /// @param round The round named.
    /// @param accused The participant named.
    error TrainingBoardNoDecryptionToDispute(uint256 sessionId, uint32 round, address accused);

    /// @notice A participant cannot accuse itself.
    /// @param participant The caller.
    error TrainingBoardSelfAccusation(address participant);

    /// @notice The session made progress within its step timeout: it cannot be aborted yet.
    /// @param sessionId The session.
    /// @param deadline Its deadline.
    error TrainingBoardNotStalled(uint256 sessionId, uint64 deadline);

    /// @notice The fewest participants of a session.
    /// @return minimum 2.
    function MIN_PARTICIPANTS() external view returns (uint256 minimum);

    /// @notice The most participants of a session (the posted masks are 16 bits wide).
    /// @return maximum 16.
    function MAX_PARTICIPANTS() external view returns (uint256 maximum);

    /// @notice The most rounds of a session.
    /// @return maximum 1,000,000.
    function MAX_ROUNDS() external view returns (uint32 maximum);

    /// @notice The shortest step timeout, in seconds.
    /// @return minimum 60 (a minute: a few blocks of any chain).
    function MIN_STEP_TIMEOUT() external view returns (uint64 minimum);

    /// @notice The longest step timeout, in seconds.
    /// @return maximum 30 days.
    function MAX_STEP_TIMEOUT() external view returns (uint64 maximum);

    /// @notice The longest IV or DV payload, in bytes.
    /// @return maximum 196,608 (192 KiB: about 5 M gas of calldata and log, well within a block).
    function MAX_PAYLOAD_BYTES() external view returns (uint256 maximum);

    /// @notice Open a training session among `participants`, the caller among them.
    /// @dev Reverts with `TrainingBoardInvalidParticipantCount`, `TrainingBoardZeroParticipant`,
    /// `TrainingBoardDuplicateParticipant`, `TrainingBoardOpenerNotParticipant`,
    /// `TrainingBoardZeroField("keyFingerprint")`, `TrainingBoardZeroField("sampleCommitment")`,
    /// `TrainingBoardInvalidRounds` or `TrainingBoardInvalidStepTimeout`. The session starts in
    /// round 0, `Training`, with deadline now + `stepTimeout`. Emits `SessionOpened`.
    /// NOTE: the contract checks neither the key nor the commitment: the participants agree on
    /// both off chain before they post anything in the session.
    /// @param participants The participants, in the order that fixes their indices.
    /// @param keyFingerprint Fingerprint of their threshold Paillier public key.
    /// @param sampleCommitment Commitment to the sample order (the training schedule).
    /// @param rounds The number of rounds, 1 .. `MAX_ROUNDS`.
    /// @param stepTimeout Seconds allowed between two steps of progress.
    /// @param ordered Whether each round's IVs are posted in participant order.
    /// @return sessionId The new session's id.
    function openSession(
        address[] calldata participants,
        bytes32 keyFingerprint,
        bytes32 sampleCommitment,
        uint32 rounds,
        uint64 stepTimeout,
        bool ordered
    ) external returns (uint256 sessionId);

    /// @notice Post the caller's intermediate value (IV) of `round`.
    /// @dev Reverts with `TrainingBoardUnknownSession`, `TrainingBoardNotTraining`,
    /// `TrainingBoardWrongRound` (not the current round), `TrainingBoardNotAParticipant`,
    /// `TrainingBoardDeadlinePassed`, `TrainingBoardAlreadyPosted`, `TrainingBoardNotYourTurn`
    /// (ordered sessions), `TrainingBoardEmptyPayload` or `TrainingBoardPayloadTooLarge`, checked
    /// in this order. Stores keccak256(payload), emits `IntermediatePosted` and moves the
    /// deadline to now + `stepTimeout`.
    /// @param sessionId The session.
    /// @param round The current round.
    /// @param payload The IV bytes, 1 .. `MAX_PAYLOAD_BYTES`.
    function postIntermediate(uint256 sessionId, uint32 round, bytes calldata payload) external;

    /// @notice Post the caller's decrypted value (DV: its partial decryptions, with proofs) of
    /// `round`.
    /// @dev The checks of `postIntermediate` (but no turn order), plus
    /// `TrainingBoardIntermediatesIncomplete` until every IV of the round is in. Stores
    /// keccak256(payload), emits `DecryptionPosted` and moves the deadline. The round's last DV
    /// also emits `RoundCompleted` and starts the next round; after the last round the session
    /// is `Finishing` (`TrainingFinished`).
    /// @param sessionId The session.
    /// @param round The current round.
    /// @param payload The DV bytes, 1 .. `MAX_PAYLOAD_BYTES`.
    function postDecryption(uint256 sessionId, uint32 round, bytes calldata payload) external;

    /// @notice Post the hash of the caller's partial model, once training finished.
    /// @dev Reverts with `TrainingBoardUnknownSession`, `TrainingBoardNotFinishing`,
    /// `TrainingBoardNotAParticipant`, `TrainingBoardDeadlinePassed`,
    /// `TrainingBoardAlreadyPosted` or `TrainingBoardZeroField("modelHash")`. Emits `ModelPosted`
    /// and moves the deadline; the last participant's post makes the session `Completed` and
    /// emits `SessionCompleted` with the combined hash.
    /// @param sessionId The session.
    /// @param partialModelHash The hash of the caller's partial model (nonzero).
    function postModel(uint256 sessionId, bytes32 partialModelHash) external;

    /// @notice Name `accused`'s DV of `round` as carrying a wrong partial decryption; the session
    /// is aborted.
    /// @dev Only a participant of a `Training` or `Finishing` session, not the accused itself.
    /// Reverts with `TrainingBoardUnknownSession`, `TrainingBoardSessionClosed`,
    /// `TrainingBoardNotAParticipant` (caller or accused), `TrainingBoardSelfAccusation` or
    /// `TrainingBoardNoDecryptionToDispute`. Emits `InvalidDecryptionReported` and
    /// `SessionAborted(…, InvalidDecryption)`.
    /// WARNING: the contract cannot check the accusation: verifying a partial decryption's proof
    /// under a 4096-bit Paillier modulus (n²) is far beyond what the EVM can afford. Anyone can
    /// re-check the logged payload (`DecryptionPosted`, whose hash is stored) off chain, so a
    /// false accuser is exposed by the very same check as a cheater. An accusation gives a
    /// participant no more power than it already has: by not posting it can stall the session
    /// until `abortStalled`.
    /// @param sessionId The session.
    /// @param round The round of the disputed DV (the current one or an earlier one).
    /// @param accused The participant whose DV is wrong.
    function reportInvalidDecryption(uint256 sessionId, uint32 round, address accused) external;

    /// @notice Abort a session nobody moved forward for `stepTimeout` seconds.
    /// @dev Anyone may call, once `block.timestamp > deadline`, while the session is `Training`
    /// or `Finishing`. Reverts with `TrainingBoardUnknownSession`, `TrainingBoardSessionClosed`
    /// or `TrainingBoardNotStalled`. Emits `SessionAborted(…, Stalled)`.
    /// @param sessionId The session.
    function abortStalled(uint256 sessionId) external;

    /// @notice The number of sessions opened, which is also the latest session's id.
    /// @return count The number of sessions.
    function sessionCount() external view returns (uint256 count);

    /// @notice Session `sessionId`'s state.
    /// @dev Reverts with `TrainingBoardUnknownSession`.
    /// @param sessionId The session.
    /// @return session Its state.
    function sessionOf(uint256 sessionId) external view returns (Session memory session);

    /// @notice The participants of session `sessionId`, in index order.
    /// @dev Reverts with `TrainingBoardUnknownSession`.
    /// @param sessionId The session.
    /// @return participants Their accounts.
    function participantsOf(uint256 sessionId) external view returns (address[] memory participants);

    /// @notice The index of `account` among session `sessionId`'s participants.
    /// @dev Reverts with `TrainingBoardUnknownSession`, and with `TrainingBoardNotAParticipant`
    /// for an account that is not a participant (no sentinel value: use `isParticipant` to ask).
    /// @param sessionId The session.
    /// @param account The account.
    /// @return index Its index, 0-based.
    function indexOf(uint256 sessionId, address account) external view returns (uint256 index);

    /// @notice Whether `account` is a participant of session `sessionId` (false for an unknown
    /// session).
    /// @param sessionId The session.
    /// @param account The account.
    /// @return participant True if it is.
    function isParticipant(uint256 sessionId, address account) external view returns (bool participant);

    /// @notice keccak256 of the IV participant `index` posted in `round` (zero if none).
    /// @param sessionId The session.
    /// @param round The round.
    /// @param index The participant index.
    /// @return payloadHash The hash.
    function ivHash(uint256 sessionId, uint32 round, uint256 index) external view returns (bytes32 payloadHash);

    /// @notice keccak256 of the DV participant `index` posted in `round` (zero if none).
    /// @param sessionId The session.
    /// @param round The round.
    /// @param index The participant index.
    /// @return payloadHash The hash.
    function dvHash(uint256 sessionId, uint32 round, uint256 index) external view returns (bytes32 payloadHash);

    /// @notice The partial model hash participant `index` posted (zero if none).
    /// @param sessionId The session.
    /// @param index The participant index.
    /// @return hash The hash.
    function modelHash(uint256 sessionId, uint256 index) external view returns (bytes32 hash);

    /// @notice Who posted in the current round, and who posted a model, as bit masks by index.
    /// @dev Reverts with `TrainingBoardUnknownSession`.
    /// @param sessionId The session.
    /// @return intermediateMask Bit i set if participant i posted its IV this round.
    /// @return decryptionMask Bit i set if participant i posted its DV this round.
    /// @return modelMask Bit i set if participant i posted its partial model hash.
    function postedMasks(uint256 sessionId)
        external
        view
        returns (uint16 intermediateMask, uint16 decryptionMask, uint16 modelMask);

    /// @notice The combined model hash of a `Completed` session (zero before).
    /// @dev Reverts with `TrainingBoardUnknownSession`.
    /// @param sessionId The session.
    /// @return combined keccak256(modelHash_0 ‖ … ‖ modelHash_{n−1}).
    function combinedModelHash(uint256 sessionId) external view returns (bytes32 combined);
}
