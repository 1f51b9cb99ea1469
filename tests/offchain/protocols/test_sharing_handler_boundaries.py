"""The sharing roles' handlers take requests and answers from other parties, any of whom may be
malicious: a storage server and proxies (:class:`CloudServer`) take uploads, kfrag deliveries,
downloads, re-encryption requests and challenges; an auditor, an owner and a buyer take what
servers and proxies answer. Each raises only the toolkit's own errors on malformed input (issue
12), and never accepts a changed request or answer.

The chain is replaced by :class:`FakeRegistry` (the real client's validators and record types,
in dicts) so that each handler runs hundreds of examples in seconds.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.chain.signing import sign_digest
from offchain.crypto import group_signature as gs
from offchain.crypto import pre
from offchain.crypto.merkle import MerkleTree
from offchain.errors import VerificationError
from offchain.protocols import Auditor, AuditReport, Buyer, CloudServer, DataOwner, FileKeys, retrieve_checked
from offchain.protocols.cloud_server import (
    AuditResponse,
    anonymous_upload_message,
    kfrag_delivery_message,
    upload_message,
)
from offchain.storage.filesystem import FilesystemBlobStore
from tests.helpers import high_s_twin
from tests.offchain import fuzzing as fz
from tests.offchain.protocols.fake_registry import FakeRegistry

CONTENT = b"patient record " * 40
BLOCK_SIZE = 64
#: Handlers that verify signatures or re-encrypt (a few ms each).
HANDLERS = settings(fz.CHEAP, max_examples=150)
#: Well-formed addresses of nobody in particular.
addresses = st.builds(lambda raw: "0x" + raw.hex(), st.binary(min_size=20, max_size=20))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An owner's file stored on a server and granted to a buyer through one proxy."""
    registry = FakeRegistry()
    store = FilesystemBlobStore(tmp_path_factory.mktemp("blobs"))
    server, proxy = CloudServer("storage", store, registry), CloudServer("proxy", store, registry)
    owner = DataOwner(Account.create(), registry)
    receipt = owner.upload(CONTENT, server, block_size=BLOCK_SIZE)
    buyer = Buyer(Account.create(), registry)
    owner.grant(receipt.registration.file_id, buyer.recipient, [proxy], threshold=1)
    return {
        "registry": registry,
        "store": store,
        "server": server,
        "proxy": proxy,
        "owner": owner,
        "buyer": buyer,
        "receipt": receipt,
        "file_id": receipt.registration.file_id,
    }


def bytes_like(valid: bytes) -> st.SearchStrategy[object]:
    """Junk, or ``valid`` tampered with."""
    return st.one_of(fz.junk, fz.tampered_bytes(valid))


# ---- CloudServer: uploads -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def upload(world):
    """The arguments of the owner's (already accepted) upload, rebuilt."""
    server, file_id = world["server"], world["file_id"]
    record = world["registry"].get_file(file_id)
    stored = server._files[file_id]
    signed = upload_message(
        file_id=file_id,
        version=record.version,
        ciphertext_hash=record.ciphertext_hash,
        merkle_root=record.merkle_root,
        capsule_hash=world["receipt"].metadata.capsule_hash,
    )
    return {
        "file_id": file_id,
        "ciphertext": world["store"].get(stored.blob_locator),
        "sealed_key": stored.sealed_key,
        "owner_signature": sign_digest(world["owner"].account, signed),
    }


def test_cloud_server_refuses_an_upload_under_the_high_s_twin_of_the_owners_signature(world, upload):
    twin = high_s_twin(upload["owner_signature"])
    with pytest.raises(VerificationError, match="not canonical"):
        world["server"].store_file(**{**upload, "owner_signature": twin})


@HANDLERS
@given(field=st.sampled_from(["file_id", "ciphertext", "sealed_key", "owner_signature"]), tamper=st.data())
def test_cloud_server_store_file_refuses_a_malformed_upload(world, upload, field, tamper):
    valid = upload[field]
    changed = tamper.draw(bytes_like(valid.to_bytes() if field == "sealed_key" else valid))
    if field == "sealed_key" and isinstance(changed, bytes):
        changed = fz.project_errors_only(pre.SealedKey.from_bytes, changed)
    result = fz.project_errors_only(world["server"].store_file, **{**upload, field: changed})
    assert result is fz.REFUSED or changed == valid


