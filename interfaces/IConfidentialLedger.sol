// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IConfidentialLedger
/// @notice A ledger of ether balances kept as Paillier ciphertexts under a consortium's threshold
/// key, updated homomorphically by the chain; transfers hide their receiver and amount among
/// decoys (research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on
/// Blockchain", J. Comput. Sci. Technol. 2018, §4.5).
/// @dev Encoding: n is `modulusBytes()` bytes, big-endian; N = n²; a ciphertext is exactly
/// `ciphertextBytes()` = 2 · modulusBytes bytes, big-endian, and must lie in [1, N). With g = n + 1,
/// E(m) = (1 + n)^m · r^n mod N; with r = 1, E(m) = 1 + m·n mod N and E(−m) = N + 1 − m·n.
/// An account never touched holds E(0) with r = 1: the integer 1 in that encoding.
///
/// Ciphertexts are not stored, only their keccak256 (`balanceHash`); every change emits the new
/// ciphertext in `BalanceUpdated` (or, for an executed withdrawal, in its `WithdrawalRequested`).
/// Callers send the current ciphertext back and the contract checks it against the hash.
///
/// The life of a withdrawal: `requestWithdrawal` (the account is locked, its balance minus the
/// amount is published) → trustees threshold-decrypt that ciphertext off chain and check that it
/// is a non-negative balance → `approveWithdrawal` by `threshold()` trustees (executed: the balance
/// becomes the published ciphertext and the amount is credited) or `rejectWithdrawal` by more than
/// trusteeCount − threshold (rejected), or `cancelWithdrawal` by the requester → `withdraw`.
interface IConfidentialLedger {
    /// @notice Where a withdrawal request stands.
    enum WithdrawalState {
        None,
        Pending,
        Executed,
        Rejected,
        Cancelled
    }

    /// @notice A trustee was appointed at deployment.
    /// @param trustee The trustee's account.
    /// @param index Its position (0-based) in `trustees()`.
    event TrusteeAppointed(address indexed trustee, uint256 index);

    /// @notice An account's balance changed to `ciphertext` (its keccak256 is the new `balanceHash`).
    /// @param account The account.
    /// @param ciphertext The new balance, `ciphertextBytes()` bytes.
    event BalanceUpdated(address indexed account, bytes ciphertext);

    /// @notice An account deposited ether, added to its balance homomorphically.
    /// @param account The depositor.
    /// @param amountWei The ether deposited (public: it is the transaction's value).
    event Deposited(address indexed account, uint256 amountWei);

    /// @notice A transfer updated every balance of an anonymity set (one `BalanceUpdated` each).
    /// @param transferId The transfer's id (1, 2, …).
    /// @param sender The account that sent it, one of `accounts`.
    /// @param accounts The anonymity set, in the order of the call.
    event Transferred(uint256 indexed transferId, address indexed sender, address[] accounts);

    /// @notice An account asked to withdraw `amountWei`; it is locked until the request is decided.
    /// @param requestId The request's id (1, 2, …).
    /// @param account The requester.
    /// @param amountWei The amount asked for.
    /// @param newCiphertext The balance after the withdrawal, current · E(−amountWei): the
    /// trustees decrypt it and approve only if it is non-negative.
    event WithdrawalRequested(
        uint256 indexed requestId, address indexed account, uint256 amountWei, bytes newCiphertext
    );

    /// @notice A trustee voted on a withdrawal request.
    /// @param requestId The request.
    /// @param trustee The trustee.
    /// @param approve True for an approval, false for a rejection.
    /// @param approvals Approvals counted, this vote included.
    /// @param rejections Rejections counted, this vote included.
    event WithdrawalVoted(
        uint256 indexed requestId, address indexed trustee, bool approve, uint256 approvals, uint256 rejections
    );

    /// @notice A request reached `threshold()` approvals: the account's balance is now the request's
    /// `newCiphertext`, the amount is credited (see `withdraw`) and the account is unlocked.
    /// @param requestId The request.
    /// @param account The requester.
    /// @param amountWei The amount credited.
    event WithdrawalExecuted(uint256 indexed requestId, address indexed account, uint256 amountWei);

    /// @notice A request's rejections made approval unreachable; the account is unlocked, its
    /// balance unchanged.
    /// @param requestId The request.
    /// @param account The requester.
    event WithdrawalRejected(uint256 indexed requestId, address indexed account);

