// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDataRegistry} from "./IDataRegistry.sol";
import {IGroth16Verifier} from "./IGroth16Verifier.sol";

/// @title IDataMarket
/// @notice A market for private records, verified by zk-SNARK: a buyer posts a requirement (a
/// Poseidon commitment to predicates on a record's fields) and escrows its payment; a data
/// owner proves with a Groth16 proof that the private record behind its file's registered
/// commitment meets the requirement, grants the buyer access in the `DataRegistry`, and is paid
/// when the buyer confirms receipt or lets the review period pass. A dispute freezes the payment
/// until the requirement's arbiter rules. An owner posts a bond with each submission (the amount
/// the buyer set): it comes back with the payment, and goes to the buyer if the owner never
/// records a grant (a lapse) or the arbiter refunds the buyer.
/// @dev The life of a match, with who moves it and when:
///
///     submit (owner, proof, bond)    ──▶ Matched
///     Matched  ── recordGrant (owner, before the grant deadline) ──▶ Granted
///     Matched  ── reclaimUngranted (anyone, from the grant deadline) ──▶ Lapsed
///     Granted  ── confirmReceipt (buyer, any time) ──▶ Released
///     Granted  ── release (anyone, from the review deadline) ──▶ Released
///     Granted  ── dispute (buyer, before the review deadline) ──▶ Disputed
///     Disputed ── settleDispute (the requirement's arbiter) ──▶ Released or Refunded
///
/// Released, Refunded and Lapsed are final. Payments are pulled: a match that ends credits the
/// owner (Released) or the buyer (Refunded) its price and the bond, and `withdraw` pays credits
/// out. A lapsed match credits the bond to the buyer and gives its slot back to the requirement,
/// so another owner may fill it; once the unfilled part was refunded (after expiry) or cancelled
/// (by the buyer, any time), the lapsed price is credited to the buyer instead. Escrow
/// accounting: the contract's balance always equals the sum of credits, plus price × (capacity
/// − filled) for each requirement neither refunded nor cancelled, plus price + bond of each
/// match that is Matched, Granted or Disputed.
///
/// Griefing: commitments are unique per buyer (two buyers may post the same one; nobody can
/// block a buyer by posting its commitment first), so an owner must check who posted the
/// requirement it proves for. Filling slots with records that are never delivered costs the
/// bond of each, and the buyer can close the requirement with `cancelUnfilled`.
interface IDataMarket {
    /// @notice Where a match stands (`None` for an id never used).
    enum MatchState {
        None,
        Matched,
        Granted,
        Disputed,
        Released,
        Refunded,
        Lapsed
    }

    /// @notice The terms a buyer posts (the argument of `postRequirement`).
    /// @param arbiter Who settles disputes: nonzero and not the buyer (an EOA, a multisig, or a
    /// voting contract such as `ConsortiumArbiter`). WARNING: the contract cannot tell whether the
    /// owners trust it: the owners' clients refuse arbiters outside their trust policy.
    /// @param commitment The requirement's Poseidon commitment to its field predicates (public
    /// signal 1 of the proofs), nonzero, below `SNARK_SCALAR_FIELD`, never used before by this
    /// buyer.
    /// @param descriptionHash Hash of the off-chain description owners prove against (the
    /// predicates and their nonce, or where to find them), nonzero.
    /// @param priceWei Payment per matched record, in wei, nonzero.
    /// @param capacity Number of records wanted, nonzero.
    /// @param fieldCount Number of fields of a record: selects the verifier.
    /// @param minSatisfied Fewest satisfied fields a match needs, 1 .. fieldCount.
    /// @param expiresAt Submissions are accepted while block.timestamp < expiresAt, at most
    /// `MAX_DURATION` ahead.
    /// @param grantPeriod Seconds an owner has after its match to record its grant, in
    /// `MIN_PERIOD` .. `MAX_PERIOD`.
    /// @param reviewPeriod Seconds the buyer has after a grant to confirm or dispute, in
    /// `MIN_PERIOD` .. `MAX_PERIOD`.
    /// @param bondWei The bond an owner sends with each submission, in wei, nonzero.
    struct RequirementTerms {
        address arbiter;
        bytes32 commitment;
        bytes32 descriptionHash;
        uint96 priceWei;
        uint32 capacity;
        uint16 fieldCount;
        uint16 minSatisfied;
        uint40 expiresAt;
        uint32 grantPeriod;
        uint32 reviewPeriod;
        uint96 bondWei;
    }

