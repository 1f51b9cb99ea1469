// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IConfidentialLedger} from "../interfaces/IConfidentialLedger.sol";
import {PaillierMath} from "./libraries/PaillierMath.sol";

/// @title ConfidentialLedger
/// @notice Ether balances kept as Paillier ciphertexts under a consortium's threshold key (the
/// private key is split among p trustees, any t of whom decrypt), updated homomorphically on
/// chain; a transfer also multiplies decoys' balances by encryptions of zero, so that an observer
/// cannot tell who was paid, nor how much (research: Zheng et al., J. Comput. Sci. Technol. 2018,
/// §4.5, transaction-information privacy). See `IConfidentialLedger` for the encoding and the
/// life of a withdrawal.
/// @dev Trust assumptions. The trustees are fixed at deployment, and trusted as a threshold:
/// fewer than t of them learn nothing, any t of them can decrypt every balance and decide every
/// withdrawal. The contract checks what it can see: the caller, the hashes of the balances it
/// is sent, the ranges of ciphertexts, public amounts (deposits, withdrawals), votes and
/// thresholds; it applies every update itself.
///
/// WARNING: the model is semi-honest, as in the paper. The contract cannot see plaintexts, so it
/// cannot check that a transfer's deltas are the receiver's E(amount), the sender's E(−amount)
/// and encryptions of zero for the decoys: a malicious sender can credit a decoy or the receiver
/// with a "negative" amount (debiting it), or fail to debit itself. Withdrawals are safe against
/// that (the trustees decrypt the balance after each one and approve only a non-negative one),
/// but balances are not. The consortium's check is the audit: trustees decrypt balances off
/// chain and `reportOutOfRange` those outside the valid range; t reports of the same balance
/// freeze the account (a frozen account may still receive, so that decoy selection is not
/// disturbed, but not deposit, send or withdraw). Zero-knowledge range proofs on chain would
/// remove the assumption, at a far higher gas cost.
///
/// NOTE (concurrency): calls carry the caller's view of each balance, checked against
/// `balanceHash`. A transfer built on a balance that changed meanwhile (another transfer picked
/// the same account as a decoy, say) reverts with `ConfidentialLedgerStaleBalance` naming the
/// account; the client re-reads the latest `BalanceUpdated` and retries with new deltas.
///
/// Gas: the modulus (n, N and 4N) is the code of a data contract written once by the
/// constructor and copied with EXTCODECOPY (`PaillierMath`); each balance update of a transfer
/// is one storage read (a pending withdrawal marks the stored hash, see `LOCKED`, so the lock
/// needs no read of its own), one product (two modexp squarings modulo 4N), one keccak256 of the
/// balance sent, one of the result, one SSTORE and one event. A set of six at a 2048-bit key
/// costs about 285,000 gas, two thirds of it calldata and events. No loops beyond the anonymity
/// set (at most `MAX_SET_SIZE`, checked pairwise for duplicates) and the trustees (at most
/// `MAX_TRUSTEES`, once, in the constructor). Only `withdraw` sends ether (nonReentrant, after
/// zeroing the credit). Invariant: address(this).balance == Σ plaintext balances + Σ credits,
/// as long as transfers are honest.
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

    /// @dev XOR-ed into a locked account's stored balance hash, so that a transfer touching it
    /// fails the hash check: one storage read per account instead of two (hash and lock). No
    /// ciphertext hashes to a stored hash XOR LOCKED (that would be a keccak256 preimage).
    bytes32 private constant LOCKED = keccak256("ConfidentialLedger.locked");

    uint64 private _withdrawalCount;
    uint64 private _transferCount;
    address[] private _trustees;
    mapping(address account => uint256 indexPlusOne) private _trusteeSlot; // 0 for non-trustees
    // 0 for untouched accounts; XOR LOCKED while a withdrawal is pending (see `_lock`)
    mapping(address account => bytes32 hash) private _balanceHashes;
    mapping(address account => AccountState) private _accounts;
    mapping(address account => uint256 amountWei) private _credits;
    mapping(uint256 requestId => Withdrawal) private _withdrawals;
    mapping(address account => mapping(bytes32 hash => Reports)) private _reports;

    /// @dev One slot: the pending request (mirrored in the stored hash, see `LOCKED`) and the freeze.
    struct AccountState {
        uint64 pendingRequestId;
        bool frozen;
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
        _requireCanSpend(msg.sender);
        bytes memory balance = _currentBalance(msg.sender, currentBalance);

        PaillierMath.Workspace memory workspace = _workspace();
        bytes memory amount = new bytes(ciphertextBytes);
        workspace.encryptPublic(PaillierMath.nOperand(_modulusStore, ciphertextBytes), amountWei, false, amount);
        workspace.mulMod(balance, amount, balance);
        _balanceHashes[msg.sender] = keccak256(balance);

        _emitBalanceUpdated(msg.sender, balance);
        emit Deposited(msg.sender, amountWei);
    }

    /// @inheritdoc IConfidentialLedger
    function transfer(address[] calldata accounts, bytes[] calldata balances, bytes[] calldata deltas)
        external
        returns (uint256 transferId)
    {
        uint256 size = accounts.length;
        if (size < MIN_SET_SIZE || size > MAX_SET_SIZE) {
            revert ConfidentialLedgerInvalidSetSize(size, MIN_SET_SIZE, MAX_SET_SIZE);
        }
        if (balances.length != size || deltas.length != size) {
            revert ConfidentialLedgerLengthMismatch(size, balances.length, deltas.length);
        }
        _checkSet(accounts);
        if (_accounts[msg.sender].frozen) revert ConfidentialLedgerAccountFrozen(msg.sender);

        PaillierMath.Workspace memory workspace = _workspace();
        uint256 length = ciphertextBytes;
        bytes memory balance = _eventBuffer(length); // reused for every account
        bytes memory delta = new bytes(length);
        for (uint256 i = 0; i < size; ++i) {
            // at most MAX_SET_SIZE updates
            address account = accounts[i];
            _copy(balances[i], balance, i);
            bytes32 stored = _balanceHashes[account]; // the only read: a lock fails this check
            bytes32 given = keccak256(balance);
            if (given != (stored == bytes32(0) ? zeroBalanceHash : stored)) _revertNotCurrent(account, given);
            _copy(deltas[i], delta, i);
            if (!workspace.isCiphertext(delta)) revert ConfidentialLedgerCiphertextOutOfRange(i);

            workspace.mulMod(balance, delta, balance);
            _balanceHashes[account] = keccak256(balance);
            _emitBalanceUpdated(account, balance);
        }
        transferId = ++_transferCount;
        emit Transferred(transferId, msg.sender, accounts);
    }

    // --- withdrawals --------------------------------------------------------------------------

    /// @inheritdoc IConfidentialLedger
    function requestWithdrawal(bytes calldata currentBalance, uint256 amountWei) external returns (uint256 requestId) {
        if (amountWei == 0 || amountWei > MAX_AMOUNT) revert ConfidentialLedgerInvalidAmount(amountWei, MAX_AMOUNT);
        _requireCanSpend(msg.sender);
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
        _lock(msg.sender, requestId);

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
        _balanceHashes[account] = request.newBalanceHash; // unlocked: the hash without LOCKED
        _credits[account] += amountWei;
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
        _unlock(account);
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
        _unlock(account);
        emit WithdrawalCancelled(requestId, account);
    }

    /// @inheritdoc IConfidentialLedger
    function withdraw() external nonReentrant {
        uint256 amountWei = _credits[msg.sender];
        if (amountWei == 0) revert ConfidentialLedgerNothingToWithdraw(msg.sender);
        _credits[msg.sender] = 0;
        emit Withdrawn(msg.sender, amountWei);
        (bool sent,) = msg.sender.call{value: amountWei}("");
        if (!sent) revert ConfidentialLedgerTransferFailed(msg.sender, amountWei);
    }

    // --- audit --------------------------------------------------------------------------------

    /// @inheritdoc IConfidentialLedger
    function reportOutOfRange(address account) external {
        uint32 bit = _trusteeBit();
        if (_accounts[account].frozen) revert ConfidentialLedgerAccountFrozen(account);
        bytes32 hash = _balanceHashOf(account);
        Reports storage reports = _reports[account][hash];
        if (reports.trustees & bit != 0) revert ConfidentialLedgerAlreadyReported(account, msg.sender, hash);
        uint8 count = reports.count + 1; // ≤ MAX_TRUSTEES: one report per trustee
        reports.trustees |= bit;
        reports.count = count;
        emit OutOfRangeReported(account, msg.sender, hash, count);
        if (count < threshold) return;

        _accounts[account].frozen = true;
        emit AccountFrozen(account, hash);
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
        return _credits[account];
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

    /// @dev The modulus in memory: one EXTCODECOPY of N and two of 4N.
    function _workspace() private view returns (PaillierMath.Workspace memory workspace) {
        return PaillierMath.load(_modulusStore, ciphertextBytes);
    }

    /// @dev The current balance hash: the stored one (without LOCKED if the account is locked),
    /// or the hash of E(0) with r = 1 for an account never touched.
    function _balanceHashOf(address account) private view returns (bytes32 hash) {
        hash = _balanceHashes[account];
        if (hash == bytes32(0)) return zeroBalanceHash;
        if (_accounts[account].pendingRequestId != 0) hash ^= LOCKED;
    }

    /// @dev Locks `account` for request `requestId`: marks its stored hash (see LOCKED).
    function _lock(address account, uint256 requestId) private {
        _accounts[account].pendingRequestId = uint64(requestId); // < 2^64 requests
        bytes32 stored = _balanceHashes[account];
        _balanceHashes[account] = (stored == bytes32(0) ? zeroBalanceHash : stored) ^ LOCKED;
    }

    /// @dev Unlocks `account`, its balance unchanged.
    function _unlock(address account) private {
        _accounts[account].pendingRequestId = 0;
        _balanceHashes[account] ^= LOCKED;
    }

    /// @dev A transfer's balance for `account` did not hash to the stored value: the account is
    /// locked, or the balance is stale.
    function _revertNotCurrent(address account, bytes32 given) private view {
        uint256 requestId = _accounts[account].pendingRequestId;
        if (requestId != 0) revert ConfidentialLedgerAccountLocked(account, requestId);
        revert ConfidentialLedgerStaleBalance(account, _balanceHashOf(account), given);
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
    /// event argument starts at `buffer - 0x20`, so `_emitBalanceUpdated` logs it without a copy.
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

    /// @dev Reverts unless `account` may deposit or request a withdrawal: not frozen, not locked.
    function _requireCanSpend(address account) private view {
        AccountState memory state = _accounts[account];
        if (state.frozen) revert ConfidentialLedgerAccountFrozen(account);
        if (state.pendingRequestId != 0) revert ConfidentialLedgerAccountLocked(account, state.pendingRequestId);
    }

    /// @dev `source` copied to memory, checked to be `account`'s current balance.
    function _currentBalance(address account, bytes calldata source) private view returns (bytes memory balance) {
        balance = _eventBuffer(ciphertextBytes);
        _copy(source, balance, 0);
        _requireCurrent(account, balance);
    }

    /// @dev Reverts with `ConfidentialLedgerStaleBalance` unless keccak256(balance) is the
    /// account's balance hash (the caller checked that the account is not locked). A stored hash
    /// is always of a value in [0, N): no range check.
    function _requireCurrent(address account, bytes memory balance) private view {
        bytes32 expected = _balanceHashOf(account);
        bytes32 given = keccak256(balance);
        if (given != expected) revert ConfidentialLedgerStaleBalance(account, expected, given);
    }

    /// @dev `source` copied to memory and checked to be a ciphertext (length, 1 ≤ c < N).
    function _ciphertext(PaillierMath.Workspace memory workspace, bytes calldata source, uint256 index)
        private
        view
        returns (bytes memory value)
    {
        value = new bytes(ciphertextBytes);
        _copy(source, value, index);
        if (!workspace.isCiphertext(value)) revert ConfidentialLedgerCiphertextOutOfRange(index);
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