@pytest.fixture(scope="module")
def anonymous_upload():
    manager = gs.GroupManager(gs.generate_group(1024))
    member = gs.join(manager)
    ciphertext = secrets.token_bytes(300)
    file_id = secrets.token_bytes(32)
    tree = MerkleTree.from_bytes(ciphertext, BLOCK_SIZE)
    return {
        "file_id": file_id,
        "ciphertext": ciphertext,
        "block_size": BLOCK_SIZE,
        "sealed_key": pre.seal(pre.KeyPair.generate().public_key, bytes(96)),
        "group": manager.public,
        "signature": gs.sign(member, anonymous_upload_message(file_id, tree.root, tree.size)),
    }


@HANDLERS
@given(
    field=st.sampled_from(["file_id", "ciphertext", "block_size", "sealed_key", "group", "signature"]),
    tamper=st.data(),
)
def test_cloud_server_store_anonymous_refuses_a_malformed_upload(world, anonymous_upload, field, tamper):
    valid = anonymous_upload[field]
    if field in ("file_id", "ciphertext"):
        changed = tamper.draw(bytes_like(valid))
    elif field == "signature":
        encoded = tamper.draw(bytes_like(valid.to_bytes()))
        changed = fz.project_errors_only(gs.GroupSignature.from_bytes, encoded)
        changed = encoded if changed is fz.REFUSED else changed
    elif field == "block_size":
        changed = tamper.draw(st.one_of(fz.junk, fz.integers))
    else:
        changed = tamper.draw(fz.junk)
    fresh = CloudServer("fresh", world["store"], world["registry"])
    result = fz.project_errors_only(fresh.store_anonymous, **{**anonymous_upload, field: changed})
    # The capsule of an anonymous upload is bound by the agency's record, not by the signature.
    assert result is fz.REFUSED or changed == valid or (field == "sealed_key" and isinstance(changed, pre.SealedKey))


# ---- CloudServer: downloads, capsules, challenges -----------------------------------------------


@HANDLERS
@given(tamper=st.data())
def test_cloud_server_fetch_refuses_a_wrong_file_id_or_token(world, tamper):
    file_id, token = world["file_id"], world["receipt"].keys.download_token
    asked_id, asked_token = tamper.draw(bytes_like(file_id)), tamper.draw(bytes_like(token))
    result = fz.project_errors_only(world["server"].fetch, asked_id, asked_token)
    assert result is fz.REFUSED or (asked_id, asked_token) == (file_id, token)


@fz.CHEAP
@given(tamper=st.data())
def test_cloud_server_sealed_key_refuses_an_unknown_file_id(world, tamper):
    asked = tamper.draw(bytes_like(world["file_id"]))
    result = fz.project_errors_only(world["server"].sealed_key, asked)
    assert result is fz.REFUSED or asked == world["file_id"]


@fz.CHEAP
@given(
    indices=st.one_of(fz.junk, st.lists(st.one_of(fz.junk, st.integers(-3, 30), fz.integers), max_size=4)),
    tamper=st.data(),
)
def test_cloud_server_answer_challenge_refuses_a_malformed_challenge(world, indices, tamper):
    asked = tamper.draw(st.one_of(st.just(world["file_id"]), bytes_like(world["file_id"])))
    answers = fz.project_errors_only(world["server"].answer_challenge, asked, indices)
    if answers is not fz.REFUSED:
        assert asked == world["file_id"]
        assert all(isinstance(answer, AuditResponse) for answer in answers)


# ---- CloudServer: proxy re-encryption ------------------------------------------------------------