    /// @notice A posted requirement as stored (five slots).
    /// @param buyer The account that posted it and escrowed its payment.
    /// @param expiresAt Submissions are accepted while block.timestamp < expiresAt.
    /// @param fieldCount Number of fields of a record.
    /// @param minSatisfied Fewest satisfied fields a match needs.
    /// @param arbiter Who settles its disputes.
    /// @param capacity Number of records wanted.
    /// @param filled Slots taken by matches that did not lapse (≤ capacity).
    /// @param grantPeriod Seconds an owner has after its match to record its grant.
    /// @param priceWei Payment per record, in wei.
    /// @param reviewPeriod Seconds the buyer has after a grant to confirm or dispute.
    /// @param unfilledRefunded Whether the unfilled slots were credited back, by `refundUnfilled`
    /// after expiry or by `cancelUnfilled` (which also closes the requirement to submissions).
    /// @param bondWei The bond an owner sends with each submission, in wei.
    /// @param commitment The requirement's Poseidon commitment.
    /// @param descriptionHash Hash of the off-chain description.
    struct Requirement {
        address buyer; // buyer, expiresAt, fieldCount and minSatisfied share one slot: read by submit
        uint40 expiresAt;
        uint16 fieldCount;
        uint16 minSatisfied;
        address arbiter; // arbiter, capacity, filled and grantPeriod share one slot: read and written by submit
        uint32 capacity;
        uint32 filled;
        uint32 grantPeriod;
        uint96 priceWei; // price, reviewPeriod, the refund flag and the bond share one slot
        uint32 reviewPeriod;
        bool unfilledRefunded;
        uint96 bondWei;
        bytes32 commitment;
        bytes32 descriptionHash;
    }

    /// @notice A match of a file to a requirement, as stored (two slots: submit writes two).
    /// @param owner The file's owner, who submitted the proof and is paid.
    /// @param requirementId The requirement matched.
    /// @param deadline The end of the current phase, in seconds: while Matched, the grant
    /// deadline (the grant must be recorded while block.timestamp < deadline); from the grant on,
    /// the review deadline (the buyer may dispute while block.timestamp < deadline). The
    /// submission time is the grant deadline minus the grant period (and in `Matched`'s block).
    /// @param state Where the match stands.
    /// @param satisfied R, the number of fields the record satisfies (proven).
    /// @param fileId The matched file's `DataRegistry` id.
    struct Match {
        address owner; // everything but the file id shares one slot: read by every transition
        uint32 requirementId; // requirement ids are uint32 (postRequirement reverts past 2^32 − 1)
        uint40 deadline;
        MatchState state;
        uint16 satisfied;
        bytes32 fileId;
    }

    /// @notice A buyer posted a requirement and escrowed price × capacity.
    /// @param requirementId The new requirement's id (1 for the first, then increasing).
    /// @param buyer The buyer.
    /// @param commitment The requirement's Poseidon commitment.
    /// @param arbiter Who settles its disputes.
    /// @param descriptionHash Hash of the off-chain description.
    /// @param priceWei Payment per record, in wei.
    /// @param capacity Number of records wanted.
    /// @param fieldCount Number of fields of a record.
    /// @param minSatisfied Fewest satisfied fields a match needs.
    /// @param expiresAt End of submissions (exclusive), in seconds.
    /// @param grantPeriod Seconds an owner has to record its grant.
    /// @param reviewPeriod Seconds the buyer has to confirm or dispute.
    /// @param bondWei The bond an owner sends with each submission, in wei.
    event RequirementPosted(
        uint256 indexed requirementId,
        address indexed buyer,
        bytes32 indexed commitment,
        address arbiter,
        bytes32 descriptionHash,
        uint256 priceWei,
        uint32 capacity,
        uint16 fieldCount,
        uint16 minSatisfied,
        uint40 expiresAt,
        uint32 grantPeriod,
        uint32 reviewPeriod,
        uint256 bondWei
    );

