// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IDataRegistry} from "../interfaces/IDataRegistry.sol";
import {IShapleyPayout} from "../interfaces/IShapleyPayout.sol";

/// @title ShapleyPayout
/// @notice A third party's revenue shared among data owners by their Shapley values, approved by
/// the consortium's agencies and paid out by pull payments (research: Shen, Zhu, Xu,
/// "Blockchain-based privacy-preserving data sharing", ch. 7 §7.3–7.4, Eq. 7.6, Theorem 1). A
/// round states its split either as a Merkle root of (index, payee, amount) leaves (any number of
/// payees: owners, miners, third parties) or, for up to `MAX_OWNERS` owners, as a table of
/// coalition utilities from which the contract computes the Shapley split itself. See
/// `IShapleyPayout` for the life of a round and the exact-sum rule.
/// @dev Trust assumptions. The agencies are trusted to approve only valuations they checked:
/// that the utilities are the test F1 scores of models trained on the named registered files
/// against the named test set, and, for a Merkle round, that the leaves are the split of those
/// utilities and sum to the pool. In an on-chain-Shapley round they attest the utilities only:
/// the arithmetic is the contract's, and the payees are the files' registered owners. Nobody
/// else influences a payment: the funder fixes the pool before the first approval, payees take
/// only their own leaf or share, and the funder gets back only what is left after the
/// deadline. ⌈2n/3⌉ approvals of one membership epoch approve a round (as `Consortium` ballots
/// and `ConsortiumArbiter` disputes). Pool = paid + unclaimed at every step; a payment can
/// never take more than the pool.
///
/// Gas. A Merkle claim reads two round slots and the root, writes one slot of the claim bitmap
/// (preset nonzero by the funder at opening: 255 leaves a word, bit 255 a sentinel, so a claim
/// never pays for a fresh slot) and the paid total, and checks an O(log leaves) proof: about
/// 58,000 gas at 1,000 leaves (Uniswap's merkle-distributor: 62,824–91,650). The on-chain
/// Shapley split reads each of the 2^n utilities once and adds it to 2n running sums (n·2^n
/// steps, no storage), then writes n shares. Loops: the bitmap preset (at most `MAX_LEAVES` / 255
/// words, paid by the funder), the file ids (at most `MAX_FILES`), the owners (at most
/// `MAX_OWNERS`), the table (2^`MAX_OWNERS`).
/// Ether leaves only through `claim`, `withdraw` and `reclaim` (nonReentrant, state written
/// before the transfer).
contract ShapleyPayout is IShapleyPayout, ReentrancyGuard {
    /// @inheritdoc IShapleyPayout
    uint256 public constant MAX_OWNERS = 10;
    /// @inheritdoc IShapleyPayout
    uint256 public constant MAX_LEAVES = 32_768;
    /// @inheritdoc IShapleyPayout
    uint256 public constant MAX_FILES = 1024;
    /// @inheritdoc IShapleyPayout
    uint256 public constant MAX_WORTH = type(uint64).max;
    /// @inheritdoc IShapleyPayout
    uint64 public constant MIN_PERIOD = 1 hours;
    /// @inheritdoc IShapleyPayout
    uint64 public constant MAX_PERIOD = 365 days;

    uint256 private constant _BITS_PER_WORD = 255; // bit 255 of every bitmap word is the sentinel
    uint256 private constant _SENTINEL = 1 << 255;

    /// @inheritdoc IShapleyPayout
    IConsortium public immutable consortium;
    /// @inheritdoc IShapleyPayout
    IDataRegistry public immutable registry;

    uint256 private _roundCount;
    mapping(uint256 roundId => Round) private _rounds;
    mapping(uint256 roundId => mapping(uint256 word => uint256 bits)) private _claimed; // Merkle leaves paid
    mapping(uint256 roundId => address[] payees) private _payees; // on-chain Shapley: file owners
    mapping(uint256 roundId => mapping(uint256 index => uint256 amountWei)) private _shares;
    mapping(uint256 roundId => mapping(uint64 epoch => mapping(address agency => bool))) private _approved;

    /// @notice Payouts approved by the agencies of `consortium_`, to the owners of files of `registry_`.
    /// @dev Reverts with `ShapleyPayoutNoCode` if either has no code.
    /// @param consortium_ The consortium whose members approve valuations.
    /// @param registry_ The registry of the owners' training files.
    constructor(IConsortium consortium_, IDataRegistry registry_) {
        if (address(consortium_).code.length == 0) revert ShapleyPayoutNoCode(address(consortium_));
        if (address(registry_).code.length == 0) revert ShapleyPayoutNoCode(address(registry_));
        consortium = consortium_;
        registry = registry_;
    }

    // --- opening and funding ------------------------------------------------------------------

    /// @inheritdoc IShapleyPayout
    function openMerkleRound(bytes32 merkleRoot, uint256 leafCount, Valuation calldata valuation, uint64 period)
        external
        payable
        returns (uint256 roundId)
    {
        if (merkleRoot == bytes32(0)) revert ShapleyPayoutZeroField("merkleRoot");
        if (leafCount == 0 || leafCount > MAX_LEAVES) revert ShapleyPayoutInvalidLeafCount(leafCount, MAX_LEAVES);
        roundId = _open(SplitMode.Merkle, merkleRoot, valuation, period);
        Round storage round = _rounds[roundId];
        round.leafCount = uint16(leafCount); // ≤ MAX_LEAVES < 2^16
        mapping(uint256 => uint256) storage claimed = _claimed[roundId];
        uint256 words = (leafCount + _BITS_PER_WORD - 1) / _BITS_PER_WORD;
        for (uint256 word = 0; word < words; ++word) {
            // bounded by MAX_LEAVES / 255 + 1; a claim then rewrites a nonzero word (5,000 gas, not 22,100)
            claimed[word] = _SENTINEL;
        }
        _emitOpened(roundId, round, leafCount, valuation, new address[](0));
    }

    /// @inheritdoc IShapleyPayout
    function openShapleyRound(bytes32 tableHash, Valuation calldata valuation, uint64 period)
        external
        payable
        returns (uint256 roundId)
    {
        if (tableHash == bytes32(0)) revert ShapleyPayoutZeroField("tableHash");
        bytes32[] calldata fileIds = valuation.fileIds;
        uint256 count = fileIds.length;
        if (count == 0 || count > MAX_OWNERS) revert ShapleyPayoutInvalidOwnerCount(count, MAX_OWNERS);
        address[] memory payees = new address[](count);
        for (uint256 i = 0; i < count; ++i) {
            // bounded by MAX_OWNERS (and the pairwise check by MAX_OWNERS² / 2)
            bytes32 fileId = fileIds[i];
            for (uint256 j = 0; j < i; ++j) {
                if (fileIds[j] == fileId) revert ShapleyPayoutDuplicateFile(fileId);
            }
            if (!registry.isRegistered(fileId)) revert ShapleyPayoutUnknownFile(fileId);
            payees[i] = registry.getFile(fileId).owner;
        }
        roundId = _open(SplitMode.OnChainShapley, tableHash, valuation, period);
        Round storage round = _rounds[roundId];
        round.ownerCount = uint8(count); // ≤ MAX_OWNERS
        _payees[roundId] = payees;
        _emitOpened(roundId, round, count, valuation, payees);
    }

    /// @inheritdoc IShapleyPayout
    function fund(uint256 roundId) external payable {
        Round storage round = _round(roundId);
        if (msg.sender != round.funder) revert ShapleyPayoutNotFunder(roundId, msg.sender, round.funder);
        if (round.status != RoundStatus.Proposed) {
            revert ShapleyPayoutWrongStatus(roundId, round.status, RoundStatus.Proposed);
        }
        if (round.fundingClosed) revert ShapleyPayoutFundingClosed(roundId);
        _requireBeforeDeadline(roundId, round);
        if (msg.value == 0) revert ShapleyPayoutNoValue();
        uint256 pool = uint256(round.poolWei) + msg.value;
        if (pool > type(uint128).max) revert ShapleyPayoutPoolTooLarge(pool);

        round.poolWei = uint128(pool);
        emit RoundFunded(roundId, msg.sender, msg.value, pool);
    }

    // --- approval -----------------------------------------------------------------------------

    /// @inheritdoc IShapleyPayout
    function approve(uint256 roundId, bytes32 commitment) external {
        Round storage round = _round(roundId);
        if (!consortium.isMember(msg.sender)) revert ShapleyPayoutNotAgency(msg.sender);
        if (round.status != RoundStatus.Proposed) {
            revert ShapleyPayoutWrongStatus(roundId, round.status, RoundStatus.Proposed);
        }
        _requireBeforeDeadline(roundId, round);
        bytes32 expected = _commitment(roundId, round);
        if (commitment != expected) revert ShapleyPayoutCommitmentMismatch(roundId, expected, commitment);
        uint64 epoch = consortium.membershipEpoch();
        if (_approved[roundId][epoch][msg.sender]) revert ShapleyPayoutAlreadyApproved(roundId, msg.sender);

        _approved[roundId][epoch][msg.sender] = true;
        uint32 approvals = round.epoch == epoch ? round.approvals + 1 : 1; // a new membership counts afresh
        round.epoch = epoch;
        round.approvals = approvals;
        round.fundingClosed = true;
        emit ValuationApproved(roundId, msg.sender, commitment, epoch, approvals);

        uint256 quorum = consortium.quorum();
        if (approvals < quorum) return;
        round.status = round.mode == SplitMode.Merkle ? RoundStatus.Payable : RoundStatus.Approved;
        emit RoundApproved(roundId, commitment, epoch, approvals, quorum);
    }

    // --- the on-chain Shapley split -----------------------------------------------------------

    /// @inheritdoc IShapleyPayout
    function settleShapley(uint256 roundId, uint256[] calldata table) external {
        Round storage round = _round(roundId);
        if (round.mode != SplitMode.OnChainShapley) revert ShapleyPayoutWrongMode(roundId, round.mode);
        if (round.status != RoundStatus.Approved) {
            revert ShapleyPayoutWrongStatus(roundId, round.status, RoundStatus.Approved);
        }
        _requireBeforeDeadline(roundId, round);
        uint256 n = round.ownerCount;
        if (table.length != 1 << n) revert ShapleyPayoutInvalidTable(table.length);
        bytes32 found = keccak256(abi.encodePacked(table));
        if (found != round.splitRoot) revert ShapleyPayoutTableMismatch(roundId, round.splitRoot, found);

        uint256[] memory shares = _shapleyShares(round.poolWei, table);
        mapping(uint256 => uint256) storage stored = _shares[roundId];
        for (uint256 i = 0; i < n; ++i) {
            // bounded by MAX_OWNERS
            stored[i] = shares[i];
        }
        round.status = RoundStatus.Payable;
        emit SharesComputed(roundId, msg.sender, table, shares);
    }

    /// @inheritdoc IShapleyPayout
    function computeShares(uint256 poolWei, uint256[] calldata table) external pure returns (uint256[] memory shares) {
        return _shapleyShares(poolWei, table);
    }

    // --- payments -----------------------------------------------------------------------------

    /// @inheritdoc IShapleyPayout
    function claim(uint256 roundId, uint256 index, uint256 amountWei, bytes32[] calldata proof)
        external
        nonReentrant
    {
        Round storage round = _payable(roundId, SplitMode.Merkle);
        if (index >= round.leafCount) revert ShapleyPayoutIndexOutOfRange(roundId, index, round.leafCount);
        uint256 word = index / _BITS_PER_WORD;
        uint256 bit = 1 << (index % _BITS_PER_WORD);
        uint256 bits = _claimed[roundId][word];
        if (bits & bit != 0) revert ShapleyPayoutAlreadyPaid(roundId, index);
        if (!MerkleProof.verifyCalldata(proof, round.splitRoot, _leaf(index, msg.sender, amountWei))) {
            revert ShapleyPayoutInvalidProof(roundId, index, msg.sender, amountWei);
        }

        _claimed[roundId][word] = bits | bit;
        _pay(roundId, round, index, amountWei);
    }

    /// @inheritdoc IShapleyPayout
    function withdraw(uint256 roundId, uint256 index) external nonReentrant {
        Round storage round = _payable(roundId, SplitMode.OnChainShapley);
        if (index >= round.ownerCount) revert ShapleyPayoutIndexOutOfRange(roundId, index, round.ownerCount);
        address payee = _payees[roundId][index];
        if (msg.sender != payee) revert ShapleyPayoutNotPayee(roundId, index, msg.sender, payee);
        uint16 bit = uint16(1 << index);
        if (round.paidMask & bit != 0) revert ShapleyPayoutAlreadyPaid(roundId, index);

        round.paidMask |= bit;
        _pay(roundId, round, index, _shares[roundId][index]);
    }

    /// @inheritdoc IShapleyPayout
    function reclaim(uint256 roundId) external nonReentrant {
        Round storage round = _round(roundId);
        address funder = round.funder;
        if (msg.sender != funder) revert ShapleyPayoutNotFunder(roundId, msg.sender, funder);
        if (round.status == RoundStatus.Closed) {
            revert ShapleyPayoutWrongStatus(roundId, RoundStatus.Closed, RoundStatus.Payable);
        }
        if (block.timestamp <= round.deadline) revert ShapleyPayoutBeforeDeadline(roundId, round.deadline);

        uint256 returnedWei = uint256(round.poolWei) - round.paidWei;
        round.status = RoundStatus.Closed;
        emit RoundClosed(roundId, funder, returnedWei);
        _sendToCaller(returnedWei); // the caller is the funder
    }

    // --- reads --------------------------------------------------------------------------------

    /// @inheritdoc IShapleyPayout
    function roundCount() external view returns (uint256 count) {
        return _roundCount;
    }

    /// @inheritdoc IShapleyPayout
    function roundOf(uint256 roundId) external view returns (Round memory round) {
        return _round(roundId);
    }

    /// @inheritdoc IShapleyPayout
    function commitmentOf(uint256 roundId) external view returns (bytes32 commitment) {
        return _commitment(roundId, _round(roundId));
    }

    /// @inheritdoc IShapleyPayout
    function payeesOf(uint256 roundId) external view returns (address[] memory payees) {
        return _payees[roundId];
    }

    /// @inheritdoc IShapleyPayout
    function shareOf(uint256 roundId, uint256 index) external view returns (uint256 amountWei) {
        return _shares[roundId][index];
    }

    /// @inheritdoc IShapleyPayout
    function isPaid(uint256 roundId, uint256 index) external view returns (bool paid) {
        Round storage round = _rounds[roundId];
        if (round.mode == SplitMode.OnChainShapley) return index < 16 && round.paidMask & (1 << index) != 0;
        return _claimed[roundId][index / _BITS_PER_WORD] & (1 << (index % _BITS_PER_WORD)) != 0;
    }

    /// @inheritdoc IShapleyPayout
    function hasApproved(uint256 roundId, uint64 epoch, address agency) external view returns (bool approved) {
        return _approved[roundId][epoch][agency];
    }

    /// @inheritdoc IShapleyPayout
    function leafOf(uint256 index, address payee, uint256 amountWei) external pure returns (bytes32 leaf) {
        return _leaf(index, payee, amountWei);
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev Store a new round funded with `msg.value` (checks shared by both modes).
    function _open(SplitMode mode, bytes32 splitRoot, Valuation calldata valuation, uint64 period)
        private
        returns (uint256 roundId)
    {
        if (msg.value == 0) revert ShapleyPayoutNoValue();
        if (msg.value > type(uint128).max) revert ShapleyPayoutPoolTooLarge(msg.value);
        if (valuation.recordHash == bytes32(0)) revert ShapleyPayoutZeroField("recordHash");
        if (valuation.testSetHash == bytes32(0)) revert ShapleyPayoutZeroField("testSetHash");
        if (period < MIN_PERIOD || period > MAX_PERIOD) {
            revert ShapleyPayoutInvalidPeriod(period, MIN_PERIOD, MAX_PERIOD);
        }
        uint256 fileCount = valuation.fileIds.length;
        if (fileCount == 0 || fileCount > MAX_FILES) revert ShapleyPayoutInvalidFileCount(fileCount, MAX_FILES);
        for (uint256 i = 0; i < fileCount; ++i) {
            // bounded by MAX_FILES
            if (valuation.fileIds[i] == bytes32(0)) revert ShapleyPayoutZeroField("fileId");
        }
        bytes32 fileIdsHash = keccak256(abi.encodePacked(valuation.fileIds));

        roundId = ++_roundCount;
        Round storage round = _rounds[roundId];
        round.funder = msg.sender;
        round.deadline = uint48(block.timestamp + period); // far below 2^48 seconds
        round.mode = mode;
        round.status = RoundStatus.Proposed;
        round.poolWei = uint128(msg.value);
        round.splitRoot = splitRoot;
        round.valuationHash = keccak256(abi.encode(valuation.recordHash, valuation.testSetHash, fileIdsHash));
    }

    /// @dev `RoundOpened` for a freshly stored round.
    function _emitOpened(
        uint256 roundId,
        Round storage round,
        uint256 count,
        Valuation calldata valuation,
        address[] memory payees
    ) private {
        emit RoundOpened(
            roundId,
            msg.sender,
            round.mode,
            round.splitRoot,
            count,
            round.poolWei,
            round.deadline,
            valuation.recordHash,
            valuation.testSetHash,
            valuation.fileIds,
            payees
        );
    }

    /// @dev The stored round `roundId`, or `ShapleyPayoutUnknownRound`.
    function _round(uint256 roundId) private view returns (Round storage round) {
        round = _rounds[roundId];
        if (round.status == RoundStatus.None) revert ShapleyPayoutUnknownRound(roundId);
    }

    /// @dev The round, if it is `Payable`, of `mode` and before its deadline.
    function _payable(uint256 roundId, SplitMode mode) private view returns (Round storage round) {
        round = _round(roundId);
        if (round.mode != mode) revert ShapleyPayoutWrongMode(roundId, round.mode);
        if (round.status != RoundStatus.Payable) {
            revert ShapleyPayoutWrongStatus(roundId, round.status, RoundStatus.Payable);
        }
        _requireBeforeDeadline(roundId, round);
    }

    function _requireBeforeDeadline(uint256 roundId, Round storage round) private view {
        if (block.timestamp > round.deadline) revert ShapleyPayoutDeadlinePassed(roundId, round.deadline);
    }

    function _commitment(uint256 roundId, Round storage round) private view returns (bytes32) {
        return keccak256(
            abi.encode(
                address(this),
                block.chainid,
                roundId,
                round.mode,
                round.splitRoot,
                round.leafCount,
                round.ownerCount,
                round.poolWei,
                round.deadline,
                round.valuationHash
            )
        );
    }

    /// @dev Effects then interaction of a payment: the paid total (never beyond the pool), the
    /// event, the transfer. The caller marked the share paid.
    function _pay(uint256 roundId, Round storage round, uint256 index, uint256 amountWei) private {
        uint256 paid = round.paidWei;
        uint256 pool = round.poolWei;
        if (amountWei > pool - paid) revert ShapleyPayoutPoolExceeded(roundId, paid, amountWei, pool);
        round.paidWei = uint128(paid + amountWei); // ≤ pool < 2^128
        emit SharePaid(roundId, msg.sender, index, amountWei);
        _sendToCaller(amountWei);
    }

    function _sendToCaller(uint256 amountWei) private {
        if (amountWei == 0) return;
        // the caller is the proven payee, the owner's payee or the funder (each checked before)
        // slither-disable-next-line arbitrary-send-eth
        (bool sent,) = msg.sender.call{value: amountWei}("");
        if (!sent) revert ShapleyPayoutTransferFailed(msg.sender, amountWei);
    }

    function _leaf(uint256 index, address payee, uint256 amountWei) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(index, payee, amountWei))));
    }

    /// @dev The exact-sum Shapley split (see `IShapleyPayout`). With v(S) ≤ 2^64 and n ≤ 10 every
    /// running sum stays below 2^10 · 10! · 2^64 < 2^97; `Math.mulDiv` keeps pool · Φ⁺ exact.
    /// Φ_i = Σ_{T ∋ i} (|T| − 1)!(n − |T|)! v(T) − Σ_{S ∌ i} |S|!(n − |S| − 1)! v(S): one pass
    /// over the table, each worth added to n sums.
    function _shapleyShares(uint256 poolWei, uint256[] calldata table) private pure returns (uint256[] memory shares) {
        uint256 size = table.length;
        uint256 n = Math.log2(size);
        if (size < 2 || size != 1 << n || n > MAX_OWNERS) revert ShapleyPayoutInvalidTable(size);

        // weights[s] = s!(n − s − 1)! for s = 0 .. n − 1; weights[n] = 0 (no S ∌ i has n members)
        uint256[] memory weights = new uint256[](n + 1);
        for (uint256 s = 0; s < n; ++s) {
            weights[s] = _factorial(s) * _factorial(n - s - 1);
        }
        uint256[] memory gains = new uint256[](n); // Σ over coalitions with i
        uint256[] memory losses = new uint256[](n); // Σ over coalitions without i
        unchecked {
            for (uint256 mask = 0; mask < size; ++mask) {
                uint256 worth = table[mask];
                if (worth == 0) continue;
                if (worth > MAX_WORTH) revert ShapleyPayoutWorthTooLarge(mask, worth);
                uint256 members = _popcount(mask);
                uint256 withWeight = members == 0 ? 0 : weights[members - 1] * worth;
                uint256 withoutWeight = weights[members] * worth;
                for (uint256 i = 0; i < n; ++i) {
                    if (mask >> i & 1 == 1) gains[i] += withWeight;
                    else losses[i] += withoutWeight;
                }
            }
        }

        uint256 total = 0;
        uint256 best = 0; // the largest Φ⁺, lowest index among equals
        for (uint256 i = 0; i < n; ++i) {
            uint256 positive = gains[i] > losses[i] ? gains[i] - losses[i] : 0;
            gains[i] = positive; // reused for Φ⁺
            total += positive;
            if (positive > gains[best]) best = i;
        }
        shares = new uint256[](n);
        uint256 sum = 0;
        if (total == 0) {
            for (uint256 i = 0; i < n; ++i) {
                shares[i] = poolWei / n;
                sum += shares[i];
            }
            best = 0;
        } else {
            for (uint256 i = 0; i < n; ++i) {
                shares[i] = Math.mulDiv(poolWei, gains[i], total);
                sum += shares[i];
            }
        }
        shares[best] += poolWei - sum; // the remainder, fewer than n wei: no wei is stranded
    }

    function _factorial(uint256 k) private pure returns (uint256 result) {
        result = 1;
        for (uint256 j = 2; j <= k; ++j) {
            result *= j;
        }
    }

    /// @dev Set bits of a mask below 2^10 (SWAR popcount).
    function _popcount(uint256 x) private pure returns (uint256) {
        unchecked {
            x = x - ((x >> 1) & 0x5555);
            x = (x & 0x3333) + ((x >> 2) & 0x3333);
            x = (x + (x >> 4)) & 0x0f0f;
            return (x + (x >> 8)) & 0x1f;
        }
    }
}
