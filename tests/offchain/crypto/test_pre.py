"""offchain.crypto.pre: Umbral re-encryption of the data key; round trips, one negative test per precondition."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
import umbral_pre
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto.pre import (
    MAX_SHARES,
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    KeyPair,
    SealedKey,
    VerifiedCFrag,
    VerifiedKFrag,
    generate_kfrags,
    open_reencrypted,
    open_sealed,
    public_key_from_bytes,
    public_key_to_bytes,
    reencrypt,
    seal,
    sign,
    verify_cfrag,
    verify_kfrag,
    verify_signature,
)
from offchain.errors import InvalidInputError, OffchainError, VerificationError

DATA_KEY = bytes(range(100, 132))  # stands in for an envelope's 32-byte data key
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def fixed_key_pair(label: bytes) -> KeyPair:
    return KeyPair.from_secret_bytes(hashlib.sha256(label).digest())


# Regression vector, made once with umbral-pre 0.11.0 from the fixed keys below: DATA
# sealed to the owner, and the cfrags of proxies 0 and 1 of a 2-of-3 grant to the buyer.
# It pins the serialised formats (ours and Umbral's) against silent changes on upgrade.
VECTOR_OWNER = fixed_key_pair(b"datashare/test/owner")
VECTOR_BUYER = fixed_key_pair(b"datashare/test/buyer")
VECTOR_SIGNER = fixed_key_pair(b"datashare/test/signer")
VECTOR_PAYLOAD = bytes(range(32))
VECTOR_SEALED = bytes.fromhex(
    "445350524501006993c42102b1f2a29284e0c490278f30c78d08708ea95e2acac61a57890e395a691656c3f9c42102cd"
    "5d52f38ea38a9777194da9df5892a656166457de26542bf9d1618535bc5224c420d1e0026aa3e2bbdd165b9fef488e19"
    "b8dc3680fe8913353b541cd6f2b87d5225c525dea4071e8e809ed7296f7531c564ed7283c25cd32bf7ae91da4d09ce76"
    "cda5705e3b2e8c09b9afc6d8360ada6f86f5b6e132feb62ad5150cb46e9af85e3f7341e7ccabb447a5"
)
VECTOR_CFRAG_0 = bytes.fromhex(
    "95c4210267a7cde261847e7d0aa5584b3a84c7ae917c06b061e31f9d69dd7ef5c4ff5de9c4210394621e320f00445f63"
    "606421d6a5f827520bd270c3e344afeacf0801779c06ebc420b5bda491dcfe427ff2ad7a4a188379acd79bb7d05fd171"
    "866264d809bf771dfec42103309eecd1a13b67845c4185a9ac9ee0af3a8175bfaa89c0e7cb84cfee097a59b896c42103"
    "b3bbd426f49acfbb704065d4e2244ee75f08c672e1ac4c936de955f6edba3ab8c421033b81b570cb2adea23135ea2567"
    "79e3752312eafee2db4cb140e7de3e0963a5d5c4210355f794f1c4f26418f4c27144a95b16570621518008336d20e2d8"
    "9c1086651fccc421036aecdab4fe04507d793323cc8b93ac15a96c7d513d413aadd9a004d0f3018076c42062631956a7"
    "e99ba860773dba8825520b3558ddfc504908d44c0dd595d929ac9ec44031b82e3bcba9096a92b529407282f95a294296"
    "fefac31c9cabde4b35cc4b80e42e2fe22f0f8522674534daaeff7ead3cd25d20704f721abf6334497760221da0"
)
VECTOR_CFRAG_1 = bytes.fromhex(
    "95c421035f967d238b1d3686cf5f8df89dde6b142496b897d05d8d5e4fd993e8f916bcefc42103d688ae915de13d9c4e"
    "93a63f0be92e52e567d21e6190420d39d91cde20c6ade2c420566a3cca17bb0a7691692ea9843c2a2214b8dd8a4e1e24"
    "3cf25def486d259579c42103309eecd1a13b67845c4185a9ac9ee0af3a8175bfaa89c0e7cb84cfee097a59b896c42102"
    "f6cbf94387de34e805f3b7414965b6addda6799309e01c73e929fe0ffa8f1b34c421037147ac4fc6622b967a2d70a96b"
    "239f25efeae09a77df943ed773a7a99bf4278ac4210389cd1fbcba754ef43086bdf54536df34e2fe5cfac9bbf2e2dd01"
    "44152d65d174c42102f2b0eafd1f821817777aff482237b3c3c363ff7981711b89b0997dd46febda75c4208354a56438"
    "12a2caa03fbf809ece3151922caf3840a66e13ccc8a1f269f59f66c440db5034fadab5155fc2c437607baf82e4f13590"
    "627a27a0836d625047d73fb7204f0c16de87600370acb10755ad5cf09af99ac8c98dd06fa87a6a913e0382a8f3"
)

# --- roles --------------------------------------------------------------------------------------
# Named *_keys so that they do not shadow the Brownie account fixtures (`owner`, ...).


@pytest.fixture
def owner_keys() -> KeyPair:
    """The data owner's delegating key pair (Alice)."""
    return KeyPair.generate()


