// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IConsortium} from "./IConsortium.sol";
import {IDataRegistry} from "./IDataRegistry.sol";

/// @title IShapleyPayout
/// @notice Revenue rounds shared among data owners by their Shapley values (research: Shen, Zhu,
/// Xu, "Blockchain-based privacy-preserving data sharing", ch. 7 §7.3–7.4, Eq. 7.6 and
/// Theorem 1: a third party's revenue from a prediction service is shared among the owners whose
/// data trained its model, in proportion to their Shapley values on the model's test F1).
/// @dev The life of a round.
/// 1. The paying third party opens it with ether (`openMerkleRound` or `openShapleyRound`),
///    committing to the split (a Merkle root of (index, payee, amount) leaves, or the hash of a
///    table of 2^n coalition utilities) and to the valuation it came from: the SHA-256 of the
///    valuation record (`offchain.learning.valuation.ValuationRecord.canonical_hash`), the
///    test set's SHA-256 and the `DataRegistry` file ids of the owners' training data. It may
///    add ether (`fund`) until the first agency approves.
/// 2. The `Consortium`'s agencies check the valuation off chain (anyone can recompute it from
///    the registered files and the test set) and approve the round's `commitmentOf` (which
///    covers the split, the pool and the valuation). ⌈2n/3⌉ approvals of the n current agencies
///    (`IConsortium.quorum`, counted within one membership epoch) approve the round.
/// 3. Merkle rounds are then payable: each payee claims its own leaf with a proof (`claim`).
///    Shapley rounds first need their table posted as calldata (`settleShapley`, anyone: only
///    the approved table is accepted); the contract computes the split itself
///    (`computeShares`), and each owner withdraws its share (`withdraw`). Every share is paid
///    once, to its payee only (pull payments).
/// 4. After the deadline, the funder takes back what was not paid (`reclaim`): of a round never
///    approved, the whole pool.
///
/// The exact-sum rule of the on-chain split (the same as
/// `offchain.learning.valuation.shapley.integer_shares`): Φ_i = n!·φ_i =
/// Σ_{S ⊆ N∖{i}} |S|!(n − |S| − 1)!(v(S ∪ {i}) − v(S)) in exact integers; Φ⁺_i = max(Φ_i, 0);
/// if Σ Φ⁺ > 0, share_i = ⌊pool · Φ⁺_i / Σ Φ⁺⌋ and the remainder (fewer than n wei) goes to the
/// payee with the largest Φ⁺ (the lowest index among equals); if Σ Φ⁺ = 0, share_i = ⌊pool / n⌋
/// and the remainder goes to index 0. The shares sum to the pool exactly. A Merkle round's
/// leaves must sum to the pool as well: the contract cannot see the leaves, so the agencies
/// check it before approving (`offchain.chain.shapley_payout.PayoutTree` builds such trees);
/// claims can never take more than the pool in any case.
interface IShapleyPayout {
    /// @notice How a round states its split.
    enum SplitMode {
        Merkle,
        OnChainShapley
    }

    /// @notice Where a round stands.
    /// `Proposed`: funded, awaiting the agencies' approval. `Approved`: an on-chain-Shapley
    /// round whose table is not posted yet. `Payable`: shares can be claimed or withdrawn.
    /// `Closed`: the funder reclaimed what was left after the deadline.
    enum RoundStatus {
        None,
        Proposed,
        Approved,
        Payable,
        Closed
    }

    /// @notice What the valuation was computed from, so that anyone can recompute it.
    /// @param recordHash SHA-256 of the valuation record's canonical JSON.
    /// @param testSetHash SHA-256 of the held-out test set (`digest_test_set`).
    /// @param fileIds The `DataRegistry` file ids of the owners' training data, in owner (bit) order.
    struct Valuation {
        bytes32 recordHash;
        bytes32 testSetHash;
        bytes32[] fileIds;
    }

