"""The aggregation cloud's handlers take contributions from users and partial decryptions from
parties, any of whom may be malicious (Zheng et al. 2018 §4.2): each raises only the toolkit's
own errors on malformed input (issue 12), never folds a changed contribution into the total,
and never lets a party's junk answer stop a decryption that t honest parties can finish.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import EncryptedVector
from offchain.protocols.aggregation import (
    AggregationCloud,
    AggregationResult,
    Contributor,
    DecryptionParty,
    PartialBatch,
    contribution_message,
)
from tests.offchain import fuzzing as fz

NAMES = ("hospital-a", "hospital-b", "bank-c")
VALUES = (1.5, -2.0)
#: Each example folds a contribution in or checks t partial decryptions (a few ms to ~0.1 s).
HANDLERS = settings(fz.COSTLY, max_examples=60)


@pytest.fixture(scope="module")
def key():
    return tp.generate_threshold_keypair(1024, 3, 2, rng=random.Random(12))


@pytest.fixture(scope="module")
def contribution(key):
    contributor = Contributor(NAMES[0], key[0])
    round_id = bytes(range(32))
    return contributor, contributor.contribute(VALUES, round_id=round_id)


def fresh_cloud(key, contributor) -> AggregationCloud:
    cloud = AggregationCloud(key[0], len(VALUES), round_id=bytes(range(32)))
    cloud.register(contributor.name, contributor.address)
    return cloud


def _same(changed: object, original: object) -> bool:
    """Whether a tampering left the contribution as sent: a vector is compared in its wire form
    (a tampering that changes no byte, such as an empty splice, parses to the same vector)."""
    if isinstance(changed, EncryptedVector) and isinstance(original, EncryptedVector):
        return changed.to_bytes() == original.to_bytes()
    return changed == original


@HANDLERS
@given(field=st.sampled_from(["contributor", "vector", "round_id", "signature"]), tamper=st.data())
def test_aggregation_cloud_submit_refuses_a_malformed_contribution(key, contribution, field, tamper):
    contributor, valid = contribution
    original = getattr(valid, field)
    if isinstance(original, bytes):
        changed = tamper.draw(st.one_of(fz.junk, fz.tampered_bytes(original)))
    elif field == "vector":
        encoded = tamper.draw(fz.tampered_bytes(original.to_bytes()))
        parsed = fz.project_errors_only(EncryptedVector.from_bytes, encoded, key[0].paillier)
        changed = tamper.draw(st.one_of(fz.junk, st.just(encoded if parsed is fz.REFUSED else parsed)))
    else:
        changed = tamper.draw(st.one_of(fz.junk, st.sampled_from(NAMES)))
    cloud = fresh_cloud(key, contributor)
    result = fz.project_errors_only(cloud.submit, replace(valid, **{field: changed}))
    assert result is fz.REFUSED or _same(changed, original)
    assert cloud.contributors == (() if result is fz.REFUSED else (contributor.name,))


@fz.CHEAP
@given(submitted=fz.junk)
def test_aggregation_cloud_submit_refuses_what_is_not_a_contribution(key, contribution, submitted):
    assert fz.project_errors_only(fresh_cloud(key, contribution[0]).submit, submitted) is fz.REFUSED


@fz.CHEAP
@given(
    field=st.sampled_from(["round_id", "contributor", "vector"]), value=fz.junk.filter(lambda v: not isinstance(v, str))
)
def test_contribution_message_refuses_malformed_fields(contribution, field, value):
    valid = contribution[1]
    fields = {"round_id": valid.round_id, "contributor": valid.contributor, "vector": valid.vector, field: value}
    assert fz.project_errors_only(contribution_message, **fields) is fz.REFUSED


class LyingParty(DecryptionParty):
    """A party whose batch is drawn by hypothesis: junk, or its honest batch with a part changed."""

    def __init__(self, name, share, draw):
        super().__init__(name, share)
        self._draw = draw

    def partially_decrypt(self, ciphertexts):
        honest = super().partially_decrypt(ciphertexts)
        partial = st.one_of(
            fz.junk,
            st.sampled_from(honest.partials).flatmap(
                lambda p: st.builds(
                    lambda field, value: replace(p, **{field: value}),
                    st.sampled_from(["index", "value", "commitment_c", "commitment_v", "response"]),
                    fz.integers,
                )
            ),
        )
        return self._draw(
            st.one_of(
                fz.junk,
                st.builds(PartialBatch, st.one_of(fz.junk, st.just(self.name)), fz.integers, st.just(honest.partials)),
                st.builds(PartialBatch, st.just(self.name), st.just(self.index), st.one_of(fz.junk, st.lists(partial))),
            )
        )


@pytest.fixture(scope="module")
def aggregated(key, contribution):
    cloud = fresh_cloud(key, contribution[0])
    cloud.submit(contribution[1])
    return cloud


@HANDLERS
@given(data=st.data())
def test_aggregation_cloud_decrypt_skips_a_party_that_answers_junk(key, aggregated, data):
    liar = LyingParty(NAMES[0], key[1][0], data.draw)
    honest = [DecryptionParty(name, share) for name, share in zip(NAMES[1:], key[1][1:], strict=True)]
    result = fz.project_errors_only(aggregated.decrypt, [liar, *honest])
    assert isinstance(result, AggregationResult)
    assert result.totals == VALUES


@HANDLERS
@given(ciphertexts=st.one_of(fz.junk, st.lists(st.one_of(fz.junk, fz.integers), max_size=3)))
def test_decryption_party_partially_decrypt_refuses_junk_ciphertexts(key, ciphertexts):
    fz.project_errors_only(DecryptionParty(NAMES[0], key[1][0]).partially_decrypt, ciphertexts)