@pytest.fixture
def signer_keys() -> KeyPair:
    """The owner's signing key pair; its public key is what proxies and the buyer verify against."""
    return KeyPair.generate()


@pytest.fixture
def buyer_keys() -> KeyPair:
    """The receiver of a grant (Bob)."""
    return KeyPair.generate()


@pytest.fixture
def stranger_keys() -> KeyPair:
    """Someone with no grant."""
    return KeyPair.generate()


@pytest.fixture
def sealed(owner_keys: KeyPair) -> SealedKey:
    return seal(owner_keys.public_key, DATA_KEY)


def grant(owner: KeyPair, receiver: KeyPair, signer: KeyPair, threshold: int, shares: int) -> list[bytes]:
    """The serialised kfrags of a grant from ``owner`` to ``receiver``, signed by ``signer``."""
    return generate_kfrags(
        delegating_sk=owner.secret_key,
        receiving_pk=receiver.public_key,
        signer_sk=signer.secret_key,
        threshold=threshold,
        shares=shares,
    )


def proxy_reencrypts(kfrag: bytes, sealed: SealedKey, owner: KeyPair, receiver: KeyPair, signer: KeyPair) -> bytes:
    """What one proxy does: verify its kfrag, then re-encrypt the capsule."""
    verified = verify_kfrag(
        kfrag, delegating_pk=owner.public_key, receiving_pk=receiver.public_key, verifying_pk=signer.public_key
    )
    return reencrypt(sealed, verified)


def receiver_verifies(
    cfrag: bytes, sealed: SealedKey, owner: KeyPair, receiver: KeyPair, signer: KeyPair
) -> VerifiedCFrag:
    return verify_cfrag(
        cfrag,
        sealed=sealed,
        delegating_pk=owner.public_key,
        receiving_pk=receiver.public_key,
        verifying_pk=signer.public_key,
    )


def buyer_cfrags(
    sealed: SealedKey, owner: KeyPair, buyer: KeyPair, signer: KeyPair, threshold: int, shares: int
) -> list[VerifiedCFrag]:
    """Verified cfrags from every proxy of a fresh grant to ``buyer``."""
    kfrags = grant(owner, buyer, signer, threshold, shares)
    return [
        receiver_verifies(proxy_reencrypts(kfrag, sealed, owner, buyer, signer), sealed, owner, buyer, signer)
        for kfrag in kfrags
    ]


def buyer_opens(
    buyer: KeyPair, owner: KeyPair, sealed: SealedKey, cfrags: list[VerifiedCFrag], threshold: int
) -> bytes:
    return open_reencrypted(
        receiving_sk=buyer.secret_key,
        delegating_pk=owner.public_key,
        sealed=sealed,
        cfrags=cfrags,
        threshold=threshold,
    )


def flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


# --- round trips: owner -> m-of-n proxies -> receiver --------------------------------------------


@pytest.mark.parametrize(("threshold", "shares"), [(1, 1), (1, 3), (2, 3), (3, 5), (5, 5)])
def test_receiver_opens_the_data_key_from_threshold_cfrags(
    owner_keys: KeyPair,
    buyer_keys: KeyPair,
    signer_keys: KeyPair,
    sealed: SealedKey,
    threshold: int,
    shares: int,
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, threshold, shares)
    assert buyer_opens(buyer_keys, owner_keys, sealed, cfrags[-threshold:], threshold) == DATA_KEY