    /// @notice A round as stored (five slots).
    /// @param funder The third party that paid the pool; it alone funds and reclaims.
    /// @param deadline Last timestamp for approvals, settlement and payments, in seconds.
    /// @param mode How the split is stated.
    /// @param status Where the round stands.
    /// @param ownerCount n of an on-chain-Shapley round (0 for Merkle rounds).
    /// @param fundingClosed Whether an agency approved already (no more `fund`).
    /// @param leafCount The Merkle tree's leaves (0 for on-chain-Shapley rounds).
    /// @param poolWei The ether to share.
    /// @param paidWei The ether paid out so far.
    /// @param splitRoot The Merkle root, or keccak256 of the packed utility table.
    /// @param valuationHash keccak256(abi.encode(recordHash, testSetHash,
    /// keccak256(abi.encodePacked(fileIds)))).
    /// @param epoch The membership epoch of the approvals counted in `approvals`.
    /// @param approvals Approvals of the current tally.
    /// @param paidMask On-chain-Shapley rounds: bit i is set once owner i was paid.
    struct Round {
        address funder; // funder .. leafCount: one slot, the one every call reads first
        uint48 deadline;
        SplitMode mode;
        RoundStatus status;
        uint8 ownerCount;
        bool fundingClosed;
        uint16 leafCount;
        uint128 poolWei; // poolWei and paidWei: one slot, written by every payment
        uint128 paidWei;
        bytes32 splitRoot;
        bytes32 valuationHash;
        uint64 epoch; // epoch, approvals, paidMask: one slot
        uint32 approvals;
        uint16 paidMask;
    }

    /// @notice A third party opened a round.
    /// @param roundId The round (1 for the first, then increasing by one).
    /// @param funder The third party.
    /// @param mode How the split is stated.
    /// @param splitRoot The Merkle root, or the hash of the utility table.
    /// @param count The Merkle leaves, or the owners n.
    /// @param poolWei The ether sent.
    /// @param deadline Last timestamp for approvals and payments.
    /// @param recordHash SHA-256 of the valuation record.
    /// @param testSetHash SHA-256 of the test set.
    /// @param fileIds The owners' `DataRegistry` file ids.
    /// @param payees On-chain-Shapley rounds: each file's registered owner, who is paid owner
    /// i's share (empty for Merkle rounds, whose payees are in the leaves).
    event RoundOpened(
        uint256 indexed roundId,
        address indexed funder,
        SplitMode mode,
        bytes32 splitRoot,
        uint256 count,
        uint256 poolWei,
        uint64 deadline,
        bytes32 recordHash,
        bytes32 testSetHash,
        bytes32[] fileIds,
        address[] payees
    );

    /// @notice The funder added ether to a round's pool before any approval.
    /// @param roundId The round.
    /// @param funder The funder.
    /// @param amountWei The ether added.
    /// @param poolWei The pool now.
    event RoundFunded(uint256 indexed roundId, address indexed funder, uint256 amountWei, uint256 poolWei);

    /// @notice An agency approved a round's commitment.
    /// @param roundId The round.
    /// @param agency The approving consortium member.
    /// @param commitment The `commitmentOf` it approved.
    /// @param epoch The consortium's membership epoch.
    /// @param approvals Approvals in this epoch so far, this one included.
    event ValuationApproved(
        uint256 indexed roundId, address indexed agency, bytes32 commitment, uint64 epoch, uint256 approvals
    );

    /// @notice The round reached the consortium's quorum.
    /// @param roundId The round.
    /// @param commitment The approved `commitmentOf`.
    /// @param epoch The membership epoch of the approvals.
    /// @param approvals The approvals counted.
    /// @param quorum The quorum they reached.
    event RoundApproved(uint256 indexed roundId, bytes32 commitment, uint64 epoch, uint256 approvals, uint256 quorum);

    /// @notice The approved utility table was posted and the contract computed the split.
    /// @param roundId The round.
    /// @param caller Who posted it.
    /// @param table The 2^n coalition utilities, indexed by bitmask (bit i = owner i).
    /// @param shares Each owner's share in wei; they sum to the pool.
    event SharesComputed(uint256 indexed roundId, address indexed caller, uint256[] table, uint256[] shares);

    /// @notice A payee was paid its share.
    /// @param roundId The round.
    /// @param payee The payee (the caller).
    /// @param index Its leaf index (Merkle) or owner index (on-chain Shapley).
    /// @param amountWei The ether paid.
    event SharePaid(uint256 indexed roundId, address indexed payee, uint256 indexed index, uint256 amountWei);

    /// @notice After the deadline, the funder took back what was not paid; the round is closed.
    /// @param roundId The round.
    /// @param funder The funder.
    /// @param returnedWei The ether returned (pool − paid).
    event RoundClosed(uint256 indexed roundId, address indexed funder, uint256 returnedWei);

    /// @notice A constructor argument has no code.
    /// @param account The address given.
    error ShapleyPayoutNoCode(address account);