    /// @notice An owner proved that a file's record meets a requirement: everything needed to
    /// re-verify the proof off chain is here.
    /// @param matchId The new match's id (1 for the first, then increasing).
    /// @param requirementId The requirement matched.
    /// @param fileId The file's `DataRegistry` id.
    /// @param owner The file's owner (public signal 3).
    /// @param requirementCommitment The requirement's commitment (public signal 1).
    /// @param dataCommitment The file's registered commitment h (public signal 2).
    /// @param satisfied R, the number of satisfied fields (public signal 0).
    /// @param grantDeadline The grant must be recorded before this timestamp.
    /// @param pA The proof's point A.
    /// @param pB The proof's point B.
    /// @param pC The proof's point C.
    event Matched(
        uint256 indexed matchId,
        uint256 indexed requirementId,
        bytes32 indexed fileId,
        address owner,
        bytes32 requirementCommitment,
        bytes32 dataCommitment,
        uint256 satisfied,
        uint40 grantDeadline,
        uint256[2] pA,
        uint256[2][2] pB,
        uint256[2] pC
    );

    /// @notice The owner recorded that the buyer holds an active grant on the file.
    /// @param matchId The match.
    /// @param fileId The file.
    /// @param buyer The grantee.
    /// @param reviewDeadline The buyer may dispute before this timestamp.
    event GrantRecorded(
        uint256 indexed matchId, bytes32 indexed fileId, address indexed buyer, uint40 reviewDeadline
    );

    /// @notice The buyer confirmed receipt: the price and the bond were credited to the owner.
    /// @param matchId The match.
    /// @param owner The owner credited.
    /// @param amountWei The price credited.
    /// @param bondWei The owner's bond, credited back with it.
    event ReceiptConfirmed(uint256 indexed matchId, address indexed owner, uint256 amountWei, uint256 bondWei);

    /// @notice The review period passed without a dispute: the price and the bond were credited
    /// to the owner.
    /// @param matchId The match.
    /// @param owner The owner credited.
    /// @param amountWei The price credited.
    /// @param bondWei The owner's bond, credited back with it.
    event PaymentReleased(uint256 indexed matchId, address indexed owner, uint256 amountWei, uint256 bondWei);

    /// @notice The buyer disputed a match: its payment is frozen until the arbiter rules.
    /// @param matchId The match.
    /// @param arbiter Who must settle it.
    /// @param reasonHash Hash of the buyer's complaint.
    event DisputeOpened(uint256 indexed matchId, address indexed arbiter, bytes32 reasonHash);

    /// @notice The arbiter settled a dispute: the price and the owner's bond went to the side it
    /// ruled for.
    /// @param matchId The match.
    /// @param arbiter The arbiter.
    /// @param payOwner True if the owner was paid, false if the buyer was refunded.
    /// @param recipient The account credited (the owner or the buyer).
    /// @param amountWei The price credited.
    /// @param bondWei The owner's bond, credited with it (back to the owner, or forfeited to the buyer).
    /// @param rulingHash Hash of the ruling.
    event DisputeSettled(
        uint256 indexed matchId,
        address indexed arbiter,
        bool payOwner,
        address indexed recipient,
        uint256 amountWei,
        uint256 bondWei,
        bytes32 rulingHash
    );

    /// @notice A match lapsed: no grant was recorded before its grant deadline; the owner's bond
    /// was forfeited to the buyer.
    /// @param matchId The match.
    /// @param requirementId Its requirement.
    /// @param fileId The file.
    /// @param refundWei The price credited to the buyer, or zero when the slot went back to the
    /// requirement (unfilled escrow, refunded with the rest at expiry or cancellation).
    /// @param bondWei The owner's bond, credited to the buyer.
    event MatchLapsed(
        uint256 indexed matchId,
        uint256 indexed requirementId,
        bytes32 indexed fileId,
        uint256 refundWei,
        uint256 bondWei
    );

