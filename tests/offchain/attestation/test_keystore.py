"""offchain.attestation.keystore: the attestation key sealed under a passphrase (an offchain.keystore file)."""

from __future__ import annotations

import json

import pytest

from offchain.attestation import WrongPassphraseError, generate_attestation_key, load_attestation_key, public_key_der
from offchain.attestation.keystore import save_attestation_key
from offchain.errors import InvalidInputError, KeystoreFormatError, TamperedKeystoreError
from offchain.keystore import Keystore

FAST_N = 1 << 14  # the smallest cost allowed: keeps the tests quick


@pytest.fixture(scope="module")
def key():
    return generate_attestation_key()


@pytest.fixture
def keystore(tmp_path, key):
    path = tmp_path / "ak.json"
    save_attestation_key(path, key, "correct horse", scrypt_n=FAST_N)
    return path


def test_a_saved_key_loads_back_with_its_passphrase(keystore, key):
    assert public_key_der(load_attestation_key(keystore, "correct horse")) == public_key_der(key)


def test_the_file_holds_no_private_key_in_the_clear(keystore, key):
    stored = json.loads(keystore.read_text())
    assert (stored["format"], stored["version"], stored["kdf"]["name"], stored["cipher"]["name"]) == (
        "datashare-keystore",
        1,
        "scrypt",
        "AES-256-GCM",
    )
    assert (stored["purpose"], stored["names"]) == ("datashare attestation key", ["attestation-key"])
    assert stored["public"] == {"curve": "P-256", "public_key": public_key_der(key).hex()}
    assert "PRIVATE" not in keystore.read_text()


def test_a_wrong_passphrase_is_refused(keystore):
    with pytest.raises(WrongPassphraseError):
        load_attestation_key(keystore, "wrong horse")


def test_a_modified_public_key_is_reported_as_tampering(keystore, tmp_path):
    stored = json.loads(keystore.read_text())
    stored["public"]["public_key"] = public_key_der(generate_attestation_key()).hex()
    keystore.write_text(json.dumps(stored))
    with pytest.raises(TamperedKeystoreError):
        load_attestation_key(keystore, "correct horse")


def test_an_unknown_version_is_refused(keystore):
    stored = json.loads(keystore.read_text())
    stored["version"] = 2
    keystore.write_text(json.dumps(stored))
    with pytest.raises(InvalidInputError, match="version 2"):
        load_attestation_key(keystore, "correct horse")


def test_saving_replaces_the_file_whole_and_leaves_no_temporary(tmp_path, key):
    path = tmp_path / "ak.json"
    save_attestation_key(path, key, "one", scrypt_n=FAST_N)
    save_attestation_key(path, key, "two", scrypt_n=FAST_N)
    assert [p.name for p in tmp_path.iterdir()] == ["ak.json"]
    assert public_key_der(load_attestation_key(path, "two")) == public_key_der(key)


@pytest.mark.parametrize(("passphrase", "scrypt_n"), [("", FAST_N), ("p", 1 << 10), ("p", FAST_N + 1)])
def test_save_refuses_an_empty_passphrase_or_a_weak_cost(tmp_path, key, passphrase, scrypt_n):
    with pytest.raises(InvalidInputError):
        save_attestation_key(tmp_path / "ak.json", key, passphrase, scrypt_n=scrypt_n)


def test_a_keystore_for_another_purpose_is_not_an_attestation_key(tmp_path):
    path = tmp_path / "other.json"
    Keystore.create(path, "correct horse", secrets_by_name={"attestation-key": b"x"}, scrypt_n=FAST_N)
    with pytest.raises(KeystoreFormatError, match="not an attestation key"):
        load_attestation_key(path, "correct horse")
