"""The protocol decoders that read what other parties publish or send (file metadata from the
registry, sealed key payloads, published trace openings) raise only the toolkit's own errors
(issue 12), whatever bytes they are given."""

from __future__ import annotations

import json

from gmpy2 import mpz
from hypothesis import given
from hypothesis import strategies as st

from offchain.crypto import group_signature as gs
from offchain.protocols.agency import PublishedOpening
from offchain.protocols.keys import FileKeys
from offchain.protocols.metadata import FileMetadata
from tests.offchain.fuzzing import CHEAP, REFUSED, json_text, junk, project_errors_only, tampered_bytes, tampered_json

METADATA = FileMetadata(16384, 8, 131104, b"\x02" + b"\x11" * 32, name="scan", capsule_hash=b"\x42" * 32)
OPENING = PublishedOpening(
    ballot_id=3,
    file_id=b"\x07" * 32,
    signer="0x" + "ab" * 20,
    opening=gs.Opening(mpz(5), mpz(6), mpz(7)),
    receipt=b"\x01" * 65,
    join_id=b"\x02" * 32,
    c2=11,
    e=13,
)


@CHEAP
@given(raw=junk, tamper=st.data())
def test_file_metadata_from_bytes(raw, tamper):
    project_errors_only(FileMetadata.from_bytes, raw)
    candidate = tamper.draw(tampered_bytes(METADATA.to_bytes()))
    parsed = project_errors_only(FileMetadata.from_bytes, candidate)
    assert parsed is REFUSED or parsed.to_bytes() == candidate  # one encoding per metadata


@CHEAP
@given(payload=st.one_of(junk, st.binary(min_size=96, max_size=96)))
def test_file_keys_from_bytes(payload):
    keys = project_errors_only(FileKeys.from_bytes, payload)
    assert keys is REFUSED or keys.to_bytes() == payload


@CHEAP
@given(data=junk, tamper=st.data())
def test_published_opening_from_bytes(data, tamper):
    project_errors_only(PublishedOpening.from_bytes, data)
    project_errors_only(PublishedOpening.from_bytes, tamper.draw(tampered_bytes(OPENING.to_bytes())))
    edited = tamper.draw(tampered_json(json.loads(OPENING.to_bytes())))
    project_errors_only(PublishedOpening.from_bytes, json_text(edited).encode())
