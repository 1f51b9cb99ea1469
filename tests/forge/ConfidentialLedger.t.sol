// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConfidentialLedger} from "../../interfaces/IConfidentialLedger.sol";
import {ConfidentialLedger} from "../../contracts/ConfidentialLedger.sol";
import {Checks, Handler, InvariantTest} from "./utils/InvariantTest.sol";

/// @title LedgerModel
/// @notice Paillier ciphertexts with randomness 1 under a 256-bit modulus, computed here without
/// `PaillierMath`: E(m) = 1 + (m mod n)·n, exact in 512 bits. Products of such ciphertexts modulo
/// N = n² are again of this form, E(a)·E(b) = E(a + b), so the handler knows every balance
/// ciphertext the ledger should hold from the plaintext alone.
/// @dev Not hiding (r = 1): the invariant test is about the ledger's accounting, which it checks
/// against plaintexts; PaillierMath's arithmetic is differential-tested against Python.
abstract contract LedgerModel is Checks {
    /// @notice n = 2^256 − 189 (odd, first byte nonzero, above MAX_AMOUNT).
    uint256 internal constant N = type(uint256).max - 188;

    /// @notice E(m) as 64 big-endian bytes, for |m| < n.
    function encrypt(int256 m) internal pure returns (bytes memory ciphertext) {
        uint256 residue = m >= 0 ? uint256(m) : N - uint256(-m);
        uint256 modulus = N;
        uint256 high;
        uint256 low;
        assembly ("memory-safe") {
            let mm := mulmod(residue, modulus, not(0))
            low := mul(residue, modulus)
            high := sub(sub(mm, low), lt(mm, low))
        }
        check(low != type(uint256).max, "E(m) needs a carry"); // never for these amounts
        low += 1;
        return abi.encodePacked(high, low);
    }
}

