"""The valuation record (JSON round trip, canonical hash, the contract's integer table) and the
exact-duplicate check across owners (replication robustness)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings

from offchain.learning.valuation import (
    DuplicateDataError,
    GameError,
    ValuationRecord,
    ValuationRecordError,
    deal_rows,
    digest_test_set,
    drop_duplicates,
    find_duplicates,
    integer_shares,
    refuse_duplicates,
)
from tests.offchain import fuzzing as fz

FILE_IDS = ("0x" + "11" * 32, "0x" + "22" * 32)


def record(**changes) -> ValuationRecord:
    fields = {
        "owner_file_ids": FILE_IDS,
        "test_set_sha256": digest_test_set(np.eye(2), [1, -1]),
        "model": "svm",
        "utilities": (0.0, 0.6, 0.3, 1.0),
        "note": "thyroid, seed 0",
    }
    return ValuationRecord(**{**fields, **changes})


def test_a_record_survives_a_json_round_trip_with_its_hash():
    original = record()
    again = ValuationRecord.from_json(original.to_json(), expected_hash=original.canonical_hash())
    assert again == original
    assert again.canonical_hash() == original.canonical_hash()


def test_the_hash_names_every_field():
    hashes = {
        record().canonical_hash(),
        record(model="rf").canonical_hash(),
        record(note="").canonical_hash(),
        record(utilities=(0.0, 0.6, 0.3, 0.999999)).canonical_hash(),
        record(owner_file_ids=FILE_IDS[::-1]).canonical_hash(),
    }
    assert len(hashes) == 5


def test_integer_and_float_utilities_hash_alike():
    assert record(utilities=(0, 0.6, 0.3, 1)).canonical_hash() == record().canonical_hash()


def test_the_scaled_table_feeds_the_integer_split():
    table = record().scaled_table()
    assert table == [0, 600_000, 300_000, 1_000_000]
    assert integer_shares(7, table) == [5, 2]


@pytest.mark.parametrize("features", [[["1", "2"]], [[1j, 2]], [[10**400, 1]]], ids=["text", "complex", "huge-int"])
def test_a_test_set_of_other_than_real_features_has_no_digest(features):
    with pytest.raises(ValuationRecordError, match=r"^a test set's features must be"):
        digest_test_set(features, [1])


@pytest.mark.parametrize("labels", [[1.5], [0], ["1"], [np.nan]], ids=["fraction", "zero", "text", "nan"])
def test_a_test_set_with_labels_other_than_plus_or_minus_one_has_no_digest(labels):
    with pytest.raises(ValuationRecordError, match="labels must be"):
        digest_test_set([[0.0, 1.0]], labels)


def test_the_digest_test_set_depends_on_every_value_and_the_shape():
    x, y = np.arange(6.0).reshape(3, 2), np.array([1, -1, 1])
    assert len({digest_test_set(x, y), digest_test_set(x.reshape(2, 3), y[:2]), digest_test_set(x, -y)}) == 3


def test_a_record_with_another_hash_is_refused():
    with pytest.raises(ValuationRecordError, match="expected record hash"):
        ValuationRecord.from_json(record().to_json(), expected_hash="00" * 32)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"owner_file_ids": ("0x12",) * 2}, "bytes32"),
        ({"owner_file_ids": (FILE_IDS[0], FILE_IDS[0])}, "twice"),
        ({"owner_file_ids": FILE_IDS[:1]}, "2\\^1"),
        ({"test_set_sha256": "AB" * 32}, "SHA-256"),
        ({"model": "logreg"}, "unknown model"),
        ({"utilities": (0.0, 0.5, 1.5, 1.0)}, "\\[0, 1\\]"),
        ({"utilities": (10**400, 0.5, 0.5, 1.0)}, "\\[0, 1\\]"),  # found by the tampered-JSON fuzz test
        ({"utilities": (0.0, 0.5, 0.5)}, "2\\^n"),
        ({"scale": 0}, "scale"),
    ],
)
def test_a_malformed_record_is_refused(changes, message):
    with pytest.raises(ValuationRecordError, match=message):
        record(**changes)


@settings(max_examples=100, deadline=None)
@given(fz.tampered_json(json.loads(record().to_json())))
def test_from_json_refuses_tampered_records_with_its_own_error(tampered):
    outcome = fz.project_errors_only(ValuationRecord.from_json, json.dumps(tampered))
    assert outcome is fz.REFUSED or isinstance(outcome, ValuationRecord)


def test_from_json_refuses_text_that_is_not_json():
    with pytest.raises(ValuationRecordError, match="JSON"):
        ValuationRecord.from_json("{")


def owners_with_copies():
    a = (np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([1, -1, 1]))
    b = (np.array([[3.0, 4.0], [7.0, 8.0], [-0.0, 1.0]]), np.array([-1, 1, 1]))  # row 0 copies a's row 1
    c = (np.array([[0.0, 1.0], [1.0, 2.0], [1.0, 2.0]]), np.array([1, -1, 1]))  # rows 0 (b's) and 2 (a's)
    return [a, b, c]


def test_exact_copies_across_owners_are_found_with_their_first_holder():
    report = find_duplicates(owners_with_copies())
    assert report.pairs == ((1, 0, 0, 1), (2, 0, 1, 2), (2, 2, 0, 0))
    assert report.rows_of(2) == [0, 2]


def test_a_row_with_the_same_features_and_another_label_is_not_a_copy():
    assert (2, 1, 0, 0) not in find_duplicates(owners_with_copies()).pairs


def test_dropping_duplicates_keeps_the_first_holders_copy():
    kept, report = drop_duplicates(owners_with_copies())
    assert [len(y) for _, y in kept] == [3, 2, 1]
    assert find_duplicates(kept).count == 0 and report.count == 3


def test_refusing_duplicates_names_them():
    with pytest.raises(DuplicateDataError, match="3 rows") as caught:
        refuse_duplicates(owners_with_copies())
    assert len(caught.value.pairs) == 3
    assert refuse_duplicates(owners_with_copies()[:1]).count == 0


@pytest.mark.parametrize("owners", ["ab", [(np.zeros(3), np.zeros(3))], [(np.zeros((2, 2)), np.zeros(3))], [1]])
def test_malformed_owners_are_refused_by_the_duplicate_check(owners):
    with pytest.raises(GameError):
        find_duplicates(owners)


def test_rows_are_dealt_disjointly_by_size_with_the_asked_share_of_labels_flipped():
    x = np.arange(40.0).reshape(20, 2)
    y = np.where(np.arange(20) % 2 == 0, 1, -1)
    owners = deal_rows(x, y, [5, 10], flipped={1: 0.3}, seed=4)
    assert [len(o[1]) for o in owners] == [5, 10]
    rows = [int(r[0]) // 2 for o in owners for r in o[0]]
    assert len(set(rows)) == 15
    clean = np.where(np.array(rows) % 2 == 0, 1, -1)
    dealt = np.concatenate([o[1] for o in owners])
    assert (dealt[:5] == clean[:5]).all() and int((dealt[5:] != clean[5:]).sum()) == 3
    assert [o[1].tolist() for o in deal_rows(x, y, [5, 10], flipped={1: 0.3}, seed=4)] == [
        o[1].tolist() for o in owners
    ]


@pytest.mark.parametrize(
    ("sizes", "flipped"), [([], None), ([0], None), ([30], None), ([5], {1: 0.1}), ([5], {0: 1.5}), ([True], None)]
)
def test_a_bad_deal_is_refused(sizes, flipped):
    with pytest.raises(GameError):
        deal_rows(np.zeros((20, 2)), np.ones(20), sizes, flipped=flipped)
