"""ConfidentialLedgerClient, LedgerAccount and TrusteeBoard against a deployed ConfidentialLedger
(Zheng et al. 2018 §4.5): encrypted balances, proved transfers among decoys under the
anonymity-set rule, settled by t trustees' signatures, credits folded by their owners,
withdrawals decided by t trustees, audits of balances and of the books; and the attacks of the
ledger-soundness issue, end to end."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.chain.ledger import (
    ConfidentialLedgerClient,
    TransferState,
    UnknownTransferError,
    UnknownWithdrawalError,
    WithdrawalState,
    encode_modulus,
)
from offchain.chain.signing import recover_digest_signer, sign_digest
from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import encrypt_raw
from offchain.crypto.transfer_proof import TransferStatement, make_deltas, prove_transfer
from offchain.errors import IntegrityError, InvalidInputError, TransactionRevertedError
from offchain.protocols.aggregation import CheatingPartiesError
from offchain.protocols.ledger_account import AnonymitySetBook, LedgerAccount
from offchain.protocols.ledger_state import TRANSFER, LedgerState
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


def settle(board, payment):
    """The trustees review a pending payment (proof, then the sender's new balance)."""
    return board.review_transfer(payment.transfer.transfer_id, payment.proof)


def fold_all(people):
    for person in people:
        person.fold_credits()


def test_a_payment_counts_only_once_the_trustees_verified_it(funded, board, ledger):
    alice, bob = funded[0], funded[1]
    payment = alice.pay(bob.address, ETHER // 2, candidates=addresses(funded), set_size=3)
    assert ledger.pending_transfer(alice.address) == payment.transfer.transfer_id
    assert [c.state for c in ledger.credits_to(bob.address)] == [TransferState.PENDING]
    review = settle(board, payment)
    assert review.accepted and review.state is TransferState.VERIFIED
    assert review.sender_balance_after_wei == 5 * ETHER - ETHER // 2
    bob.fold_credits()
    assert board.balance_of(bob.address) == ETHER + ETHER // 2
    assert board.balance_of(alice.address) == 5 * ETHER - ETHER // 2


def test_a_pending_credit_cannot_be_folded(funded, ledger):
    alice, bob = funded[0], funded[1]
    alice.pay(bob.address, 10, candidates=addresses(funded), set_size=2)
    assert bob.fold_credits() == ()
    with pytest.raises(InvalidInputError, match="pending credit"):
        ledger.fold(sender=bob.account, credits=ledger.credits_to(bob.address))


def test_decoys_fold_a_zero_credit_that_changes_their_ciphertext_only(funded, board, ledger):
    alice, bob = funded[0], funded[1]
    payment = alice.pay(bob.address, ETHER, candidates=addresses(funded), set_size=4)
    settle(board, payment)
    decoys = [p for p in funded if p.address in set(payment.transfer.accounts) - {alice.address, bob.address}]
    assert len(decoys) == 3
    for decoy in decoys:
        before = ledger.balance_ciphertext(decoy.address)
        assert len(decoy.fold_credits()) == 1
        assert ledger.balance_ciphertext(decoy.address) != before
        assert board.balance_of(decoy.address) == ETHER


def test_the_transfer_commits_to_its_proof_and_the_context_the_proof_binds(funded, ledger):
    alice, bob = funded[0], funded[1]
    context = ledger.proof_context(sender=alice.address, accounts=[alice.address, bob.address], deltas=[1, 1])
    payment = alice.pay(bob.address, 10, candidates=addresses(funded), set_size=1)
    assert payment.transfer.proof_hash == payment.proof.digest()
    assert payment.transfer.proof_context != context  # other deltas, other context
    record = ledger.transfer_of(payment.transfer.transfer_id)
    assert record.sender == alice.address and record.state is TransferState.PENDING


def test_the_python_context_equals_the_contracts(funded, ledger, public_key):
    alice, bob = funded[0], funded[1]
    accounts = sorted([alice.address, bob.address])
    deltas, _ = make_deltas(
        public_key.n, [0 if a == alice.address else 5 for a in accounts], accounts.index(alice.address)
    )
    expected = ledger.proof_context(sender=alice.address, accounts=accounts, deltas=deltas)
    transfer = ledger.transfer(sender=alice.account, accounts=accounts, deltas=deltas, proof_hash=b"\x01" * 32)
    assert transfer.proof_context == expected


def test_a_pending_payment_locks_its_sender(funded):
    alice, bob, carol = funded[0], funded[1], funded[2]
    alice.pay(bob.address, 10, candidates=addresses(funded), set_size=1)
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerTransferPending"):
        alice.pay(carol.address, 10, candidates=addresses(funded), set_size=1)


def test_paying_the_same_receiver_again_reuses_the_first_anonymity_set(funded, board):
    alice, bob = funded[0], funded[1]
    first = alice.pay(bob.address, 10, candidates=addresses(funded), set_size=3)
    settle(board, first)
    second = alice.pay(bob.address, 20, candidates=addresses(funded)[:2])
    assert second.transfer.accounts == first.transfer.accounts


def test_another_set_size_for_a_paid_receiver_is_refused(funded, board):
    alice, bob = funded[0], funded[1]
    settle(board, alice.pay(bob.address, 10, candidates=addresses(funded), set_size=3))
    with pytest.raises(InvalidInputError, match="reuses that set"):
        alice.pay(bob.address, 10, candidates=addresses(funded), set_size=4)


def test_anonymity_sets_survive_a_restart(funded, ledger, public_key, users, board, tmp_path):
    path = tmp_path / "alice-sets.json"
    first = LedgerAccount(users[0], ledger, public_key, book=AnonymitySetBook(path))
    sent = first.pay(users[1].address, 10, candidates=addresses(funded), set_size=4)
    settle(board, sent)
    again = LedgerAccount(users[0], ledger, public_key, book=AnonymitySetBook(path))
    assert again.pay(users[1].address, 10).transfer.accounts == sent.transfer.accounts


def test_a_corrupt_anonymity_set_file_is_refused(tmp_path):
    path = tmp_path / "sets.json"
    path.write_text('{"format": "other"}')
    with pytest.raises(InvalidInputError, match="not a book of anonymity sets"):
        AnonymitySetBook(path)


def test_too_few_candidates_for_the_set_are_refused(funded):
    with pytest.raises(InvalidInputError, match="needs 3 decoys, only 1 candidates"):
        funded[0].pay(funded[1].address, 10, candidates=addresses(funded)[:3], set_size=4)


def test_an_account_with_a_pending_withdrawal_can_be_a_decoy_and_still_withdraw(funded, board, ledger):
    alice, bob, carol = funded[0], funded[1], funded[2]
    request = carol.request_withdrawal(ETHER // 2)
    payment = alice.pay(bob.address, 10, candidates=[carol.address], set_size=2)
    assert carol.address in payment.transfer.accounts
    assert board.review_withdrawal(request.request_id).approved
    settle(board, payment)
    carol.fold_credits()
    assert carol.withdraw() == ETHER // 2
    assert board.balance_of(carol.address) == ETHER // 2


def test_paying_oneself_is_refused(funded):
    with pytest.raises(InvalidInputError, match="cannot pay itself"):
        funded[0].pay(funded[0].address, 10, candidates=addresses(funded), set_size=2)


def test_others_transfers_never_make_an_accounts_own_operations_stale(funded, ledger, board):
    alice, bob = funded[0], funded[1]
    read_before = ledger.encode(ledger.balance_ciphertext(bob.address))
    payment = alice.pay(funded[2].address, 10, candidates=[bob.address], set_size=2)  # bob is a decoy
    settle(board, payment)
    ledger.contract.deposit(read_before, {"from": bob.account, "value": 5})  # built before alice's transfer
    assert board.balance_of(bob.address) == ETHER + 5


def test_an_overdraft_is_rejected_rolled_back_and_counted(funded, board, ledger):
    alice, bob = funded[0], funded[1]
    before = ledger.balance_hash(alice.address)
    payment = alice.pay(bob.address, 6 * ETHER, candidates=addresses(funded), set_size=2)
    review = settle(board, payment)
    assert not review.accepted and review.state is TransferState.REJECTED
    assert "balance after it would be -1000000000000000000 wei" in review.reason
    assert ledger.balance_hash(alice.address) == before
    assert ledger.offenses(alice.address) == 1
    assert ledger.pending_transfer(alice.address) == 0
    bob.fold_credits()
    assert board.balance_of(bob.address) == ETHER  # the credit folded to nothing


def test_the_trustees_refuse_a_proof_the_sender_did_not_commit_to(funded, board, ledger):
    alice, bob = funded[0], funded[1]
    payment = alice.pay(bob.address, 10, candidates=addresses(funded), set_size=1)
    other = funded[2].pay(bob.address, 10, candidates=addresses(funded), set_size=1)
    with pytest.raises(IntegrityError, match="not the proof the sender"):
        board.review_transfer(payment.transfer.transfer_id, other.proof)
    assert ledger.transfer_of(payment.transfer.transfer_id).state is TransferState.PENDING


def test_a_wrong_proof_handed_to_a_trustee_first_does_not_block_the_right_one(funded, board, ledger, tmp_path):
    """Transfer ids are public: anyone may hand a trustee a proof for one. The journal took the
    first proof handed over and then refused the sender's own ("handed over with another
    proof"), so the transfer could never be reviewed; a wrong proof is now refused unjournaled."""
    alice, bob = funded[0], funded[1]
    payment = alice.pay(bob.address, 10, candidates=addresses(funded), set_size=1)
    other = funded[2].pay(bob.address, 10, candidates=addresses(funded), set_size=1)
    state = LedgerState(tmp_path / "board.sqlite", ledger.address)
    transfer_id = payment.transfer.transfer_id
    for wrong in (other.proof.to_bytes(), b"not a proof"):
        with pytest.raises(IntegrityError, match="not journaled"):
            state.review_transfer(board, transfer_id, wrong)
    assert state.review(TRANSFER, transfer_id) is None and state.resume(board) == ()
    done = state.review_transfer(board, transfer_id, payment.proof.to_bytes())
    assert (done.status, done.accepted) == ("done", True)
    assert ledger.transfer_of(transfer_id).state is TransferState.VERIFIED


def test_a_wrong_proof_journaled_by_an_earlier_version_is_replaced_and_blocks_no_other_review(
    funded, board, ledger, tmp_path
):
    alice, bob, carol = funded[0], funded[1], funded[2]
    first = alice.pay(bob.address, 10, candidates=addresses(funded), set_size=1)
    second = carol.pay(bob.address, 10, candidates=addresses(funded), set_size=1)
    state = LedgerState(tmp_path / "board.sqlite", ledger.address)
    state.receive(TRANSFER, first.transfer.transfer_id, second.proof.to_bytes())  # journaled unchecked
    state.receive(TRANSFER, second.transfer.transfer_id, second.proof.to_bytes())
    resumed = state.resume(board)  # the first stays pending; the second is reviewed all the same
    assert [(r.item_id, r.accepted) for r in resumed] == [(second.transfer.transfer_id, True)]
    done = state.review_transfer(board, first.transfer.transfer_id, first.proof.to_bytes())
    assert (done.status, done.accepted, done.proof) == ("done", True, first.proof.to_bytes())


def test_a_settled_transfer_cannot_be_reviewed_again(funded, board):
    payment = funded[0].pay(funded[1].address, 10, candidates=addresses(funded), set_size=1)
    settle(board, payment)
    with pytest.raises(InvalidInputError, match="verified, not pending"):
        settle(board, payment)


def test_the_sender_cancels_a_transfer_the_trustees_left_pending(funded, ledger, chain):
    alice, bob = funded[0], funded[1]
    before = ledger.balance_hash(alice.address)
    payment = alice.pay(bob.address, ETHER, candidates=addresses(funded), set_size=1)
    chain.sleep(24 * 3600 + 1)
    chain.mine()
    ledger.cancel_transfer(sender=alice.account, transfer_id=payment.transfer.transfer_id)
    assert ledger.transfer_of(payment.transfer.transfer_id).state is TransferState.CANCELLED
    assert ledger.balance_hash(alice.address) == before


def test_an_unknown_transfer_is_a_typed_error(ledger):
    with pytest.raises(UnknownTransferError, match="999"):
        ledger.transfer_of(999)


def test_settling_needs_t_trustee_signatures(funded, ledger, trustees):
    payment = funded[0].pay(funded[1].address, 10, candidates=addresses(funded), set_size=1)
    digest = ledger.verdict_digest(payment.transfer.transfer_id, True)
    signatures = [t.sign(digest) for t in trustees[:2]]
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerTooFewSignatures"):
        ledger.settle_transfer(
            sender=funded[3].account, transfer_id=payment.transfer.transfer_id, accept=True, signatures=signatures
        )


def test_a_users_signature_does_not_count_as_a_trustees(funded, ledger, trustees):
    payment = funded[0].pay(funded[1].address, 10, candidates=addresses(funded), set_size=1)
    digest = ledger.verdict_digest(payment.transfer.transfer_id, True)
    signatures = [t.sign(digest) for t in trustees[:2]] + [sign_digest(funded[0].account, digest)]
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerInvalidSignature"):
        ledger.settle_transfer(
            sender=funded[0].account, transfer_id=payment.transfer.transfer_id, accept=True, signatures=signatures
        )


def test_signatures_recover_to_their_signers(trustees, users):
    digest = bytes(range(32))
    for signer in (trustees[0].account, users[0]):
        assert recover_digest_signer(digest, sign_digest(signer, digest)) == signer.address


def test_a_bare_address_is_not_a_signer(users):
    with pytest.raises(InvalidInputError, match="cannot sign with str"):
        sign_digest(users[0].address, bytes(32))


# --- the attacks of the soundness issue, end to end -----------------------------------------

X = ETHER // 2


def dishonest_transfer(ledger, public_key, sender, amounts: dict, proof):
    """A transfer whose deltas encrypt ``amounts`` (residues: negative ones wrap), committing to ``proof``."""
    n = public_key.n
    accounts = sorted(amounts)
    deltas = [int(encrypt_raw(public_key.paillier, amounts[a] % n)) for a in accounts]
    return ledger.transfer(sender=sender.account, accounts=accounts, deltas=deltas, proof_hash=proof.digest())


@pytest.fixture
def victim_and_thief(people, board):
    """The issue's reproduction: the victim holds 1 ether, the thief 0.01."""
    victim, thief = people[0], people[1]
    victim.deposit(ETHER)
    thief.deposit(ETHER // 100)
    return victim, thief


@pytest.fixture
def some_proof(people, board):
    """An honest proof of an unrelated, settled transfer (what a thief can replay)."""
    people[2].deposit(ETHER)
    payment = people[2].pay(people[3].address, 10, candidates=addresses(people), set_size=1)
    settle(board, payment)
    return payment.proof


def test_decoy_theft_is_rejected_and_nothing_moves(victim_and_thief, some_proof, ledger, board, public_key):
    victim, thief = victim_and_thief
    transfer = dishonest_transfer(ledger, public_key, thief, {victim.address: -X, thief.address: X}, some_proof)
    review = board.review_transfer(transfer.transfer_id, some_proof)
    assert not review.accepted and "not proved" in review.reason
    fold_all([victim, thief])
    assert board.balance_of(victim.address) == ETHER
    assert board.balance_of(thief.address) == ETHER // 100
    assert board.audit_supply().balanced


def test_creating_value_is_rejected(victim_and_thief, some_proof, ledger, board, public_key):
    victim, thief = victim_and_thief
    transfer = dishonest_transfer(ledger, public_key, thief, {victim.address: X, thief.address: 0}, some_proof)
    assert not board.review_transfer(transfer.transfer_id, some_proof).accepted
    victim.fold_credits()
    assert board.balance_of(victim.address) == ETHER


def test_an_overdraft_never_reaches_the_receivers_withdrawal(victim_and_thief, board, ledger):
    victim, thief = victim_and_thief
    payment = thief.pay(victim.address, ETHER, candidates=[], set_size=1)  # honest proof, no funds
    assert not settle(board, payment).accepted
    request = victim.request_withdrawal(ETHER + ETHER // 2)
    assert not board.review_withdrawal(request.request_id).approved
    assert ledger.credits(victim.address) == 0


def test_a_negative_amount_is_rejected(victim_and_thief, some_proof, ledger, board, public_key):
    victim, thief = victim_and_thief
    transfer = dishonest_transfer(ledger, public_key, thief, {victim.address: -X, thief.address: X}, some_proof)
    assert board.review_transfer(transfer.transfer_id, some_proof).reason.startswith("transfer proof rejected")


def test_a_proof_made_for_other_balance_hashes_is_rejected(victim_and_thief, ledger, board, public_key):
    victim, thief = victim_and_thief
    accounts = sorted([victim.address, thief.address])
    index = accounts.index(thief.address)
    deltas, opening = make_deltas(public_key.n, [0 if a == thief.address else 10 for a in accounts], index)
    stale = ledger.proof_context(sender=thief.address, accounts=accounts, deltas=deltas)
    proof = prove_transfer(TransferStatement(public_key.n, stale, deltas, index), opening)
    thief.deposit(1)  # the balance the proof was made for is gone
    transfer = ledger.transfer(sender=thief.account, accounts=accounts, deltas=deltas, proof_hash=proof.digest())
    assert transfer.proof_context != stale
    assert not board.review_transfer(transfer.transfer_id, proof).accepted


def test_three_rejected_transfers_freeze_the_sender(victim_and_thief, some_proof, ledger, board, public_key):
    victim, thief = victim_and_thief
    for _ in range(3):
        transfer = dishonest_transfer(ledger, public_key, thief, {victim.address: -1, thief.address: 1}, some_proof)
        board.review_transfer(transfer.transfer_id, some_proof)
    assert ledger.offenses(thief.address) == 3 and ledger.frozen(thief.address)
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerAccountFrozen"):
        thief.request_withdrawal(1)


def test_a_delta_that_is_a_multiple_of_n_is_refused_on_chain(victim_and_thief, ledger, public_key):
    victim, thief = victim_and_thief
    accounts = sorted([victim.address, thief.address])
    deltas = [public_key.n if a == victim.address else 1 for a in accounts]
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerNotAUnit"):
        ledger.transfer(sender=thief.account, accounts=accounts, deltas=deltas, proof_hash=b"\x01" * 32)


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


def test_an_audit_of_a_balance_in_range_freezes_nothing(funded, board):
    audit = board.audit(funded[0].address)
    assert (audit.balance_wei, audit.in_range, audit.frozen) == (5 * ETHER, True, False)


def test_an_audit_freezes_an_overdrawn_account_that_t_dishonest_trustees_let_through(
    funded, ledger, board, trustees, public_key
):
    dave, erin = funded[3], funded[4]
    transfer = dishonest_transfer(
        ledger, public_key, dave, {dave.address: -3 * ETHER, erin.address: 3 * ETHER}, _unrelated_proof(public_key)
    )
    digest = ledger.verdict_digest(transfer.transfer_id, True)
    ledger.settle_transfer(
        sender=dave.account,
        transfer_id=transfer.transfer_id,
        accept=True,
        signatures=[t.sign(digest) for t in trustees[:3]],
    )
    audit = board.audit(dave.address)
    assert (audit.balance_wei, audit.in_range, audit.frozen) == (-2 * ETHER, False, True)
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerAccountFrozen"):
        dave.request_withdrawal(1)


def test_a_report_must_name_the_current_balance(funded, ledger, trustees):
    stale = ledger.balance_hash(funded[0].address)
    funded[0].deposit(1)
    with pytest.raises(TransactionRevertedError, match="ConfidentialLedgerStaleBalance"):
        ledger.report_out_of_range(sender=trustees[0].account, account=funded[0].address, balance_hash=stale)


def _unrelated_proof(public_key):
    deltas, opening = make_deltas(public_key.n, [0, 1], 0)
    return prove_transfer(TransferStatement(public_key.n, bytes(32), deltas, 0), opening)


def test_the_books_balance_after_honest_payments(funded, board):
    payment = funded[0].pay(funded[1].address, ETHER, candidates=addresses(funded), set_size=3)
    assert board.audit_supply().balanced  # pending: counted at the sender's previous balance
    settle(board, payment)
    books = board.audit_supply()
    assert books.balanced and books.balances_wei == 9 * ETHER and books.accounts == 5
