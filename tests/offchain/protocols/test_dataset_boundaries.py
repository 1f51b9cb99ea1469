"""An analyst of secureSVM trains only on a dataset that matches its on-chain record
(:func:`check_registered_dataset`); the blob comes from a store and the record's metadata from
whoever registered it. For any blob and metadata it raises only the toolkit's own errors
(issue 12) and accepts nothing but the registered dataset.
"""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from offchain.chain.registry import FileRegistration
from offchain.crypto.hashing import sha256
from offchain.crypto.merkle import MerkleTree
from offchain.protocols.secure_svm import check_registered_dataset
from tests.offchain import fuzzing as fz

ROWS = [bytes([i]) * (10 + i) for i in range(5)]
BLOB = b"SVMDS1" + len(ROWS).to_bytes(4, "big") + b"".join(len(r).to_bytes(4, "big") + r for r in ROWS)
METADATA = {"kind": "secure-svm-dataset", "rows": len(ROWS), "features": 3}
RECORD = FileRegistration(
    file_id=b"\x01" * 32,
    owner="0x66aB6D9362d4F35596279692F0251Db635165871",
    content_commitment=b"\x02" * 32,
    ciphertext_hash=sha256(BLOB),
    merkle_root=MerkleTree.from_blocks(ROWS).root,
    locator="sha256:" + "00" * 32,
    metadata=json.dumps(METADATA).encode(),
    registered_at=1,
    block_number=1,
    tx_hash="0x" + "00" * 32,
)


def test_the_registered_dataset_checks():
    assert check_registered_dataset(RECORD, BLOB).rows == len(ROWS)


@fz.CHEAP
@given(blob=st.one_of(fz.junk, st.binary(max_size=200)), tamper=st.data())
def test_check_registered_dataset_refuses_a_blob_that_is_not_the_registered_one(blob, tamper):
    candidate = tamper.draw(st.one_of(st.just(blob), fz.tampered_bytes(BLOB)))
    result = fz.project_errors_only(check_registered_dataset, RECORD, candidate)
    assert result is fz.REFUSED or candidate == BLOB


@fz.CHEAP
@given(metadata=st.one_of(st.binary(max_size=80), st.builds(lambda v: fz.json_text(v).encode(), fz.json_values)))
def test_check_registered_dataset_refuses_metadata_that_is_not_the_datasets(metadata):
    result = fz.project_errors_only(check_registered_dataset, replace(RECORD, metadata=metadata), BLOB)
    assert result is fz.REFUSED or json.loads(metadata)["rows"] == len(ROWS)


@fz.CHEAP
@given(tamper=st.data())
def test_check_registered_dataset_raises_only_project_errors_on_tampered_metadata(tamper):
    metadata = fz.json_text(tamper.draw(fz.tampered_json(METADATA))).encode()
    fz.project_errors_only(check_registered_dataset, replace(RECORD, metadata=metadata), BLOB)


def test_check_registered_dataset_refuses_a_row_count_far_beyond_the_blob():
    huge = b"SVMDS1" + (2**32 - 1).to_bytes(4, "big")
    assert fz.project_errors_only(check_registered_dataset, RECORD, huge) is fz.REFUSED


def test_check_registered_dataset_refuses_an_infinite_row_count():
    metadata = json.dumps({**METADATA, "rows": float("inf")}).encode()  # JSON's Infinity
    assert fz.project_errors_only(check_registered_dataset, replace(RECORD, metadata=metadata), BLOB) is fz.REFUSED