/// @title ConfidentialLedgerHandler
/// @notice Drives a `ConfidentialLedger` (3 trustees, threshold 2, 4 accounts) with random
/// deposits, transfers (honest or overdrawing, with decoys), settlements signed by the trustees
/// with `vm.sign` (accepting exactly the honest transfers), cancellations after the review
/// period, folds, withdrawal requests, trustee votes, cancellations, payouts and time jumps.
/// Its model predicts every outcome; a disagreement reverts the handler and fails the run.
contract ConfidentialLedgerHandler is Handler, LedgerModel {
    uint256 public constant ACCOUNTS = 4;
    uint256 public constant TRUSTEES = 3;

    struct Account {
        int256 balance; // plaintext of the stored balance hash
        uint256 payout;
        uint256 offenses;
        bool frozen;
        uint256 pendingTransferId;
        uint256 pendingRequestId;
        uint256 deposited;
        uint256 withdrawn;
    }

    struct Transfer {
        address sender;
        int256 amount;
        bool honest;
        uint256 submittedAt;
        IConfidentialLedger.TransferState state;
    }

    struct Request {
        address account;
        uint256 amount;
        bool honest;
        uint256 voters; // bit mask by trustee index
        uint256 approvals;
        uint256 rejections;
    }

    struct Credit {
        uint256 transferId;
        int256 amount;
    }

    ConfidentialLedger public immutable ledger;
    address[ACCOUNTS] public accounts;
    uint256[TRUSTEES] internal _trusteeKeys = [uint256(0x7101), 0x7102, 0x7103];
    uint256 public now_ = 1_700_000_000;

    mapping(address => Account) public ghost;
    mapping(uint256 transferId => Transfer) public transfers;
    mapping(uint256 requestId => Request) public requests;
    mapping(address => Credit[]) internal _inbox;
    uint256 public transferTotal;
    uint256 public requestTotal;
    uint256 public totalDeposited;
    uint256 public totalWithdrawn;

    constructor() {
        for (uint256 i = 0; i < ACCOUNTS; ++i) {
            accounts[i] = address(uint160(0xACC0 + i));
        }
        address[] memory trustees_ = new address[](TRUSTEES);
        for (uint256 i = 0; i < TRUSTEES; ++i) {
            trustees_[i] = vm.addr(_trusteeKeys[i]);
        }
        ledger = new ConfidentialLedger(abi.encodePacked(N), trustees_, 2);
    }

    // --- balances ------------------------------------------------------------------------------

    function deposit(uint256 who, uint256 amountWei) external {
        address account = accounts[who % ACCOUNTS];
        Account storage a = ghost[account];
        amountWei = 1 + amountWei % 10 ether;
        bool ok = _canSpend(a);
        vm.deal(account, amountWei);
        vm.warp(now_);
        vm.prank(account);
        try ledger.deposit{value: amountWei}(encrypt(a.balance)) {
            check(ok, "a locked or frozen account deposited");
            a.balance += int256(amountWei);
            a.deposited += amountWei;
            totalDeposited += amountWei;
        } catch {
            refusedAsPredicted(ok, "a valid deposit was refused");
        }
    }

    // --- transfers -----------------------------------------------------------------------------

    /// @notice A transfer from `who` to `to`, with the other accounts in `decoyMask` as decoys;
    /// honest (amount ≤ balance) unless `cheat % 3 == 0` (amount = balance + 1 + x). Mostly
    /// from accounts 0 and 1, so that some account reaches MAX_OFFENSES rejections.
    function transfer(uint256 who, uint256 to, uint256 decoyMask, uint256 amountSeed, uint256 cheat) external {
        _transfer(who, to, decoyMask, amountSeed, cheat % 3 != 0);
    }

    /// @notice An overdrawing transfer, at once rejected by the trustees: a compound step, so that
    /// accounts reach MAX_OFFENSES rejections (and a freeze) within a run.
    function overdrawAndBeRejected(uint256 who, uint256 to, uint256 decoyMask, uint256 amountSeed) external {
        uint256 transferId = _transfer(who, to, decoyMask, amountSeed, false);
        if (transferId != 0) _settle(transferId, false, amountSeed);
    }

    /// @dev See `transfer`; returns the transfer's id, or 0 if the ledger refused it.
    function _transfer(uint256 who, uint256 to, uint256 decoyMask, uint256 amountSeed, bool honest)
        internal
        returns (uint256 id)
    {
        uint256 senderIndex = who % 4 == 0 ? who % ACCOUNTS : (who >> 8) % 2; // mostly accounts 0 and 1
        address sender = accounts[senderIndex];
        address receiver = accounts[to % ACCOUNTS];
        if (receiver == sender) receiver = accounts[(senderIndex + 1) % ACCOUNTS];
        Account storage s = ghost[sender];
        int256 amount;
        if (honest) {
            if (s.balance <= 0) return 0;
            amount = 1 + int256(amountSeed % uint256(s.balance));
        } else {
            amount = (s.balance > 0 ? s.balance : int256(0)) + 1 + int256(amountSeed % 1 ether);
        }
        (address[] memory set, bytes[] memory deltas) = _set(sender, receiver, decoyMask, amount);
        bool ok = _canSpend(s);
        vm.warp(now_);
        vm.prank(sender);
        try ledger.transfer(set, encrypt(s.balance), deltas, keccak256("proof")) returns (uint256 transferId) {
            check(ok, "a locked or frozen account sent a transfer");
            check(transferId == ++transferTotal, "transfer ids are not consecutive");
            transfers[transferId] =
                Transfer(sender, amount, honest, now_, IConfidentialLedger.TransferState.Pending);
            s.balance -= amount;
            s.pendingTransferId = transferId;
            for (uint256 i = 0; i < set.length; ++i) {
                if (set[i] != sender) _inbox[set[i]].push(Credit(transferId, set[i] == receiver ? amount : int256(0)));
            }
            id = transferId;
        } catch {
            refusedAsPredicted(ok, "a valid transfer was refused");
        }
    }

    /// @notice The trustees settle transfer `index`: they accept exactly the honest ones. With
    /// `tooFew`, one signature only, which must be refused.
    function settle(uint256 index, bool tooFew, uint256 signerSeed) external {
        if (transferTotal == 0) return;
        _settle(index % 4 == 0 ? 1 + (index >> 8) % transferTotal : transferTotal, tooFew, signerSeed); // mostly the latest
    }

    /// @dev See `settle`.
    function _settle(uint256 transferId, bool tooFew, uint256 signerSeed) internal {
        Transfer storage t = transfers[transferId];
        bool pending = t.state == IConfidentialLedger.TransferState.Pending;
        bool accept = t.honest;
        bytes[] memory signatures = new bytes[](tooFew ? 1 : 2);
        if (pending) {
            bytes32 digest = _ethSigned(ledger.verdictDigest(transferId, accept));
            uint256 first = signerSeed % TRUSTEES;
            signatures[0] = _sign(_trusteeKeys[first], digest);
            if (!tooFew) signatures[1] = _sign(_trusteeKeys[(first + 1 + signerSeed / 3 % 2) % TRUSTEES], digest);
        }
        bool ok = pending && !tooFew;
        vm.warp(now_);
        try ledger.settleTransfer(transferId, accept, signatures) {
            check(ok, "a settled transfer or too few signatures was accepted");
            Account storage s = ghost[t.sender];
            s.pendingTransferId = 0;
            if (accept) {
                t.state = IConfidentialLedger.TransferState.Verified;
            } else {
                t.state = IConfidentialLedger.TransferState.Rejected;
                s.balance += t.amount;
                s.offenses += 1;
                if (s.offenses >= 3) s.frozen = true;
            }
        } catch {
            refusedAsPredicted(ok, "a valid settlement was refused");
        }
    }

    function cancelTransfer(uint256 who) external {
        address sender = accounts[who % ACCOUNTS];
        Account storage s = ghost[sender];
        uint256 transferId = s.pendingTransferId;
        if (transferId == 0) return;
        Transfer storage t = transfers[transferId];
        bool ok = now_ >= t.submittedAt + 1 days;
        vm.warp(now_);
        vm.prank(sender);
        try ledger.cancelTransfer(transferId) {
            check(ok, "a transfer was cancelled during its review");
            t.state = IConfidentialLedger.TransferState.Cancelled;
            s.balance += t.amount;
            s.pendingTransferId = 0;
        } catch {
            refusedAsPredicted(ok, "a cancellation after the review was refused");
        }
    }

    /// @notice `who` folds every settled credit in its inbox (up to 16); void ones are dropped.
    function fold(uint256 who) external {
        address account = accounts[who % ACCOUNTS];
        Account storage a = ghost[account];
        Credit[] storage inbox = _inbox[account];
        uint256[] memory ids = new uint256[](16);
        bytes[] memory deltas = new bytes[](16);
        uint256 count;
        int256 gained;
        for (uint256 i = 0; i < inbox.length && count < 16; ++i) {
            IConfidentialLedger.TransferState state = transfers[inbox[i].transferId].state;
            if (state == IConfidentialLedger.TransferState.Pending) continue;
            ids[count] = inbox[i].transferId;
            deltas[count] = encrypt(inbox[i].amount);
            if (state == IConfidentialLedger.TransferState.Verified) gained += inbox[i].amount;
            count += 1;
        }
        if (count == 0) return;
        assembly ("memory-safe") {
            mstore(ids, count)
            mstore(deltas, count)
        }
        bool ok = _canSpend(a);
        vm.warp(now_);
        vm.prank(account);
        try ledger.fold(encrypt(a.balance), ids, deltas) {
            check(ok, "a locked or frozen account folded");
            a.balance += gained;
            for (uint256 k = 0; k < count; ++k) {
                _removeCredit(inbox, ids[k]);
            }
        } catch {
            refusedAsPredicted(ok, "a valid fold was refused");
        }
    }

    // --- withdrawals ---------------------------------------------------------------------------

    /// @notice `who` asks for `amountWei`: honest if it is at most the balance.
    function requestWithdrawal(uint256 who, uint256 amountWei) external {
        address account = accounts[who % ACCOUNTS];
        Account storage a = ghost[account];
        amountWei = 1 + amountWei % 12 ether;
        bool ok = _canSpend(a);
        vm.warp(now_);
        vm.prank(account);
        try ledger.requestWithdrawal(encrypt(a.balance), amountWei) returns (uint256 requestId) {
            check(ok, "a locked or frozen account asked for a withdrawal");
            check(requestId == ++requestTotal, "request ids are not consecutive");
            requests[requestId] = Request(account, amountWei, int256(amountWei) <= a.balance, 0, 0, 0);
            a.pendingRequestId = requestId;
        } catch {
            refusedAsPredicted(ok, "a valid withdrawal request was refused");
        }
    }

    /// @notice Trustee `trustee` votes on request `index`: for it exactly if it is honest and
    /// the account is not frozen.
    function voteWithdrawal(uint256 index, uint256 trustee) external {
        if (requestTotal == 0) return;
        uint256 requestId = index % 4 == 0 ? 1 + (index >> 8) % requestTotal : requestTotal; // mostly the latest
        Request storage r = requests[requestId];
        Account storage a = ghost[r.account];
        trustee %= TRUSTEES;
        bool approve = r.honest && !a.frozen;
        bool ok = a.pendingRequestId == requestId && r.voters & (1 << trustee) == 0;
        address voter = vm.addr(_trusteeKeys[trustee]);
        vm.warp(now_);
        vm.prank(voter);
        (bool voted,) = address(ledger).call(
            approve
                ? abi.encodeCall(ledger.approveWithdrawal, (requestId))
                : abi.encodeCall(ledger.rejectWithdrawal, (requestId))
        );
        if (voted) {
            check(ok, "a vote on a settled request, or a second vote, was counted");
            r.voters |= 1 << trustee;
            if (approve && ++r.approvals >= 2) {
                a.pendingRequestId = 0;
                a.balance -= int256(r.amount);
                a.payout += r.amount;
            } else if (!approve && ++r.rejections > 1) {
                a.pendingRequestId = 0;
            }
        } else {
            refusedAsPredicted(ok, "a valid vote was refused");
        }
    }

    function cancelWithdrawal(uint256 who) external {
        address account = accounts[who % ACCOUNTS];
        Account storage a = ghost[account];
        if (a.pendingRequestId == 0) return;
        vm.prank(account);
        ledger.cancelWithdrawal(a.pendingRequestId);
        a.pendingRequestId = 0;
    }

    function withdraw(uint256 who) external {
        address account = accounts[who % ACCOUNTS];
        Account storage a = ghost[account];
        uint256 before = account.balance;
        bool ok = a.payout > 0;
        vm.prank(account);
        try ledger.withdraw() {
            check(ok, "withdraw paid an account owed nothing");
            check(account.balance == before + a.payout, "withdraw paid another amount than owed");
            a.withdrawn += a.payout;
            totalWithdrawn += a.payout;
            a.payout = 0;
        } catch {
            refusedAsPredicted(ok, "a valid withdrawal was refused");
        }
    }

    function warp(uint256 seconds_) external {
        now_ += seconds_ % 2 days;
    }

    // --- ghost views ---------------------------------------------------------------------------

    function inboxOf(address account) external view returns (Credit[] memory) {
        return _inbox[account];
    }

    function trusteeKey(uint256 i) external view returns (uint256) {
        return _trusteeKeys[i];
    }

    // --- internals -----------------------------------------------------------------------------

    function _canSpend(Account storage a) internal view returns (bool) {
        return !a.frozen && a.pendingTransferId == 0 && a.pendingRequestId == 0;
    }

    function _set(address sender, address receiver, uint256 decoyMask, int256 amount)
        internal
        view
        returns (address[] memory set, bytes[] memory deltas)
    {
        set = new address[](ACCOUNTS);
        deltas = new bytes[](ACCOUNTS);
        uint256 size;
        for (uint256 i = 0; i < ACCOUNTS; ++i) {
            address account = accounts[i];
            bool named = account == sender || account == receiver || decoyMask & (1 << i) != 0;
            if (!named) continue;
            set[size] = account;
            deltas[size] = account == sender ? encrypt(-amount) : encrypt(account == receiver ? amount : int256(0));
            size += 1;
        }
        assembly ("memory-safe") {
            mstore(set, size)
            mstore(deltas, size)
        }
    }

    function _removeCredit(Credit[] storage inbox, uint256 transferId) internal {
        for (uint256 i = 0; i < inbox.length; ++i) {
            if (inbox[i].transferId == transferId) {
                inbox[i] = inbox[inbox.length - 1];
                inbox.pop();
                return;
            }
        }
    }

    function _ethSigned(bytes32 digest) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }
}

