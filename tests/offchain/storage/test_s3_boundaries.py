"""The S3 blob store takes locators from the chain and ranges from other parties (an auditor's
challenge becomes a range read): for any locator, offset and length it raises only the
toolkit's own errors (issue 12), through botocore's real requests to s3rver (see conftest).
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.storage.base import locator_for
from offchain.storage.s3 import S3BlobStore
from tests.offchain import fuzzing as fz

BLOB = bytes(range(256)) * 3
#: Each example is one or more HTTP requests to s3rver (a few ms each).
REQUESTS = settings(fz.CHEAP, max_examples=100)
locators = st.one_of(
    fz.junk,
    st.text(max_size=80),
    st.builds(lambda s: "sha256:" + s, st.text(max_size=70)),
    st.builds(lambda raw: "sha256:" + raw.hex(), st.binary(min_size=32, max_size=32)),
)
#: Offsets and lengths around the blob's end and the range limit, and junk.
positions = st.one_of(fz.junk, fz.integers, st.integers(-2, len(BLOB) + 2), st.sampled_from([2**63 - 1, 2**63]))


@pytest.fixture(scope="module")
def store(s3_server):
    bucket = f"fuzz-{uuid.uuid4().hex[:16]}"
    s3_server.client().create_bucket(Bucket=bucket)
    store = S3BlobStore(
        bucket,
        endpoint_url=s3_server.endpoint_url,
        access_key_id=s3_server.access_key_id,
        secret_access_key=s3_server.secret_access_key,
        region=s3_server.region,
    )
    store.put(BLOB)
    return store


@REQUESTS
@given(offset=positions, length=positions)
def test_s3_store_read_range_returns_the_range_or_raises_only_project_errors(store, offset, length):
    result = fz.project_errors_only(store.read_range, locator_for(BLOB), offset, length)
    assert result is fz.REFUSED or result == BLOB[offset : offset + length]


@REQUESTS
@given(locator=locators)
def test_s3_store_read_range_refuses_a_malformed_or_unknown_locator(store, locator):
    assert fz.project_errors_only(store.read_range, locator, 0, 4) is fz.REFUSED


@REQUESTS
@given(locator=locators)
def test_s3_store_get_refuses_a_malformed_or_unknown_locator(store, locator):
    assert fz.project_errors_only(store.get, locator) is fz.REFUSED


@REQUESTS
@given(locator=locators)
def test_s3_store_open_refuses_a_malformed_or_unknown_locator(store, locator):
    assert fz.project_errors_only(store.open, locator) is fz.REFUSED


@REQUESTS
@given(locator=locators)
def test_s3_store_exists_answers_or_refuses_a_malformed_locator(store, locator):
    assert fz.project_errors_only(store.exists, locator) in (fz.REFUSED, False)
