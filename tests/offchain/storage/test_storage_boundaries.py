"""Blob store lookups take locators from the chain and from other parties; they raise only the
toolkit's own errors (issue 12) for any locator, offset or length."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from offchain.storage.base import locator_for, parse_locator
from offchain.storage.filesystem import FilesystemBlobStore
from tests.offchain.fuzzing import CHEAP, REFUSED, integers, junk, project_errors_only

locators = st.one_of(junk, st.text(max_size=80), st.builds(lambda s: "sha256:" + s, st.text(max_size=70)))


@CHEAP
@given(locator=locators)
def test_parse_locator(locator):
    digest = project_errors_only(parse_locator, locator)
    assert digest is REFUSED or (isinstance(digest, bytes) and len(digest) == 32)


@CHEAP
@given(locator=locators, offset=st.one_of(junk, integers), length=st.one_of(junk, integers))
def test_filesystem_store_lookups(tmp_path_factory, locator, offset, length):
    store = FilesystemBlobStore(tmp_path_factory.mktemp("blobs"))
    stored = store.put(b"some blob " * 10)
    for call in (store.get, store.exists, store.path_for):
        project_errors_only(call, locator)
    reader = project_errors_only(store.open, locator)
    if reader is not REFUSED:
        project_errors_only(reader.read)
        reader.close()
    project_errors_only(store.read_range, locator, 0, 4)
    result = project_errors_only(store.read_range, stored, offset, length)
    assert result is REFUSED or isinstance(result, bytes)
    assert locator_for(b"some blob " * 10) == stored
