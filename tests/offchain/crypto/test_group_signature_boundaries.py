"""The group signature's decoders and verifiers (ACJT, :mod:`offchain.crypto.group_signature`)
take signatures, openings and public keys from outside; they raise only the toolkit's own errors
(issue 12), and verifiers return False for anything that is not a valid signature or opening.

Kept apart from the group signature's own tests: its key setup is being changed elsewhere.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offchain.crypto import group_signature as gs
from tests.offchain import fuzzing as fz

BITS = 1024
MESSAGE = b"record 0x01"


@pytest.fixture(scope="module")
def group():
    manager = gs.GroupManager(gs.generate_group(BITS))
    member = gs.join(manager)
    signature = gs.sign(member, MESSAGE)
    return manager, signature, manager.open(MESSAGE, signature)


@fz.CHEAP
@given(data=fz.junk, tamper=st.data())
def test_group_signature_from_bytes_and_verify(group, data, tamper):
    manager, signature, _ = group
    fz.project_errors_only(gs.GroupSignature.from_bytes, data)
    candidate = tamper.draw(fz.tampered_bytes(signature.to_bytes()))
    parsed = fz.project_errors_only(gs.GroupSignature.from_bytes, candidate)
    if parsed is not fz.REFUSED:
        result = fz.project_errors_only(gs.verify, manager.public, MESSAGE, parsed)
        assert result is fz.REFUSED or result is False or candidate == signature.to_bytes()
    fz.project_errors_only(gs.verify, manager.public, data, signature)
    fz.project_errors_only(gs.verify, manager.public, MESSAGE, data)


@fz.COSTLY
@given(text=st.one_of(fz.junk, st.builds(fz.json_text, fz.json_values)), tamper=st.data())
def test_opening_from_json_and_verify_opening(group, text, tamper):
    manager, signature, opening = group
    fz.project_errors_only(gs.Opening.from_json, text)
    edited = tamper.draw(fz.tampered_json(json.loads(opening.to_json())))
    parsed = fz.project_errors_only(gs.Opening.from_json, fz.json_text(edited))
    if parsed is not fz.REFUSED:
        result = fz.project_errors_only(gs.verify_opening, manager.public, MESSAGE, signature, parsed)
        assert result is fz.REFUSED or result is False or parsed == opening
    fz.project_errors_only(gs.verify_opening, manager.public, MESSAGE, signature, tamper.draw(fz.junk))


@fz.CHEAP
@given(text=st.one_of(fz.junk, st.builds(fz.json_text, fz.json_values)), tamper=st.data())
def test_group_public_key_from_json(group, text, tamper):
    manager = group[0]
    fz.project_errors_only(gs.GroupPublicKey.from_json, text)
    edited = tamper.draw(fz.tampered_json(json.loads(manager.public.to_json())))
    fz.project_errors_only(gs.GroupPublicKey.from_json, fz.json_text(edited))