    /// @notice The unfilled slots of an expired requirement were credited back to the buyer.
    /// @param requirementId The requirement.
    /// @param buyer The buyer credited.
    /// @param unfilled The number of slots refunded.
    /// @param amountWei The amount credited: price × unfilled.
    event UnfilledRefunded(uint256 indexed requirementId, address indexed buyer, uint256 unfilled, uint256 amountWei);

    /// @notice The buyer cancelled its requirement's unfilled slots: they were credited back and
    /// the requirement accepts no more submissions (its matches go on; a later lapse credits the
    /// buyer the price and the bond).
    /// @param requirementId The requirement.
    /// @param buyer The buyer credited.
    /// @param unfilled The number of slots cancelled (zero when every slot was taken).
    /// @param amountWei The amount credited: price × unfilled.
    event UnfilledCancelled(uint256 indexed requirementId, address indexed buyer, uint256 unfilled, uint256 amountWei);

    /// @notice An account withdrew its credit.
    /// @param account The account paid.
    /// @param amountWei The amount paid.
    event Withdrawn(address indexed account, uint256 amountWei);

    /// @notice The registry has no code.
    /// @param registry The address given.
    error DataMarketInvalidRegistry(address registry);

    /// @notice The constructor's arrays differ in length.
    /// @param fieldCounts Length of `fieldCounts`.
    /// @param verifiers Length of `verifiers`.
    error DataMarketLengthMismatch(uint256 fieldCounts, uint256 verifiers);

    /// @notice A verifier entry is invalid: zero field count, no code, or a width listed twice.
    /// @param fieldCount The record width.
    /// @param verifier The verifier given.
    error DataMarketInvalidVerifier(uint16 fieldCount, address verifier);

    /// @notice No verifier is configured for this record width.
    /// @param fieldCount The width asked for.
    error DataMarketUnsupportedFieldCount(uint16 fieldCount);

    /// @notice The requirement commitment is zero or not below `SNARK_SCALAR_FIELD`.
    /// @param commitment The commitment given.
    error DataMarketInvalidCommitment(bytes32 commitment);

    /// @notice The buyer used this requirement commitment in an earlier requirement.
    /// @param buyer The buyer.
    /// @param commitment The commitment.
    /// @param requirementId The buyer's requirement that uses it.
    error DataMarketCommitmentUsed(address buyer, bytes32 commitment, uint256 requirementId);

    /// @notice The arbiter is the zero address or the buyer.
    /// @param arbiter The arbiter given.
    error DataMarketInvalidArbiter(address arbiter);

    /// @notice A required argument was zero.
    /// @param field Its name ("descriptionHash", "priceWei", "bondWei", "capacity", "reasonHash"
    /// or "rulingHash").
    error DataMarketZeroField(string field);

    /// @notice minSatisfied is not in 1 .. fieldCount.
    /// @param minSatisfied The value given.
    /// @param fieldCount The record width.
    error DataMarketInvalidMinSatisfied(uint16 minSatisfied, uint16 fieldCount);

    /// @notice expiresAt is not in the future, or more than `MAX_DURATION` ahead.
    /// @param expiresAt The value given.
    /// @param nowTimestamp The current block timestamp.
    /// @param maxExpiresAt The latest accepted.
    error DataMarketInvalidExpiry(uint40 expiresAt, uint256 nowTimestamp, uint256 maxExpiresAt);

    /// @notice A period is not in `MIN_PERIOD` .. `MAX_PERIOD` seconds.
    /// @param name "grantPeriod" or "reviewPeriod".
    /// @param period The value given.
    /// @param minPeriod `MIN_PERIOD`.
    /// @param maxPeriod `MAX_PERIOD`.
    error DataMarketInvalidPeriod(string name, uint32 period, uint32 minPeriod, uint32 maxPeriod);

    /// @notice The value sent is not exactly price × capacity.
    /// @param sentWei msg.value.
    /// @param expectedWei price × capacity.
    error DataMarketWrongEscrow(uint256 sentWei, uint256 expectedWei);

    /// @notice No requirement has this id.
    /// @param requirementId The id asked for.
    error DataMarketUnknownRequirement(uint256 requirementId);

