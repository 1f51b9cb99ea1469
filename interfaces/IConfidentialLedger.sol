// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IConfidentialLedger
/// @notice A ledger of ether balances kept as Paillier ciphertexts under a consortium's threshold
/// key, updated homomorphically by the chain; transfers hide their receiver and amount among
/// decoys (research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on
/// Blockchain", J. Comput. Sci. Technol. 2018, §4.5), and count only once t trustees have
/// checked the sender's zero-knowledge proofs off chain and attested them.
/// @dev Encoding: n is `modulusBytes()` bytes, big-endian; N = n²; a ciphertext is exactly
/// `ciphertextBytes()` = 2 · modulusBytes bytes, big-endian, and must lie in [1, N) and not be a
/// multiple of n (`ConfidentialLedgerNotAUnit`). With g = n + 1, E(m) = (1 + n)^m · r^n mod N;
/// with r = 1, E(m) = 1 + m·n mod N and E(−m) = N + 1 − m·n. An account never touched holds
/// E(0) with r = 1: the integer 1 in that encoding.
///
/// Ciphertexts are not stored, only their keccak256 (`balanceHash`). An account's balance changes
/// only by its own operations, each of which publishes the new ciphertext: `deposit` and `fold`
/// (`BalanceUpdated`), `transfer` (the sender's new balance in `Transferred`; restored to the
/// previous one if the transfer is rejected or cancelled), an executed withdrawal (the
/// ciphertext of its `WithdrawalRequested`). Callers send their current ciphertext back and the
/// contract checks it against the hash; nobody else's transactions can make it stale.
///
/// The life of a transfer: `transfer` (the sender's balance is multiplied by its own delta, the
/// sender is locked, every other account of the set gets a credit: the hash of its delta, in
/// its inbox, `creditOf`; the proof context binds the proofs to this ledger, sender, nonce,
/// balance and deltas) → t trustees check the proofs and decrypt the sender's new balance off
/// chain and sign a verdict (`verdictDigest`) → anyone submits `settleTransfer` with t
/// signatures: accepted (`TransferVerified`, the sender is unlocked) or rejected
/// (`TransferRejected`, the sender's balance restored, an offense counted; `MAX_OFFENSES` freeze
/// it) → each account of the set folds its credit into its balance whenever it likes (`fold`;
/// a credit of a rejected or cancelled transfer is just deleted). If the trustees never settle,
/// the sender may `cancelTransfer` after `REVIEW_PERIOD`.
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

    /// @notice Where a transfer stands.
    enum TransferState {
        None,
        Pending,
        Verified,
        Rejected,
        Cancelled
    }

    /// @notice A trustee was appointed at deployment.
    /// @param trustee The trustee's account.
    /// @param index Its position (0-based) in `trustees()`.
    event TrusteeAppointed(address indexed trustee, uint256 index);

    /// @notice An account's balance changed to `ciphertext` (its keccak256 is the new `balanceHash`),
    /// by a deposit or a fold.
    /// @param account The account.
    /// @param ciphertext The new balance, `ciphertextBytes()` bytes.
    event BalanceUpdated(address indexed account, bytes ciphertext);

    /// @notice An account deposited ether, added to its balance homomorphically.
    /// @param account The depositor.
    /// @param amountWei The ether deposited (public: it is the transaction's value).
    event Deposited(address indexed account, uint256 amountWei);

    /// @notice A transfer left a credit in `account`'s inbox: `delta`, to fold into its balance
    /// once the transfer is verified (`creditOf` holds its keccak256).
    /// @param account An account of the set other than the sender.
    /// @param transferId The transfer.
    /// @param delta The account's change, encrypted, `ciphertextBytes()` bytes.
    event Credited(address indexed account, uint256 indexed transferId, bytes delta);

    /// @notice A transfer was submitted: pending until `threshold()` trustees attest it.
    /// @param transferId The transfer's id (1, 2, …).
    /// @param sender The account that sent it, one of `accounts`; locked until it is settled.
    /// @param accounts The anonymity set, in the order of the call.
    /// @param newBalance The sender's balance after its own delta (now its `balanceHash`'s
    /// preimage; the previous one again if the transfer is rejected or cancelled).
    /// @param proofContext What the sender's proofs are bound to (see `proofContextOf`).
    /// @param proofHash The hash of the sender's proofs, as given (delivered to the trustees off chain).
    event Transferred(
        uint256 indexed transferId,
        address indexed sender,
        address[] accounts,
        bytes newBalance,
        bytes32 proofContext,
        bytes32 proofHash
    );

    /// @notice `threshold()` trustees accepted a transfer: its credits may be folded, the sender is unlocked.
    /// @param transferId The transfer.
    /// @param sender Its sender.
    event TransferVerified(uint256 indexed transferId, address indexed sender);

    /// @notice `threshold()` trustees rejected a transfer: the sender's balance is restored, the
    /// sender unlocked, its credits void.
    /// @param transferId The transfer.
    /// @param sender Its sender.
    /// @param offenses The sender's rejected transfers so far, this one included.
    event TransferRejected(uint256 indexed transferId, address indexed sender, uint256 offenses);

    /// @notice The sender cancelled a transfer the trustees did not settle within `REVIEW_PERIOD`:
    /// its balance is restored, it is unlocked, the credits are void.
    /// @param transferId The transfer.
    /// @param sender Its sender.
    event TransferCancelled(uint256 indexed transferId, address indexed sender);

    /// @notice An account folded credits into its balance (the new balance is in the
    /// `BalanceUpdated` just before).
    /// @param account The account.
    /// @param transferIds The transfers whose credits were folded (verified) or deleted (rejected
    /// or cancelled), in the order of the call.
    event Folded(address indexed account, uint256[] transferIds);

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
    /// @param balanceHash The balance reported: the one the trustee decrypted, current at the time.
    /// @param reports Reports counted for (account, balanceHash), this one included.
    event OutOfRangeReported(address indexed account, address indexed trustee, bytes32 balanceHash, uint256 reports);

    /// @notice The account is frozen for good: `threshold()` trustees reported the same balance,
    /// or `MAX_OFFENSES` of its transfers were rejected.
    /// @param account The account.
    /// @param balanceHash Its balance hash at the time.
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
    /// @param index Its position: 0 or 1 for `addCiphertexts`' a and b; 0 for the balance of
    /// `deposit`, `requestWithdrawal`, `transfer` and `fold` (checked before any delta); i for
    /// `transfer`'s and `fold`'s deltas[i].
    /// @param length Its length in bytes.
    /// @param expected `ciphertextBytes()`.
    error ConfidentialLedgerInvalidCiphertextLength(uint256 index, uint256 length, uint256 expected);

    /// @notice A ciphertext argument is 0 or at least N.
    /// @param index Its position: 0 or 1 for `addCiphertexts`' a and b, i for `transfer`'s deltas[i].
    error ConfidentialLedgerCiphertextOutOfRange(uint256 index);

    /// @notice A ciphertext argument is a multiple of n: not a unit modulo N, it would absorb
    /// every later change of the balance it is multiplied into (a permanent freeze).
    /// @param index Its position: 0 or 1 for `addCiphertexts`' a and b, i for `transfer`'s deltas[i].
    error ConfidentialLedgerNotAUnit(uint256 index);

    /// @notice The balance hash given is not the account's current one (the balance sent hashes
    /// to something else, or the report names an older balance): read `balanceHash` and the
    /// latest ciphertext again.
    /// @param account The account.
    /// @param balanceHash The account's current `balanceHash`.
    /// @param givenHash keccak256 of the ciphertext sent, or the hash reported.
    error ConfidentialLedgerStaleBalance(address account, bytes32 balanceHash, bytes32 givenHash);

    /// @notice The amount is 0 or above `MAX_AMOUNT`.
    /// @param amountWei The amount.
    /// @param maxAmountWei `MAX_AMOUNT`.
    error ConfidentialLedgerInvalidAmount(uint256 amountWei, uint256 maxAmountWei);

    /// @notice The account is frozen: it may still be named in transfers, but not deposit, send,
    /// fold or withdraw.
    /// @param account The account.
    error ConfidentialLedgerAccountFrozen(address account);

    /// @notice The account has a pending withdrawal request, so its balance may not change.
    /// @param account The account.
    /// @param requestId The pending request.
    error ConfidentialLedgerAccountLocked(address account, uint256 requestId);

    /// @notice The account has sent a transfer not yet settled, so its balance may not change.
    /// @param account The account.
    /// @param transferId The pending transfer.
    error ConfidentialLedgerTransferPending(address account, uint256 transferId);

    /// @notice The anonymity set has fewer than `MIN_SET_SIZE` or more than `MAX_SET_SIZE` accounts.
    /// @param size The number of accounts.
    /// @param minSize `MIN_SET_SIZE`.
    /// @param maxSize `MAX_SET_SIZE`.
    error ConfidentialLedgerInvalidSetSize(uint256 size, uint256 minSize, uint256 maxSize);

    /// @notice `transfer`'s accounts and deltas, or `fold`'s transfer ids and deltas, differ in number.
    /// @param entries The number of accounts (`transfer`) or transfer ids (`fold`).
    /// @param deltas The number of deltas.
    error ConfidentialLedgerLengthMismatch(uint256 entries, uint256 deltas);

    /// @notice An account appears twice in the anonymity set.
    /// @param account The repeated account.
    error ConfidentialLedgerDuplicateAccount(address account);

    /// @notice The caller is not in the anonymity set of its own transfer.
    /// @param sender The caller.
    error ConfidentialLedgerSenderNotInSet(address sender);

    /// @notice No transfer has this id.
    /// @param transferId The id asked for.
    error ConfidentialLedgerUnknownTransfer(uint256 transferId);

    /// @notice The transfer was already verified, rejected or cancelled.
    /// @param transferId The transfer.
    /// @param state Its state.
    error ConfidentialLedgerTransferNotPending(uint256 transferId, TransferState state);

    /// @notice More signatures than `MAX_TRUSTEES`.
    /// @param count The number given.
    /// @param maxTrustees `MAX_TRUSTEES`.
    error ConfidentialLedgerTooManySignatures(uint256 count, uint256 maxTrustees);

    /// @notice Fewer signatures than `threshold()`.
    /// @param count The number given.
    /// @param threshold `threshold()`.
    error ConfidentialLedgerTooFewSignatures(uint256 count, uint256 threshold);

    /// @notice A signature is not a trustee's over this verdict: malformed (not 65 bytes, high s,
    /// bad v), unrecoverable, or recovering to an account that is not a trustee (a signature over
    /// another transfer or the other verdict recovers to an unrelated account).
    /// @param index Its position in `signatures`.
    error ConfidentialLedgerInvalidSignature(uint256 index);

    /// @notice Two signatures are by the same trustee.
    /// @param trustee The trustee.
    error ConfidentialLedgerDuplicateSignature(address trustee);

    /// @notice Only the sender may cancel its transfer.
    /// @param transferId The transfer.
    /// @param caller The account that tried.
    error ConfidentialLedgerNotSender(uint256 transferId, address caller);

    /// @notice The trustees may still settle the transfer: it can be cancelled only from `endsAt`.
    /// @param transferId The transfer.
    /// @param endsAt Its submission time plus `REVIEW_PERIOD` (unix seconds).
    error ConfidentialLedgerReviewNotOver(uint256 transferId, uint256 endsAt);

    /// @notice `fold` takes 1 to `MAX_FOLD` credits.
    /// @param size The number given.
    /// @param maxSize `MAX_FOLD`.
    error ConfidentialLedgerInvalidFoldSize(uint256 size, uint256 maxSize);

    /// @notice The account has no credit from this transfer (never had, or already folded).
    /// @param account The account.
    /// @param transferId The transfer.
    error ConfidentialLedgerNoCredit(address account, uint256 transferId);

    /// @notice The transfer is still pending: its credits can be folded once it is settled.
    /// @param transferId The transfer.
    error ConfidentialLedgerTransferNotSettled(uint256 transferId);

    /// @notice The delta given does not hash to the stored credit.
    /// @param transferId The transfer.
    error ConfidentialLedgerCreditMismatch(uint256 transferId);

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

    /// @notice How long the trustees have to settle a transfer before its sender may cancel it.
    /// @return periodSeconds One day.
    function REVIEW_PERIOD() external view returns (uint256 periodSeconds);

    /// @notice The most credits one `fold` takes.
    /// @return maxFold 16.
    function MAX_FOLD() external view returns (uint256 maxFold);

    /// @notice Rejected transfers after which the sender is frozen.
    /// @return maxOffenses 3.
    function MAX_OFFENSES() external view returns (uint256 maxOffenses);

    /// @notice The domain separator of proof contexts (see `proofContextOf`).
    /// @return domain keccak256("datashare/ledger/transfer-proof/v1").
    function PROOF_DOMAIN() external view returns (bytes32 domain);

    /// @notice The domain separator of trustees' verdicts (see `verdictDigest`).
    /// @return domain keccak256("datashare/ledger/transfer-verdict/v1").
    function VERDICT_DOMAIN() external view returns (bytes32 domain);

    /// @notice The Paillier modulus n of the consortium's key.
    /// @return n The modulus n, big-endian, `modulusBytes()` long.
    function modulus() external view returns (bytes memory n);

    /// @notice The length of n in bytes.
    /// @return length A multiple of 32.
    function modulusBytes() external view returns (uint256 length);

    /// @notice The length of every ciphertext in bytes: 2 · modulusBytes (the length of N = n²).
    /// @return length The length.
    function ciphertextBytes() external view returns (uint256 length);

    /// @notice The number of trustees whose shares decrypt, and whose votes or signatures decide.
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
    /// @dev For an account never touched: keccak256 of E(0) with r = 1 (`zeroBalanceHash`). While
    /// the account's own transfer is pending, the balance after that transfer.
    /// @param account The account.
    /// @return hash The hash.
    function balanceHash(address account) external view returns (bytes32 hash);

    /// @notice keccak256 of the integer 1 in the ciphertext encoding: every untouched account's hash.
    /// @return hash The hash.
    function zeroBalanceHash() external view returns (bytes32 hash);

    /// @notice Ether credited to `account` by executed withdrawals and not yet withdrawn.
    /// @param account The account.
    /// @return amountWei The credit.
    function credits(address account) external view returns (uint256 amountWei);

    /// @notice The credit transfer `transferId` left in `account`'s inbox, not yet folded.
    /// @param account The account.
    /// @param transferId The transfer.
    /// @return deltaHash keccak256 of the delta (its `Credited` event), 0 if none.
    function creditOf(address account, uint256 transferId) external view returns (bytes32 deltaHash);

    /// @notice Whether `account` is frozen (see `reportOutOfRange` and `MAX_OFFENSES`).
    /// @param account The account.
    /// @return isFrozen True if it is.
    function frozen(address account) external view returns (bool isFrozen);

    /// @notice The account's pending withdrawal request, which locks it.
    /// @param account The account.
    /// @return requestId The request, 0 if none.
    function pendingWithdrawal(address account) external view returns (uint256 requestId);

    /// @notice The account's own transfer waiting for the trustees, which locks it.
    /// @param account The account.
    /// @return transferId The transfer, 0 if none.
    function pendingTransfer(address account) external view returns (uint256 transferId);

    /// @notice How many of the account's transfers the trustees rejected.
    /// @param account The account.
    /// @return count The number.
    function offenses(address account) external view returns (uint256 count);

    /// @notice The nonce the account's next transfer is bound to (its transfers so far).
    /// @param account The account.
    /// @return nonce The nonce.
    function transferNonce(address account) external view returns (uint256 nonce);

    /// @notice Transfer `transferId`.
    /// @dev Reverts with `ConfidentialLedgerUnknownTransfer` if no transfer has this id.
    /// previousBalanceHash and digest are kept only while the transfer is pending (a sender has at
    /// most one pending transfer, and its next transfer reuses their storage): 0 once it is
    /// settled or cancelled. The digest stays derivable from the `Transferred` event.
    /// @param transferId The transfer.
    /// @return sender Its sender.
    /// @return state Where it stands.
    /// @return submittedAt Its block's timestamp (unix seconds).
    /// @return previousBalanceHash While pending: the sender's balance hash before it (restored on
    /// rejection or cancellation); 0 afterwards.
    /// @return digest While pending: keccak256(abi.encode(proofContext, proofHash)), what the
    /// trustees' verdict is over; 0 afterwards.
    function transferOf(uint256 transferId)
        external
        view
        returns (
            address sender,
            TransferState state,
            uint256 submittedAt,
            bytes32 previousBalanceHash,
            bytes32 digest
        );

    /// @notice The context a transfer's proofs must be bound to (Fiat–Shamir), as `transfer` computes it.
    /// @dev keccak256(abi.encode(PROOF_DOMAIN, block.chainid, address(this), sender, nonce,
    /// previousBalanceHash, accounts, deltaHashes)). Exposed so that clients can check their own.
    /// @param sender The sender.
    /// @param nonce Its `transferNonce` at the time.
    /// @param previousBalanceHash Its `balanceHash` before the transfer.
    /// @param accounts The anonymity set, in order.
    /// @param deltaHashes keccak256 of each delta, in the order of `accounts`.
    /// @return proofContext The context.
    function proofContextOf(
        address sender,
        uint256 nonce,
        bytes32 previousBalanceHash,
        address[] calldata accounts,
        bytes32[] calldata deltaHashes
    ) external view returns (bytes32 proofContext);

    /// @notice What trustees sign to settle a transfer, before the "\x19Ethereum Signed
    /// Message:\n32" prefix (EIP-191 `personal_sign` of these 32 bytes).
    /// @dev keccak256(abi.encode(VERDICT_DOMAIN, block.chainid, address(this), transferId,
    /// digest, accept)), digest as in `transferOf`. Reverts with `ConfidentialLedgerUnknownTransfer`,
    /// or `ConfidentialLedgerTransferNotPending` once it is settled (there is nothing left to sign).
    /// @param transferId The transfer.
    /// @param accept True for an acceptance, false for a rejection.
    /// @return digest The digest.
    function verdictDigest(uint256 transferId, bool accept) external view returns (bytes32 digest);

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
    /// @dev Reverts with `ConfidentialLedgerInvalidCiphertextLength`,
    /// `ConfidentialLedgerCiphertextOutOfRange` or `ConfidentialLedgerNotAUnit` (index 0 for a, 1
    /// for b). The same arithmetic as every balance update, exposed so that clients can check it.
    /// @param a A ciphertext.
    /// @param b A ciphertext.
    /// @return sum The ciphertext of the sum of their plaintexts, `ciphertextBytes()` long.
    function addCiphertexts(bytes calldata a, bytes calldata b) external view returns (bytes memory sum);

    /// @notice Deposit the ether sent: the balance becomes currentBalance · E(msg.value) with r = 1.
    /// @dev Reverts with `ConfidentialLedgerInvalidAmount` unless 0 < msg.value ≤ `MAX_AMOUNT`,
    /// `ConfidentialLedgerAccountFrozen` (a frozen account can never withdraw, so its ether would
    /// be stuck), `ConfidentialLedgerAccountLocked` (pending withdrawal),
    /// `ConfidentialLedgerTransferPending` (own transfer not settled),
    /// `ConfidentialLedgerInvalidCiphertextLength` or `ConfidentialLedgerStaleBalance`. No
    /// consortium approval: the amount is public, so the chain adds it itself. Emits
    /// `BalanceUpdated` and `Deposited`.
    /// @param currentBalance The caller's current balance ciphertext (keccak256 = `balanceHash`).
    function deposit(bytes calldata currentBalance) external payable;

    /// @notice Send a transfer over an anonymity set: the caller's balance is multiplied by its own
    /// delta now, every other account gets its delta as a credit to fold later; the transfer
    /// counts once `threshold()` trustees accept it (`settleTransfer`).
    /// @dev The caller must be one of `accounts` (`ConfidentialLedgerSenderNotInSet`), not frozen
    /// (`ConfidentialLedgerAccountFrozen`), without a pending withdrawal
    /// (`ConfidentialLedgerAccountLocked`) or transfer (`ConfidentialLedgerTransferPending`).
    /// Reverts with `ConfidentialLedgerInvalidSetSize` unless `MIN_SET_SIZE` ≤ accounts.length ≤
    /// `MAX_SET_SIZE`, `ConfidentialLedgerLengthMismatch`, `ConfidentialLedgerDuplicateAccount`,
    /// `ConfidentialLedgerInvalidCiphertextLength`, `ConfidentialLedgerStaleBalance` (the sender's
    /// balance only: nobody else's is read), `ConfidentialLedgerCiphertextOutOfRange` or
    /// `ConfidentialLedgerNotAUnit` (a delta). Emits `Credited` for every account but the sender,
    /// in order, then `Transferred`. The contract cannot tell which delta is the amount, which is
    /// the sender's E(−amount) and which are decoys' encryptions of zero: the proofs, checked by
    /// the trustees, say so. Increments the caller's `transferNonce`.
    /// @param accounts The anonymity set: the sender, the receiver and decoys, in any order.
    /// @param senderBalance The caller's current balance ciphertext.
    /// @param deltas Each account's change, encrypted (fresh randomness for every one).
    /// @param proofHash The hash of the proofs the sender hands the trustees, bound to
    /// `proofContextOf(msg.sender, transferNonce(msg.sender), balanceHash(msg.sender), accounts,
    /// keccak256 of each delta)`.
    /// @return transferId The transfer's id.
    function transfer(
        address[] calldata accounts,
        bytes calldata senderBalance,
        bytes[] calldata deltas,
        bytes32 proofHash
    ) external returns (uint256 transferId);

    /// @notice Settle a pending transfer with `threshold()` or more trustees' signatures over its verdict.
    /// @dev Anyone may submit: the signatures are the authority. Each is 65 bytes (r ‖ s ‖ v, low
    /// s) by a distinct trustee over the EIP-191 message `verdictDigest(transferId, accept)`.
    /// Reverts with `ConfidentialLedgerUnknownTransfer`, `ConfidentialLedgerTransferNotPending`,
    /// `ConfidentialLedgerTooManySignatures`, `ConfidentialLedgerTooFewSignatures`,
    /// `ConfidentialLedgerInvalidSignature` or `ConfidentialLedgerDuplicateSignature`. Accepted:
    /// `TransferVerified`, the sender unlocked. Rejected: the sender's balance restored, unlocked,
    /// an offense counted (`TransferRejected`); at `MAX_OFFENSES` the sender is frozen
    /// (`AccountFrozen`, unless it was frozen already). A sender frozen by reports meanwhile can
    /// still have its transfer settled either way.
    /// @param transferId The transfer.
    /// @param accept The verdict: true if the proofs hold and the sender's new balance is in range.
    /// @param signatures The trustees' signatures, in any order.
    function settleTransfer(uint256 transferId, bool accept, bytes[] calldata signatures) external;

    /// @notice Cancel the caller's own transfer that the trustees left pending for `REVIEW_PERIOD`.
    /// @dev Only the sender (`ConfidentialLedgerNotSender`). Reverts with
    /// `ConfidentialLedgerUnknownTransfer`, `ConfidentialLedgerTransferNotPending` or
    /// `ConfidentialLedgerReviewNotOver`. Restores the sender's balance, unlocks it (no offense)
    /// and voids the credits. Emits `TransferCancelled`.
    /// @param transferId The transfer.
    function cancelTransfer(uint256 transferId) external;

    /// @notice Fold credits from the caller's inbox into its balance: each verified transfer's
    /// delta is multiplied in, a rejected or cancelled one's credit is just deleted.
    /// @dev Reverts with `ConfidentialLedgerInvalidFoldSize` unless 1 ≤ transferIds.length ≤
    /// `MAX_FOLD`, `ConfidentialLedgerLengthMismatch`, `ConfidentialLedgerAccountFrozen`,
    /// `ConfidentialLedgerAccountLocked`, `ConfidentialLedgerTransferPending`,
    /// `ConfidentialLedgerInvalidCiphertextLength`, `ConfidentialLedgerStaleBalance`,
    /// `ConfidentialLedgerNoCredit` (none, already folded, or named twice),
    /// `ConfidentialLedgerTransferNotSettled` or `ConfidentialLedgerCreditMismatch`. Emits
    /// `BalanceUpdated` then `Folded`.
    /// @param currentBalance The caller's current balance ciphertext.
    /// @param transferIds The transfers whose credits to fold.
    /// @param deltas Each credit's delta (its `Credited` event); ignored, and may be empty, for a
    /// rejected or cancelled transfer.
    function fold(bytes calldata currentBalance, uint256[] calldata transferIds, bytes[] calldata deltas) external;

    /// @notice Ask the trustees to pay out `amountWei` of the caller's balance.
    /// @dev Reverts with `ConfidentialLedgerInvalidAmount` unless 0 < amountWei ≤ `MAX_AMOUNT`,
    /// `ConfidentialLedgerAccountFrozen`, `ConfidentialLedgerAccountLocked` (a request is pending),
    /// `ConfidentialLedgerTransferPending`, `ConfidentialLedgerInvalidCiphertextLength` or
    /// `ConfidentialLedgerStaleBalance`. Computes currentBalance · E(−amountWei) (r = 1), locks the
    /// account and emits `WithdrawalRequested` with that ciphertext. The balance changes only
    /// when the request is executed.
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

    /// @notice Report that `account`'s balance `decryptedHash`, which the trustee decrypted, lies
    /// outside the valid range.
    /// @dev Only trustees, once per (account, balance) (`ConfidentialLedgerAlreadyReported`); reverts
    /// with `ConfidentialLedgerAccountFrozen` if it is frozen already, and with
    /// `ConfidentialLedgerStaleBalance` unless `decryptedHash` is the account's current one, so that
    /// a report never lands on a balance the trustee did not check. Only the account itself can
    /// change its balance hash (see the contract's trust model): nobody else can re-randomise it
    /// between reports to keep their count below the threshold. Emits `OutOfRangeReported`; at
    /// `threshold()` reports of the same balance the account is frozen (`AccountFrozen`).
    /// @param account The account.
    /// @param decryptedHash The balance hash the trustee decrypted.
    function reportOutOfRange(address account, bytes32 decryptedHash) external;
}
