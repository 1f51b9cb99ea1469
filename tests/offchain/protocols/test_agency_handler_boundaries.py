"""An agency records its members' anonymous uploads (Huang et al. 2020 §3.4) and anyone checks a
published trace opening (§3.5): :meth:`Agency.accept_upload` takes an upload from a member and
blocks from a storage server, :func:`check_published_opening` a group key and a signature from
whoever asks. Both raise only the toolkit's own errors on malformed input (issue 12), and the
agency records nothing that does not check.

The chain is replaced by :class:`FakeConsortium` (records kept in a list, no ballot at all) and
:class:`FakeRegistry`.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.chain.contracts import MAX_UINT256, require_uint
from offchain.crypto import group_signature as gs
from offchain.errors import UnknownBallotError
from offchain.protocols import CloudServer, GroupMember, check_published_opening
from offchain.protocols.agency import Agency
from offchain.protocols.cloud_server import AuditResponse
from offchain.storage.filesystem import FilesystemBlobStore
from tests.offchain import fuzzing as fz
from tests.offchain.protocols.fake_registry import FakeRegistry

#: Each example verifies a group signature at 1024 bits (a few ms) or rebuilds a Merkle tree.
UPLOADS = settings(fz.COSTLY, max_examples=60)


class FakeConsortium:
    """Records submissions; knows no ballot."""

    def __init__(self):
        self.records = []

    def submit_record(self, **fields):
        self.records.append(fields)
        return fields

    def get_ballot(self, ballot_id):
        raise UnknownBallotError(require_uint(ballot_id, "ballot_id", low=0, high=MAX_UINT256))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    consortium = FakeConsortium()
    agency = Agency("hospital", gs.generate_group(1024), Account.create(), consortium)
    identity = Account.create()
    agency.admit(identity.address)
    member = GroupMember.join(agency, identity)
    server = CloudServer("storage", FilesystemBlobStore(tmp_path_factory.mktemp("blobs")), FakeRegistry())
    upload, _ = member.upload(b"anonymous record " * 30, server, block_size=64)
    return {"agency": agency, "consortium": consortium, "server": server, "upload": upload}


def changed(draw, value):
    if isinstance(value, bytes):
        return draw(st.one_of(fz.junk, fz.tampered_bytes(value)))
    if isinstance(value, gs.GroupSignature):
        encoded = draw(fz.tampered_bytes(value.to_bytes()))
        parsed = fz.project_errors_only(gs.GroupSignature.from_bytes, encoded)
        return draw(st.one_of(fz.junk, st.just(encoded if parsed is fz.REFUSED else parsed)))
    if isinstance(value, int):
        return draw(st.one_of(fz.junk, fz.integers, st.integers(-2, value + 2)))
    return draw(st.one_of(fz.junk, st.text(max_size=20)))


@UPLOADS
@given(
    field=st.sampled_from(["file_id", "merkle_root", "block_count", "block_size", "group", "signature"]),
    tamper=st.data(),
)
def test_agency_accept_upload_refuses_a_malformed_or_tampered_upload(world, field, tamper):
    valid = world["upload"]
    value = changed(tamper.draw, getattr(valid, field))
    recorded = len(world["consortium"].records)
    result = fz.project_errors_only(world["agency"].accept_upload, replace(valid, **{field: value}), world["server"])
    if result is fz.REFUSED:
        assert len(world["consortium"].records) == recorded
    else:  # a larger block size than the blocks need still rebuilds the root
        assert value == getattr(valid, field) or (field == "block_size" and value >= valid.block_size)


@fz.CHEAP
@given(upload=fz.junk)
def test_agency_accept_upload_refuses_what_is_not_an_upload(world, upload):
    assert fz.project_errors_only(world["agency"].accept_upload, upload, world["server"]) is fz.REFUSED


class LyingServer:
    """A storage server whose answers to the agency's challenge are drawn by hypothesis."""

    def __init__(self, honest, draw):
        self._honest, self._draw = honest, draw

    def answer_challenge(self, file_id, indices):
        honest = self._honest.answer_challenge(file_id, indices)
        answer = st.one_of(
            fz.junk,
            st.sampled_from(honest).flatmap(
                lambda a: st.builds(
                    lambda block: replace(a, block=block), st.one_of(fz.junk, fz.tampered_bytes(a.block))
                )
            ),
        )
        return self._draw(st.one_of(fz.junk, st.lists(answer, max_size=len(honest) + 1), st.just(honest)))


@UPLOADS
@given(data=st.data())
def test_agency_accept_upload_refuses_blocks_that_do_not_rebuild_the_signed_root(world, data):
    liar = LyingServer(world["server"], data.draw)
    result = fz.project_errors_only(world["agency"].accept_upload, world["upload"], liar)
    if result is not fz.REFUSED:
        honest = world["server"].answer_challenge(world["upload"].file_id, tuple(range(world["upload"].block_count)))
        assert all(isinstance(a, AuditResponse) for a in honest)


@fz.CHEAP
@given(ballot_id=st.one_of(fz.junk, fz.integers), group=fz.junk, signature=fz.junk)
def test_check_published_opening_refuses_a_malformed_request(world, ballot_id, group, signature):
    public = world["agency"].public
    valid_signature = world["upload"].signature
    consortium = world["consortium"]
    assert fz.project_errors_only(check_published_opening, consortium, ballot_id, public, valid_signature) is fz.REFUSED
    assert fz.project_errors_only(check_published_opening, consortium, 1, group, valid_signature) is fz.REFUSED
    assert fz.project_errors_only(check_published_opening, consortium, 1, public, signature) is fz.REFUSED