    /// @notice The requirement no longer accepts submissions.
    /// @param requirementId The requirement.
    /// @param expiresAt Its expiry.
    error DataMarketRequirementExpired(uint256 requirementId, uint40 expiresAt);

    /// @notice The buyer cancelled the requirement's unfilled slots: it accepts no submissions.
    /// @param requirementId The requirement.
    error DataMarketRequirementCancelled(uint256 requirementId);

    /// @notice The value sent with a submission is not the requirement's bond.
    /// @param sentWei msg.value.
    /// @param bondWei The requirement's bond.
    error DataMarketWrongBond(uint256 sentWei, uint256 bondWei);

    /// @notice Every slot of the requirement is taken.
    /// @param requirementId The requirement.
    /// @param capacity Its capacity.
    error DataMarketRequirementFull(uint256 requirementId, uint32 capacity);

    /// @notice The claimed number of satisfied fields is below the requirement's minimum or above
    /// the record width.
    /// @param satisfied The value claimed.
    /// @param minSatisfied The requirement's minimum.
    /// @param fieldCount The record width.
    error DataMarketSatisfiedOutOfRange(uint256 satisfied, uint16 minSatisfied, uint16 fieldCount);

    /// @notice fileId is not keccak256(abi.encode(caller, dataCommitment)): the caller does not own
    /// a file registered under this commitment.
    /// @param fileId The id given.
    /// @param expectedFileId The id of the caller's file with this commitment.
    error DataMarketFileIdMismatch(bytes32 fileId, bytes32 expectedFileId);

    /// @notice No file is registered under this id.
    /// @param fileId The id.
    error DataMarketUnregisteredFile(bytes32 fileId);

    /// @notice The file was already submitted to this requirement.
    /// @param requirementId The requirement.
    /// @param fileId The file.
    /// @param matchId The earlier match.
    error DataMarketAlreadySubmitted(uint256 requirementId, bytes32 fileId, uint256 matchId);

    /// @notice The proof does not verify for these public signals (or is not canonically encoded).
    /// @param requirementId The requirement.
    /// @param fileId The file.
    error DataMarketInvalidProof(uint256 requirementId, bytes32 fileId);

    /// @notice No match has this id.
    /// @param matchId The id asked for.
    error DataMarketUnknownMatch(uint256 matchId);

    /// @notice The match is not in the state this action needs.
    /// @param matchId The match.
    /// @param state Its state.
    /// @param expected The state needed.
    error DataMarketWrongState(uint256 matchId, MatchState state, MatchState expected);

    /// @notice Only the match's owner may do this.
    /// @param matchId The match.
    /// @param caller The account that tried.
    error DataMarketNotOwner(uint256 matchId, address caller);

    /// @notice Only the requirement's buyer may do this.
    /// @param matchId The match.
    /// @param caller The account that tried.
    error DataMarketNotBuyer(uint256 matchId, address caller);

    /// @notice Only the requirement's buyer may do this.
    /// @param requirementId The requirement.
    /// @param caller The account that tried.
    error DataMarketNotRequirementBuyer(uint256 requirementId, address caller);

    /// @notice Only the requirement's arbiter may do this.
    /// @param matchId The match.
    /// @param caller The account that tried.
    error DataMarketNotArbiter(uint256 matchId, address caller);

    /// @notice The grant deadline has passed.
    /// @param matchId The match.
    /// @param grantDeadline Its grant deadline.
    error DataMarketGrantWindowClosed(uint256 matchId, uint40 grantDeadline);

    /// @notice The owner may still record its grant.
    /// @param matchId The match.
    /// @param grantDeadline Its grant deadline.
    error DataMarketGrantWindowOpen(uint256 matchId, uint40 grantDeadline);

    /// @notice The buyer holds no active grant on the file in the `DataRegistry`.
    /// @param matchId The match.
    /// @param fileId The file.
    /// @param buyer The buyer.
    error DataMarketNotGranted(uint256 matchId, bytes32 fileId, address buyer);

    /// @notice The review deadline has passed: the buyer can no longer dispute.
    /// @param matchId The match.
    /// @param reviewDeadline Its review deadline.
    error DataMarketReviewWindowClosed(uint256 matchId, uint40 reviewDeadline);