/// @title ConfidentialLedgerInvariants
/// @notice Invariants of `ConfidentialLedger` over random sequences: every account's stored
/// balance hash is that of E(its model balance), so no operation changes a balance other than
/// as the model says; credits, payouts, locks, offenses and freezes equal the model's; the ether
/// held is the deposits minus the payouts withdrawn, and equals the sum of the balances, the
/// credits not yet folded of verified transfers, the amounts of pending transfers and the
/// payouts owed (value is conserved through every ending of a transfer and a withdrawal).
contract ConfidentialLedgerInvariants is InvariantTest, LedgerModel {
    ConfidentialLedgerHandler internal handler;

    function setUp() public {
        handler = new ConfidentialLedgerHandler();
        targetContract(address(handler));
    }

    /// @notice All of them, after every call (one campaign for the suite).
    function invariant_confidentialLedger() external view {
        ConfidentialLedger ledger = handler.ledger();
        int256 owed;
        for (uint256 i = 0; i < handler.ACCOUNTS(); ++i) {
            address account = handler.accounts(i);
            (
                int256 balance,
                uint256 payout,
                uint256 offenses,
                bool isFrozen,
                uint256 pendingTransferId,
                uint256 pendingRequestId,,
            ) = handler.ghost(account);
            check(ledger.balanceHash(account) == keccak256(encrypt(balance)), "a balance differs from the model");
            check(ledger.credits(account) == payout, "a payout differs from the model");
            check(ledger.offenses(account) == offenses, "offenses differ from the model");
            check(ledger.frozen(account) == isFrozen, "a freeze differs from the model");
            check(ledger.pendingTransfer(account) == pendingTransferId, "a transfer lock differs from the model");
            check(ledger.pendingWithdrawal(account) == pendingRequestId, "a withdrawal lock differs from the model");
            owed += balance + int256(payout);
            if (pendingTransferId != 0) {
                (, int256 amount,,,) = handler.transfers(pendingTransferId);
                owed += amount; // debited from the sender, not yet credited
            }
            ConfidentialLedgerHandler.Credit[] memory inbox = handler.inboxOf(account);
            for (uint256 k = 0; k < inbox.length; ++k) {
                check(
                    ledger.creditOf(account, inbox[k].transferId) == keccak256(encrypt(inbox[k].amount)),
                    "a credit differs from the model"
                );
                (,,,, IConfidentialLedger.TransferState state) = handler.transfers(inbox[k].transferId);
                if (state == IConfidentialLedger.TransferState.Verified) owed += inbox[k].amount;
            }
        }
        uint256 held = address(ledger).balance;
        check(held == handler.totalDeposited() - handler.totalWithdrawn(), "ether held is not deposits - payouts");
        check(owed == int256(held), "ether held is not what the ledger owes");
        check(ledger.transferCount() == handler.transferTotal(), "transferCount differs from the model");
        check(ledger.withdrawalCount() == handler.requestTotal(), "withdrawalCount differs from the model");
    }
}
