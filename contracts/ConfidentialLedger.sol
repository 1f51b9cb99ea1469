// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IConfidentialLedger} from "../interfaces/IConfidentialLedger.sol";
import {PaillierMath} from "./libraries/PaillierMath.sol";

/// @title ConfidentialLedger
/// @notice Ether balances kept as Paillier ciphertexts under a consortium's threshold key (the
/// private key is split among p trustees, any t of whom decrypt), updated homomorphically on
/// chain; a transfer names decoys beside its receiver, so that an observer cannot tell who was
/// paid, nor how much (research: Zheng et al., J. Comput. Sci. Technol. 2018, §4.5,
/// transaction-information privacy). See `IConfidentialLedger` for the encoding and the lives of
/// a transfer and a withdrawal.
/// @dev Trust model. An account's balance can change only by its own signed operations
/// (`deposit`, `transfer`, an executed `requestWithdrawal`, `fold`) and, through `fold`, by
/// credits of transfers the trustees verified: a transfer writes the other accounts' deltas
/// into their inboxes and never touches their balances. A transfer counts only after t trustees
/// attested it (`settleTransfer`, t ECDSA signatures over its verdict). The trustees are fixed
/// at deployment; fewer than t of them learn nothing, any t of them decrypt every balance and
/// decide every transfer and withdrawal. Under the assumption that fewer than t trustees are
/// dishonest, no account is debited by a transfer it did not send, value is conserved, and no
/// transfer leaves its sender negative: the trustees check the sender's zero-knowledge proofs
/// (decoys' deltas encrypt 0, the receiver's and the sender's sum to 0, the amount is in range)
/// and decrypt the sender's new balance before they accept. The contract itself checks what it
/// can see: signatures, hashes (each balance sent against the stored hash, each folded delta
/// against its credit), units (every delta in [1, N) and not a multiple of n), locks (a pending
/// withdrawal or transfer freezes its account's balance), public amounts, votes and thresholds;
/// it applies every update itself.
///
/// NOTE (concurrency): since nobody else's transaction changes an account's balance hash, an
/// account's own calls never go stale because of others: naming a victim in transfers cannot
/// starve it (issue 23, finding 2). The price is a step: credits wait in the inbox until the
/// account folds them.
///
/// Audit: trustees decrypt balances off chain and `reportOutOfRange` those outside the valid
/// range, naming the hash they decrypted; t reports of the same balance freeze the account, as
/// do `MAX_OFFENSES` rejected transfers (a frozen account may still be named in transfers, so
/// that decoy selection is not disturbed, but not deposit, send, fold or withdraw).
///
/// Gas: the modulus (n, N and 4N) is the code of a data contract written once by the
/// constructor and copied with EXTCODECOPY (`PaillierMath`). A transfer does one product (the
/// sender's), one range check, one modexp unit check and one keccak256 per delta, one new
/// storage slot and one event per credit, and writes a one-slot record plus the sender's two
/// pending-transfer slots (reused from its previous transfer). At a 2048-bit key a typical
/// transfer over six accounts costs about 333,000 gas (62,000 of it calldata, 110,500 the five
/// new credit slots) and its settlement with three signatures about 61,000: 395,000 together;
/// a sender's first transfer about 50,000 more (its state and pending slots are new). No loops beyond the
/// anonymity set (at most `MAX_SET_SIZE`, checked pairwise for duplicates), a fold (at most
/// `MAX_FOLD`) and the signatures or trustees (at most `MAX_TRUSTEES`). Only `withdraw` sends
/// ether (nonReentrant, after zeroing the payout). Invariant: address(this).balance == Σ
/// plaintext balances + Σ verified credits not yet folded + Σ payouts, as long as fewer than t
/// trustees are dishonest.
contract ConfidentialLedger is IConfidentialLedger, ReentrancyGuard {
    using PaillierMath for PaillierMath.Workspace;

    /// @inheritdoc IConfidentialLedger
    uint256 public constant MAX_SET_SIZE = 16;
    /// @inheritdoc IConfidentialLedger
    uint256 public constant MIN_SET_SIZE = 2;
    /// @inheritdoc IConfidentialLedger
    uint256 public constant MAX_AMOUNT = type(uint128).max;
    /// @inheritdoc IConfidentialLedger
    uint256 public constant MAX_TRUSTEES = 32;
    /// @inheritdoc IConfidentialLedger
    uint256 public constant MAX_MODULUS_BYTES = 512;
    /// @inheritdoc IConfidentialLedger
    uint256 public constant REVIEW_PERIOD = 1 days;
    /// @inheritdoc IConfidentialLedger
    uint256 public constant MAX_FOLD = 16;
    /// @inheritdoc IConfidentialLedger
    uint256 public constant MAX_OFFENSES = 3;
    /// @inheritdoc IConfidentialLedger
    bytes32 public constant PROOF_DOMAIN = keccak256("datashare/ledger/transfer-proof/v1");
    /// @inheritdoc IConfidentialLedger
    bytes32 public constant VERDICT_DOMAIN = keccak256("datashare/ledger/transfer-verdict/v1");

    /// @inheritdoc IConfidentialLedger
    uint256 public immutable threshold;
    /// @inheritdoc IConfidentialLedger
    uint256 public immutable trusteeCount;
    /// @inheritdoc IConfidentialLedger
    uint256 public immutable modulusBytes;
    /// @inheritdoc IConfidentialLedger
    uint256 public immutable ciphertextBytes;
    /// @inheritdoc IConfidentialLedger
    bytes32 public immutable zeroBalanceHash;

    address private immutable _modulusStore; // data contract: 0x00 ‖ N ‖ 4N ‖ n (PaillierMath)

    uint64 private _withdrawalCount;
    uint64 private _transferCount; // same slot as _withdrawalCount
    address[] private _trustees;
    mapping(address account => uint256 indexPlusOne) private _trusteeSlot; // 0 for non-trustees
    mapping(address account => bytes32 hash) private _balanceHashes; // 0 for untouched accounts
    mapping(address account => AccountState) private _accounts;
    mapping(address account => uint256 amountWei) private _payouts; // ether of executed withdrawals
    mapping(address account => mapping(uint256 transferId => bytes32 deltaHash)) private _inbox;
    mapping(uint256 transferId => Transfer) private _transfers;
    mapping(address sender => PendingTransfer) private _pendingTransfers; // reused by each transfer
    mapping(uint256 requestId => Withdrawal) private _withdrawals;
    mapping(address account => mapping(bytes32 hash => Reports)) private _reports;

    /// @dev One slot: the locks (a pending withdrawal, a pending own transfer), the next transfer
    /// nonce, the rejected transfers and the freeze.
    struct AccountState {
        uint64 pendingRequestId;
        uint64 pendingTransferId;
        uint64 nonce;
        uint8 offenses; // ≤ MAX_OFFENSES: a frozen account sends no more transfers
        bool frozen;
    }

    /// @dev One slot per transfer, kept for good (`fold` reads the state).
    struct Transfer {
        address sender;
        TransferState state;
        uint64 submittedAt;
    }

    /// @dev Two slots per sender, for its one pending transfer (`AccountState.pendingTransferId`):
    /// rewritten by its next transfer, nonzero to nonzero (5,000 gas a slot instead of 22,100 for
    /// new ones), so a typical transfer and its settlement stay within 400,000 gas.
    struct PendingTransfer {
        bytes32 previousBalanceHash;
        bytes32 digest;
    }

    /// @dev Three slots; the trustees who voted are a bit mask by trustee index.
    struct Withdrawal {
        address account;
        WithdrawalState state;
        uint8 approvals;
        uint8 rejections;
        uint32 voters;
        uint128 amountWei;
        bytes32 newBalanceHash;
    }

    /// @dev One slot: the reporting trustees as a bit mask by index, and their number.
    struct Reports {
        uint32 trustees;
        uint8 count;
    }

    /// @notice Open a ledger under the consortium's Paillier key `modulus_` (n), decided by
    /// `threshold_` of `trustees_`.
    /// @dev Reverts with `ConfidentialLedgerInvalidModulus` unless n is a positive multiple of 32
    /// bytes long, at most `MAX_MODULUS_BYTES`, with a nonzero first byte, and odd (32 bytes is
    /// the arithmetic's lower bound, n > `MAX_AMOUNT`, not a security level: use 256 bytes or
    /// more); with `ConfidentialLedgerTooManyTrustees`, `ConfidentialLedgerInvalidThreshold`
    /// unless 1 ≤ threshold ≤ trustees, `ConfidentialLedgerZeroTrustee` or
    /// `ConfidentialLedgerDuplicateTrustee`. Computes N = n² and 4N once and stores them with n
    /// as a data contract's code. Emits `TrusteeAppointed` for each trustee.
    /// @param modulus_ n, big-endian.
    /// @param trustees_ The trustees, each holding a share of the private key.
    /// @param threshold_ t, the shares needed to decrypt and the votes that decide.
    constructor(bytes memory modulus_, address[] memory trustees_, uint256 threshold_) {
        uint256 length = modulus_.length;
        if (length == 0 || length % 32 != 0 || length > MAX_MODULUS_BYTES) {
            revert ConfidentialLedgerInvalidModulus("length");
        }
        if (modulus_[0] == 0) revert ConfidentialLedgerInvalidModulus("leading zero");
        if (uint8(modulus_[length - 1]) & 1 == 0) revert ConfidentialLedgerInvalidModulus("even");
        uint256 count = trustees_.length;
        if (count > MAX_TRUSTEES) revert ConfidentialLedgerTooManyTrustees(count, MAX_TRUSTEES);
        if (threshold_ == 0 || threshold_ > count) revert ConfidentialLedgerInvalidThreshold(threshold_, count);
        for (uint256 i = 0; i < count; ++i) {
            // bounded by MAX_TRUSTEES, once
            address trustee = trustees_[i];
            if (trustee == address(0)) revert ConfidentialLedgerZeroTrustee();
            if (_trusteeSlot[trustee] != 0) revert ConfidentialLedgerDuplicateTrustee(trustee);
            _trusteeSlot[trustee] = i + 1;
            _trustees.push(trustee);
            emit TrusteeAppointed(trustee, i);
        }
        threshold = threshold_;
        trusteeCount = count;
        modulusBytes = length;
        ciphertextBytes = 2 * length;
        bytes memory one = new bytes(2 * length);
        one[2 * length - 1] = 0x01;
        zeroBalanceHash = keccak256(one);
        _modulusStore = PaillierMath.store(modulus_);
    }

    // --- arithmetic ---------------------------------------------------------------------------

    /// @inheritdoc IConfidentialLedger
    function addCiphertexts(bytes calldata a, bytes calldata b) external view returns (bytes memory sum) {
        PaillierMath.Workspace memory workspace = _workspace();
        bytes memory x = _ciphertext(workspace, a, 0);
        bytes memory y = _ciphertext(workspace, b, 1);
        sum = new bytes(ciphertextBytes);
        workspace.mulMod(x, y, sum);
    }

    // --- balances -----------------------------------------------------------------------------

    /// @inheritdoc IConfidentialLedger
    function deposit(bytes calldata currentBalance) external payable {
        uint256 amountWei = msg.value;
        if (amountWei == 0 || amountWei > MAX_AMOUNT) revert ConfidentialLedgerInvalidAmount(amountWei, MAX_AMOUNT);
        _requireCanSpend(msg.sender, _accounts[msg.sender]);
        bytes memory balance = _currentBalance(msg.sender, currentBalance);

        PaillierMath.Workspace memory workspace = _workspace();
        bytes memory amount = new bytes(ciphertextBytes);
        workspace.encryptPublic(PaillierMath.nOperand(_modulusStore, ciphertextBytes), amountWei, false, amount);
        workspace.mulMod(balance, amount, balance);
        _balanceHashes[msg.sender] = keccak256(balance);

        _emitBalanceUpdated(msg.sender, balance);
        emit Deposited(msg.sender, amountWei);
    }

    // --- transfers ----------------------------------------------------------------------------

    /// @inheritdoc IConfidentialLedger
    function transfer(
        address[] calldata accounts,
        bytes calldata senderBalance,
        bytes[] calldata deltas,
        bytes32 proofHash
    ) external returns (uint256 transferId) {
        _checkTransfer(accounts, deltas.length);
        _requireCanSpend(msg.sender, _accounts[msg.sender]);
        bytes memory balance = _currentBalance(msg.sender, senderBalance);
        bytes32 previousBalanceHash = keccak256(balance); // the effective current hash, checked

        transferId = ++_transferCount;
        bytes32[] memory deltaHashes = _applyDeltas(accounts, deltas, balance, transferId);
        bytes32 proofContext = _senderProofContext(previousBalanceHash, accounts, deltaHashes);
        _submit(transferId, previousBalanceHash, keccak256(abi.encode(proofContext, proofHash)), keccak256(balance));

        emit Transferred(transferId, msg.sender, accounts, balance, proofContext, proofHash);
    }

    /// @inheritdoc IConfidentialLedger
    function settleTransfer(uint256 transferId, bool accept, bytes[] calldata signatures) external {
        Transfer storage record = _pendingTransfer(transferId);
        address sender = record.sender;
        PendingTransfer storage pending = _pendingTransfers[sender];
        _checkSignatures(_verdictDigest(transferId, pending.digest, accept), signatures);

        AccountState storage state = _accounts[sender];
        state.pendingTransferId = 0;
        if (accept) {
            record.state = TransferState.Verified;
            emit TransferVerified(transferId, sender);
            return;
        }
        record.state = TransferState.Rejected;
        bytes32 restored = pending.previousBalanceHash;
        _balanceHashes[sender] = restored;
        uint8 offenses_ = state.offenses + 1;
        state.offenses = offenses_;
        emit TransferRejected(transferId, sender, offenses_);
        if (offenses_ < MAX_OFFENSES || state.frozen) return;

        state.frozen = true;
        emit AccountFrozen(sender, restored);
    }

    /// @inheritdoc IConfidentialLedger
    function cancelTransfer(uint256 transferId) external {
        Transfer storage record = _pendingTransfer(transferId);
        address sender = record.sender;
        if (msg.sender != sender) revert ConfidentialLedgerNotSender(transferId, msg.sender);
        uint256 endsAt = record.submittedAt + REVIEW_PERIOD;
        if (block.timestamp < endsAt) revert ConfidentialLedgerReviewNotOver(transferId, endsAt);

        record.state = TransferState.Cancelled;
        _balanceHashes[sender] = _pendingTransfers[sender].previousBalanceHash;
        _accounts[sender].pendingTransferId = 0;
        emit TransferCancelled(transferId, sender);
    }

    /// @inheritdoc IConfidentialLedger
    function fold(bytes calldata currentBalance, uint256[] calldata transferIds, bytes[] calldata deltas) external {
        uint256 count = transferIds.length;
        if (count == 0 || count > MAX_FOLD) revert ConfidentialLedgerInvalidFoldSize(count, MAX_FOLD);
        if (deltas.length != count) revert ConfidentialLedgerLengthMismatch(count, deltas.length);
        _requireCanSpend(msg.sender, _accounts[msg.sender]);
        bytes memory balance = _currentBalance(msg.sender, currentBalance);

        PaillierMath.Workspace memory workspace = _workspace();
        bytes memory delta = new bytes(ciphertextBytes);
        mapping(uint256 => bytes32) storage inbox = _inbox[msg.sender];
        for (uint256 i = 0; i < count; ++i) {
            // at most MAX_FOLD credits
            uint256 transferId = transferIds[i];
            bytes32 credit = inbox[transferId];
            if (credit == bytes32(0)) revert ConfidentialLedgerNoCredit(msg.sender, transferId);
            TransferState settled = _transfers[transferId].state;
            if (settled == TransferState.Pending) revert ConfidentialLedgerTransferNotSettled(transferId);
            delete inbox[transferId]; // a second entry for it finds no credit
            if (settled != TransferState.Verified) continue; // rejected or cancelled: void

            _copy(deltas[i], delta, i);
            if (keccak256(delta) != credit) revert ConfidentialLedgerCreditMismatch(transferId);
            workspace.mulMod(balance, delta, balance); // the delta was range- and unit-checked by `transfer`
        }
        _balanceHashes[msg.sender] = keccak256(balance);

        _emitBalanceUpdated(msg.sender, balance);
        emit Folded(msg.sender, transferIds);
    }

    // --- withdrawals --------------------------------------------------------------------------

    /// @inheritdoc IConfidentialLedger
    function requestWithdrawal(bytes calldata currentBalance, uint256 amountWei) external returns (uint256 requestId) {
        if (amountWei == 0 || amountWei > MAX_AMOUNT) revert ConfidentialLedgerInvalidAmount(amountWei, MAX_AMOUNT);
        AccountState storage state = _accounts[msg.sender];
        _requireCanSpend(msg.sender, state);
        bytes memory balance = _currentBalance(msg.sender, currentBalance);

        PaillierMath.Workspace memory workspace = _workspace();
        bytes memory debit = new bytes(ciphertextBytes);
        workspace.encryptPublic(PaillierMath.nOperand(_modulusStore, ciphertextBytes), amountWei, true, debit);
        workspace.mulMod(balance, debit, balance);

        requestId = ++_withdrawalCount;
        Withdrawal storage request = _withdrawals[requestId];
        request.account = msg.sender;
        request.state = WithdrawalState.Pending;
        request.amountWei = uint128(amountWei); // ≤ MAX_AMOUNT
        request.newBalanceHash = keccak256(balance);
        state.pendingRequestId = uint64(requestId); // < 2^64 requests

        emit WithdrawalRequested(requestId, msg.sender, amountWei, balance);
    }

    /// @inheritdoc IConfidentialLedger
    function approveWithdrawal(uint256 requestId) external {
        uint32 bit = _trusteeBit();
        Withdrawal storage request = _pendingRequest(requestId, bit);
        address account = request.account;
        if (_accounts[account].frozen) revert ConfidentialLedgerAccountFrozen(account);
        uint8 approvals = request.approvals + 1; // ≤ MAX_TRUSTEES: one vote per trustee
        uint8 rejections = request.rejections;
        request.approvals = approvals;
        request.voters |= bit;
        emit WithdrawalVoted(requestId, msg.sender, true, approvals, rejections);
        if (approvals < threshold) return;

        request.state = WithdrawalState.Executed;
        uint256 amountWei = request.amountWei;
        _accounts[account].pendingRequestId = 0;
        _balanceHashes[account] = request.newBalanceHash;
        _payouts[account] += amountWei;
        emit WithdrawalExecuted(requestId, account, amountWei);
    }

    /// @inheritdoc IConfidentialLedger
    function rejectWithdrawal(uint256 requestId) external {
        uint32 bit = _trusteeBit();
        Withdrawal storage request = _pendingRequest(requestId, bit);
        uint8 approvals = request.approvals;
        uint8 rejections = request.rejections + 1;
        request.rejections = rejections;
        request.voters |= bit;
        emit WithdrawalVoted(requestId, msg.sender, false, approvals, rejections);
        if (rejections <= trusteeCount - threshold) return; // approval is still reachable

        request.state = WithdrawalState.Rejected;
        address account = request.account;
        _accounts[account].pendingRequestId = 0;
        emit WithdrawalRejected(requestId, account);
    }

    /// @inheritdoc IConfidentialLedger
    function cancelWithdrawal(uint256 requestId) external {
        Withdrawal storage request = _withdrawals[requestId];
        address account = request.account;
        if (account == address(0)) revert ConfidentialLedgerUnknownWithdrawal(requestId);
        if (request.state != WithdrawalState.Pending) {
            revert ConfidentialLedgerWithdrawalNotPending(requestId, request.state);
        }
        if (msg.sender != account) revert ConfidentialLedgerNotRequester(requestId, msg.sender);

        request.state = WithdrawalState.Cancelled;
        _accounts[account].pendingRequestId = 0;
        emit WithdrawalCancelled(requestId, account);
    }

    /// @inheritdoc IConfidentialLedger
    function withdraw() external nonReentrant {
        uint256 amountWei = _payouts[msg.sender];
        if (amountWei == 0) revert ConfidentialLedgerNothingToWithdraw(msg.sender);
        _payouts[msg.sender] = 0;
        emit Withdrawn(msg.sender, amountWei);
        (bool sent,) = msg.sender.call{value: amountWei}("");
        if (!sent) revert ConfidentialLedgerTransferFailed(msg.sender, amountWei);
    }

    // --- audit --------------------------------------------------------------------------------

    /// @inheritdoc IConfidentialLedger
    function reportOutOfRange(address account, bytes32 decryptedHash) external {
        uint32 bit = _trusteeBit();
        if (_accounts[account].frozen) revert ConfidentialLedgerAccountFrozen(account);
        bytes32 current = _balanceHashOf(account);
        if (decryptedHash != current) revert ConfidentialLedgerStaleBalance(account, current, decryptedHash);
        Reports storage reports = _reports[account][current];
        if (reports.trustees & bit != 0) revert ConfidentialLedgerAlreadyReported(account, msg.sender, current);
        uint8 count = reports.count + 1; // ≤ MAX_TRUSTEES: one report per trustee
        reports.trustees |= bit;
        reports.count = count;
        emit OutOfRangeReported(account, msg.sender, current, count);
        if (count < threshold) return;

        _accounts[account].frozen = true;
        emit AccountFrozen(account, current);
    }

    // --- views --------------------------------------------------------------------------------

    /// @inheritdoc IConfidentialLedger
    function modulus() external view returns (bytes memory n) {
        return PaillierMath.modulusOf(_modulusStore, modulusBytes);
    }

    /// @inheritdoc IConfidentialLedger
    function trustees() external view returns (address[] memory accounts) {
        return _trustees;
    }

    /// @inheritdoc IConfidentialLedger
    function isTrustee(address account) external view returns (bool trustee) {
        return _trusteeSlot[account] != 0;
    }

    /// @inheritdoc IConfidentialLedger
    function balanceHash(address account) external view returns (bytes32 hash) {
        return _balanceHashOf(account);
    }

    /// @inheritdoc IConfidentialLedger
    function credits(address account) external view returns (uint256 amountWei) {
        return _payouts[account];
    }

    /// @inheritdoc IConfidentialLedger
    function creditOf(address account, uint256 transferId) external view returns (bytes32 deltaHash) {
        return _inbox[account][transferId];
    }

    /// @inheritdoc IConfidentialLedger
    function frozen(address account) external view returns (bool isFrozen) {
        return _accounts[account].frozen;
    }

    /// @inheritdoc IConfidentialLedger
    function pendingWithdrawal(address account) external view returns (uint256 requestId) {
        return _accounts[account].pendingRequestId;
    }

    /// @inheritdoc IConfidentialLedger
    function pendingTransfer(address account) external view returns (uint256 transferId) {
        return _accounts[account].pendingTransferId;
    }

    /// @inheritdoc IConfidentialLedger
    function offenses(address account) external view returns (uint256 count) {
        return _accounts[account].offenses;
    }

    /// @inheritdoc IConfidentialLedger
    function transferNonce(address account) external view returns (uint256 nonce) {
        return _accounts[account].nonce;
    }

    /// @inheritdoc IConfidentialLedger
    function transferOf(uint256 transferId)
        external
        view
        returns (
            address sender,
            TransferState state,
            uint256 submittedAt,
            bytes32 previousBalanceHash,
            bytes32 digest
        )
    {
        Transfer storage record = _transferRecord(transferId);
        (sender, state, submittedAt) = (record.sender, record.state, record.submittedAt);
        if (state == TransferState.Pending) {
            PendingTransfer storage pending = _pendingTransfers[sender];
            (previousBalanceHash, digest) = (pending.previousBalanceHash, pending.digest);
        }
    }

    /// @inheritdoc IConfidentialLedger
    function proofContextOf(
        address sender,
        uint256 nonce,
        bytes32 previousBalanceHash,
        address[] calldata accounts,
        bytes32[] calldata deltaHashes
    ) external view returns (bytes32 proofContext) {
        return _proofContext(sender, nonce, previousBalanceHash, accounts, deltaHashes);
    }

    /// @inheritdoc IConfidentialLedger
    function verdictDigest(uint256 transferId, bool accept) external view returns (bytes32 digest) {
        Transfer storage record = _pendingTransfer(transferId);
        return _verdictDigest(transferId, _pendingTransfers[record.sender].digest, accept);
    }

    /// @inheritdoc IConfidentialLedger
    function withdrawalOf(uint256 requestId)
        external
        view
        returns (
            address account,
            uint256 amountWei,
            WithdrawalState state,
            uint256 approvals,
            uint256 rejections,
            bytes32 newBalanceHash
        )
    {
        Withdrawal storage request = _withdrawals[requestId];
        account = request.account;
        if (account == address(0)) revert ConfidentialLedgerUnknownWithdrawal(requestId);
        return (
            account, request.amountWei, request.state, request.approvals, request.rejections, request.newBalanceHash
        );
    }

    /// @inheritdoc IConfidentialLedger
    function hasVoted(uint256 requestId, address trustee) external view returns (bool voted) {
        uint256 slot = _trusteeSlot[trustee];
        return slot != 0 && _withdrawals[requestId].voters & (1 << (slot - 1)) != 0;
    }

    /// @inheritdoc IConfidentialLedger
    function withdrawalCount() external view returns (uint256 count) {
        return _withdrawalCount;
    }

    /// @inheritdoc IConfidentialLedger
    function transferCount() external view returns (uint256 count) {
        return _transferCount;
    }

    /// @inheritdoc IConfidentialLedger
    function reportsOf(address account, bytes32 hash) external view returns (uint256 reports) {
        return _reports[account][hash].count;
    }

    /// @inheritdoc IConfidentialLedger
    function hasReported(address account, bytes32 hash, address trustee) external view returns (bool reported) {
        uint256 slot = _trusteeSlot[trustee];
        return slot != 0 && _reports[account][hash].trustees & (1 << (slot - 1)) != 0;
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev Reverts with `ConfidentialLedgerNotTrustee` unless the caller is a trustee; gives its
    /// bit in vote and report masks.
    function _trusteeBit() private view returns (uint32 bit) {
        uint256 slot = _trusteeSlot[msg.sender];
        if (slot == 0) revert ConfidentialLedgerNotTrustee(msg.sender);
        return uint32(1 << (slot - 1));
    }

    /// @dev The modulus in memory: one EXTCODECOPY of N, two of 4N and one of n.
    function _workspace() private view returns (PaillierMath.Workspace memory workspace) {
        return PaillierMath.load(_modulusStore, ciphertextBytes);
    }

    /// @dev The current balance hash: the stored one, or the hash of E(0) with r = 1 for an
    /// account never touched.
    function _balanceHashOf(address account) private view returns (bytes32 hash) {
        hash = _balanceHashes[account];
        if (hash == bytes32(0)) return zeroBalanceHash;
    }

    /// @dev For each delta of a transfer (after `_checkSet`): copies it, checks its length, range
    /// and unit, hashes it; multiplies the sender's into `balance`, writes every other one to its
    /// account's inbox and emits `Credited`. One buffer serves every delta and event.
    function _applyDeltas(
        address[] calldata accounts,
        bytes[] calldata deltas,
        bytes memory balance,
        uint256 transferId
    ) private returns (bytes32[] memory deltaHashes) {
        uint256 size = accounts.length;
        deltaHashes = new bytes32[](size);
        PaillierMath.Workspace memory workspace = _workspace();
        bytes memory delta = _eventBuffer(ciphertextBytes);
        bytes32 topic = Credited.selector;
        for (uint256 i = 0; i < size; ++i) {
            // at most MAX_SET_SIZE deltas
            _copy(deltas[i], delta, i);
            if (!workspace.isCiphertext(delta)) revert ConfidentialLedgerCiphertextOutOfRange(i);
            if (!workspace.isNotMultipleOfN(delta)) revert ConfidentialLedgerNotAUnit(i);
            bytes32 deltaHash = keccak256(delta);
            deltaHashes[i] = deltaHash;
            address account = accounts[i];
            if (account == msg.sender) {
                workspace.mulMod(balance, delta, balance);
                continue;
            }
            _inbox[account][transferId] = deltaHash;
            assembly ("memory-safe") {
                // emit Credited(account, transferId, delta), the buffer as in `_emitBalanceUpdated`
                log3(sub(delta, 0x20), add(mload(delta), 0x40), topic, account, transferId)
            }
        }
    }

    /// @dev Reverts with `ConfidentialLedgerInvalidSetSize`, `ConfidentialLedgerLengthMismatch`,
    /// `ConfidentialLedgerDuplicateAccount` or `ConfidentialLedgerSenderNotInSet`.
    function _checkTransfer(address[] calldata accounts, uint256 deltaCount) private view {
        uint256 size = accounts.length;
        if (size < MIN_SET_SIZE || size > MAX_SET_SIZE) {
            revert ConfidentialLedgerInvalidSetSize(size, MIN_SET_SIZE, MAX_SET_SIZE);
        }
        if (deltaCount != size) revert ConfidentialLedgerLengthMismatch(size, deltaCount);
        _checkSet(accounts);
    }

    /// @dev Records transfer `transferId` as pending, sets the sender's balance hash to the one
    /// after its delta, locks the sender and counts its nonce.
    function _submit(uint256 transferId, bytes32 previousBalanceHash, bytes32 digest, bytes32 newBalanceHash)
        private
    {
        _transfers[transferId] =
            Transfer({sender: msg.sender, state: TransferState.Pending, submittedAt: uint64(block.timestamp)});
        _pendingTransfers[msg.sender] = PendingTransfer({previousBalanceHash: previousBalanceHash, digest: digest});
        _balanceHashes[msg.sender] = newBalanceHash;
        AccountState storage state = _accounts[msg.sender];
        state.nonce += 1; // < 2^64 transfers
        state.pendingTransferId = uint64(transferId); // < 2^64 transfers
    }

    /// @dev The proof context of the caller's transfer, at its current nonce.
    function _senderProofContext(
        bytes32 previousBalanceHash,
        address[] calldata accounts,
        bytes32[] memory deltaHashes
    ) private view returns (bytes32) {
        return _proofContext(msg.sender, _accounts[msg.sender].nonce, previousBalanceHash, accounts, deltaHashes);
    }

    /// @dev See `proofContextOf`.
    function _proofContext(
        address sender,
        uint256 nonce,
        bytes32 previousBalanceHash,
        address[] calldata accounts,
        bytes32[] memory deltaHashes
    ) private view returns (bytes32) {
        return keccak256(
            abi.encode(
                PROOF_DOMAIN, block.chainid, address(this), sender, nonce, previousBalanceHash, accounts, deltaHashes
            )
        );
    }

    /// @dev See `verdictDigest`.
    function _verdictDigest(uint256 transferId, bytes32 digest, bool accept) private view returns (bytes32) {
        return keccak256(abi.encode(VERDICT_DOMAIN, block.chainid, address(this), transferId, digest, accept));
    }

    /// @dev Reverts unless `signatures` are at least `threshold` distinct trustees' signatures over
    /// the EIP-191 message `verdict`: the count first (no recovery is wasted on too few), then each
    /// signature in order. Distinct trustees are a bit mask by trustee index.
    function _checkSignatures(bytes32 verdict, bytes[] calldata signatures) private view {
        uint256 count = signatures.length;
        if (count > MAX_TRUSTEES) revert ConfidentialLedgerTooManySignatures(count, MAX_TRUSTEES);
        if (count < threshold) revert ConfidentialLedgerTooFewSignatures(count, threshold);
        bytes32 hash = _toEthSignedMessageHash(verdict);
        uint256 seen = 0; // bit k set: trustee slot k+1 has signed
        for (uint256 i = 0; i < count; ++i) {
            // at most MAX_TRUSTEES signatures
            // The third value (the error's argument) only details why recovery failed: any error rejects.
            // slither-disable-next-line unused-return
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(hash, signatures[i]);
            uint256 slot = error == ECDSA.RecoverError.NoError ? _trusteeSlot[signer] : 0;
            if (slot == 0) revert ConfidentialLedgerInvalidSignature(i);
            uint256 bit = 1 << (slot - 1);
            if (seen & bit != 0) revert ConfidentialLedgerDuplicateSignature(signer);
            seen |= bit;
        }
    }

    /// @dev keccak256("\x19Ethereum Signed Message:\n32" ‖ digest), what `eth_sign` and
    /// `personal_sign` sign: OpenZeppelin's `MessageHashUtils.toEthSignedMessageHash(bytes32)`,
    /// line for line. Not imported: MessageHashUtils pulls in Strings and Bytes, which use MCOPY,
    /// and the ledger is compiled for Shanghai (Ganache 7.9's newest hardfork), which lacks it.
    function _toEthSignedMessageHash(bytes32 digest) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            mstore(0x00, "\x19Ethereum Signed Message:\n32") // 32 is the length of digest
            mstore(0x1c, digest) // 0x1c (28) is the length of the prefix
            hash := keccak256(0x00, 0x3c)
        }
    }

    /// @dev Transfer `transferId`, or `ConfidentialLedgerUnknownTransfer`.
    function _transferRecord(uint256 transferId) private view returns (Transfer storage record) {
        record = _transfers[transferId];
        if (record.sender == address(0)) revert ConfidentialLedgerUnknownTransfer(transferId);
    }

    /// @dev Transfer `transferId`, pending.
    function _pendingTransfer(uint256 transferId) private view returns (Transfer storage record) {
        record = _transferRecord(transferId);
        if (record.state != TransferState.Pending) revert ConfidentialLedgerTransferNotPending(transferId, record.state);
    }

    /// @dev Reverts with `ConfidentialLedgerDuplicateAccount` for the first account found twice,
    /// and with `ConfidentialLedgerSenderNotInSet` unless the caller is in `accounts`: at most
    /// MAX_SET_SIZE² / 2 comparisons of calldata words (about 50 gas each), addresses masked to
    /// their 160 bits (Solidity's own reads of `accounts[i]` reject dirty ones).
    function _checkSet(address[] calldata accounts) private view {
        bool senderInSet;
        bool repeated;
        address duplicate;
        assembly ("memory-safe") {
            let mask := 0xffffffffffffffffffffffffffffffffffffffff
            let start := accounts.offset
            let end := add(start, shl(5, accounts.length))
            for { let p := start } lt(p, end) { p := add(p, 0x20) } {
                let account := and(calldataload(p), mask)
                if eq(account, caller()) { senderInSet := 1 }
                for { let q := start } lt(q, p) { q := add(q, 0x20) } {
                    if eq(and(calldataload(q), mask), account) {
                        repeated := 1
                        duplicate := account
                        break
                    }
                }
                if repeated { break }
            }
        }
        if (repeated) revert ConfidentialLedgerDuplicateAccount(duplicate);
        if (!senderInSet) revert ConfidentialLedgerSenderNotInSet(msg.sender);
    }

    /// @dev A `bytes` of `length` preceded by the word 0x20: the ABI encoding of a lone `bytes`
    /// event argument starts at `buffer - 0x20`, so `_emitBalanceUpdated` and `Credited` log it
    /// without a copy.
    function _eventBuffer(uint256 length) private pure returns (bytes memory buffer) {
        assembly ("memory-safe") {
            let head := mload(0x40)
            mstore(head, 0x20)
            buffer := add(head, 0x20)
            mstore(buffer, length)
            mstore(0x40, add(buffer, add(length, 0x20))) // length is a multiple of 32
        }
    }

    /// @dev emit BalanceUpdated(account, ciphertext) for a buffer from `_eventBuffer`.
    function _emitBalanceUpdated(address account, bytes memory ciphertext) private {
        bytes32 topic = BalanceUpdated.selector;
        assembly ("memory-safe") {
            log2(sub(ciphertext, 0x20), add(mload(ciphertext), 0x40), topic, account)
        }
    }

    /// @dev Reverts unless `account` (whose state is `state`) may change its balance: not frozen,
    /// no pending withdrawal, no pending own transfer.
    function _requireCanSpend(address account, AccountState memory state) private pure {
        if (state.frozen) revert ConfidentialLedgerAccountFrozen(account);
        if (state.pendingRequestId != 0) revert ConfidentialLedgerAccountLocked(account, state.pendingRequestId);
        if (state.pendingTransferId != 0) revert ConfidentialLedgerTransferPending(account, state.pendingTransferId);
    }

    /// @dev `source` copied to memory (an `_eventBuffer`), checked to be `account`'s current
    /// balance: `ConfidentialLedgerInvalidCiphertextLength` (index 0) or
    /// `ConfidentialLedgerStaleBalance`. A stored hash is always of a value in [1, N) that is not
    /// a multiple of n (a product of checked values): no range or unit check.
    function _currentBalance(address account, bytes calldata source) private view returns (bytes memory balance) {
        balance = _eventBuffer(ciphertextBytes);
        _copy(source, balance, 0);
        bytes32 expected = _balanceHashOf(account);
        bytes32 given = keccak256(balance);
        if (given != expected) revert ConfidentialLedgerStaleBalance(account, expected, given);
    }

    /// @dev `source` copied to memory and checked to be a ciphertext (length, 1 ≤ c < N, c mod n ≠ 0).
    function _ciphertext(PaillierMath.Workspace memory workspace, bytes calldata source, uint256 index)
        private
        view
        returns (bytes memory value)
    {
        value = new bytes(ciphertextBytes);
        _copy(source, value, index);
        if (!workspace.isCiphertext(value)) revert ConfidentialLedgerCiphertextOutOfRange(index);
        if (!workspace.isNotMultipleOfN(value)) revert ConfidentialLedgerNotAUnit(index);
    }

    /// @dev Copies `source` over `target` (of `ciphertextBytes`), checking the length.
    function _copy(bytes calldata source, bytes memory target, uint256 index) private pure {
        uint256 length = target.length;
        if (source.length != length) revert ConfidentialLedgerInvalidCiphertextLength(index, source.length, length);
        assembly ("memory-safe") {
            calldatacopy(add(target, 0x20), source.offset, length)
        }
    }

    /// @dev A pending request the caller (a trustee, `bit`) has not voted on.
    function _pendingRequest(uint256 requestId, uint32 bit) private view returns (Withdrawal storage request) {
        request = _withdrawals[requestId];
        if (request.account == address(0)) revert ConfidentialLedgerUnknownWithdrawal(requestId);
        if (request.state != WithdrawalState.Pending) {
            revert ConfidentialLedgerWithdrawalNotPending(requestId, request.state);
        }
        if (request.voters & bit != 0) revert ConfidentialLedgerAlreadyVoted(requestId, msg.sender);
    }
}
