"""Vertical SVM (issue 14): the setup, payload codecs and partial models, and their boundaries."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import offchain.crypto.additive_threshold_paillier as atp
import offchain.crypto.joint_comparison as jc
import offchain.crypto.threshold_paillier as tp
from offchain.errors import InvalidInputError
from offchain.learning import Schedule
from offchain.protocols import vertical_svm as vs
from tests.offchain.fuzzing import CHEAP, COSTLY, json_values, project_errors_only, tampered_bytes, tampered_json

SCHEDULE = Schedule(batch_size=4, iterations=2, seed=3)


@pytest.fixture(scope="module")
def keys():
    """The default key kind (additive shares)."""
    return atp.generate_additive_keypair(1024, 3, rng=random.Random(1408))


@pytest.fixture(scope="module")
def shamir_setup():
    key = tp.generate_threshold_keypair(1024, 3, 3, rng=random.Random(1408))[0]
    return vs.VerticalSetup(SCHEDULE, vs.partition_columns(9, 3), 12, key)


@pytest.fixture(scope="module")
def setup(keys):
    return vs.VerticalSetup(SCHEDULE, vs.partition_columns(9, 3), 12, keys[0])


@pytest.fixture(scope="module")
def paper_setup(keys):
    return vs.VerticalSetup(SCHEDULE, vs.partition_columns(9, 3), 12, keys[0], jc.JudgeVariant.PAPER, 2)


@pytest.fixture(scope="module")
def chained_iv(setup):
    links = jc.open_chain(setup.judge, [1, -2, 3], jc.SubgroupNoise(setup.public_key))
    return vs.encode_intermediate(setup, links), links


@pytest.fixture(scope="module")
def dv(keys, setup, chained_iv):
    partial = tp.partial_decrypt_batch(keys[1][0], [link.value for link in chained_iv[1]])
    return vs.encode_decryption(setup, partial), partial


def test_nine_columns_split_three_ways_are_three_by_three():
    assert vs.partition_columns(9, 3) == ((0, 1, 2), (3, 4, 5), (6, 7, 8))


def test_uneven_columns_go_to_the_first_participants():
    assert [len(c) for c in vs.partition_columns(8, 3)] == [3, 3, 2]


def test_fewer_columns_than_participants_are_refused():
    with pytest.raises(InvalidInputError):
        vs.partition_columns(2, 3)


def test_a_setup_survives_its_json(setup):
    assert vs.VerticalSetup.from_json(setup.to_json()) == setup
    assert setup.key_kind is vs.KeyKind.ADDITIVE


def test_a_shamir_setup_survives_its_json(shamir_setup):
    again = vs.VerticalSetup.from_json(shamir_setup.to_json())
    assert again == shamir_setup and again.key_kind is vs.KeyKind.SHAMIR


def test_the_key_kinds_give_different_fingerprints(setup, shamir_setup):
    assert setup.key_fingerprint() != shamir_setup.key_fingerprint()


@pytest.mark.parametrize("kind", list(vs.KeyKind))
def test_the_dealer_makes_the_key_kind_asked_for(kind):
    public_key, shares = vs.generate_key(kind, 512, 3)
    assert len(shares) == 3 and public_key.threshold == 3
    assert isinstance(public_key, atp.AdditivePublicKey) is (kind is vs.KeyKind.ADDITIVE)


def test_an_unknown_key_kind_is_refused():
    with pytest.raises(InvalidInputError, match="KeyKind"):
        vs.generate_key("additive", 512, 3)  # type: ignore[arg-type]


def test_the_sample_commitment_binds_the_schedule(keys, setup):
    other = vs.VerticalSetup(Schedule(batch_size=4, iterations=2, seed=4), setup.partition, 12, keys[0])
    assert other.sample_commitment() != setup.sample_commitment()


def test_a_setup_whose_key_has_other_parties_is_refused(setup):
    two = tp.generate_threshold_keypair(512, 2, 2, rng=random.Random(1))[0]
    with pytest.raises(InvalidInputError, match="2 shares"):
        vs.VerticalSetup(SCHEDULE, setup.partition, 12, two)


def test_the_value_bound_covers_the_largest_partial_margin(setup):
    f, wb = SCHEDULE.fraction_bits, SCHEDULE.weight_bound_bits
    worst = 3 * ((1 << wb) - 1) * (1 << f) + ((1 << wb) - 1) * (1 << f) + (1 << (2 * f))
    assert worst <= setup.judge.part_bound


def test_a_chained_iv_survives_its_payload(setup, chained_iv):
    assert vs.decode_intermediate(setup, chained_iv[0], 3) == chained_iv[1]


def test_the_last_chained_iv_survives_its_payload(setup):
    noise = jc.SubgroupNoise(setup.public_key)
    links = jc.open_chain(setup.judge, [1, -2, 3], noise)
    packed = jc.close_chain(setup.judge, links, [4, 5, -6], noise)
    assert vs.decode_intermediate(setup, vs.encode_intermediate(setup, packed), 3, last=True) == packed


def test_links_where_the_last_iv_belongs_are_refused(setup, chained_iv):
    with pytest.raises(vs.MalformedPayloadError, match="expected b'F'"):
        vs.decode_intermediate(setup, chained_iv[0], 3, last=True)


def test_a_paper_iv_survives_its_payload(paper_setup):
    contribution = jc.paper_contribution(paper_setup.judge, [5, -6], jc.SubgroupNoise(paper_setup.public_key))
    assert vs.decode_intermediate(paper_setup, vs.encode_intermediate(paper_setup, contribution), 2) == contribution


def test_a_paper_iv_in_a_chained_session_is_refused(setup, paper_setup):
    contribution = jc.paper_contribution(paper_setup.judge, [5], jc.SubgroupNoise(paper_setup.public_key))
    with pytest.raises(vs.MalformedPayloadError, match="kind"):
        vs.decode_intermediate(setup, vs.encode_intermediate(paper_setup, contribution), 1)


def test_an_iv_for_another_batch_size_is_refused(setup, chained_iv):
    with pytest.raises(vs.MalformedPayloadError, match="not 4 values"):
        vs.decode_intermediate(setup, chained_iv[0], 4)


def test_a_dv_survives_its_payload(setup, dv):
    assert vs.decode_decryption(setup, dv[0]) == dv[1]


def test_a_partial_model_of_deeply_nested_json_is_a_malformed_payload():
    with pytest.raises(vs.MalformedPayloadError, match="nested too deeply"):
        vs.decode_model(b"VPM1" + b"[" * 100_000 + b"]" * 100_000)


def test_partial_models_combine_into_the_full_model(setup):
    partials = [
        vs.decode_model(vs.encode_model(i, [i * 10 + k for k in range(3)], 7 if i == 0 else None, 16)) for i in range(3)
    ]
    model = vs.combine_models(setup, partials)
    assert model.weights == (0, 1, 2, 10, 11, 12, 20, 21, 22) and model.bias == 7


def test_a_missing_partial_model_is_refused(setup):
    partials = [vs.decode_model(vs.encode_model(i, [0, 0, 0], 0, 16)) for i in range(2)]
    with pytest.raises(InvalidInputError, match=r"0\.\.2"):
        vs.combine_models(setup, partials)


@COSTLY
@given(data=st.data())
def test_a_tampered_iv_raises_only_project_errors(setup, chained_iv, data):
    project_errors_only(vs.decode_intermediate, setup, data.draw(tampered_bytes(chained_iv[0])), 3)


@COSTLY
@given(data=st.data())
def test_a_tampered_dv_raises_only_project_errors(setup, dv, data):
    project_errors_only(vs.decode_decryption, setup, data.draw(tampered_bytes(dv[0])))


@CHEAP
@given(st.one_of(st.binary(max_size=200), st.none(), st.integers(), st.text(max_size=20)))
def test_random_payloads_raise_only_project_errors(setup, payload):
    project_errors_only(vs.decode_intermediate, setup, payload, 3)
    project_errors_only(vs.decode_decryption, setup, payload)
    project_errors_only(vs.decode_model, payload)


@CHEAP
@given(data=st.data())
def test_a_tampered_setup_raises_only_project_errors(setup, data):
    valid = json.loads(setup.to_json())
    project_errors_only(vs.VerticalSetup.from_json, json.dumps(data.draw(st.one_of(tampered_json(valid), json_values))))


@pytest.mark.parametrize(
    ("field", "value"),
    [("rows", float("inf")), ("slots", float("inf")), ("rows", 12.5), ("slots", 1.0), ("slots", True)],
)
def test_a_setup_with_a_count_that_is_not_an_integer_is_malformed(setup, field, value):
    """Found by the fuzzer above: int(Infinity) raised OverflowError, and int(12.5) kept 12."""
    data = json.loads(setup.to_json())
    data[field] = value
    with pytest.raises(InvalidInputError, match=f"{field} must be an integer"):
        vs.VerticalSetup.from_json(json.dumps(data))


def test_a_setup_with_a_column_that_is_not_an_integer_is_malformed(setup):
    data = json.loads(setup.to_json())
    data["partition"][0][0] = 0.0
    with pytest.raises(InvalidInputError, match="partition must be an integer"):
        vs.VerticalSetup.from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("field", "value"),
    [("index", float("inf")), ("index", 1.5), ("bias", float("-inf")), ("fraction_bits", True), ("weights", [1, 2.5])],
)
def test_a_partial_model_with_a_number_that_is_not_an_integer_is_malformed(field, value):
    """A participant's posted model is read by the others: Infinity raised OverflowError, 1.5 was truncated."""
    data = json.loads(vs.encode_model(0, [1, 2, 3], 7, 16)[len(b"VPM1") :])
    data[field] = value
    with pytest.raises(vs.MalformedPayloadError, match="must be an integer"):
        vs.decode_model(b"VPM1" + json.dumps(data).encode())