    /// @notice No round has this id.
    /// @param roundId The id asked for.
    error ShapleyPayoutUnknownRound(uint256 roundId);

    /// @notice A call that needs ether came with none.
    error ShapleyPayoutNoValue();

    /// @notice The pool would exceed 2^128 − 1 wei.
    /// @param poolWei The pool it would reach.
    error ShapleyPayoutPoolTooLarge(uint256 poolWei);

    /// @notice A required argument was zero.
    /// @param field Its name ("merkleRoot", "tableHash", "recordHash", "testSetHash" or "fileId").
    error ShapleyPayoutZeroField(string field);

    /// @notice The round's period is out of range.
    /// @param period The period given, in seconds.
    /// @param minimum `MIN_PERIOD`.
    /// @param maximum `MAX_PERIOD`.
    error ShapleyPayoutInvalidPeriod(uint64 period, uint64 minimum, uint64 maximum);

    /// @notice A Merkle round's leaf count is out of range.
    /// @param leafCount The count given.
    /// @param maximum `MAX_LEAVES`.
    error ShapleyPayoutInvalidLeafCount(uint256 leafCount, uint256 maximum);

    /// @notice An on-chain-Shapley round names 0 or more than `MAX_OWNERS` owners.
    /// @param ownerCount The number of file ids given.
    /// @param maximum `MAX_OWNERS`.
    error ShapleyPayoutInvalidOwnerCount(uint256 ownerCount, uint256 maximum);

    /// @notice A round names no file id, or more than `MAX_FILES`.
    /// @param fileCount The number of file ids given.
    /// @param maximum `MAX_FILES`.
    error ShapleyPayoutInvalidFileCount(uint256 fileCount, uint256 maximum);

    /// @notice A file id appears twice.
    /// @param fileId The id.
    error ShapleyPayoutDuplicateFile(bytes32 fileId);

    /// @notice A file id is not registered in the `DataRegistry`.
    /// @param fileId The id.
    error ShapleyPayoutUnknownFile(bytes32 fileId);

    /// @notice Only the round's funder may do this.
    /// @param roundId The round.
    /// @param caller The account that tried.
    /// @param funder The funder.
    error ShapleyPayoutNotFunder(uint256 roundId, address caller, address funder);

    /// @notice An agency approved already: the pool is fixed.
    /// @param roundId The round.
    error ShapleyPayoutFundingClosed(uint256 roundId);

    /// @notice The caller is not a member of the consortium.
    /// @param account The account.
    error ShapleyPayoutNotAgency(address account);

    /// @notice The round is not in the status this call needs.
    /// @param roundId The round.
    /// @param status Its status.
    /// @param expected The status needed.
    error ShapleyPayoutWrongStatus(uint256 roundId, RoundStatus status, RoundStatus expected);

    /// @notice The round's split is stated the other way.
    /// @param roundId The round.
    /// @param mode Its mode.
    error ShapleyPayoutWrongMode(uint256 roundId, SplitMode mode);

    /// @notice The round's deadline has passed.
    /// @param roundId The round.
    /// @param deadline Its deadline.
    error ShapleyPayoutDeadlinePassed(uint256 roundId, uint64 deadline);

    /// @notice The round's deadline has not passed yet.
    /// @param roundId The round.
    /// @param deadline Its deadline.
    error ShapleyPayoutBeforeDeadline(uint256 roundId, uint64 deadline);

    /// @notice The commitment approved is not the round's.
    /// @param roundId The round.
    /// @param expected `commitmentOf(roundId)`.
    /// @param given The commitment the agency approved.
    error ShapleyPayoutCommitmentMismatch(uint256 roundId, bytes32 expected, bytes32 given);

    /// @notice The agency approved this round already in this membership epoch.
    /// @param roundId The round.
    /// @param agency The agency.
    error ShapleyPayoutAlreadyApproved(uint256 roundId, address agency);

    /// @notice The table posted is not the approved one.
    /// @param roundId The round.
    /// @param expected The approved table hash.
    /// @param found keccak256 of the table posted.
    error ShapleyPayoutTableMismatch(uint256 roundId, bytes32 expected, bytes32 found);

    /// @notice A table does not hold 2^n utilities for 1 ≤ n ≤ `MAX_OWNERS`.
    /// @param length The table's length.
    error ShapleyPayoutInvalidTable(uint256 length);