    /// @notice The buyer may still dispute: the payment cannot be released yet.
    /// @param matchId The match.
    /// @param reviewDeadline Its review deadline.
    error DataMarketReviewWindowOpen(uint256 matchId, uint40 reviewDeadline);

    /// @notice The requirement still accepts submissions.
    /// @param requirementId The requirement.
    /// @param expiresAt Its expiry.
    error DataMarketRequirementNotExpired(uint256 requirementId, uint40 expiresAt);

    /// @notice The requirement's unfilled slots were refunded or cancelled already.
    /// @param requirementId The requirement.
    error DataMarketAlreadyRefunded(uint256 requirementId);

    /// @notice Every slot of the requirement is taken: nothing to refund.
    /// @param requirementId The requirement.
    error DataMarketNothingToRefund(uint256 requirementId);

    /// @notice The account has no credit.
    /// @param account The account.
    error DataMarketNothingToWithdraw(address account);

    /// @notice Sending the credit failed (the recipient reverted); the credit is kept.
    /// @param account The recipient.
    /// @param amountWei The amount.
    error DataMarketTransferFailed(address account, uint256 amountWei);

    /// @notice The BN254 scalar field order: every public signal is below it.
    /// @return field 21888242871839275222246405745257275088548364400416034343698204186575808495617.
    function SNARK_SCALAR_FIELD() external view returns (uint256 field);

    /// @notice The BN254 base field order: every proof coordinate must be below it.
    /// @return field 21888242871839275222246405745257275088696311157297823662689037894645226208583.
    function SNARK_BASE_FIELD() external view returns (uint256 field);

    /// @notice The longest a requirement accepts submissions, in seconds.
    /// @return duration 365 days.
    function MAX_DURATION() external view returns (uint40 duration);

    /// @notice The shortest grant or review period, in seconds.
    /// @return period 1 hour.
    function MIN_PERIOD() external view returns (uint32 period);

    /// @notice The longest grant or review period, in seconds.
    /// @return period 90 days.
    function MAX_PERIOD() external view returns (uint32 period);

    /// @notice The registry whose files are matched.
    /// @return dataRegistry The `DataRegistry`.
    function registry() external view returns (IDataRegistry dataRegistry);

    /// @notice Post a requirement and escrow its payment; the caller is the buyer.
    /// @dev Reverts with `DataMarketUnsupportedFieldCount`, `DataMarketInvalidMinSatisfied`,
    /// `DataMarketInvalidCommitment`, `DataMarketCommitmentUsed` (this buyer posted the
    /// commitment before; another buyer's use does not count), `DataMarketInvalidArbiter`,
    /// `DataMarketZeroField` ("descriptionHash", "priceWei", "bondWei", "capacity"),
    /// `DataMarketInvalidExpiry`, `DataMarketInvalidPeriod` or `DataMarketWrongEscrow`
    /// (msg.value ≠ price × capacity). Emits `RequirementPosted`.
    /// @param terms The requirement's terms.
    /// @return requirementId The new requirement's id.
    function postRequirement(RequirementTerms calldata terms) external payable returns (uint256 requirementId);

    /// @notice Prove that the record of the caller's file `fileId` meets requirement
    /// `requirementId`, taking one of its slots; msg.value is the owner's bond.
    /// @dev The public signals are [satisfied, requirement commitment, dataCommitment,
    /// uint160(msg.sender)]: a proof binds to one requirement commitment, one record commitment
    /// and one owner, so nobody else can submit it. Commitments are unique per buyer: another
    /// buyer's requirement with the same commitment accepts the same proof from the same owner
    /// only (NOTE: owners check the buyer before proving). The bond (exactly the requirement's
    /// `bondWei`) is held with the match: credited back to the owner with the price, or to the
    /// buyer on a lapse or a refund. Reverts with `DataMarketUnknownRequirement`,
    /// `DataMarketRequirementExpired`, `DataMarketRequirementCancelled`, `DataMarketWrongBond`,
    /// `DataMarketRequirementFull`,
    /// `DataMarketSatisfiedOutOfRange`, `DataMarketFileIdMismatch` (the caller has no file
    /// under this commitment with this id), `DataMarketUnregisteredFile`,
    /// `DataMarketAlreadySubmitted` (one submission per requirement and file) or
    /// `DataMarketInvalidProof` (the proof does not verify, a coordinate is not below
    /// `SNARK_BASE_FIELD`, or the verifier reverted). Emits `Matched`.
    /// @param requirementId The requirement.
    /// @param fileId The caller's file: keccak256(abi.encode(msg.sender, dataCommitment)).
    /// @param dataCommitment The file's registered commitment h, the Poseidon commitment to the record.
    /// @param pA The proof's point A.
    /// @param pB The proof's point B.
    /// @param pC The proof's point C.
    /// @param satisfied R, the number of satisfied fields the proof outputs.
    /// @return matchId The new match's id.
    function submit(
        uint256 requirementId,
        bytes32 fileId,
        bytes32 dataCommitment,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256 satisfied
    ) external payable returns (uint256 matchId);

