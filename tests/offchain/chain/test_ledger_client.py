"""ConfidentialLedgerClient, LedgerAccount and TrusteeBoard against a deployed ConfidentialLedger
(Zheng et al. 2018 §4.5): encrypted balances, transfers among decoys under the anonymity-set
rule, withdrawals decided by t trustees, audits of balances and of the books."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.chain.ledger import ConfidentialLedgerClient, UnknownWithdrawalError, WithdrawalState, encode_modulus
from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import encrypt_raw
from offchain.errors import InvalidInputError, TransactionRevertedError
from offchain.protocols.aggregation import CheatingPartiesError
from offchain.protocols.ledger_account import AnonymitySetBook, LedgerAccount
from offchain.protocols.ledger_trustee import LedgerTrustee, TrusteeBoard

ETHER = 10**18
BITS = 1024


@pytest.fixture(scope="module")
def ledger_key():
    """A (4, 3)-threshold key: the four agencies hold the shares, three decrypt."""
    return tp.generate_threshold_keypair(BITS, 4, 3, rng=random.Random(45))


@pytest.fixture(scope="module")
def public_key(ledger_key):
    return ledger_key[0]


@pytest.fixture(scope="module")
def ledger_contract(ConfidentialLedger, public_key, agencies, deployer):
    return ConfidentialLedger.deploy(encode_modulus(public_key.n), agencies, 3, {"from": deployer})


@pytest.fixture(scope="module")
def ledger(ledger_contract):
    return ConfidentialLedgerClient(ledger_contract, from_block=ledger_contract.tx.block_number)


@pytest.fixture(scope="module")
def trustees(ledger_key, agencies):
    names = ("hospital-a", "hospital-b", "university", "bank")
    return [LedgerTrustee(name, a, s) for name, a, s in zip(names, agencies, ledger_key[1], strict=True)]


@pytest.fixture(scope="module")
def board(ledger, trustees):
    return TrusteeBoard(ledger, trustees)


@pytest.fixture(scope="module")
def users(accounts):
    """Five ledger users: alice, bob, carol, dave, erin (none is a trustee)."""
    return [accounts[i] for i in (1, 2, 7, 8, 9)]


@pytest.fixture
def people(users, ledger, public_key):
    return [LedgerAccount(u, ledger, public_key) for u in users]


@pytest.fixture
def funded(people):
    """Every user deposits 1 ether (alice: 5)."""
    for i, person in enumerate(people):
        person.deposit(5 * ETHER if i == 0 else ETHER)
    return people


def addresses(people):
    return [p.address for p in people]


# --- the key and plain reads ---------------------------------------------------------------


def test_the_client_reads_the_ledgers_modulus(ledger, public_key):
    assert ledger.modulus == public_key.n
    assert ledger.ciphertext_bytes == 2 * BITS // 8


def test_an_untouched_account_holds_an_encryption_of_zero(ledger, board, users):
    assert ledger.balance_ciphertext(users[0]) == 1
    assert board.balance_of(users[0]) == 0


@settings(max_examples=10, deadline=None)
@given(a=st.integers(min_value=0), b=st.integers(min_value=0))
def test_the_chains_homomorphic_addition_equals_pythons(ledger, public_key, a, b):
    nsquare = public_key.nsquare
    ca = int(encrypt_raw(public_key.paillier, a % public_key.n))
    cb = int(encrypt_raw(public_key.paillier, b % public_key.n))
    assert ledger.add_ciphertexts(ca, cb) == ca * cb % nsquare


def test_a_ciphertext_out_of_range_is_refused_before_sending(ledger, public_key):
    with pytest.raises(InvalidInputError, match=r"\[1, n²\)"):
        ledger.encode(public_key.nsquare)


def test_a_threshold_key_for_another_modulus_is_refused(ledger):
    other, _ = tp.generate_threshold_keypair(512, 3, 2, rng=random.Random(1))
    with pytest.raises(InvalidInputError, match="moduli differ"):
        LedgerAccount(ledger.contract.address, ledger, other)


# --- deposits and transfers ----------------------------------------------------------------


def test_a_deposit_is_added_to_the_encrypted_balance(people, board):
    people[0].deposit(2 * ETHER)
    people[0].deposit(ETHER // 4)
    assert board.balance_of(people[0].address) == 2 * ETHER + ETHER // 4


def test_a_payment_among_decoys_moves_the_amount_only(funded, board, ledger):
    alice, bob = funded[0], funded[1]
    before = {a: ledger.balance_ciphertext(a) for a in addresses(funded)}
    transfer = alice.pay(bob.address, ETHER // 2, candidates=addresses(funded), set_size=3)
    assert len(transfer.accounts) == 4 and list(transfer.accounts) == sorted(transfer.accounts)
    balances = {a: board.balance_of(a) for a in addresses(funded)}
    assert balances[alice.address] == 5 * ETHER - ETHER // 2
    assert balances[bob.address] == ETHER + ETHER // 2
    decoys = set(transfer.accounts) - {alice.address, bob.address}
    for decoy in decoys:
        assert balances[decoy] == ETHER
        assert ledger.balance_ciphertext(decoy) != before[decoy]


def test_paying_the_same_receiver_again_reuses_the_first_anonymity_set(funded):
    alice, bob = funded[0], funded[1]
    first = alice.pay(bob.address, 10, candidates=addresses(funded), set_size=3)
    second = alice.pay(bob.address, 20, candidates=addresses(funded)[:2])
    assert second.accounts == first.accounts


def test_another_set_size_for_a_paid_receiver_is_refused(funded):
    alice, bob = funded[0], funded[1]
    alice.pay(bob.address, 10, candidates=addresses(funded), set_size=3)
    with pytest.raises(InvalidInputError, match="reuses that set"):
        alice.pay(bob.address, 10, candidates=addresses(funded), set_size=4)


def test_anonymity_sets_survive_a_restart(funded, ledger, public_key, users, tmp_path):
    path = tmp_path / "alice-sets.json"
    first = LedgerAccount(users[0], ledger, public_key, book=AnonymitySetBook(path))
    sent = first.pay(users[1].address, 10, candidates=addresses(funded), set_size=4)
    again = LedgerAccount(users[0], ledger, public_key, book=AnonymitySetBook(path))
    assert again.pay(users[1].address, 10).accounts == sent.accounts


def test_a_corrupt_anonymity_set_file_is_refused(tmp_path):
    path = tmp_path / "sets.json"
    path.write_text('{"format": "other"}')
    with pytest.raises(InvalidInputError, match="not a book of anonymity sets"):
        AnonymitySetBook(path)


def test_too_few_candidates_for_the_set_are_refused(funded):
    with pytest.raises(InvalidInputError, match="needs 3 decoys, only 1 unlocked candidates"):
        funded[0].pay(funded[1].address, 10, candidates=addresses(funded)[:3], set_size=4)


def test_locked_candidates_are_not_drawn_as_decoys(funded):
    carol, dave, erin = funded[2:]
    carol.request_withdrawal(1)
    dave.request_withdrawal(1)
    transfer = funded[0].pay(funded[1].address, 10, candidates=addresses(funded), set_size=2)
    assert set(transfer.accounts) == {funded[0].address, funded[1].address, erin.address}


def test_a_set_with_only_locked_candidates_is_refused(funded):
    for person in funded[2:]:
        person.request_withdrawal(1)
    with pytest.raises(InvalidInputError, match="only 0 unlocked candidates"):
        funded[0].pay(funded[1].address, 10, candidates=addresses(funded), set_size=2)


def test_paying_oneself_is_refused(funded):
    with pytest.raises(InvalidInputError, match="cannot pay itself"):
        funded[0].pay(funded[0].address, 10, candidates=addresses(funded), set_size=2)


def test_a_transfer_on_a_stale_balance_reverts_naming_the_account(funded, ledger, public_key):
    alice, bob = funded[0], funded[1]
    stale = ledger.encode(ledger.balance_ciphertext(bob.address))
    bob.deposit(1)
    fresh = ledger.encode(ledger.balance_ciphertext(alice.address))
    deltas = [ledger.encode(int(encrypt_raw(public_key.paillier, 0))) for _ in range(2)]
    pair = sorted([alice.address, bob.address])
    balances = [fresh if a == alice.address else stale for a in pair]
    with pytest.raises(Exception, match="ConfidentialLedgerStaleBalance"):
        ledger.contract.transfer(pair, balances, deltas, {"from": alice.account})


# --- withdrawals -----------------------------------------------------------------------------


def test_three_trustees_approve_a_covered_withdrawal_and_it_pays_exactly(funded, board, ledger):
    bob = funded[1]
    request = bob.request_withdrawal(ETHER // 4)
    review = board.review_withdrawal(request.request_id)
    assert review.approved and review.state is WithdrawalState.EXECUTED
    assert review.balance_after_wei == ETHER - ETHER // 4
    assert [v.approvals for v in review.votes] == [1, 2, 3]
    held = ledger.held_wei()
    assert bob.withdraw() == ETHER // 4
    assert ledger.held_wei() == held - ETHER // 4
    assert board.balance_of(bob.address) == ETHER - ETHER // 4
    assert ledger.credits(bob.address) == 0


def test_an_overdraft_is_rejected_and_the_account_unlocked(funded, board, ledger):
    carol = funded[2]
    request = carol.request_withdrawal(3 * ETHER)
    review = board.review_withdrawal(request.request_id)
    assert not review.approved and review.state is WithdrawalState.REJECTED
    assert review.balance_after_wei == -2 * ETHER
    assert ledger.pending_withdrawal(carol.address) == 0
    assert ledger.credits(carol.address) == 0
    assert board.balance_of(carol.address) == ETHER


def test_a_withdrawal_without_t_approvals_pays_nothing(funded, ledger, trustees):
    dave = funded[3]
    request = dave.request_withdrawal(ETHER // 2)
    for trustee in trustees[:2]:
        ledger.approve_withdrawal(sender=trustee.account, request_id=request.request_id)
    assert ledger.withdrawal(request.request_id).state is WithdrawalState.PENDING
    assert ledger.credits(dave.address) == 0
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerNothingToWithdraw"):
        dave.withdraw()


def test_a_stranger_cannot_approve_a_withdrawal(funded, ledger):
    request = funded[3].request_withdrawal(ETHER // 2)
    with pytest.raises(TransactionRevertedError) as info:
        ledger.approve_withdrawal(sender=funded[4].account, request_id=request.request_id)
    assert info.value.error_name == "ConfidentialLedgerNotTrustee"


def test_a_board_refuses_a_trustee_the_ledger_does_not_know(ledger, ledger_key, users):
    with pytest.raises(InvalidInputError, match="is not a trustee"):
        TrusteeBoard(ledger, [LedgerTrustee("impostor", users[0], ledger_key[1][0])])


def test_an_unknown_withdrawal_is_a_typed_error(ledger):
    with pytest.raises(UnknownWithdrawalError, match="999"):
        ledger.withdrawal(999)


def test_a_locked_account_cannot_be_paid_until_its_request_is_decided(funded, ledger, board):
    erin = funded[4]
    request = erin.request_withdrawal(ETHER // 2)
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerAccountLocked"):
        funded[0].pay(erin.address, 10, candidates=addresses(funded), set_size=1)
    ledger.cancel_withdrawal(sender=erin.account, request_id=request.request_id)
    funded[0].pay(erin.address, 10)
    assert board.balance_of(erin.address) == ETHER + 10


# --- trustees and audits ---------------------------------------------------------------------


class ForgingTrustee(LedgerTrustee):
    def partially_decrypt(self, ciphertexts):
        batch = super().partially_decrypt(ciphertexts)
        nsquare = self.share.public_key.nsquare
        return replace(batch, partials=tuple(replace(p, value=p.value * 2 % nsquare) for p in batch.partials))


def test_a_cheating_trustee_is_passed_over(ledger, trustees, funded):
    cheat = ForgingTrustee(trustees[0].name, trustees[0].account, trustees[0].share)
    board = TrusteeBoard(ledger, [cheat, *trustees[1:]])
    assert board.balance_of(funded[0].address) == 5 * ETHER


def test_two_cheating_trustees_stop_the_decryption_and_are_named(ledger, trustees, funded):
    cheats = [ForgingTrustee(t.name, t.account, t.share) for t in trustees[:2]]
    board = TrusteeBoard(ledger, [*cheats, *trustees[2:]])
    with pytest.raises(CheatingPartiesError, match="hospital-a, hospital-b"):
        board.balance_of(funded[0].address)


def test_an_audit_freezes_an_overdrawn_account(funded, ledger, board, public_key):
    dave, erin = funded[3], funded[4]
    n = public_key.n
    pair = sorted([dave.address, erin.address])
    deltas = {
        dave.address: encrypt_raw(public_key.paillier, n - 3 * ETHER),
        erin.address: encrypt_raw(public_key.paillier, 3 * ETHER),
    }
    ledger.transfer(sender=dave.account, accounts=pair, deltas=[int(deltas[a]) for a in pair])
    audit = board.audit(dave.address)
    assert (audit.balance_wei, audit.in_range, audit.frozen) == (-2 * ETHER, False, True)
    assert ledger.frozen(dave.address)
    assert not board.audit(erin.address).frozen
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerAccountFrozen"):
        dave.request_withdrawal(1)


def test_the_books_balance_after_honest_payments(funded, board):
    funded[0].pay(funded[1].address, ETHER, candidates=addresses(funded), set_size=3)
    books = board.audit_supply()
    assert books.balanced and books.balances_wei == 9 * ETHER and books.accounts == 5


def test_a_payment_that_debits_nobody_unbalances_the_books(funded, ledger, board, public_key):
    alice, bob = funded[0], funded[1]
    pair = sorted([alice.address, bob.address])
    deltas = {alice.address: encrypt_raw(public_key.paillier, 0), bob.address: encrypt_raw(public_key.paillier, ETHER)}
    ledger.transfer(sender=alice.account, accounts=pair, deltas=[int(deltas[a]) for a in pair])
    books = board.audit_supply()
    assert not books.balanced
    assert books.balances_wei - books.backing_wei == ETHER
