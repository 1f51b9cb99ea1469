"""The confidential ledger's roles take input from outside: a sender's anonymity-set book is a
file, the trustees review proofs handed over by senders and decrypt ciphertexts read from the
chain. Each raises only the toolkit's own errors on malformed input (issue 12).

The trustees' chain is replaced by :class:`FakeLedger`, which knows its trustees and modulus and
no transfer (the real client's id check, then ``UnknownTransferError``): what is fuzzed here is
what a trustee does with a sender's proof before the chain is asked anything.
"""

from __future__ import annotations

import json
import random

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.chain.contracts import MAX_UINT256, require_uint
from offchain.chain.ledger import UnknownTransferError
from offchain.crypto import threshold_paillier as tp
from offchain.crypto import transfer_proof as tf
from offchain.protocols import LedgerTrustee, TrusteeBoard
from offchain.protocols.ledger_account import AnonymitySetBook
from tests.offchain import fuzzing as fz

RECEIVER = "0x66aB6D9362d4F35596279692F0251Db635165871"
DECOYS = ("0x3194cBDC3dbcd3E11a07892e7bA5c3394048Cc87", "0x0000000000000000000000000000000000000001")
#: Each example writes and reads a file.
FILES = settings(fz.CHEAP, max_examples=100)
#: Each example may run t partial decryptions with their proofs.
DECRYPTIONS = settings(fz.COSTLY, max_examples=60)
addresses = st.builds(lambda raw: "0x" + raw.hex(), st.binary(min_size=20, max_size=20))


# ---- the sender's anonymity-set book ------------------------------------------------------------


@pytest.fixture(scope="module")
def valid_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "sets.json"
    AnonymitySetBook(path).record(RECEIVER, DECOYS)
    return json.loads(path.read_text())


@FILES
@given(content=st.one_of(st.binary(max_size=200), st.builds(lambda v: fz.json_text(v).encode(), fz.json_values)))
def test_anonymity_set_book_refuses_a_file_that_is_not_a_book(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("book") / "sets.json"
    path.write_bytes(content)
    book = fz.project_errors_only(AnonymitySetBook, path)
    assert book is fz.REFUSED or len(book) == 0 or isinstance(json.loads(content), dict)


@FILES
@given(tamper=st.data())
def test_anonymity_set_book_raises_only_project_errors_on_a_tampered_book(tmp_path_factory, valid_book, tamper):
    path = tmp_path_factory.mktemp("book") / "sets.json"
    path.write_text(fz.json_text(tamper.draw(fz.tampered_json(valid_book))))
    fz.project_errors_only(AnonymitySetBook, path)


def test_anonymity_set_book_refuses_a_folder(tmp_path):
    assert fz.project_errors_only(AnonymitySetBook, tmp_path) is fz.REFUSED


@fz.CHEAP
@given(receiver=st.one_of(fz.junk, addresses), decoys=st.one_of(fz.junk, st.lists(st.one_of(fz.junk, addresses))))
def test_anonymity_set_book_record_raises_only_project_errors(receiver, decoys):
    fz.project_errors_only(AnonymitySetBook().record, receiver, decoys)


@fz.CHEAP
@given(receiver=fz.junk)
def test_anonymity_set_book_decoys_for_refuses_what_is_not_an_address(receiver):
    assert fz.project_errors_only(AnonymitySetBook().decoys_for, receiver) is fz.REFUSED


# ---- the trustees ---------------------------------------------------------------------------------


class FakeLedger:
    """Trustees and a modulus, and no transfer at all."""

    def __init__(self, trustees, modulus):
        self._trustees, self.modulus = tuple(trustees), modulus

    def trustees(self):
        return self._trustees

    def transfer_of(self, transfer_id):
        raise UnknownTransferError(require_uint(transfer_id, "transfer_id", low=1, high=MAX_UINT256))


@pytest.fixture(scope="module")
def board():
    public_key, shares = tp.generate_threshold_keypair(1024, 3, 2, rng=random.Random(7))
    trustees = [LedgerTrustee(f"trustee-{i}", Account.create(), share) for i, share in enumerate(shares)]
    return TrusteeBoard(FakeLedger([t.address for t in trustees], public_key.n), trustees), public_key


@pytest.fixture(scope="module")
def proof_bytes(board):
    n = board[1].n
    deltas, opening = tf.make_deltas(n, [0, 5, 0], 0)
    return tf.prove_transfer(tf.TransferStatement(n, bytes(range(32)), deltas, 0), opening).to_bytes()


@DECRYPTIONS
@given(ciphertext=st.one_of(fz.junk, fz.integers))
def test_trustee_board_decrypt_raises_only_project_errors(board, ciphertext):
    fz.project_errors_only(board[0].decrypt, ciphertext)


@DECRYPTIONS
@given(proof=fz.junk, tamper=st.data())
def test_trustee_board_review_transfer_refuses_a_malformed_proof(board, proof_bytes, proof, tamper):
    assert fz.project_errors_only(board[0].review_transfer, 1, proof) is fz.REFUSED
    tampered = tamper.draw(fz.tampered_bytes(proof_bytes))
    assert fz.project_errors_only(board[0].review_transfer, 1, tampered) is fz.REFUSED


@fz.CHEAP
@given(transfer_id=st.one_of(fz.junk, fz.integers))
def test_trustee_board_review_transfer_refuses_an_unknown_transfer_id(board, proof_bytes, transfer_id):
    assert fz.project_errors_only(board[0].review_transfer, transfer_id, proof_bytes) is fz.REFUSED
