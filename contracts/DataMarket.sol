// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IDataMarket} from "../interfaces/IDataMarket.sol";
import {IDataRegistry} from "../interfaces/IDataRegistry.sol";
import {IGroth16Verifier} from "../interfaces/IGroth16Verifier.sol";

/// @title DataMarket
/// @notice Buyers escrow payment for private records that meet their requirement; owners prove
/// with a Groth16 proof that a registered record meets it, grant access in the `DataRegistry`
/// (the data itself travels off chain by proxy re-encryption) and are paid by pull payment once
/// the buyer confirms or the review period passes; a dispute freezes the payment until the
/// requirement's arbiter rules. Each match is backed by the owner's bond, returned with the
/// payment and forfeited to the buyer if the match lapses or is refunded. See `IDataMarket` for
/// the life of a match.
/// @dev Trust assumptions. The contract checks itself: the proof (against the verifier of the
/// record width, fixed at deployment), that the proven record commitment h is the registered
/// commitment of a file the submitter owns (the file id is keccak256(owner, h) and must be
/// registered), that the buyer holds an active grant when the owner records it, the deadlines
/// and the escrow. It cannot check that the data delivered off chain opens h and is what the
/// buyer expected: that is what a dispute asks the arbiter, whom the buyer chose and the owner
/// accepted by submitting. The arbiter is trusted by both sides to rule (the contract only
/// refuses the zero address and the buyer itself; the owners' and buyers' clients accept only
/// arbiters on their trust policy); a dispute it never settles stays frozen. The verifiers and
/// the registry are trusted code fixed at deployment.
///
/// Griefing. Requirement commitments are unique per buyer, so nobody can block a buyer's
/// `postRequirement` by posting its commitment first; owners' clients check the buyer they
/// expect. A slot taken by a match that is never granted costs its owner the bond (credited to
/// the buyer at the lapse), and the buyer may cancel its unfilled slots at any time.
///
/// Invariant: address(this).balance == Σ credits + Σ over requirements not refunded or
/// cancelled of price × (capacity − filled) + Σ over Matched, Granted and Disputed matches of
/// their price plus their bond. Only `withdraw` sends ether (nonReentrant, after zeroing the
/// credit); no loops.
contract DataMarket is IDataMarket, ReentrancyGuard {
    /// @inheritdoc IDataMarket
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @inheritdoc IDataMarket
    uint256 public constant SNARK_BASE_FIELD =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @inheritdoc IDataMarket
    uint40 public constant MAX_DURATION = 365 days;
    /// @inheritdoc IDataMarket
    uint32 public constant MIN_PERIOD = 1 hours;
    /// @inheritdoc IDataMarket
    uint32 public constant MAX_PERIOD = 90 days;

    /// @inheritdoc IDataMarket
    IDataRegistry public immutable registry;

    uint32 private _requirementCount; // checked: posting the 2^32-th requirement reverts
    uint256 private _matchCount;
    mapping(uint16 fieldCount => IGroth16Verifier verifier) private _verifiers;
    mapping(uint256 requirementId => Requirement) private _requirements;
    mapping(uint256 matchId => Match) private _matches;
    mapping(uint256 requirementId => mapping(bytes32 fileId => uint256 matchId)) private _matchIds;
    mapping(address buyer => mapping(bytes32 commitment => uint256 requirementId)) private _requirementIds;
    mapping(address account => uint256 amountWei) private _credits;

    /// @notice A verifier was configured for a record width at deployment.
    /// @param fieldCount The record width.
    /// @param verifier Its Groth16 verifier.
    event VerifierConfigured(uint16 indexed fieldCount, IGroth16Verifier indexed verifier);

    /// @notice Deploy the market over `registry_` with one verifier per supported record width.
    /// @dev Reverts with `DataMarketInvalidRegistry` if the registry has no code,
    /// `DataMarketLengthMismatch` on arrays of different lengths, and `DataMarketInvalidVerifier`
    /// for a zero width, a verifier without code or a width listed twice. Emits
    /// `VerifierConfigured` for each width.
    /// @param registry_ The `DataRegistry` whose files are matched.
    /// @param fieldCounts The record widths supported (8 and 16 in deployments).
    /// @param verifiers The verifier of each width, in the same order.
    constructor(IDataRegistry registry_, uint16[] memory fieldCounts, IGroth16Verifier[] memory verifiers) {
        if (address(registry_).code.length == 0) revert DataMarketInvalidRegistry(address(registry_));
        if (fieldCounts.length != verifiers.length) {
            revert DataMarketLengthMismatch(fieldCounts.length, verifiers.length);
        }
        registry = registry_;
        for (uint256 i = 0; i < fieldCounts.length; ++i) {
            // bounded by the deployer's own arrays, once
            uint16 fieldCount = fieldCounts[i];
            IGroth16Verifier verifier = verifiers[i];
            if (
                fieldCount == 0 || address(verifier).code.length == 0
                    || address(_verifiers[fieldCount]) != address(0)
            ) revert DataMarketInvalidVerifier(fieldCount, address(verifier));
            _verifiers[fieldCount] = verifier;
            emit VerifierConfigured(fieldCount, verifier);
        }
    }

    // --- requirements -------------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function postRequirement(RequirementTerms calldata terms) external payable returns (uint256 requirementId) {
        uint16 fieldCount = terms.fieldCount;
        if (address(_verifiers[fieldCount]) == address(0)) revert DataMarketUnsupportedFieldCount(fieldCount);
        if (terms.minSatisfied == 0 || terms.minSatisfied > fieldCount) {
            revert DataMarketInvalidMinSatisfied(terms.minSatisfied, fieldCount);
        }
        bytes32 commitment = terms.commitment;
        if (commitment == bytes32(0) || uint256(commitment) >= SNARK_SCALAR_FIELD) {
            revert DataMarketInvalidCommitment(commitment);
        }
        uint256 existing = _requirementIds[msg.sender][commitment]; // per buyer: nobody can squat on it
        if (existing != 0) revert DataMarketCommitmentUsed(msg.sender, commitment, existing);
        if (terms.arbiter == address(0) || terms.arbiter == msg.sender) revert DataMarketInvalidArbiter(terms.arbiter);
        if (terms.descriptionHash == bytes32(0)) revert DataMarketZeroField("descriptionHash");
        if (terms.priceWei == 0) revert DataMarketZeroField("priceWei");
        if (terms.bondWei == 0) revert DataMarketZeroField("bondWei");
        if (terms.capacity == 0) revert DataMarketZeroField("capacity");
        uint256 maxExpiresAt = block.timestamp + MAX_DURATION;
        if (terms.expiresAt <= block.timestamp || terms.expiresAt > maxExpiresAt) {
            revert DataMarketInvalidExpiry(terms.expiresAt, block.timestamp, maxExpiresAt);
        }
        _checkPeriod("grantPeriod", terms.grantPeriod);
        _checkPeriod("reviewPeriod", terms.reviewPeriod);
        uint256 escrowWei = uint256(terms.priceWei) * terms.capacity; // < 2^128: no overflow
        if (msg.value != escrowWei) revert DataMarketWrongEscrow(msg.value, escrowWei);

        requirementId = ++_requirementCount;
        _requirementIds[msg.sender][commitment] = requirementId;
        _requirements[requirementId] = Requirement({
            buyer: msg.sender,
            expiresAt: terms.expiresAt,
            fieldCount: fieldCount,
            minSatisfied: terms.minSatisfied,
            arbiter: terms.arbiter,
            capacity: terms.capacity,
            filled: 0,
            grantPeriod: terms.grantPeriod,
            priceWei: terms.priceWei,
            reviewPeriod: terms.reviewPeriod,
            unfilledRefunded: false,
            bondWei: terms.bondWei,
            commitment: commitment,
            descriptionHash: terms.descriptionHash
        });
        _emitPosted(requirementId, terms);
    }

    /// @inheritdoc IDataMarket
    function refundUnfilled(uint256 requirementId) external {
        Requirement storage requirement = _requirements[requirementId];
        address buyer = requirement.buyer;
        if (buyer == address(0)) revert DataMarketUnknownRequirement(requirementId);
        uint40 expiresAt = requirement.expiresAt;
        if (block.timestamp < expiresAt) revert DataMarketRequirementNotExpired(requirementId, expiresAt);
        if (requirement.unfilledRefunded) revert DataMarketAlreadyRefunded(requirementId);
        uint256 unfilled = requirement.capacity - requirement.filled;
        if (unfilled == 0) revert DataMarketNothingToRefund(requirementId);

        requirement.unfilledRefunded = true;
        uint256 amountWei = requirement.priceWei * unfilled;
        _credits[buyer] += amountWei;
        emit UnfilledRefunded(requirementId, buyer, unfilled, amountWei);
    }

    /// @inheritdoc IDataMarket
    function cancelUnfilled(uint256 requirementId) external {
        Requirement storage requirement = _requirements[requirementId];
        address buyer = requirement.buyer;
        if (buyer == address(0)) revert DataMarketUnknownRequirement(requirementId);
        if (msg.sender != buyer) revert DataMarketNotRequirementBuyer(requirementId, msg.sender);
        if (requirement.unfilledRefunded) revert DataMarketAlreadyRefunded(requirementId);

        requirement.unfilledRefunded = true; // closes submissions; later lapses credit the buyer directly
        uint256 unfilled = requirement.capacity - requirement.filled;
        uint256 amountWei = requirement.priceWei * unfilled;
        _credits[buyer] += amountWei;
        emit UnfilledCancelled(requirementId, buyer, unfilled, amountWei);
    }

    // --- matches ------------------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function submit(
        uint256 requirementId,
        bytes32 fileId,
        bytes32 dataCommitment,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256 satisfied
    ) external payable returns (uint256 matchId) {
        Requirement storage requirement = _requirements[requirementId];
        uint40 grantDeadline;
        {
            (uint16 fieldCount, uint32 filled) =
                _checkSubmission(requirement, requirementId, fileId, dataCommitment, satisfied);
            // the circuit's public signals: [R, requirement commitment, h, owner]
            uint256[4] memory signals =
                [satisfied, uint256(requirement.commitment), uint256(dataCommitment), uint160(msg.sender)];
            if (!_verifies(_verifiers[fieldCount], pA, pB, pC, signals)) {
                revert DataMarketInvalidProof(requirementId, fileId);
            }
            (matchId, grantDeadline) = _recordMatch(requirement, requirementId, fileId, satisfied, filled);
        }
        emit Matched(
            matchId,
            requirementId,
            fileId,
            msg.sender,
            requirement.commitment, // warm: read for the signals
            dataCommitment,
            satisfied,
            grantDeadline,
            pA,
            pB,
            pC
        );
    }

    /// @inheritdoc IDataMarket
    function recordGrant(uint256 matchId) external {
        (Match storage matched, MatchState state) = _existing(matchId);
        if (msg.sender != matched.owner) revert DataMarketNotOwner(matchId, msg.sender);
        _requireState(matchId, state, MatchState.Matched);
        uint40 grantDeadline = matched.deadline;
        if (block.timestamp >= grantDeadline) revert DataMarketGrantWindowClosed(matchId, grantDeadline);
        Requirement storage requirement = _requirements[matched.requirementId];
        address buyer = requirement.buyer;
        bytes32 fileId = matched.fileId;
        if (!registry.isGranted(fileId, buyer)) revert DataMarketNotGranted(matchId, fileId, buyer);

        uint40 reviewDeadline = uint40(block.timestamp) + requirement.reviewPeriod;
        matched.state = MatchState.Granted;
        matched.deadline = reviewDeadline;
        emit GrantRecorded(matchId, fileId, buyer, reviewDeadline);
    }

    /// @inheritdoc IDataMarket
    function confirmReceipt(uint256 matchId) external {
        (Match storage matched, MatchState state) = _existing(matchId);
        Requirement storage requirement = _requirements[matched.requirementId];
        if (msg.sender != requirement.buyer) revert DataMarketNotBuyer(matchId, msg.sender);
        _requireState(matchId, state, MatchState.Granted);

        matched.state = MatchState.Released;
        (address owner, uint256 priceWei, uint256 bondWei) = (matched.owner, requirement.priceWei, requirement.bondWei);
        _credits[owner] += priceWei + bondWei;
        emit ReceiptConfirmed(matchId, owner, priceWei, bondWei);
    }

    /// @inheritdoc IDataMarket
    function release(uint256 matchId) external {
        (Match storage matched, MatchState state) = _existing(matchId);
        _requireState(matchId, state, MatchState.Granted);
        uint40 reviewDeadline = matched.deadline;
        if (block.timestamp < reviewDeadline) revert DataMarketReviewWindowOpen(matchId, reviewDeadline);

        matched.state = MatchState.Released;
        Requirement storage requirement = _requirements[matched.requirementId];
        (address owner, uint256 priceWei, uint256 bondWei) = (matched.owner, requirement.priceWei, requirement.bondWei);
        _credits[owner] += priceWei + bondWei;
        emit PaymentReleased(matchId, owner, priceWei, bondWei);
    }

    /// @inheritdoc IDataMarket
    function dispute(uint256 matchId, bytes32 reasonHash) external {
        (Match storage matched, MatchState state) = _existing(matchId);
        Requirement storage requirement = _requirements[matched.requirementId];
        if (msg.sender != requirement.buyer) revert DataMarketNotBuyer(matchId, msg.sender);
        _requireState(matchId, state, MatchState.Granted);
        uint40 reviewDeadline = matched.deadline;
        if (block.timestamp >= reviewDeadline) revert DataMarketReviewWindowClosed(matchId, reviewDeadline);
        if (reasonHash == bytes32(0)) revert DataMarketZeroField("reasonHash");

        matched.state = MatchState.Disputed;
        emit DisputeOpened(matchId, requirement.arbiter, reasonHash);
    }

    /// @inheritdoc IDataMarket
    function settleDispute(uint256 matchId, bool payOwner, bytes32 rulingHash) external {
        (Match storage matched, MatchState state) = _existing(matchId);
        Requirement storage requirement = _requirements[matched.requirementId];
        if (msg.sender != requirement.arbiter) revert DataMarketNotArbiter(matchId, msg.sender);
        _requireState(matchId, state, MatchState.Disputed);
        if (rulingHash == bytes32(0)) revert DataMarketZeroField("rulingHash");

        address recipient;
        if (payOwner) {
            matched.state = MatchState.Released;
            recipient = matched.owner;
        } else {
            matched.state = MatchState.Refunded;
            recipient = requirement.buyer;
        }
        (uint256 priceWei, uint256 bondWei) = (requirement.priceWei, requirement.bondWei);
        _credits[recipient] += priceWei + bondWei; // the bond follows the ruling
        emit DisputeSettled(matchId, msg.sender, payOwner, recipient, priceWei, bondWei, rulingHash);
    }

    /// @inheritdoc IDataMarket
    function reclaimUngranted(uint256 matchId) external {
        (Match storage matched, MatchState state) = _existing(matchId);
        _requireState(matchId, state, MatchState.Matched);
        uint40 grantDeadline = matched.deadline;
        if (block.timestamp < grantDeadline) revert DataMarketGrantWindowOpen(matchId, grantDeadline);

        matched.state = MatchState.Lapsed;
        uint256 requirementId = matched.requirementId;
        Requirement storage requirement = _requirements[requirementId];
        uint256 refundWei = 0; // nothing to pay back while the requirement still holds the slot's escrow
        if (requirement.unfilledRefunded) {
            refundWei = requirement.priceWei; // the unfilled escrow is gone: pay this slot back directly
        } else {
            requirement.filled -= 1; // the slot's escrow goes back to the requirement
        }
        uint256 bondWei = requirement.bondWei; // forfeited: the owner held the slot and never granted
        _credits[requirement.buyer] += refundWei + bondWei;
        emit MatchLapsed(matchId, requirementId, matched.fileId, refundWei, bondWei);
    }

    // --- payments -----------------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function withdraw() external nonReentrant {
        uint256 amountWei = _credits[msg.sender];
        if (amountWei == 0) revert DataMarketNothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        emit Withdrawn(msg.sender, amountWei);
        (bool sent,) = msg.sender.call{value: amountWei}("");
        if (!sent) revert DataMarketTransferFailed(msg.sender, amountWei);
    }

    // --- views --------------------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function verifierFor(uint16 fieldCount) external view returns (IGroth16Verifier verifier) {
        return _verifiers[fieldCount];
    }

    /// @inheritdoc IDataMarket
    function requirementOf(uint256 requirementId) external view returns (Requirement memory requirement) {
        requirement = _requirements[requirementId];
        if (requirement.buyer == address(0)) revert DataMarketUnknownRequirement(requirementId);
    }

    /// @inheritdoc IDataMarket
    function matchOf(uint256 matchId) external view returns (Match memory matched) {
        matched = _matches[matchId];
        // `None` is the never-created sentinel of an enum, not a balance or time: equality is exact.
        // slither-disable-next-line incorrect-equality
        if (matched.state == MatchState.None) revert DataMarketUnknownMatch(matchId);
    }

    /// @inheritdoc IDataMarket
    function arbitrationOf(uint256 matchId) external view returns (MatchState state, address arbiter) {
        Match storage matched;
        (matched, state) = _existing(matchId);
        arbiter = _requirements[matched.requirementId].arbiter;
    }

    /// @inheritdoc IDataMarket
    function matchIdOf(uint256 requirementId, bytes32 fileId) external view returns (uint256 matchId) {
        return _matchIds[requirementId][fileId];
    }

    /// @inheritdoc IDataMarket
    function requirementIdOf(address buyer, bytes32 commitment) external view returns (uint256 requirementId) {
        return _requirementIds[buyer][commitment];
    }

    /// @inheritdoc IDataMarket
    function creditOf(address account) external view returns (uint256 amountWei) {
        return _credits[account];
    }

    /// @inheritdoc IDataMarket
    function requirementCount() external view returns (uint256 count) {
        return _requirementCount;
    }

    /// @inheritdoc IDataMarket
    function matchCount() external view returns (uint256 count) {
        return _matchCount;
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev The match and its state; reverts with `DataMarketUnknownMatch` for an unused id.
    function _existing(uint256 matchId) private view returns (Match storage matched, MatchState state) {
        matched = _matches[matchId];
        state = matched.state;
        if (state == MatchState.None) revert DataMarketUnknownMatch(matchId);
    }

    /// @dev The checks of `submit` before the proof's, the bond (msg.value) included; returns the
    /// record width and the slots taken.
    function _checkSubmission(
        Requirement storage requirement,
        uint256 requirementId,
        bytes32 fileId,
        bytes32 dataCommitment,
        uint256 satisfied
    ) private view returns (uint16 fieldCount, uint32 filled) {
        if (requirement.buyer == address(0)) revert DataMarketUnknownRequirement(requirementId);
        uint40 expiresAt = requirement.expiresAt;
        if (block.timestamp >= expiresAt) revert DataMarketRequirementExpired(requirementId, expiresAt);
        // before expiry the flag is set only by cancelUnfilled
        if (requirement.unfilledRefunded) revert DataMarketRequirementCancelled(requirementId);
        uint96 bondWei = requirement.bondWei; // same slot as the flag: warm
        if (msg.value != bondWei) revert DataMarketWrongBond(msg.value, bondWei);
        filled = requirement.filled;
        uint32 capacity = requirement.capacity;
        if (filled >= capacity) revert DataMarketRequirementFull(requirementId, capacity);
        fieldCount = requirement.fieldCount;
        uint16 minSatisfied = requirement.minSatisfied;
        if (satisfied < minSatisfied || satisfied > fieldCount) {
            revert DataMarketSatisfiedOutOfRange(satisfied, minSatisfied, fieldCount);
        }
        bytes32 expectedFileId = keccak256(abi.encode(msg.sender, dataCommitment)); // DataRegistry.fileIdOf
        if (fileId != expectedFileId) revert DataMarketFileIdMismatch(fileId, expectedFileId);
        uint256 earlier = _matchIds[requirementId][fileId];
        if (earlier != 0) revert DataMarketAlreadySubmitted(requirementId, fileId, earlier);
        if (!registry.isRegistered(fileId)) revert DataMarketUnregisteredFile(fileId);
    }

    /// @dev The effects of `submit`: takes a slot and stores the match.
    function _recordMatch(
        Requirement storage requirement,
        uint256 requirementId,
        bytes32 fileId,
        uint256 satisfied,
        uint32 filled
    ) private returns (uint256 matchId, uint40 grantDeadline) {
        requirement.filled = filled + 1;
        matchId = ++_matchCount;
        _matchIds[requirementId][fileId] = matchId;
        grantDeadline = uint40(block.timestamp) + requirement.grantPeriod;
        _matches[matchId] = Match({
            owner: msg.sender,
            requirementId: uint32(requirementId), // requirementId ≤ _requirementCount, a uint32
            deadline: grantDeadline,
            state: MatchState.Matched,
            satisfied: uint16(satisfied), // satisfied ≤ fieldCount, a uint16
            fileId: fileId
        });
    }

    function _requireState(uint256 matchId, MatchState state, MatchState expected) private pure {
        if (state != expected) revert DataMarketWrongState(matchId, state, expected);
    }

    function _checkPeriod(string memory name, uint32 period) private pure {
        if (period < MIN_PERIOD || period > MAX_PERIOD) {
            revert DataMarketInvalidPeriod(name, period, MIN_PERIOD, MAX_PERIOD);
        }
    }

    /// @dev Emits `RequirementPosted` (apart from `postRequirement`: one event of thirteen values
    /// does not fit its stack).
    function _emitPosted(uint256 requirementId, RequirementTerms calldata terms) private {
        emit RequirementPosted(
            requirementId,
            msg.sender,
            terms.commitment,
            terms.arbiter,
            terms.descriptionHash,
            terms.priceWei,
            terms.capacity,
            terms.fieldCount,
            terms.minSatisfied,
            terms.expiresAt,
            terms.grantPeriod,
            terms.reviewPeriod,
            terms.bondWei
        );
    }

    /// @dev Whether the proof is canonically encoded (every coordinate below the base field: the
    /// generated verifier reduces `pA[1]` modulo q itself, so a non-canonical copy of a valid
    /// proof would otherwise verify) and verifies. A verifier that reverts counts as a rejection.
    function _verifies(
        IGroth16Verifier verifier,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] memory signals
    ) private view returns (bool) {
        uint256 q = SNARK_BASE_FIELD;
        if (
            pA[0] >= q || pA[1] >= q || pB[0][0] >= q || pB[0][1] >= q || pB[1][0] >= q || pB[1][1] >= q
                || pC[0] >= q || pC[1] >= q
        ) return false;
        try verifier.verifyProof(pA, pB, pC, signals) returns (bool valid) {
            return valid;
        } catch {
            return false;
        }
    }
}
