"""offchain.zk.statement: ranges, records, requirements, their commitments and encodings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offchain.errors import InvalidInputError
from offchain.zk.poseidon import SNARK_SCALAR_FIELD, poseidon
from offchain.zk.statement import MAX_VALUE, FieldRange, Record, Requirement, hash_many, record_commitment

values8 = st.lists(st.integers(0, MAX_VALUE), min_size=8, max_size=8).map(tuple)
salts = st.integers(0, SNARK_SCALAR_FIELD - 1)


def _requirement(**overrides):
    ranges = (FieldRange(40, 60, required=True), FieldRange.exactly(1234), *([FieldRange.ignored()] * 6))
    return Requirement(**{"ranges": ranges, "min_satisfied": 2, "nonce": 7, **overrides})


def test_record_commitment_is_poseidon_of_fields_then_salt_up_to_15_fields():
    assert record_commitment((1, 2, 3), 9) == poseidon([1, 2, 3, 9])


def test_record_commitment_of_16_fields_hashes_the_fields_first():
    values = tuple(range(16))
    assert record_commitment(values, 9) == poseidon([poseidon(list(values)), 9])


def test_hash_many_chunks_past_16():
    values = list(range(20))
    assert hash_many(values) == poseidon([poseidon(values[:16]), poseidon(values[16:])])


def test_requirement_commitment_follows_the_circuit_header():
    requirement = _requirement()
    lows = poseidon([r.lo for r in requirement.ranges])
    highs = poseidon([r.hi for r in requirement.ranges])
    assert requirement.commitment == poseidon([lows, highs, 0b11, 7])


def test_the_nonce_changes_the_requirement_commitment():
    assert _requirement(nonce=1).commitment != _requirement(nonce=2).commitment


def test_the_required_flags_change_the_requirement_commitment():
    optional = (FieldRange(40, 60), FieldRange.exactly(1234), *([FieldRange.ignored()] * 6))
    assert _requirement(ranges=optional, min_satisfied=1).commitment != _requirement().commitment


def test_satisfied_counts_fields_in_range_and_never_ignored_ones():
    requirement = _requirement()
    assert requirement.satisfied_by(Record((45, 1234, 0, 0, 0, 0, 0, 0), 1)) == 2
    assert requirement.satisfied_by(Record((39, 1234, 1, 1, 1, 1, 1, 1), 1)) == 1


def test_unmet_required_names_the_fields():
    assert _requirement().unmet_required(Record((61, 99, 0, 0, 0, 0, 0, 0), 1)) == (0, 1)


def test_a_record_of_another_width_is_refused():
    with pytest.raises(InvalidInputError, match="4 fields, the requirement is for 8"):
        _requirement().satisfied_by(Record((1, 2, 3, 4), 1))


@pytest.mark.parametrize("value", [-1, MAX_VALUE + 1])
def test_field_values_must_fit_64_bits(value):
    with pytest.raises(InvalidInputError, match="field 1"):
        Record((0, value), 1)


def test_a_required_empty_range_is_refused():
    with pytest.raises(InvalidInputError, match="empty"):
        FieldRange(5, 4, required=True)


@pytest.mark.parametrize("minimum", [0, 3])
def test_min_satisfied_must_fit_the_countable_fields(minimum):
    with pytest.raises(InvalidInputError, match="min_satisfied"):
        _requirement(min_satisfied=minimum)


def test_min_satisfied_below_the_required_fields_is_refused():
    with pytest.raises(InvalidInputError, match="required fields"):
        _requirement(min_satisfied=1)


def test_the_nonce_must_be_a_field_element():
    with pytest.raises(InvalidInputError, match="nonce"):
        _requirement(nonce=SNARK_SCALAR_FIELD)


@given(values8, salts)
def test_record_bytes_round_trip(values, salt):
    record = Record(values, salt)
    assert Record.from_bytes(record.to_bytes()) == record


@given(
    st.lists(st.tuples(st.integers(0, MAX_VALUE), st.integers(0, MAX_VALUE), st.booleans()), min_size=1, max_size=16),
    salts,
)
def test_requirement_json_round_trips(triples, nonce):
    ranges = tuple(FieldRange(min(lo, hi), max(lo, hi), required) for lo, hi, required in triples)
    requirement = Requirement(ranges, max(1, sum(r.required for r in ranges)), nonce)
    assert Requirement.from_json(requirement.to_json()) == requirement


@pytest.mark.parametrize("content", [b"", b"{}", b'{"fields": ["x"], "salt": "1"}', b"\xff"])
def test_malformed_record_bytes_are_refused(content):
    with pytest.raises(InvalidInputError, match="not a record"):
        Record.from_bytes(content)


def test_malformed_requirement_json_is_refused():
    with pytest.raises(InvalidInputError, match="not a requirement"):
        Requirement.from_json('{"ranges": 3}')


def test_description_hash_binds_the_opening():
    assert _requirement(nonce=1).description_hash != _requirement(nonce=2).description_hash
