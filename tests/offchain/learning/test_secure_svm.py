"""secureSVM training (Shen, Zhu, Xu ch. 4, Algorithm 3): same model as plaintext, aggregate-only
decryption, and rejection of tampered or wrong-key messages."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from offchain.crypto.paillier import EncryptedVector, FixedPoint, KeyMismatchError, generate_keypair
from offchain.crypto.secure_comparison import ComparisonVariant, MalformedCiphertextError
from offchain.errors import InvalidInputError, VerificationError
from offchain.learning import Schedule, hinge_sums, load_dataset, prepare, quantize, train_plaintext
from offchain.protocols.secure_svm import (
    DataAnalyst,
    DataProvider,
    ModelBroadcast,
    SignedMessage,
    SinglePartyBatchError,
    train_secure_svm,
)

SCHEDULE = Schedule(batch_size=16, iterations=5, seed=1)


@pytest.fixture(scope="module")
def keypair():
    return generate_keypair(512)


def split_rows(name, count, parts=3, variant=ComparisonVariant.BLINDED):
    prepared = prepare(load_dataset(name), seed=0)
    rows = quantize(prepared.x_train, SCHEDULE.fraction_bits)[:count]
    labels = prepared.y_train.tolist()[:count]
    providers = [
        DataProvider(f"provider-{k}", [rows[i] for i in part], [labels[i] for i in part], variant=variant)
        for k, part in enumerate(np.array_split(np.arange(count), parts))
    ]
    return rows, labels, providers


@pytest.mark.parametrize(
    ("dataset", "processes", "variant"),
    [
        ("bcw", True, ComparisonVariant.BLINDED),
        ("hdd", False, ComparisonVariant.BLINDED),
        ("bcw", False, ComparisonVariant.PAPER),
    ],
)
def test_encrypted_training_yields_the_plaintext_model_and_costs(keypair, dataset, processes, variant):
    rows, labels, providers = split_rows(dataset, 60, variant=variant)
    trace = train_secure_svm(DataAnalyst(SCHEDULE, keypair=keypair), providers, processes=processes)
    plain = train_plaintext(rows, labels, SCHEDULE)
    assert trace.model == plain.model
    assert trace.costs == plain.costs


def test_the_analyst_decrypts_only_the_total_over_providers(keypair):
    schedule = replace(SCHEDULE, iterations=1)
    _rows, _labels, providers = split_rows("bcw", 45)
    analyst = DataAnalyst(schedule, keypair=keypair)
    transcript = []
    train_secure_svm(analyst, providers, processes=False, transcript=transcript)
    f = schedule.fraction_bits
    # with W = 0 and B = 0 every row violates the margin, so each provider's sums are known here
    batch = next(m for m in transcript if isinstance(m, ModelBroadcast)).batch
    own = []
    for provider in providers:
        local = provider.local_rows(batch)
        assert local, "every provider holds rows of this batch"
        sums = hinge_sums([0] * 9, 0, [provider.rows[i] for i in local], [provider.labels[i] for i in local], f)
        own.append([*sums.gradient, sums.label_sum, sums.violations])
    total = [sum(values) for values in zip(*own, strict=True)]
    partials = [[sum(v) for v in zip(*own[: k + 1], strict=True)] for k in range(len(own))]
    carried = [m for m in transcript if isinstance(m, SignedMessage) and m.kind in ("chain", "aggregate")]
    to_analyst = [m for m in carried if m.recipient == analyst.name]
    decrypted = {id(m): EncryptedVector.from_bytes(m.payload, keypair[0]).decrypt_residues(keypair[1]) for m in carried}
    encode = [[v % keypair[0].n for v in values] for values in (*own, *partials)]
    assert [m.kind for m in to_analyst] == ["aggregate"]
    assert decrypted[id(to_analyst[0])] == [v % keypair[0].n for v in total]
    for message in carried:
        if message is not to_analyst[0]:
            assert decrypted[id(message)] not in encode


def tamper(message: SignedMessage) -> SignedMessage:
    payload = bytearray(message.payload)
    payload[-1] ^= 1
    return replace(message, payload=bytes(payload))


def first_blinded(keypair):
    _, _, providers = split_rows("bcw", 30, parts=2)
    analyst = DataAnalyst(SCHEDULE, keypair=keypair)
    for provider, nxt in zip(providers, reversed(providers), strict=True):
        offset = analyst.enrol(provider.name, len(provider.rows), provider.session_key, 9)
        provider.join(keypair[0], offset, SCHEDULE, analyst.name, nxt.name)
    broadcast = analyst.broadcast(0, list(range(30)))
    return analyst, providers, broadcast, providers[0].blind(broadcast)


def test_a_tampered_provider_message_is_rejected(keypair):
    analyst, _, _, message = first_blinded(keypair)
    with pytest.raises(VerificationError, match="HMAC"):
        analyst.answer(tamper(message), 0)


def test_a_provider_message_under_another_key_is_rejected(keypair):
    analyst, providers, _broadcast, _ = first_blinded(keypair)
    other_public, _ = generate_keypair(512)
    foreign = EncryptedVector.encrypt(other_public, [1, 2, 3]).to_bytes()
    mac_key = providers[0].session_key
    forged = SignedMessage("blinded", providers[0].name, analyst.name, 0, foreign)
    from offchain.protocols import secure_svm

    forged = replace(forged, tag=secure_svm._mac(mac_key, "blinded", forged.sender, forged.recipient, 0, foreign))
    with pytest.raises(KeyMismatchError):
        analyst.answer(forged, 0)


def signed_by(provider, analyst, ciphertexts):
    """A blinded message with a valid tag from ``provider`` carrying ``ciphertexts``."""
    from offchain.protocols import secure_svm

    encoding = FixedPoint.for_key(analyst.public_key, 0)
    payload = EncryptedVector(analyst.public_key, encoding, tuple(ciphertexts)).to_bytes()
    tag = secure_svm._mac(provider.session_key, "blinded", provider.name, analyst.name, 0, payload)
    return SignedMessage("blinded", provider.name, analyst.name, 0, payload, tag)


def test_a_provider_ciphertext_sharing_a_factor_with_n_is_rejected(keypair):
    analyst, providers, _, _ = first_blinded(keypair)
    with pytest.raises(MalformedCiphertextError):
        analyst.answer(signed_by(providers[0], analyst, [keypair[1].p]), 0)


def test_a_message_replayed_into_another_iteration_is_rejected(keypair):
    analyst, _, _, message = first_blinded(keypair)
    with pytest.raises(VerificationError, match="iteration 1"):
        analyst.answer(message, 1)


def test_an_aggregate_from_a_provider_other_than_the_chain_head_is_rejected(keypair):
    analyst, providers, _broadcast, message = first_blinded(keypair)
    forged = replace(message, kind="aggregate", sender=providers[1].name)
    with pytest.raises(VerificationError, match="chain's head"):
        analyst.apply(forged, 0)


def test_a_schedule_with_a_single_provider_batch_is_refused(keypair):
    _, _, providers = split_rows("bcw", 40, parts=2)
    schedule = Schedule(batch_size=0, iterations=1)
    single = [providers[0], DataProvider("tiny", providers[1].rows[:1], providers[1].labels[:1])]
    analyst = DataAnalyst(replace(schedule, batch_size=1), keypair=keypair)
    with pytest.raises(SinglePartyBatchError):
        train_secure_svm(analyst, single, processes=False)


def test_training_needs_two_providers(keypair):
    _, _, providers = split_rows("bcw", 20, parts=1)
    with pytest.raises(InvalidInputError, match="at least two providers"):
        train_secure_svm(DataAnalyst(SCHEDULE, keypair=keypair), providers, processes=False)


def test_the_broadcast_carries_the_model_under_the_analyst_key(keypair):
    analyst = DataAnalyst(SCHEDULE, keypair=keypair)
    analyst.enrol("p", 3, b"k" * 32, 2)
    broadcast = analyst.broadcast(0, [0, 1])
    assert isinstance(broadcast, ModelBroadcast)
    assert EncryptedVector.from_bytes(broadcast.payload, keypair[0]).decrypt_residues(keypair[1]) == [0, 0, 0]