    /// @notice The requester withdrew its pending request; the account is unlocked, its balance
    /// unchanged.
    /// @param requestId The request.
    /// @param account The requester.
    event WithdrawalCancelled(uint256 indexed requestId, address indexed account);

    /// @notice Credited ether was paid out.
    /// @param account The payee.
    /// @param amountWei The amount sent.
    event Withdrawn(address indexed account, uint256 amountWei);

    /// @notice A trustee reported that an account's balance decrypts outside the valid range (for
    /// example to a "negative" value, in the upper half of Z_n).
    /// @param account The account.
    /// @param trustee The reporting trustee.
    /// @param balanceHash The balance reported, `balanceHash(account)` at the time.
    /// @param reports Reports counted for (account, balanceHash), this one included.
    event OutOfRangeReported(address indexed account, address indexed trustee, bytes32 balanceHash, uint256 reports);

    /// @notice `threshold()` trustees reported the same balance: the account is frozen for good.
    /// @param account The account.
    /// @param balanceHash The balance they reported.
    event AccountFrozen(address indexed account, bytes32 balanceHash);

    /// @notice The modulus is unusable.
    /// @param reason "length" (not a positive multiple of 32 bytes up to `MAX_MODULUS_BYTES`),
    /// "leading zero" (its first byte is zero) or "even".
    error ConfidentialLedgerInvalidModulus(string reason);

    /// @notice More trustees than `MAX_TRUSTEES`.
    /// @param count The number given.
    /// @param maxTrustees `MAX_TRUSTEES`.
    error ConfidentialLedgerTooManyTrustees(uint256 count, uint256 maxTrustees);

    /// @notice The threshold is not in 1 .. trusteeCount.
    /// @param threshold The threshold given.
    /// @param trusteeCount The number of trustees.
    error ConfidentialLedgerInvalidThreshold(uint256 threshold, uint256 trusteeCount);

    /// @notice A trustee was the zero address.
    error ConfidentialLedgerZeroTrustee();

    /// @notice A trustee was listed twice.
    /// @param trustee The repeated account.
    error ConfidentialLedgerDuplicateTrustee(address trustee);

    /// @notice Only trustees may do this.
    /// @param caller The account that tried.
    error ConfidentialLedgerNotTrustee(address caller);

    /// @notice A ciphertext argument is not `ciphertextBytes()` long.
    /// @param index Its position: 0 or 1 for `addCiphertexts`' a and b, 0 for the balance of
    /// `deposit` and `requestWithdrawal`, i for `transfer`'s balances[i] and deltas[i].
    /// @param length Its length in bytes.
    /// @param expected `ciphertextBytes()`.
    error ConfidentialLedgerInvalidCiphertextLength(uint256 index, uint256 length, uint256 expected);

    /// @notice A ciphertext argument is 0 or at least N.
    /// @param index Its position: 0 or 1 for `addCiphertexts`' a and b, i for `transfer`'s deltas[i].
    error ConfidentialLedgerCiphertextOutOfRange(uint256 index);

    /// @notice The balance sent is not the account's current one (it changed since it was read, or
    /// it was never right): read `balanceHash` and the latest ciphertext again, and retry.
    /// @param account The account.
    /// @param balanceHash The account's current `balanceHash`.
    /// @param givenHash keccak256 of the ciphertext sent.
    error ConfidentialLedgerStaleBalance(address account, bytes32 balanceHash, bytes32 givenHash);

    /// @notice The amount is 0 or above `MAX_AMOUNT`.
    /// @param amountWei The amount.
    /// @param maxAmountWei `MAX_AMOUNT`.
    error ConfidentialLedgerInvalidAmount(uint256 amountWei, uint256 maxAmountWei);

    /// @notice The account is frozen: it may receive, but not deposit, send or withdraw.
    /// @param account The account.
    error ConfidentialLedgerAccountFrozen(address account);

    /// @notice The account has a pending withdrawal request, so its balance may not change.
    /// @param account The account.
    /// @param requestId The pending request.
    error ConfidentialLedgerAccountLocked(address account, uint256 requestId);

    /// @notice The anonymity set has fewer than `MIN_SET_SIZE` or more than `MAX_SET_SIZE` accounts.
    /// @param size The number of accounts.
    /// @param minSize `MIN_SET_SIZE`.
    /// @param maxSize `MAX_SET_SIZE`.
    error ConfidentialLedgerInvalidSetSize(uint256 size, uint256 minSize, uint256 maxSize);