@pytest.mark.parametrize("proxies", [(0, 1), (0, 2), (1, 2)])
def test_any_two_of_three_proxies_suffice(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey, proxies: tuple[int, int]
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, 2, 3)
    assert buyer_opens(buyer_keys, owner_keys, sealed, [cfrags[i] for i in proxies], 2) == DATA_KEY


def test_receiver_opens_with_more_cfrags_than_the_threshold(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, 3, 5)
    assert buyer_opens(buyer_keys, owner_keys, sealed, cfrags, 3) == DATA_KEY


def test_owner_opens_its_own_sealed_key(owner_keys: KeyPair, sealed: SealedKey):
    assert open_sealed(owner_keys.secret_key, sealed) == DATA_KEY


def test_signer_may_be_the_owner_itself(owner_keys: KeyPair, buyer_keys: KeyPair, sealed: SealedKey):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, owner_keys, 2, 3)
    assert buyer_opens(buyer_keys, owner_keys, sealed, cfrags[:2], 2) == DATA_KEY


def test_one_grant_opens_every_key_sealed_to_the_owner(owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair):
    kfrags = grant(owner_keys, buyer_keys, signer_keys, 2, 2)
    for payload in (b"first data key", b"second data key"):
        sealed = seal(owner_keys.public_key, payload)
        cfrags = [
            receiver_verifies(
                proxy_reencrypts(kfrag, sealed, owner_keys, buyer_keys, signer_keys),
                sealed,
                owner_keys,
                buyer_keys,
                signer_keys,
            )
            for kfrag in kfrags
        ]
        assert buyer_opens(buyer_keys, owner_keys, sealed, cfrags, 2) == payload


def test_regression_vector_opens_with_the_fixed_keys():
    sealed = SealedKey.from_bytes(VECTOR_SEALED)
    cfrags = [
        receiver_verifies(cfrag, sealed, VECTOR_OWNER, VECTOR_BUYER, VECTOR_SIGNER)
        for cfrag in (VECTOR_CFRAG_0, VECTOR_CFRAG_1)
    ]
    assert buyer_opens(VECTOR_BUYER, VECTOR_OWNER, sealed, cfrags, 2) == VECTOR_PAYLOAD


def test_regression_vector_opens_for_the_owner():
    assert open_sealed(VECTOR_OWNER.secret_key, SealedKey.from_bytes(VECTOR_SEALED)) == VECTOR_PAYLOAD


# Keys for the hypothesis tests: fixtures are not reset between generated examples.
PROPERTY_OWNER = fixed_key_pair(b"datashare/property/owner")
PROPERTY_BUYER = fixed_key_pair(b"datashare/property/buyer")
PROPERTY_SIGNER = fixed_key_pair(b"datashare/property/signer")
PROPERTY_KFRAGS = grant(PROPERTY_OWNER, PROPERTY_BUYER, PROPERTY_SIGNER, 2, 3)


@settings(max_examples=40, deadline=None)
@given(payload=st.binary(max_size=256))
def test_any_payload_round_trips_through_the_owner(payload: bytes):
    assert open_sealed(PROPERTY_OWNER.secret_key, seal(PROPERTY_OWNER.public_key, payload)) == payload


@settings(max_examples=25, deadline=None)
@given(payload=st.binary(max_size=256))
def test_any_payload_round_trips_through_two_of_three_proxies(payload: bytes):
    sealed = seal(PROPERTY_OWNER.public_key, payload)
    cfrags = [
        receiver_verifies(
            proxy_reencrypts(kfrag, sealed, PROPERTY_OWNER, PROPERTY_BUYER, PROPERTY_SIGNER),
            sealed,
            PROPERTY_OWNER,
            PROPERTY_BUYER,
            PROPERTY_SIGNER,
        )
        for kfrag in PROPERTY_KFRAGS[1:]
    ]
    assert buyer_opens(PROPERTY_BUYER, PROPERTY_OWNER, sealed, cfrags, 2) == payload


