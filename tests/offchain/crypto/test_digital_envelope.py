"""offchain.crypto.digital_envelope: data under AES-256-GCM or SM4-GCM, the key wrapped to the
receiver's P-256 key (ECIES); known-answer tests for SM4 and SM4-GCM; negative tests."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from offchain.crypto.digital_envelope import (
    DigitalEnvelope,
    EnvelopeCipher,
    generate_receiver_key,
    open_envelope,
    seal,
    sm4_gcm_available,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)
from offchain.errors import InvalidInputError, VerificationError

FILE_ID = b"\x42" * 32
PLAINTEXT = b"heart rate 72; spo2 98" * 10
CIPHERS = list(EnvelopeCipher)


@pytest.fixture(scope="module")
def receiver():
    return generate_receiver_key()


def test_sm4_block_cipher_known_answer_gb_t_32907_2016():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (encryptor.update(key) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_known_answer_rfc_8998_appendix_a1():
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex("AA" * 8 + "BB" * 8 + "CC" * 8 + "DD" * 8 + "EE" * 8 + "FF" * 8 + "EE" * 8 + "AA" * 8)
    sealed = sm4_gcm_encrypt(key, nonce, plaintext, aad)
    assert sealed[:-16].hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert sealed[-16:].hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"
    assert sm4_gcm_decrypt(key, nonce, sealed, aad) == plaintext
    assert sm4_gcm_available()


@pytest.mark.parametrize("cipher", CIPHERS, ids=[c.name for c in CIPHERS])
def test_an_envelope_opens_for_its_receiver(receiver, cipher):
    envelope = seal(PLAINTEXT, receiver.public_key(), file_id=FILE_ID, cipher=cipher)
    assert envelope.cipher is cipher
    assert open_envelope(envelope.to_bytes(), receiver, file_id=FILE_ID) == PLAINTEXT
    assert DigitalEnvelope.from_bytes(envelope.to_bytes()) == envelope


@pytest.mark.parametrize("cipher", CIPHERS, ids=[c.name for c in CIPHERS])
def test_another_receivers_key_does_not_open_it(receiver, cipher):
    envelope = seal(PLAINTEXT, receiver.public_key(), file_id=FILE_ID, cipher=cipher)
    with pytest.raises(VerificationError, match="does not unwrap"):
        open_envelope(envelope, generate_receiver_key(), file_id=FILE_ID)


@pytest.mark.parametrize("cipher", CIPHERS, ids=[c.name for c in CIPHERS])
def test_another_file_id_does_not_open_it(receiver, cipher):
    envelope = seal(PLAINTEXT, receiver.public_key(), file_id=FILE_ID, cipher=cipher)
    with pytest.raises(VerificationError):
        open_envelope(envelope, receiver, file_id=b"\x43" * 32)


@pytest.mark.parametrize("cipher", CIPHERS, ids=[c.name for c in CIPHERS])
@pytest.mark.parametrize("where", ["ephemeral key", "wrapped key", "payload", "last byte"])
def test_a_tampered_envelope_is_refused(receiver, cipher, where):
    data = bytearray(seal(PLAINTEXT, receiver.public_key(), file_id=FILE_ID, cipher=cipher).to_bytes())
    position = {
        "ephemeral key": 8 + 10,
        "wrapped key": 8 + 65 + 1,
        "payload": 8 + 65 + cipher.key_bytes + 16 + 20,
        "last byte": len(data) - 1,
    }[where]
    data[position] ^= 0x01
    with pytest.raises(VerificationError):
        open_envelope(bytes(data), receiver, file_id=FILE_ID)


def test_a_swapped_cipher_byte_is_refused(receiver):
    data = bytearray(seal(PLAINTEXT, receiver.public_key(), file_id=FILE_ID).to_bytes())
    data[7] = int(EnvelopeCipher.SM4_GCM)
    with pytest.raises(VerificationError):
        open_envelope(bytes(data), receiver, file_id=FILE_ID)


@pytest.mark.parametrize(
    "data", [b"", b"DSDENV", b"DSDENV\x02\x01", b"DSDENV\x01\x09" + b"\x00" * 200, b"DSDENV\x01\x01" + b"\x00" * 10]
)
def test_malformed_envelopes_are_refused(data):
    with pytest.raises(VerificationError):
        DigitalEnvelope.from_bytes(data)


@pytest.mark.parametrize(
    "ephemeral",
    [b"\x04" + b"\xff" * 64, b"\x00" * 65, b"\x02" + b"\x11" * 64, b"\x04" + b"\x00" * 64],
    ids=["off the curve", "zeros", "compressed prefix", "origin"],
)
def test_an_ephemeral_key_that_is_no_p256_point_is_refused(receiver, ephemeral):
    data = seal(PLAINTEXT, receiver.public_key(), file_id=FILE_ID).to_bytes()
    with pytest.raises(VerificationError, match="not a P-256 point"):
        open_envelope(data[:8] + ephemeral + data[8 + 65 :], receiver, file_id=FILE_ID)


def test_another_valid_ephemeral_key_does_not_unwrap_the_data_key(receiver):
    data = seal(PLAINTEXT, receiver.public_key(), file_id=FILE_ID).to_bytes()
    other = seal(PLAINTEXT, receiver.public_key(), file_id=FILE_ID).ephemeral_pk
    with pytest.raises(VerificationError, match="does not unwrap"):
        open_envelope(data[:8] + other + data[8 + 65 :], receiver, file_id=FILE_ID)


@pytest.mark.parametrize("data", ["DSDENV", None, 7])
def test_an_envelope_that_is_not_bytes_is_refused(data):
    with pytest.raises(InvalidInputError, match="an envelope is bytes"):
        DigitalEnvelope.from_bytes(data)


def test_seal_refuses_a_plaintext_that_is_not_bytes(receiver):
    with pytest.raises(InvalidInputError, match="plaintext must be bytes"):
        seal("text", receiver.public_key(), file_id=FILE_ID)


def test_seal_refuses_a_key_of_another_curve():
    with pytest.raises(InvalidInputError, match="P-256"):
        seal(PLAINTEXT, ec.generate_private_key(ec.SECP384R1()).public_key(), file_id=FILE_ID)


@pytest.mark.parametrize("key", [ec.generate_private_key(ec.SECP384R1()), b"\x01" * 32], ids=["P-384", "bytes"])
def test_open_refuses_a_receiving_key_that_is_not_p256(receiver, key):
    data = seal(PLAINTEXT, receiver.public_key(), file_id=FILE_ID).to_bytes()
    with pytest.raises(InvalidInputError, match="P-256"):
        open_envelope(data, key, file_id=FILE_ID)


def test_seal_refuses_a_bad_file_id(receiver):
    with pytest.raises(InvalidInputError):
        seal(PLAINTEXT, receiver.public_key(), file_id=b"")


def test_sm4_refuses_a_wrong_key_size():
    with pytest.raises(InvalidInputError):
        sm4_gcm_encrypt(b"\x00" * 32, b"\x00" * 12, b"", b"")
