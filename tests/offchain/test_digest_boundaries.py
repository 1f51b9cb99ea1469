"""The digests that parties sign or compare are built from values read from the chain or sent
by another party (a registration's fields, a transfer's id and record, a capsule, a group key,
a sender's credits): for any field of the wrong type or size each builder raises only the
toolkit's own errors (issue 12), never an ABI encoder's or Python's own.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from offchain.chain import ledger, registry
from offchain.crypto import transfer_proof as tf
from offchain.protocols import group_member, metadata
from tests.offchain import fuzzing as fz

ADDRESS = "0x66aB6D9362d4F35596279692F0251Db635165871"
VERDICT = {"chain_id": 1337, "ledger": ADDRESS, "transfer_id": 1, "digest": bytes(32), "accept": True}
CONTEXT = {
    "chain_id": 1337,
    "ledger": ADDRESS,
    "sender": ADDRESS,
    "nonce": 0,
    "previous_balance_hash": bytes(32),
    "accounts": [ADDRESS],
    "delta_hashes": [bytes(32)],
}
RECORD = (bytes(32), bytes(32), bytes(32), "sha256:" + "00" * 32, b"meta")


@fz.CHEAP
@given(field=st.sampled_from(sorted(VERDICT)), value=st.one_of(fz.junk, fz.integers))
def test_verdict_digest_raises_only_project_errors(field, value):
    fz.project_errors_only(ledger.verdict_digest, **{**VERDICT, field: value})


@fz.CHEAP
@given(field=st.sampled_from(sorted(CONTEXT)), value=st.one_of(fz.junk, fz.integers, st.lists(fz.junk, max_size=2)))
def test_transfer_proof_context_raises_only_project_errors(field, value):
    fz.project_errors_only(ledger.transfer_proof_context, **{**CONTEXT, field: value})


@fz.CHEAP
@given(position=st.integers(0, len(RECORD) - 1), value=fz.junk)
def test_record_digest_of_raises_only_project_errors(position, value):
    fields = list(RECORD)
    fields[position] = value
    fz.project_errors_only(registry.record_digest_of, *fields)


@fz.CHEAP
@given(owner=fz.junk, commitment=fz.junk)
def test_file_id_of_raises_only_project_errors(owner, commitment):
    fz.project_errors_only(registry.file_id_of, owner, bytes(32))
    fz.project_errors_only(registry.file_id_of, ADDRESS, commitment)


@fz.CHEAP
@given(sealed=fz.junk)
def test_capsule_hash_refuses_what_is_not_a_capsule(sealed):
    assert fz.project_errors_only(metadata.capsule_hash, sealed) is fz.REFUSED


@fz.CHEAP
@given(group=fz.junk)
def test_anonymous_file_id_refuses_what_is_not_a_group_key(group):
    assert fz.project_errors_only(group_member.anonymous_file_id, group, bytes(32)) is fz.REFUSED


@fz.CHEAP
@given(credits=st.one_of(fz.junk, st.lists(st.one_of(fz.junk, fz.integers), max_size=3)), sender=fz.junk)
def test_make_deltas_raises_only_project_errors(credits, sender):
    fz.project_errors_only(tf.make_deltas, (1 << 256) + 1, credits, 0)
    fz.project_errors_only(tf.make_deltas, (1 << 256) + 1, [0, 1], sender)