@settings(max_examples=40, deadline=None)
@given(payload=st.binary(max_size=256))
def test_any_sealed_key_round_trips_through_bytes(payload: bytes):
    sealed = seal(PROPERTY_OWNER.public_key, payload)
    assert SealedKey.from_bytes(sealed.to_bytes()) == sealed


# --- the receiver's preconditions ----------------------------------------------------------------


def test_wrong_receiving_key_cannot_open(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, stranger_keys: KeyPair, sealed: SealedKey
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, 2, 3)
    with pytest.raises(VerificationError, match="verified for receiver"):
        buyer_opens(stranger_keys, owner_keys, sealed, cfrags, 2)


def test_cfrags_for_the_buyer_do_not_verify_for_another_receiver(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, stranger_keys: KeyPair, sealed: SealedKey
):
    kfrag = grant(owner_keys, buyer_keys, signer_keys, 1, 1)[0]
    cfrag = proxy_reencrypts(kfrag, sealed, owner_keys, buyer_keys, signer_keys)
    with pytest.raises(VerificationError, match="cfrag does not verify"):
        receiver_verifies(cfrag, sealed, owner_keys, stranger_keys, signer_keys)


@pytest.mark.parametrize(("threshold", "shares"), [(2, 3), (3, 5), (5, 5)])
def test_fewer_than_threshold_cfrags_are_refused_before_umbral_is_called(
    owner_keys: KeyPair,
    buyer_keys: KeyPair,
    signer_keys: KeyPair,
    sealed: SealedKey,
    threshold: int,
    shares: int,
    monkeypatch: pytest.MonkeyPatch,
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, threshold, shares)

    def must_not_be_called(*args: object) -> bytes:
        raise AssertionError("Umbral was called with too few cfrags")

    monkeypatch.setattr(umbral_pre, "decrypt_reencrypted", must_not_be_called)
    with pytest.raises(InvalidInputError, match=f"at least {threshold} distinct kfrags .* got {threshold - 1}"):
        buyer_opens(buyer_keys, owner_keys, sealed, cfrags[: threshold - 1], threshold)


def test_no_cfrags_are_refused(owner_keys: KeyPair, buyer_keys: KeyPair, sealed: SealedKey):
    with pytest.raises(InvalidInputError, match=r"at least 1 distinct kfrags .* got 0"):
        buyer_opens(buyer_keys, owner_keys, sealed, [], 1)


def test_duplicate_cfrags_do_not_count_twice(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, 2, 3)
    with pytest.raises(InvalidInputError, match=r"got 1 \(2 given\)"):
        buyer_opens(buyer_keys, owner_keys, sealed, [cfrags[0], cfrags[0]], 2)