@pytest.fixture(scope="module")
def delivery(world):
    """A kfrag delivery the owner makes for a second proxy (accepted nowhere yet)."""
    owner, buyer, file_id = world["owner"], world["buyer"], world["file_id"]
    grant = world["registry"].get_grant(file_id, buyer.address)
    kfrag = pre.generate_kfrags(
        delegating_sk=owner.file_keypair(file_id).secret_key,
        receiving_pk=buyer.keys.public_key,
        signer_sk=owner.signer.secret_key,
        threshold=1,
        shares=1,
    )[0]
    signed = kfrag_delivery_message(
        server="fresh", file_id=file_id, grantee=buyer.address, kfrag=kfrag, granted_at=grant.granted_at
    )
    return {
        "file_id": file_id,
        "grantee": buyer.address,
        "kfrag": kfrag,
        "receiving_pk": buyer.keys.public_key,
        "verifying_pk": owner.signer.public_key,
        "threshold": 1,
        "shares": 1,
        "owner_signature": sign_digest(owner.account, signed),
    }


@HANDLERS
@given(field=st.sampled_from(["file_id", "grantee", "kfrag", "receiving_pk", "verifying_pk", "threshold",
                              "shares", "owner_signature"]), tamper=st.data())  # fmt: skip
def test_cloud_server_accept_kfrag_refuses_a_malformed_delivery(world, delivery, field, tamper):
    valid = delivery[field]
    if isinstance(valid, bytes):
        changed = tamper.draw(bytes_like(valid))
    elif isinstance(valid, str):
        changed = tamper.draw(st.one_of(fz.junk, addresses))
    elif isinstance(valid, int):
        changed = tamper.draw(st.one_of(fz.junk, fz.integers))
    else:
        changed = tamper.draw(st.one_of(fz.junk, st.builds(lambda: pre.KeyPair.generate().public_key)))
    fresh = CloudServer("fresh", world["store"], world["registry"])
    result = fz.project_errors_only(fresh.accept_kfrag, **{**delivery, field: changed})
    assert result is fz.REFUSED or changed == valid


@HANDLERS
@given(field=st.sampled_from(["file_id", "grantee", "sealed"]), tamper=st.data())
def test_cloud_server_reencrypt_refuses_a_malformed_request(world, field, tamper):
    file_id = world["file_id"]
    request = {"file_id": file_id, "grantee": world["buyer"].address, "sealed": world["server"].sealed_key(file_id)}
    valid = request[field]
    if field == "sealed":
        encoded = tamper.draw(bytes_like(valid.to_bytes()))
        parsed = fz.project_errors_only(pre.SealedKey.from_bytes, encoded)
        changed = encoded if parsed is fz.REFUSED else parsed
    elif field == "grantee":
        changed = tamper.draw(st.one_of(fz.junk, st.just(world["owner"].address)))
    else:
        changed = tamper.draw(bytes_like(valid))
    result = fz.project_errors_only(world["proxy"].reencrypt, **{**request, field: changed})
    assert result is fz.REFUSED or changed == valid or field == "sealed"  # a proxy re-encrypts any capsule


# ---- readers of what servers answer ---------------------------------------------------------------


class LyingServer:
    """A server whose every answer is drawn by hypothesis (junk, or the honest answer tampered with)."""

    def __init__(self, honest: CloudServer, draw, keys: FileKeys) -> None:
        self.name, self._honest, self._draw, self._keys = "liar", honest, draw, keys

    def answer_challenge(self, file_id, indices):
        honest = self._honest.answer_challenge(file_id, indices)
        answer = st.one_of(
            fz.junk,
            st.builds(AuditResponse, st.one_of(fz.junk, st.integers(-2, 20)), bytes_like(honest[0].block), fz.junk),
            st.sampled_from(honest).flatmap(
                lambda a: st.builds(lambda block: replace(a, block=block), bytes_like(a.block))
            ),
        )
        return self._draw(st.one_of(fz.junk, st.lists(answer, max_size=len(honest) + 1)))

    def sealed_key(self, file_id):
        honest = self._honest.sealed_key(file_id)
        encoded = self._draw(bytes_like(honest.to_bytes()))
        parsed = fz.project_errors_only(pre.SealedKey.from_bytes, encoded)
        return self._draw(st.one_of(fz.junk, st.just(encoded if parsed is fz.REFUSED else parsed)))

    def fetch(self, file_id, download_token, *, max_bytes=None):
        return self._draw(bytes_like(self._honest.fetch(file_id, download_token)))

    def reencrypt(self, file_id, grantee, sealed):
        return self._draw(st.one_of(fz.junk, st.binary(max_size=300)))