    /// @notice Record that the buyer holds an active grant on the matched file; the review
    /// period starts.
    /// @dev Only the match's owner (`DataMarketNotOwner`), while Matched (`DataMarketWrongState`)
    /// and before the grant deadline (`DataMarketGrantWindowClosed`); reverts with
    /// `DataMarketNotGranted` unless `registry.isGranted(fileId, buyer)`. Emits `GrantRecorded`.
    /// NOTE: the grant is checked now only; revoking it later is for the buyer to dispute.
    /// @param matchId The match.
    function recordGrant(uint256 matchId) external;

    /// @notice The buyer confirms it received the data: the price and the bond are credited to
    /// the owner.
    /// @dev Only the buyer (`DataMarketNotBuyer`), while Granted (`DataMarketWrongState`), before
    /// or after the review deadline. Emits `ReceiptConfirmed`.
    /// @param matchId The match.
    function confirmReceipt(uint256 matchId) external;

    /// @notice Credit the owner the price and the bond once the review period passed without a
    /// dispute.
    /// @dev Anyone may call. Reverts with `DataMarketWrongState` unless Granted and
    /// `DataMarketReviewWindowOpen` before the review deadline. Emits `PaymentReleased`.
    /// @param matchId The match.
    function release(uint256 matchId) external;

    /// @notice The buyer disputes a match: its payment is frozen until the arbiter rules.
    /// @dev Only the buyer (`DataMarketNotBuyer`), while Granted (`DataMarketWrongState`) and
    /// before the review deadline (`DataMarketReviewWindowClosed`); reverts with
    /// `DataMarketZeroField("reasonHash")`. Emits `DisputeOpened`. Nothing but `settleDispute`
    /// moves a disputed match.
    /// @param matchId The match.
    /// @param reasonHash Hash of the complaint (e.g. of the data that failed to open h).
    function dispute(uint256 matchId, bytes32 reasonHash) external;

    /// @notice The arbiter settles a dispute: the price and the owner's bond are credited to the
    /// owner, or to the buyer.
    /// @dev Only the requirement's arbiter (`DataMarketNotArbiter`), while Disputed
    /// (`DataMarketWrongState`); reverts with `DataMarketZeroField("rulingHash")`. Emits
    /// `DisputeSettled`. The state becomes Released (payOwner) or Refunded.
    /// @param matchId The match.
    /// @param payOwner True to pay the owner, false to refund the buyer.
    /// @param rulingHash Hash of the ruling.
    function settleDispute(uint256 matchId, bool payOwner, bytes32 rulingHash) external;

    /// @notice End a match whose owner recorded no grant before the grant deadline; its bond is
    /// forfeited to the buyer.
    /// @dev Anyone may call. Reverts with `DataMarketWrongState` unless Matched and
    /// `DataMarketGrantWindowOpen` before the grant deadline. The bond is credited to the buyer.
    /// The slot goes back to the requirement (filled − 1: another owner may take it while it is
    /// open, and `refundUnfilled` returns it after expiry); if the unfilled part was refunded or
    /// cancelled already, the price is credited to the buyer. Emits `MatchLapsed`.
    /// @param matchId The match.
    function reclaimUngranted(uint256 matchId) external;