def test_two_reencryptions_with_one_kfrag_count_once(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    kfrag = grant(owner_keys, buyer_keys, signer_keys, 2, 3)[0]
    first, second = (proxy_reencrypts(kfrag, sealed, owner_keys, buyer_keys, signer_keys) for _ in range(2))
    assert first != second  # each re-encryption proof is randomised
    cfrags = [receiver_verifies(c, sealed, owner_keys, buyer_keys, signer_keys) for c in (first, second)]
    assert cfrags[0].kfrag_id == cfrags[1].kfrag_id
    with pytest.raises(InvalidInputError, match=r"got 1 \(2 given\)"):
        buyer_opens(buyer_keys, owner_keys, sealed, cfrags, 2)


def test_duplicates_beside_enough_distinct_cfrags_still_open(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, 2, 3)
    assert buyer_opens(buyer_keys, owner_keys, sealed, [cfrags[0], cfrags[0], cfrags[1]], 2) == DATA_KEY


def test_threshold_lower_than_the_grants_fails_in_decryption(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, 2, 3)
    with pytest.raises(VerificationError, match="could not open the re-encrypted key"):
        buyer_opens(buyer_keys, owner_keys, sealed, cfrags[:1], 1)


def test_cfrag_made_with_a_kfrag_for_another_receiver_fails_verification(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, stranger_keys: KeyPair, sealed: SealedKey
):
    kfrag_for_stranger = grant(owner_keys, stranger_keys, signer_keys, 1, 1)[0]
    forged = proxy_reencrypts(kfrag_for_stranger, sealed, owner_keys, stranger_keys, signer_keys)
    with pytest.raises(VerificationError, match="cfrag does not verify"):
        receiver_verifies(forged, sealed, owner_keys, buyer_keys, signer_keys)


def test_cfrag_made_by_another_delegator_fails_verification(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, stranger_keys: KeyPair, sealed: SealedKey
):
    kfrag_of_stranger = grant(stranger_keys, buyer_keys, signer_keys, 1, 1)[0]
    forged = proxy_reencrypts(kfrag_of_stranger, sealed, stranger_keys, buyer_keys, signer_keys)
    with pytest.raises(VerificationError, match="cfrag does not verify"):
        receiver_verifies(forged, sealed, owner_keys, buyer_keys, signer_keys)


def test_cfrag_of_another_sealed_key_fails_verification(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    other = seal(owner_keys.public_key, b"another data key")
    kfrag = grant(owner_keys, buyer_keys, signer_keys, 1, 1)[0]
    cfrag_of_other = proxy_reencrypts(kfrag, other, owner_keys, buyer_keys, signer_keys)
    with pytest.raises(VerificationError, match="Failed to verify reencryption proof"):
        receiver_verifies(cfrag_of_other, sealed, owner_keys, buyer_keys, signer_keys)


def test_cfrag_verified_for_another_sealed_key_is_refused(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    other = seal(owner_keys.public_key, b"another data key")
    cfrags = buyer_cfrags(other, owner_keys, buyer_keys, signer_keys, 1, 1)
    with pytest.raises(VerificationError, match="verified for another sealed key"):
        buyer_opens(buyer_keys, owner_keys, sealed, cfrags, 1)


def test_cfrag_verified_for_another_owner_is_refused(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, stranger_keys: KeyPair, sealed: SealedKey
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, 1, 1)
    with pytest.raises(VerificationError, match="verified for owner"):
        buyer_opens(buyer_keys, stranger_keys, sealed, cfrags, 1)


def test_cfrag_with_a_tampered_signature_byte_fails_verification(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    kfrag = grant(owner_keys, buyer_keys, signer_keys, 1, 1)[0]
    cfrag = proxy_reencrypts(kfrag, sealed, owner_keys, buyer_keys, signer_keys)
    with pytest.raises(VerificationError, match="Invalid CapsuleFrag signature"):
        receiver_verifies(flip(cfrag, -1), sealed, owner_keys, buyer_keys, signer_keys)


def test_no_single_byte_change_of_a_cfrag_is_accepted(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    kfrag = grant(owner_keys, buyer_keys, signer_keys, 1, 1)[0]
    cfrag = proxy_reencrypts(kfrag, sealed, owner_keys, buyer_keys, signer_keys)
    accepted = []
    for position in range(len(cfrag)):
        try:
            receiver_verifies(flip(cfrag, position), sealed, owner_keys, buyer_keys, signer_keys)
            accepted.append(position)
        except (InvalidInputError, VerificationError):
            pass
    assert accepted == []


def test_malformed_cfrag_bytes_are_invalid_input(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    with pytest.raises(InvalidInputError, match="not a serialised cfrag"):
        receiver_verifies(b"\x00" * 40, sealed, owner_keys, buyer_keys, signer_keys)


def test_tampered_capsule_is_rejected_as_modified(sealed: SealedKey):
    with pytest.raises(VerificationError, match="capsule failed its self-check"):
        SealedKey(capsule=flip(sealed.capsule, -1), ciphertext=sealed.ciphertext)


def test_tampered_capsule_inside_sealed_bytes_is_rejected_as_modified(sealed: SealedKey):
    with pytest.raises(VerificationError, match="capsule failed its self-check"):
        SealedKey.from_bytes(flip(sealed.to_bytes(), 8 + len(sealed.capsule) - 1))


def test_malformed_capsule_is_invalid_input(sealed: SealedKey):
    with pytest.raises(InvalidInputError, match="not a serialised capsule"):
        SealedKey(capsule=b"\x00" * len(sealed.capsule), ciphertext=sealed.ciphertext)


def test_tampered_ciphertext_fails_for_the_receiver(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    cfrags = buyer_cfrags(sealed, owner_keys, buyer_keys, signer_keys, 2, 3)
    tampered = SealedKey(capsule=sealed.capsule, ciphertext=flip(sealed.ciphertext, -1))
    with pytest.raises(VerificationError, match="could not open the re-encrypted key"):
        buyer_opens(buyer_keys, owner_keys, tampered, cfrags, 2)


def test_tampered_ciphertext_fails_for_the_owner(owner_keys: KeyPair, sealed: SealedKey):
    tampered = SealedKey(capsule=sealed.capsule, ciphertext=flip(sealed.ciphertext, 30))
    with pytest.raises(VerificationError, match="could not open the sealed key"):
        open_sealed(owner_keys.secret_key, tampered)


def test_another_owner_cannot_open_the_sealed_key(stranger_keys: KeyPair, sealed: SealedKey):
    with pytest.raises(VerificationError, match="could not open the sealed key"):
        open_sealed(stranger_keys.secret_key, sealed)


def test_open_reencrypted_refuses_unverified_cfrag_bytes(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    kfrag = grant(owner_keys, buyer_keys, signer_keys, 1, 1)[0]
    cfrag = proxy_reencrypts(kfrag, sealed, owner_keys, buyer_keys, signer_keys)
    with pytest.raises(InvalidInputError, match="verify the cfrag first"):
        buyer_opens(buyer_keys, owner_keys, sealed, [cfrag], 1)  # type: ignore[list-item]


@pytest.mark.parametrize("threshold", [0, MAX_SHARES + 1, True, 2.0])
def test_open_reencrypted_rejects_a_threshold_out_of_range(
    owner_keys: KeyPair, buyer_keys: KeyPair, sealed: SealedKey, threshold: object
):
    with pytest.raises(InvalidInputError, match="threshold must be an int"):
        buyer_opens(buyer_keys, owner_keys, sealed, [], threshold)  # type: ignore[arg-type]


# --- the proxy's preconditions -------------------------------------------------------------------


def test_kfrag_signed_by_another_signer_fails_verification(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, stranger_keys: KeyPair
):
    kfrag = grant(owner_keys, buyer_keys, stranger_keys, 1, 1)[0]
    with pytest.raises(VerificationError, match="Failed to verify the kfrag signature"):
        verify_kfrag(
            kfrag,
            delegating_pk=owner_keys.public_key,
            receiving_pk=buyer_keys.public_key,
            verifying_pk=signer_keys.public_key,
        )


def test_kfrag_for_another_receiver_fails_verification(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, stranger_keys: KeyPair
):
    kfrag = grant(owner_keys, stranger_keys, signer_keys, 1, 1)[0]
    with pytest.raises(VerificationError, match="kfrag does not verify"):
        verify_kfrag(
            kfrag,
            delegating_pk=owner_keys.public_key,
            receiving_pk=buyer_keys.public_key,
            verifying_pk=signer_keys.public_key,
        )


def test_kfrag_of_another_owner_fails_verification(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, stranger_keys: KeyPair
):
    kfrag = grant(stranger_keys, buyer_keys, signer_keys, 1, 1)[0]
    with pytest.raises(VerificationError, match="kfrag does not verify"):
        verify_kfrag(
            kfrag,
            delegating_pk=owner_keys.public_key,
            receiving_pk=buyer_keys.public_key,
            verifying_pk=signer_keys.public_key,
        )


def test_malformed_kfrag_bytes_are_invalid_input(owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair):
    with pytest.raises(InvalidInputError, match="not a serialised kfrag"):
        verify_kfrag(
            b"not a kfrag",
            delegating_pk=owner_keys.public_key,
            receiving_pk=buyer_keys.public_key,
            verifying_pk=signer_keys.public_key,
        )


def test_reencrypt_refuses_unverified_kfrag_bytes(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    kfrag = grant(owner_keys, buyer_keys, signer_keys, 1, 1)[0]
    with pytest.raises(InvalidInputError, match="verify the kfrag first"):
        reencrypt(sealed, kfrag)  # type: ignore[arg-type]


# --- the owner's preconditions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "shares"),
    [(0, 1), (0, 0), (2, 1), (1, MAX_SHARES + 1), (MAX_SHARES + 1, MAX_SHARES + 1), (-1, 3)],
)
def test_threshold_and_shares_out_of_range_are_rejected(
    owner_keys: KeyPair, buyer_keys: KeyPair, threshold: int, shares: int
):
    with pytest.raises(InvalidInputError, match=r"1 <= threshold <= shares <= 255"):
        grant(owner_keys, buyer_keys, owner_keys, threshold, shares)


@pytest.mark.parametrize(("threshold", "shares"), [(True, 1), (1, 2.0), ("1", 1)])
def test_threshold_and_shares_must_be_ints(owner_keys: KeyPair, buyer_keys: KeyPair, threshold: object, shares: object):
    with pytest.raises(InvalidInputError, match="must be an int"):
        grant(owner_keys, buyer_keys, owner_keys, threshold, shares)  # type: ignore[arg-type]


def test_largest_grant_has_255_kfrags(owner_keys: KeyPair, buyer_keys: KeyPair):
    assert len(grant(owner_keys, buyer_keys, owner_keys, 1, MAX_SHARES)) == MAX_SHARES


WRONG_TYPES: list[tuple[str, Callable[[KeyPair], object]]] = [
    ("seal with a public key as bytes", lambda k: seal(k.public_bytes(), DATA_KEY)),  # type: ignore[arg-type]
    ("seal a str payload", lambda k: seal(k.public_key, "data key")),  # type: ignore[arg-type]
    ("open with a public key", lambda k: open_sealed(k.public_key, seal(k.public_key, DATA_KEY))),  # type: ignore[arg-type]
    ("open sealed bytes", lambda k: open_sealed(k.secret_key, seal(k.public_key, DATA_KEY).to_bytes())),  # type: ignore[arg-type]
    (
        "kfrags with a secret key as receiver",
        lambda k: generate_kfrags(
            delegating_sk=k.secret_key,
            receiving_pk=k.secret_key,  # type: ignore[arg-type]
            signer_sk=k.secret_key,
            threshold=1,
            shares=1,
        ),
    ),
]


@pytest.mark.parametrize("call", [call for _, call in WRONG_TYPES], ids=[name for name, _ in WRONG_TYPES])
def test_arguments_of_the_wrong_type_are_invalid_input(owner_keys: KeyPair, call: Callable[[KeyPair], object]):
    with pytest.raises(InvalidInputError):
        call(owner_keys)


# --- serialisation -------------------------------------------------------------------------------


def test_sealed_key_round_trips_through_bytes(sealed: SealedKey):
    assert SealedKey.from_bytes(sealed.to_bytes()) == sealed


def test_sealed_key_bytes_are_magic_version_capsule_length_capsule_ciphertext(sealed: SealedKey):
    data = sealed.to_bytes()
    assert data[:6] == b"DSPRE\x01"
    assert int.from_bytes(data[6:8], "big") == len(sealed.capsule)
    assert data[8:] == sealed.capsule + sealed.ciphertext


def test_sealed_data_key_is_40_bytes_longer_than_the_key(sealed: SealedKey):
    assert len(sealed.ciphertext) == len(DATA_KEY) + 40


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b"", "not a sealed key"),
        (lambda b: b[:7], "not a sealed key"),
        (lambda b: b"XXPRE" + b[5:], "not a sealed key"),
        (lambda b: b[:5] + b"\x02" + b[6:], "unsupported sealed key version"),
        (lambda b: b[:6] + b"\xff\xff" + b[8:], "too short for its 65535-byte capsule"),
        (lambda b: b[: len(b) - len(DATA_KEY) - 1], "at least 40 bytes"),
    ],
    ids=["empty", "header only", "wrong magic", "wrong version", "capsule cut short", "ciphertext too short"],
)
def test_malformed_sealed_key_bytes_are_invalid_input(
    sealed: SealedKey, mutate: Callable[[bytes], bytes], message: str
):
    with pytest.raises(InvalidInputError, match=message):
        SealedKey.from_bytes(mutate(sealed.to_bytes()))


def test_key_pair_round_trips_through_its_secret_bytes():
    keys = KeyPair.generate()
    again = KeyPair.from_secret_bytes(keys.secret_bytes())
    assert again == keys
    assert again.public_bytes() == keys.public_bytes()


def test_key_pair_repr_shows_the_public_key_only():
    keys = KeyPair.generate()
    assert repr(keys) == f"KeyPair(public_key={keys.public_bytes().hex()})"
    assert keys.secret_bytes().hex() not in repr(keys)


@pytest.mark.parametrize(
    "secret",
    [b"", b"\x01" * 31, b"\x00" * 32, SECP256K1_ORDER.to_bytes(32, "big"), b"\xff" * 32, "00" * 32],
    ids=["empty", "31 bytes", "zero", "the group order", "above the order", "hex str"],
)
def test_malformed_secret_key_bytes_are_invalid_input(secret: object):
    with pytest.raises(InvalidInputError, match="secret key"):
        KeyPair.from_secret_bytes(secret)  # type: ignore[arg-type]


def test_public_key_round_trips_through_bytes(owner_keys: KeyPair):
    data = public_key_to_bytes(owner_keys.public_key)
    assert len(data) == PUBLIC_KEY_BYTES
    assert public_key_from_bytes(data) == owner_keys.public_key


@pytest.mark.parametrize(
    "data",
    [b"", b"\x02" * 32, b"\x05" + b"\x01" * 32, b"\x04" * 65, "02" * 33],
    ids=["empty", "32 bytes", "bad prefix", "uncompressed", "hex str"],
)
def test_malformed_public_key_bytes_are_invalid_input(data: object):
    with pytest.raises(InvalidInputError, match="public key"):
        public_key_from_bytes(data)  # type: ignore[arg-type]


def test_verified_kfrag_bytes_verify_again(owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair):
    kfrag = grant(owner_keys, buyer_keys, signer_keys, 1, 1)[0]
    keys = {
        "delegating_pk": owner_keys.public_key,
        "receiving_pk": buyer_keys.public_key,
        "verifying_pk": signer_keys.public_key,
    }
    verified = verify_kfrag(kfrag, **keys)
    assert isinstance(verified, VerifiedKFrag)
    assert verified.to_bytes() == kfrag
    assert verify_kfrag(verified.to_bytes(), **keys) == verified


def test_verified_cfrag_bytes_verify_again(
    owner_keys: KeyPair, buyer_keys: KeyPair, signer_keys: KeyPair, sealed: SealedKey
):
    kfrag = grant(owner_keys, buyer_keys, signer_keys, 1, 1)[0]
    cfrag = proxy_reencrypts(kfrag, sealed, owner_keys, buyer_keys, signer_keys)
    verified = receiver_verifies(cfrag, sealed, owner_keys, buyer_keys, signer_keys)
    assert verified.to_bytes() == cfrag
    assert receiver_verifies(verified.to_bytes(), sealed, owner_keys, buyer_keys, signer_keys) == verified


# --- signatures ----------------------------------------------------------------------------------


def test_signature_round_trips_through_bytes(signer_keys: KeyPair):
    signature = sign(b"grant 7 to the buyer", signer_sk=signer_keys.secret_key)
    assert len(signature) == SIGNATURE_BYTES
    verify_signature(signature, message=b"grant 7 to the buyer", verifying_pk=signer_keys.public_key)


def test_signature_of_another_message_fails(signer_keys: KeyPair):
    signature = sign(b"grant 7 to the buyer", signer_sk=signer_keys.secret_key)
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify_signature(signature, message=b"grant 8 to the buyer", verifying_pk=signer_keys.public_key)


def test_signature_by_another_key_fails(signer_keys: KeyPair, stranger_keys: KeyPair):
    signature = sign(b"grant 7 to the buyer", signer_sk=stranger_keys.secret_key)
    with pytest.raises(VerificationError, match="signature does not verify"):
        verify_signature(signature, message=b"grant 7 to the buyer", verifying_pk=signer_keys.public_key)


@pytest.mark.parametrize(
    "signature", [b"", b"\x00" * 63, b"\x00" * 64, b"\xff" * 64], ids=["empty", "63", "zero", "max"]
)
def test_malformed_signature_bytes_are_invalid_input(signer_keys: KeyPair, signature: bytes):
    with pytest.raises(InvalidInputError, match="signature"):
        verify_signature(signature, message=b"m", verifying_pk=signer_keys.public_key)


def test_every_error_is_an_offchain_error():
    assert issubclass(InvalidInputError, OffchainError)
    assert issubclass(VerificationError, OffchainError)