    /// @notice `transfer`'s arrays differ in length.
    /// @param accounts The number of accounts.
    /// @param balances The number of balances.
    /// @param deltas The number of deltas.
    error ConfidentialLedgerLengthMismatch(uint256 accounts, uint256 balances, uint256 deltas);

    /// @notice An account appears twice in the anonymity set.
    /// @param account The repeated account.
    error ConfidentialLedgerDuplicateAccount(address account);

    /// @notice The caller is not in the anonymity set of its own transfer.
    /// @param sender The caller.
    error ConfidentialLedgerSenderNotInSet(address sender);

    /// @notice No withdrawal request has this id.
    /// @param requestId The id asked for.
    error ConfidentialLedgerUnknownWithdrawal(uint256 requestId);

    /// @notice The request was already executed, rejected or cancelled.
    /// @param requestId The request.
    /// @param state Its state.
    error ConfidentialLedgerWithdrawalNotPending(uint256 requestId, WithdrawalState state);

    /// @notice The trustee already voted on this request.
    /// @param requestId The request.
    /// @param trustee The trustee.
    error ConfidentialLedgerAlreadyVoted(uint256 requestId, address trustee);

    /// @notice Only the requester may cancel its request.
    /// @param requestId The request.
    /// @param caller The account that tried.
    error ConfidentialLedgerNotRequester(uint256 requestId, address caller);

    /// @notice The account has no credit to withdraw.
    /// @param account The account.
    error ConfidentialLedgerNothingToWithdraw(address account);

    /// @notice Sending the credit failed (the payee refused it); the credit is kept.
    /// @param account The payee.
    /// @param amountWei The amount.
    error ConfidentialLedgerTransferFailed(address account, uint256 amountWei);

    /// @notice The trustee already reported this balance of this account.
    /// @param account The account.
    /// @param trustee The trustee.
    /// @param balanceHash The balance.
    error ConfidentialLedgerAlreadyReported(address account, address trustee, bytes32 balanceHash);

    /// @notice The largest anonymity set: the work of a transfer grows with it.
    /// @return maxSize 16.
    function MAX_SET_SIZE() external view returns (uint256 maxSize);

    /// @notice The smallest anonymity set: the sender and one other account.
    /// @return minSize 2.
    function MIN_SET_SIZE() external view returns (uint256 minSize);

    /// @notice The largest deposit or withdrawal, in wei (far below n, so amount·n < N).
    /// @return maxAmountWei 2^128 − 1.
    function MAX_AMOUNT() external view returns (uint256 maxAmountWei);

    /// @notice The most trustees (votes are recorded in a 32-bit mask).
    /// @return maxTrustees 32.
    function MAX_TRUSTEES() external view returns (uint256 maxTrustees);

    /// @notice The longest modulus accepted, in bytes (a 4096-bit n).
    /// @return maxModulusBytes 512.
    function MAX_MODULUS_BYTES() external view returns (uint256 maxModulusBytes);

    /// @notice The Paillier modulus n of the consortium's key.
    /// @return modulus n, big-endian, `modulusBytes()` long.
    function modulus() external view returns (bytes memory modulus);

    /// @notice The length of n in bytes.
    /// @return length A multiple of 32.
    function modulusBytes() external view returns (uint256 length);

    /// @notice The length of every ciphertext in bytes: 2 · modulusBytes (the length of N = n²).
    /// @return length The length.
    function ciphertextBytes() external view returns (uint256 length);

    /// @notice The number of trustees whose shares decrypt, and whose votes decide.
    /// @return approvalsNeeded t.
    function threshold() external view returns (uint256 approvalsNeeded);

    /// @notice The number of trustees, p.
    /// @return count p.
    function trusteeCount() external view returns (uint256 count);

    /// @notice The trustees, in the order of deployment.
    /// @return accounts Their accounts.
    function trustees() external view returns (address[] memory accounts);

    /// @notice Whether `account` is a trustee.
    /// @param account The account.
    /// @return trustee True if it is.
    function isTrustee(address account) external view returns (bool trustee);

    /// @notice keccak256 of an account's current balance ciphertext.
    /// @dev For an account never touched: keccak256 of E(0) with r = 1 (`zeroBalanceHash`).
    /// @param account The account.
    /// @return hash The hash.
    function balanceHash(address account) external view returns (bytes32 hash);