    /// @notice A utility exceeds `MAX_WORTH`.
    /// @param index Its position in the table.
    /// @param worth Its value.
    error ShapleyPayoutWorthTooLarge(uint256 index, uint256 worth);

    /// @notice The leaf (or owner) index is not in the round.
    /// @param roundId The round.
    /// @param index The index given.
    /// @param count The round's leaves or owners.
    error ShapleyPayoutIndexOutOfRange(uint256 roundId, uint256 index, uint256 count);

    /// @notice This share was paid already.
    /// @param roundId The round.
    /// @param index The leaf or owner index.
    error ShapleyPayoutAlreadyPaid(uint256 roundId, uint256 index);

    /// @notice The proof does not place (index, caller, amount) under the round's root.
    /// @param roundId The round.
    /// @param index The leaf index.
    /// @param payee The caller.
    /// @param amountWei The amount claimed.
    error ShapleyPayoutInvalidProof(uint256 roundId, uint256 index, address payee, uint256 amountWei);

    /// @notice Only the registered owner of the file may withdraw this share.
    /// @param roundId The round.
    /// @param index The owner index.
    /// @param caller The account that tried.
    /// @param payee The payee.
    error ShapleyPayoutNotPayee(uint256 roundId, uint256 index, address caller, address payee);

    /// @notice The claims would exceed the pool (the tree's leaves sum to more than it).
    /// @param roundId The round.
    /// @param paidWei Paid so far.
    /// @param amountWei The amount claimed.
    /// @param poolWei The pool.
    error ShapleyPayoutPoolExceeded(uint256 roundId, uint256 paidWei, uint256 amountWei, uint256 poolWei);

    /// @notice Sending ether failed.
    /// @param to The receiver.
    /// @param amountWei The amount.
    error ShapleyPayoutTransferFailed(address to, uint256 amountWei);

    /// @notice The most owners an on-chain-Shapley round has: its table holds 2^10 utilities.
    /// @return maximum 10.
    function MAX_OWNERS() external view returns (uint256 maximum);

    /// @notice The most leaves of a Merkle round.
    /// @return maximum 32,768.
    function MAX_LEAVES() external view returns (uint256 maximum);

    /// @notice The most file ids a valuation names.
    /// @return maximum 1,024.
    function MAX_FILES() external view returns (uint256 maximum);

    /// @notice The largest utility an on-chain table holds (no product can overflow).
    /// @return maximum 2^64 − 1.
    function MAX_WORTH() external view returns (uint256 maximum);

    /// @notice The shortest round, in seconds (the agencies need time to check).
    /// @return minimum 1 hour.
    function MIN_PERIOD() external view returns (uint64 minimum);

    /// @notice The longest round, in seconds.
    /// @return maximum 365 days.
    function MAX_PERIOD() external view returns (uint64 maximum);

    /// @notice The consortium whose agencies approve valuations.
    /// @return approvingConsortium The consortium.
    function consortium() external view returns (IConsortium approvingConsortium);

    /// @notice The registry of the owners' training files.
    /// @return fileRegistry The registry.
    function registry() external view returns (IDataRegistry fileRegistry);

    /// @notice Open a round whose split is a Merkle tree of (index, payee, amount) leaves, with
    /// `msg.value` as its pool; the caller is its funder.
    /// @dev Reverts with `ShapleyPayoutNoValue`, `ShapleyPayoutPoolTooLarge`,
    /// `ShapleyPayoutZeroField` ("merkleRoot", "recordHash", "testSetHash", "fileId"),
    /// `ShapleyPayoutInvalidFileCount`, `ShapleyPayoutInvalidLeafCount`, `ShapleyPayoutInvalidPeriod`. Emits `RoundOpened`.
    /// The funder pays for the claim bitmap here, one storage word per 255 leaves (about 87 gas
    /// a leaf), so that every claim writes a word that is already nonzero.
    /// NOTE: the leaves must sum to the pool exactly (the agencies check it before approving).
    /// @param merkleRoot Root over the leaves keccak256(keccak256(abi.encode(index, payee, amountWei))),
    /// sorted-pair hashing (OpenZeppelin `MerkleProof`).
    /// @param leafCount The number of leaves, 1 .. `MAX_LEAVES`; indices run 0 .. leafCount − 1.
    /// @param valuation What the split was computed from.
    /// @param period Seconds from now to the deadline, `MIN_PERIOD` .. `MAX_PERIOD`.
    /// @return roundId The new round.
    function openMerkleRound(bytes32 merkleRoot, uint256 leafCount, Valuation calldata valuation, uint64 period)
        external
        payable
        returns (uint256 roundId);