    /// @notice Credit the buyer with the escrow of an expired requirement's unfilled slots.
    /// @dev Anyone may call, once. Reverts with `DataMarketUnknownRequirement`,
    /// `DataMarketRequirementNotExpired`, `DataMarketAlreadyRefunded` or
    /// `DataMarketNothingToRefund` (every slot taken). Emits `UnfilledRefunded`.
    /// @param requirementId The requirement.
    function refundUnfilled(uint256 requirementId) external;

    /// @notice Cancel, as the buyer, the unfilled slots of a requirement: they are credited back
    /// and the requirement accepts no more submissions.
    /// @dev Only the buyer (`DataMarketNotRequirementBuyer`), once (`DataMarketAlreadyRefunded`,
    /// also after `refundUnfilled`), any time; reverts with `DataMarketUnknownRequirement`.
    /// Matches already made go on; a later lapse credits the buyer the price and the bond. With
    /// every slot taken it credits nothing but still closes the requirement (a lapsed slot is not
    /// offered again). Emits `UnfilledCancelled`.
    /// @param requirementId The requirement.
    function cancelUnfilled(uint256 requirementId) external;

    /// @notice Pay the caller its whole credit.
    /// @dev Pull payment: the credit is zeroed before the transfer (checks-effects-interactions)
    /// and the function is `nonReentrant`. Reverts with `DataMarketNothingToWithdraw` or
    /// `DataMarketTransferFailed` (the credit is then kept). Emits `Withdrawn`. The whole
    /// remaining gas goes with the transfer, so contract wallets can receive.
    function withdraw() external;

    /// @notice The verifier of records of `fieldCount` fields (zero if none).
    /// @param fieldCount The record width.
    /// @return verifier The verifier.
    function verifierFor(uint16 fieldCount) external view returns (IGroth16Verifier verifier);

    /// @notice Requirement `requirementId`.
    /// @dev Reverts with `DataMarketUnknownRequirement` if no requirement has this id.
    /// @param requirementId The requirement.
    /// @return requirement The requirement.
    function requirementOf(uint256 requirementId) external view returns (Requirement memory requirement);

    /// @notice Match `matchId`.
    /// @dev Reverts with `DataMarketUnknownMatch` if no match has this id.
    /// @param matchId The match.
    /// @return matched The match.
    function matchOf(uint256 matchId) external view returns (Match memory matched);

    /// @notice A match's state and the arbiter of its requirement: what an arbiter contract
    /// checks before it counts a vote (two storage reads instead of `matchOf` and `requirementOf`).
    /// @dev Reverts with `DataMarketUnknownMatch` if no match has this id.
    /// @param matchId The match.
    /// @return state Where the match stands.
    /// @return arbiter Who settles its disputes.
    function arbitrationOf(uint256 matchId) external view returns (MatchState state, address arbiter);

    /// @notice The match of file `fileId` to requirement `requirementId`, or zero if none.
    /// @param requirementId The requirement.
    /// @param fileId The file.
    /// @return matchId The match's id (ids start at 1).
    function matchIdOf(uint256 requirementId, bytes32 fileId) external view returns (uint256 matchId);

    /// @notice The requirement `buyer` posted with `commitment`, or zero if none (each buyer
    /// uses a commitment once; other buyers may use it too).
    /// @param buyer The buyer.
    /// @param commitment The requirement commitment.
    /// @return requirementId The requirement's id (ids start at 1).
    function requirementIdOf(address buyer, bytes32 commitment) external view returns (uint256 requirementId);

    /// @notice The credit `account` may withdraw, in wei.
    /// @param account The account.
    /// @return amountWei The credit.
    function creditOf(address account) external view returns (uint256 amountWei);

    /// @notice The number of requirements posted, which is also the latest requirement's id
    /// (at most 2^32 − 1: `postRequirement` reverts with an overflow panic beyond).
    /// @return count The number of requirements.
    function requirementCount() external view returns (uint256 count);

    /// @notice The number of matches, which is also the latest match's id.
    /// @return count The number of matches.
    function matchCount() external view returns (uint256 count);
}