    /// @notice keccak256 of the integer 1 in the ciphertext encoding: every untouched account's hash.
    /// @return hash The hash.
    function zeroBalanceHash() external view returns (bytes32 hash);

    /// @notice Ether credited to `account` and not yet withdrawn.
    /// @param account The account.
    /// @return amountWei The credit.
    function credits(address account) external view returns (uint256 amountWei);

    /// @notice Whether `account` is frozen (see `reportOutOfRange`).
    /// @param account The account.
    /// @return isFrozen True if it is.
    function frozen(address account) external view returns (bool isFrozen);

    /// @notice The account's pending withdrawal request, which locks it.
    /// @param account The account.
    /// @return requestId The request, 0 if none.
    function pendingWithdrawal(address account) external view returns (uint256 requestId);

    /// @notice Withdrawal request `requestId`.
    /// @dev Reverts with `ConfidentialLedgerUnknownWithdrawal` if no request has this id.
    /// @param requestId The request.
    /// @return account The requester.
    /// @return amountWei The amount asked for.
    /// @return state Where it stands.
    /// @return approvals Approvals counted.
    /// @return rejections Rejections counted.
    /// @return newBalanceHash keccak256 of the balance after the withdrawal (the event's ciphertext).
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
        );

    /// @notice Whether `trustee` voted on request `requestId`.
    /// @param requestId The request.
    /// @param trustee The account.
    /// @return voted True if it did.
    function hasVoted(uint256 requestId, address trustee) external view returns (bool voted);

    /// @notice The number of withdrawal requests made, which is also the latest one's id.
    /// @return count The number.
    function withdrawalCount() external view returns (uint256 count);

    /// @notice The number of transfers made, which is also the latest one's id.
    /// @return count The number.
    function transferCount() external view returns (uint256 count);

    /// @notice Out-of-range reports counted for `account` at balance `hash`.
    /// @param account The account.
    /// @param hash A balance hash of the account (current or past).
    /// @return reports The number of trustees that reported it.
    function reportsOf(address account, bytes32 hash) external view returns (uint256 reports);

    /// @notice Whether `trustee` reported `account` at balance `hash`.
    /// @param account The account.
    /// @param hash A balance hash of the account.
    /// @param trustee The trustee.
    /// @return reported True if it did.
    function hasReported(address account, bytes32 hash, address trustee) external view returns (bool reported);

    /// @notice The homomorphic addition under the ledger's key: a · b mod N.
    /// @dev Reverts with `ConfidentialLedgerInvalidCiphertextLength` or
    /// `ConfidentialLedgerCiphertextOutOfRange` (index 0 for a, 1 for b). The same arithmetic as
    /// every balance update, exposed so that clients can check it.
    /// @param a A ciphertext.
    /// @param b A ciphertext.
    /// @return sum The ciphertext of the sum of their plaintexts, `ciphertextBytes()` long.
    function addCiphertexts(bytes calldata a, bytes calldata b) external view returns (bytes memory sum);

    /// @notice Deposit the ether sent: the balance becomes currentBalance · E(msg.value) with r = 1.
    /// @dev Reverts with `ConfidentialLedgerInvalidAmount` unless 0 < msg.value ≤ `MAX_AMOUNT`,
    /// `ConfidentialLedgerAccountFrozen` (a frozen account can never withdraw, so its ether would
    /// be stuck), `ConfidentialLedgerAccountLocked` (pending withdrawal),
    /// `ConfidentialLedgerInvalidCiphertextLength` or `ConfidentialLedgerStaleBalance`. No
    /// consortium approval: the amount is public, so the chain adds it itself. Emits
    /// `BalanceUpdated` and `Deposited`.
    /// @param currentBalance The caller's current balance ciphertext (keccak256 = `balanceHash`).
    function deposit(bytes calldata currentBalance) external payable;

    /// @notice Apply one delta to each balance of an anonymity set: balances[i] · deltas[i] mod N.
    /// @dev The caller must be one of `accounts` (`ConfidentialLedgerSenderNotInSet`), not frozen
    /// (`ConfidentialLedgerAccountFrozen`). Reverts with `ConfidentialLedgerInvalidSetSize` unless
    /// `MIN_SET_SIZE` ≤ accounts.length ≤ `MAX_SET_SIZE`, `ConfidentialLedgerLengthMismatch`,
    /// `ConfidentialLedgerDuplicateAccount`, `ConfidentialLedgerAccountLocked` (an account with a
    /// pending withdrawal), `ConfidentialLedgerInvalidCiphertextLength`,
    /// `ConfidentialLedgerStaleBalance` (naming the first account whose balance is not current)
    /// or `ConfidentialLedgerCiphertextOutOfRange` (a delta). Emits `BalanceUpdated` for each
    /// account, in order, then `Transferred`. The contract cannot tell which delta is the amount,
    /// which is the sender's E(−amount) and which are decoys' encryptions of zero.
    /// @param accounts The anonymity set: the sender, the receiver and decoys, in any order.
    /// @param balances Each account's current balance ciphertext.
    /// @param deltas Each account's change, encrypted (fresh randomness for every one).
    /// @return transferId The transfer's id.
    function transfer(address[] calldata accounts, bytes[] calldata balances, bytes[] calldata deltas)
        external
        returns (uint256 transferId);

    /// @notice Ask the trustees to pay out `amountWei` of the caller's balance.
    /// @dev Reverts with `ConfidentialLedgerInvalidAmount` unless 0 < amountWei ≤ `MAX_AMOUNT`,
    /// `ConfidentialLedgerAccountFrozen`, `ConfidentialLedgerAccountLocked` (a request is pending),
    /// `ConfidentialLedgerInvalidCiphertextLength` or `ConfidentialLedgerStaleBalance`. Computes
    /// currentBalance · E(−amountWei) (r = 1), locks the account and emits `WithdrawalRequested`
    /// with that ciphertext. The balance changes only when the request is executed.
    /// @param currentBalance The caller's current balance ciphertext.
    /// @param amountWei The amount.
    /// @return requestId The request's id.
    function requestWithdrawal(bytes calldata currentBalance, uint256 amountWei) external returns (uint256 requestId);

    /// @notice Approve a pending withdrawal, having decrypted its new balance to a non-negative value.
    /// @dev Only trustees (`ConfidentialLedgerNotTrustee`), once per request
    /// (`ConfidentialLedgerAlreadyVoted`). Reverts with `ConfidentialLedgerUnknownWithdrawal`,
    /// `ConfidentialLedgerWithdrawalNotPending` or `ConfidentialLedgerAccountFrozen` (the account
    /// was frozen meanwhile: its request can only be rejected or cancelled). Emits
    /// `WithdrawalVoted`; at `threshold()` approvals executes the request (`WithdrawalExecuted`).
    /// @param requestId The request.
    function approveWithdrawal(uint256 requestId) external;

    /// @notice Reject a pending withdrawal (its new balance decrypts to a negative value, or the
    /// trustee does not agree).
    /// @dev Only trustees, once per request. Reverts with `ConfidentialLedgerUnknownWithdrawal` or
    /// `ConfidentialLedgerWithdrawalNotPending`. Emits `WithdrawalVoted`; when rejections exceed
    /// trusteeCount − threshold the request is rejected and the account unlocked
    /// (`WithdrawalRejected`).
    /// @param requestId The request.
    function rejectWithdrawal(uint256 requestId) external;

    /// @notice Withdraw the caller's pending request, unlocking its account.
    /// @dev Only the requester (`ConfidentialLedgerNotRequester`). Reverts with
    /// `ConfidentialLedgerUnknownWithdrawal` or `ConfidentialLedgerWithdrawalNotPending`. Emits
    /// `WithdrawalCancelled`.
    /// @param requestId The request.
    function cancelWithdrawal(uint256 requestId) external;

    /// @notice Send the caller its whole credit (pull payment).
    /// @dev Reverts with `ConfidentialLedgerNothingToWithdraw` or `ConfidentialLedgerTransferFailed`
    /// (the credit is then kept). Zeroes the credit before sending; non-reentrant. Emits `Withdrawn`.
    function withdraw() external;

    /// @notice Report that `account`'s current balance decrypts outside the valid range.
    /// @dev Only trustees, once per (account, balance) (`ConfidentialLedgerAlreadyReported`); reverts
    /// with `ConfidentialLedgerAccountFrozen` if it is frozen already. A report counts for the
    /// balance hash current at the time: reports of an older balance do not add up with reports of
    /// a newer one. Emits `OutOfRangeReported`; at `threshold()` reports of the same balance the
    /// account is frozen (`AccountFrozen`).
    /// @param account The account.
    function reportOutOfRange(address account) external;
}
