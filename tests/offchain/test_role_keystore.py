"""offchain.keystore: named role secrets sealed under one passphrase (scrypt → AES-256-GCM)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offchain.errors import (
    InvalidInputError,
    KeystoreFormatError,
    OffchainError,
    TamperedKeystoreError,
    UnknownSecretError,
    WrongPassphraseError,
)
from offchain.keystore import KEYSTORE_FORMAT, MIN_SCRYPT_N, Keystore

FAST_N = MIN_SCRYPT_N  # the smallest cost allowed: keeps the tests quick
PASSPHRASE = "correct horse battery staple"
SECRETS = {"umbral-master": os.urandom(32), "group/member-key": os.urandom(200), "share:1": os.urandom(64)}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "role.keystore"
    Keystore.create(target, PASSPHRASE, secrets_by_name=SECRETS, public={"owner": "0xabc"}, scrypt_n=FAST_N)
    return target


def edit(path: Path, change) -> None:
    stored = json.loads(path.read_text())
    change(stored)
    path.write_text(json.dumps(stored))


def test_every_secret_reads_back_with_the_passphrase(path):
    store = Keystore.open(path, PASSPHRASE)
    assert store.names() == tuple(sorted(SECRETS))
    assert {name: store.get(name) for name in store.names()} == SECRETS
    assert store.public == {"owner": "0xabc"}


def test_the_file_follows_the_documented_format(path):
    stored = json.loads(path.read_text())
    assert (stored["format"], stored["version"], stored["cipher"]) == (KEYSTORE_FORMAT, 1, {"name": "AES-256-GCM"})
    assert stored["kdf"]["name"] == "scrypt" and stored["kdf"]["n"] == FAST_N
    assert stored["names"] == sorted(SECRETS) == sorted(stored["secrets"])
    nonces = {entry["nonce"] for entry in stored["secrets"].values()}
    assert len(nonces) == len(SECRETS)  # one nonce per secret


def test_no_secret_is_ever_on_disk_in_the_clear(path):
    raw = path.read_bytes()
    for secret in SECRETS.values():
        for encoding in (secret, secret.hex().encode(), secret.hex().upper().encode()):
            assert encoding[:16] not in raw


def test_a_wrong_passphrase_is_a_clear_error(path):
    with pytest.raises(WrongPassphraseError, match="does not open with this passphrase"):
        Keystore.open(path, "wrong horse")


def test_a_changed_salt_reads_as_a_wrong_passphrase(path):
    edit(path, lambda s: s["kdf"].update(salt="00" * 16))
    with pytest.raises(WrongPassphraseError):
        Keystore.open(path, PASSPHRASE)


@pytest.mark.parametrize("where", ["first byte", "tag"])
def test_a_changed_ciphertext_is_reported_as_tampering(path, where):
    def flip(stored):
        entry = stored["secrets"]["share:1"]
        data = bytearray.fromhex(entry["ciphertext"])
        data[0 if where == "first byte" else -1] ^= 1
        entry["ciphertext"] = data.hex()

    edit(path, flip)
    with pytest.raises(TamperedKeystoreError, match="share:1"):
        Keystore.open(path, PASSPHRASE)


def test_secrets_swapped_between_names_are_reported_as_tampering(path):
    def swap(stored):
        sealed = stored["secrets"]
        sealed["share:1"], sealed["umbral-master"] = sealed["umbral-master"], sealed["share:1"]

    edit(path, swap)
    with pytest.raises(TamperedKeystoreError):
        Keystore.open(path, PASSPHRASE)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["public"].update(owner="0xdef"),
        lambda s: s.update(purpose="something else"),
        lambda s: (s["names"].remove("share:1"), s["secrets"].pop("share:1")),
        lambda s: (s["names"].clear(), s["secrets"].clear()),
    ],
    ids=["public attribute", "purpose", "one secret removed", "every secret removed"],
)
def test_a_changed_header_is_reported_as_tampering(path, change):
    edit(path, change)
    with pytest.raises(TamperedKeystoreError, match="header"):
        Keystore.open(path, PASSPHRASE)


def test_a_secret_removed_but_still_listed_is_reported_as_tampering(path):
    edit(path, lambda s: s["secrets"].pop("share:1"))
    with pytest.raises(TamperedKeystoreError, match="not the ones the header lists"):
        Keystore.open(path, PASSPHRASE)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(version=2),
        lambda s: s.update(format="something-else"),
        lambda s: s["kdf"].update(n=1 << 30),
        lambda s: s.update(cipher={"name": "ChaCha20"}),
        lambda s: s["secrets"]["share:1"].update(nonce="00"),
        lambda s: s.pop("mac"),
    ],
    ids=["version", "format", "huge scrypt cost", "cipher", "short nonce", "no mac"],
)
def test_an_unknown_version_or_malformed_file_is_a_format_error(path, change):
    edit(path, change)
    with pytest.raises(KeystoreFormatError):
        Keystore.open(path, PASSPHRASE)


def test_a_file_that_is_not_json_is_a_format_error(tmp_path):
    target = tmp_path / "junk"
    target.write_bytes(b"\xff\x00 not json")
    with pytest.raises(KeystoreFormatError):
        Keystore.open(target, PASSPHRASE)


def test_an_unknown_secret_is_a_typed_error(path):
    store = Keystore.open(path, PASSPHRASE)
    with pytest.raises(UnknownSecretError, match="'nope'") as raised:
        store.get("nope")
    assert raised.value.name == "nope"
    with pytest.raises(UnknownSecretError):
        store.remove("nope")


def test_every_keystore_error_is_an_offchain_error():
    for error in (WrongPassphraseError, TamperedKeystoreError, KeystoreFormatError, UnknownSecretError):
        assert issubclass(error, OffchainError)


def test_put_and_remove_rewrite_the_file_with_fresh_nonces(path):
    store = Keystore.open(path, PASSPHRASE)
    before = json.loads(path.read_text())["secrets"]["umbral-master"]["nonce"]
    store.put("agency-manager", b"\x01" * 48)
    store.remove("share:1")
    reopened = Keystore.open(path, PASSPHRASE)
    assert reopened.names() == ("agency-manager", "group/member-key", "umbral-master")
    assert reopened.get("agency-manager") == b"\x01" * 48
    assert json.loads(path.read_text())["secrets"]["umbral-master"]["nonce"] != before


def test_a_crash_during_a_write_leaves_the_old_file_intact(path, monkeypatch):
    store = Keystore.open(path, PASSPHRASE)
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("power lost before the rename")

    monkeypatch.setattr("offchain.atomic_io.os.replace", crash)
    with pytest.raises(OSError, match="power lost"):
        store.put("agency-manager", b"\x02" * 32)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind
    assert Keystore.open(path, PASSPHRASE).names() == tuple(sorted(SECRETS))


@pytest.mark.parametrize(
    ("name", "secret", "passphrase", "scrypt_n"),
    [
        ("", b"x", PASSPHRASE, FAST_N),
        ("../escape", b"x", PASSPHRASE, FAST_N),
        ("ok", "not bytes", PASSPHRASE, FAST_N),
        ("ok", b"x", "", FAST_N),
        ("ok", b"x", PASSPHRASE, 1 << 10),
        ("ok", b"x", PASSPHRASE, FAST_N + 1),
    ],
    ids=["empty name", "bad name", "str secret", "empty passphrase", "weak cost", "cost not a power of two"],
)
def test_create_refuses_bad_names_secrets_passphrases_and_costs(tmp_path, name, secret, passphrase, scrypt_n):
    with pytest.raises(InvalidInputError):
        Keystore.create(tmp_path / "k", passphrase, secrets_by_name={name: secret}, scrypt_n=scrypt_n)
    assert not (tmp_path / "k").exists()


names = st.from_regex(r"[a-z0-9][a-z0-9._:/@-]{0,20}", fullmatch=True)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.dictionaries(names, st.binary(max_size=300), max_size=4), passphrase=st.text(min_size=1, max_size=40))
def test_any_secrets_round_trip_under_any_passphrase(tmp_path, entries, passphrase):
    target = tmp_path / "h.keystore"
    Keystore.create(target, passphrase, secrets_by_name=entries, scrypt_n=FAST_N)
    store = Keystore.open(target, passphrase)
    assert {name: store.get(name) for name in store.names()} == entries