@HANDLERS
@given(data=st.data())
def test_auditor_audit_fails_a_server_that_answers_junk(world, data):
    liar = LyingServer(world["server"], data.draw, world["receipt"].keys)
    report = fz.project_errors_only(Auditor(world["registry"]).audit, world["file_id"], liar, k=3)
    assert isinstance(report, AuditReport)  # a bad answer is a failed audit, never an exception


@HANDLERS
@given(file_id=st.one_of(fz.junk, st.binary(min_size=32, max_size=32)), k=st.one_of(fz.junk, st.integers(-2, 40)),
       nonce=st.one_of(fz.junk, st.none()))  # fmt: skip
def test_auditor_audit_refuses_malformed_arguments(world, file_id, k, nonce):
    fz.project_errors_only(Auditor(world["registry"]).audit, file_id, world["server"], k=k, nonce=nonce)


@HANDLERS
@given(data=st.data())
def test_retrieve_checked_refuses_a_source_that_serves_a_changed_ciphertext(world, data):
    liar = LyingServer(world["server"], data.draw, world["receipt"].keys)
    result = fz.project_errors_only(retrieve_checked, world["registry"], liar, world["file_id"], world["receipt"].keys)
    assert result is fz.REFUSED or result[0] == CONTENT


@HANDLERS
@given(keys=fz.junk)
def test_retrieve_checked_refuses_keys_that_are_not_file_keys(world, keys):
    result = fz.project_errors_only(retrieve_checked, world["registry"], world["server"], world["file_id"], keys)
    assert result is fz.REFUSED


@HANDLERS
@given(tamper=st.data())
def test_retrieve_checked_refuses_a_wrong_file_id(world, tamper):
    file_id = tamper.draw(bytes_like(world["file_id"]))
    keys = world["receipt"].keys
    result = fz.project_errors_only(retrieve_checked, world["registry"], world["server"], file_id, keys)
    assert result is fz.REFUSED or file_id == world["file_id"]


@HANDLERS
@given(data=st.data())
def test_data_owner_download_refuses_a_server_that_answers_junk(world, data):
    liar = LyingServer(world["server"], data.draw, world["receipt"].keys)
    result = fz.project_errors_only(world["owner"].download, liar, world["file_id"])
    assert result is fz.REFUSED or result == CONTENT


@HANDLERS
@given(data=st.data())
def test_buyer_open_keys_refuses_servers_and_proxies_that_answer_junk(world, data):
    liar = LyingServer(world["server"], data.draw, world["receipt"].keys)
    storage = data.draw(st.sampled_from([world["server"], liar]))
    keys = fz.project_errors_only(
        world["buyer"].open_keys,
        world["file_id"],
        storage=storage,
        proxies=[liar, world["proxy"]][: data.draw(st.integers(1, 2))],
        threshold=1,
        verifying_pk=world["owner"].signer.public_key,
    )
    assert keys is fz.REFUSED or keys == world["receipt"].keys


@HANDLERS
@given(field=st.sampled_from(["file_id", "threshold", "verifying_pk"]), tamper=st.data())
def test_buyer_open_keys_refuses_malformed_arguments(world, field, tamper):
    request = {"file_id": world["file_id"], "threshold": 1, "verifying_pk": world["owner"].signer.public_key}
    valid = request[field]
    if field == "file_id":
        changed = tamper.draw(bytes_like(valid))
    elif field == "threshold":
        changed = tamper.draw(st.one_of(fz.junk, fz.integers))
    else:
        changed = tamper.draw(st.one_of(fz.junk, st.builds(lambda: pre.KeyPair.generate().public_key)))
    arguments = {**request, field: changed, "storage": world["server"], "proxies": [world["proxy"]]}
    keys = fz.project_errors_only(world["buyer"].open_keys, arguments.pop("file_id"), **arguments)
    assert keys is fz.REFUSED or changed == valid