    /// @notice Open a round whose split the contract computes from a table of 2^n coalition
    /// utilities, with `msg.value` as its pool; the caller is its funder.
    /// @dev n is the number of file ids, 1 .. `MAX_OWNERS`; owner i is paid at the address that
    /// registered file i (`IDataRegistry.getFile`), read now. Reverts with
    /// `ShapleyPayoutInvalidOwnerCount`, `ShapleyPayoutDuplicateFile`,
    /// `ShapleyPayoutUnknownFile`, and as `openMerkleRound` ("tableHash" for a zero hash).
    /// Emits `RoundOpened` with the payees.
    /// @param tableHash keccak256(abi.encodePacked(table)) of the uint256[2^n] utility table.
    /// @param valuation What the table was computed from; its file ids are the owners.
    /// @param period Seconds from now to the deadline, `MIN_PERIOD` .. `MAX_PERIOD`.
    /// @return roundId The new round.
    function openShapleyRound(bytes32 tableHash, Valuation calldata valuation, uint64 period)
        external
        payable
        returns (uint256 roundId);

    /// @notice Add `msg.value` to a round's pool.
    /// @dev Only the funder (`ShapleyPayoutNotFunder`), before the first approval
    /// (`ShapleyPayoutFundingClosed`) and the deadline. Reverts with `ShapleyPayoutUnknownRound`,
    /// `ShapleyPayoutNoValue`, `ShapleyPayoutPoolTooLarge`, `ShapleyPayoutDeadlinePassed`. Emits
    /// `RoundFunded`. The commitment changes with the pool.
    /// @param roundId The round.
    function fund(uint256 roundId) external payable;

    /// @notice Approve a round's commitment as a consortium agency.
    /// @dev Only members (`ShapleyPayoutNotAgency`), once per membership epoch
    /// (`ShapleyPayoutAlreadyApproved`), while the round is `Proposed` (`ShapleyPayoutWrongStatus`)
    /// and before its deadline (`ShapleyPayoutDeadlinePassed`); `commitment` must be
    /// `commitmentOf(roundId)` (`ShapleyPayoutCommitmentMismatch`), so an agency approves exactly
    /// what it checked. Approvals count within one membership epoch: after an admission or a
    /// removal the tally starts again. The first approval closes funding. Emits
    /// `ValuationApproved`, and `RoundApproved` when the approvals reach `IConsortium.quorum()`:
    /// a Merkle round becomes `Payable`, an on-chain-Shapley round `Approved`.
    /// @param roundId The round.
    /// @param commitment The commitment the agency checked.
    function approve(uint256 roundId, bytes32 commitment) external;

    /// @notice Post an approved on-chain-Shapley round's utility table; the contract computes
    /// and stores the owners' shares and the round becomes `Payable`.
    /// @dev Anyone may call: only the approved table is accepted (`ShapleyPayoutTableMismatch`),
    /// so the caller has no say in the result. Reverts with `ShapleyPayoutUnknownRound`,
    /// `ShapleyPayoutWrongMode`, `ShapleyPayoutWrongStatus` (not `Approved`),
    /// `ShapleyPayoutDeadlinePassed`, `ShapleyPayoutWorthTooLarge`. Emits `SharesComputed`.
    /// Gas grows as n·2^n (about 0.6 M at n = 10 with the table's calldata).
    /// @param roundId The round.
    /// @param table The 2^n utilities indexed by bitmask (bit i = owner i).
    function settleShapley(uint256 roundId, uint256[] calldata table) external;

    /// @notice Claim the caller's leaf of a payable Merkle round.
    /// @dev nonReentrant. Reverts with `ShapleyPayoutUnknownRound`, `ShapleyPayoutWrongMode`,
    /// `ShapleyPayoutWrongStatus` (not `Payable`), `ShapleyPayoutDeadlinePassed`,
    /// `ShapleyPayoutIndexOutOfRange`, `ShapleyPayoutAlreadyPaid`, `ShapleyPayoutInvalidProof`
    /// (the leaf is built with `msg.sender`: nobody claims another's leaf),
    /// `ShapleyPayoutPoolExceeded`, `ShapleyPayoutTransferFailed`. Emits `SharePaid`.
    /// @param roundId The round.
    /// @param index The leaf's index.
    /// @param amountWei The leaf's amount.
    /// @param proof The sibling hashes from the leaf to the root.
    function claim(uint256 roundId, uint256 index, uint256 amountWei, bytes32[] calldata proof) external;

    /// @notice Withdraw owner `index`'s share of a payable on-chain-Shapley round.
    /// @dev nonReentrant; only that owner's payee (`ShapleyPayoutNotPayee`), once
    /// (`ShapleyPayoutAlreadyPaid`). Reverts with `ShapleyPayoutUnknownRound`,
    /// `ShapleyPayoutWrongMode`, `ShapleyPayoutWrongStatus`, `ShapleyPayoutDeadlinePassed`,
    /// `ShapleyPayoutIndexOutOfRange`, `ShapleyPayoutTransferFailed`. Emits `SharePaid`.
    /// @param roundId The round.
    /// @param index The owner's index (its file's position in the valuation).
    function withdraw(uint256 roundId, uint256 index) external;

    /// @notice After the deadline, return what was not paid to the funder and close the round.
    /// @dev nonReentrant; only the funder (`ShapleyPayoutNotFunder`), after the deadline
    /// (`ShapleyPayoutBeforeDeadline`), once (`ShapleyPayoutWrongStatus` once `Closed`). Works
    /// in any other status: an unapproved round returns its whole pool. Emits `RoundClosed`.
    /// @param roundId The round.
    function reclaim(uint256 roundId) external;

    /// @notice The number of rounds opened, which is also the latest round's id.
    /// @return count The number of rounds.
    function roundCount() external view returns (uint256 count);

    /// @notice Round `roundId`.
    /// @dev Reverts with `ShapleyPayoutUnknownRound`.
    /// @param roundId The round.
    /// @return round The round.
    function roundOf(uint256 roundId) external view returns (Round memory round);

    /// @notice What the agencies approve: keccak256(abi.encode(this contract, chain id, roundId,
    /// mode, splitRoot, leafCount, ownerCount, poolWei, deadline, valuationHash)).
    /// @dev Reverts with `ShapleyPayoutUnknownRound`.
    /// @param roundId The round.
    /// @return commitment The commitment.
    function commitmentOf(uint256 roundId) external view returns (bytes32 commitment);

    /// @notice The payees of an on-chain-Shapley round, by owner index (empty for Merkle rounds).
    /// @param roundId The round.
    /// @return payees The registered owners of the round's files.
    function payeesOf(uint256 roundId) external view returns (address[] memory payees);

    /// @notice Owner `index`'s share of a settled on-chain-Shapley round (0 before settlement).
    /// @param roundId The round.
    /// @param index The owner's index.
    /// @return amountWei The share.
    function shareOf(uint256 roundId, uint256 index) external view returns (uint256 amountWei);

    /// @notice Whether leaf (Merkle) or owner (on-chain Shapley) `index` of the round was paid.
    /// @param roundId The round.
    /// @param index The index.
    /// @return paid True once paid.
    function isPaid(uint256 roundId, uint256 index) external view returns (bool paid);

    /// @notice Whether `agency` approved the round in membership epoch `epoch`.
    /// @param roundId The round.
    /// @param epoch The consortium's membership epoch.
    /// @param agency The account.
    /// @return approved True if it did.
    function hasApproved(uint256 roundId, uint64 epoch, address agency) external view returns (bool approved);

    /// @notice The exact-sum Shapley split of `poolWei` for a table of 2^n utilities (the rule
    /// in the interface's notes; `settleShapley` applies it).
    /// @dev Reverts with `ShapleyPayoutInvalidTable` or `ShapleyPayoutWorthTooLarge`.
    /// @param poolWei The amount to split.
    /// @param table The 2^n utilities indexed by bitmask, each at most `MAX_WORTH`.
    /// @return shares n shares summing to `poolWei`.
    function computeShares(uint256 poolWei, uint256[] calldata table) external pure returns (uint256[] memory shares);

    /// @notice A Merkle round's leaf: keccak256(bytes.concat(keccak256(abi.encode(index, payee, amountWei)))).
    /// @param index The leaf's index.
    /// @param payee The payee.
    /// @param amountWei The amount.
    /// @return leaf The leaf hash.
    function leafOf(uint256 index, address payee, uint256 amountWei) external pure returns (bytes32 leaf);
}
