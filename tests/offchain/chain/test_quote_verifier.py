"""offchain.attestation.verifier against a deployed DeviceRegistry: a valid quote is accepted;
each way a quote can be wrong is refused with its own typed error (Peng et al., steps (3)–(5)).
Software quotes, and TPM 2.0 quotes from the swtpm emulator."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from offchain.attestation import (
    AttestationRequiredError,
    DataDigestMismatchError,
    MalformedQuoteError,
    MeasurementMismatchError,
    NonceBook,
    NonceExpiredError,
    NonceReplayError,
    QuoteKind,
    QuoteSignatureError,
    QuoteVerifier,
    RevokedAttestationKeyError,
    RevokedMeasurementError,
    SoftwareAttester,
    UnknownAttestationKeyError,
    UnknownNonceError,
    generate_attestation_key,
)
from offchain.attestation.errors import AttestationError
from offchain.attestation.quote import Quote, parse_tpm_attest
from offchain.chain.device_registry import DeviceRegistryClient
from offchain.errors import OffchainError, VerificationError
from tests.offchain.conftest import CLASS_ID, GOOD_LOG, NONCE_TTL_S, FakeClock

ENVELOPE = b"DSDENV stands in for a sealed digital envelope"
OTHER_ENVELOPE = b"another envelope"


@pytest.fixture(scope="module")
def client(DeviceRegistry, consortium, deployer):
    contract = DeviceRegistry.deploy(consortium, {"from": deployer})
    return DeviceRegistryClient(contract, from_block=contract.tx.block_number)


@pytest.fixture
def directory(client, agencies, software_node):
    """CLASS_ID with GOOD_LOG's digest as golden version 1 on chain, the software node admitted."""
    client.register_class(
        sender=agencies[0], class_id=CLASS_ID, pcr_digest=GOOD_LOG.pcr_digest(), attestation_required=True
    )
    client.admit_device(sender=agencies[0], class_id=CLASS_ID, attestation_key=software_node.attestation_key)
    return client


@pytest.fixture
def verifier(directory: DeviceRegistryClient, clock: FakeClock) -> QuoteVerifier:
    return QuoteVerifier(directory, NonceBook(NONCE_TTL_S, clock=clock))


def quote_for(node, verifier, envelope=ENVELOPE):
    return node.quote(verifier.issue_nonce(), hashlib.sha256(envelope).digest())


def test_a_valid_quote_is_accepted(software_node, verifier):
    verified = verifier.verify(quote_for(software_node, verifier), ENVELOPE)
    assert (verified.kind, verified.class_id, verified.measurement_version) == (QuoteKind.SOFTWARE, CLASS_ID, 1)
    assert verified.pcr_digest == GOOD_LOG.pcr_digest()
    assert verified.device_id == software_node.quote(b"\x00" * 32, b"\x00" * 32).device_id


def test_a_quote_survives_its_byte_encoding(software_node, verifier):
    quote = quote_for(software_node, verifier)
    assert verifier.verify(Quote.from_bytes(quote.to_bytes()), ENVELOPE).data_digest == quote.data_digest


def test_every_error_is_an_offchain_verification_error():
    assert issubclass(AttestationError, VerificationError) and issubclass(AttestationError, OffchainError)


def test_a_modified_measurement_is_refused(software_key, verifier):
    tampered = SoftwareAttester(software_key, GOOD_LOG.with_event("backdoor.py", b"exfiltrate()"))
    with pytest.raises(MeasurementMismatchError, match="golden digest"):
        verifier.verify(quote_for(tampered, verifier), ENVELOPE)


def test_a_replayed_quote_is_refused(software_node, verifier):
    quote = quote_for(software_node, verifier)
    verifier.verify(quote, ENVELOPE)
    with pytest.raises(NonceReplayError):
        verifier.verify(quote, ENVELOPE)


def test_an_expired_nonce_is_refused(software_node, verifier, clock):
    quote = quote_for(software_node, verifier)
    clock.now += NONCE_TTL_S
    with pytest.raises(NonceExpiredError):
        verifier.verify(quote, ENVELOPE)


def test_a_nonce_the_receiver_never_issued_is_refused(software_node, verifier):
    quote = software_node.quote(b"\x07" * 32, hashlib.sha256(ENVELOPE).digest())
    with pytest.raises(UnknownNonceError):
        verifier.verify(quote, ENVELOPE)


def test_a_quote_over_another_envelope_is_refused(software_node, verifier):
    with pytest.raises(DataDigestMismatchError):
        verifier.verify(quote_for(software_node, verifier, OTHER_ENVELOPE), ENVELOPE)


def test_swapping_the_carried_data_digest_breaks_the_binding(software_node, verifier):
    quote = replace(quote_for(software_node, verifier, OTHER_ENVELOPE), data_digest=hashlib.sha256(ENVELOPE).digest())
    with pytest.raises(MalformedQuoteError, match="not bound"):
        verifier.verify(quote, ENVELOPE)


def test_an_unknown_key_is_refused(verifier):
    stranger = SoftwareAttester(generate_attestation_key(), GOOD_LOG)
    with pytest.raises(UnknownAttestationKeyError):
        verifier.verify(quote_for(stranger, verifier), ENVELOPE)


def test_a_revoked_key_is_refused(software_node, verifier, directory, agencies):
    quote = quote_for(software_node, verifier)
    directory.revoke_device(sender=agencies[0], device_id=quote.device_id)
    with pytest.raises(RevokedAttestationKeyError):
        verifier.verify(quote, ENVELOPE)


def test_a_revoked_measurement_is_refused(software_node, verifier, directory, agencies):
    directory.revoke_measurement(sender=agencies[0], class_id=CLASS_ID, version=1)
    with pytest.raises(RevokedMeasurementError):
        verifier.verify(quote_for(software_node, verifier), ENVELOPE)


def test_a_superseded_measurement_is_refused_and_the_new_one_accepted(
    software_key, software_node, verifier, directory, agencies
):
    updated_log = GOOD_LOG.with_event("patch.py", b"fix()")
    directory.set_measurement(sender=agencies[0], class_id=CLASS_ID, pcr_digest=updated_log.pcr_digest())
    with pytest.raises(MeasurementMismatchError, match="version 2"):
        verifier.verify(quote_for(software_node, verifier), ENVELOPE)
    assert (
        verifier.verify(quote_for(SoftwareAttester(software_key, updated_log), verifier), ENVELOPE).measurement_version
        == 2
    )


def test_a_forged_signature_is_refused(software_node, verifier):
    quote = quote_for(software_node, verifier)
    other = SoftwareAttester(generate_attestation_key(), GOOD_LOG).quote(quote.nonce, quote.data_digest)
    with pytest.raises(QuoteSignatureError):
        verifier.verify(replace(quote, signature=other.signature), ENVELOPE)


def test_garbage_is_not_a_quote():
    with pytest.raises(MalformedQuoteError):
        Quote.from_bytes(b"DSQUOTE\x01\x01" + b"\x00" * 10)


def test_the_gate_demands_a_quote_from_a_class_that_requires_one(software_node, verifier, directory):
    device_id = quote_for(software_node, verifier).device_id
    with pytest.raises(AttestationRequiredError):
        verifier.check_upload(ENVELOPE, device_id, None)


def test_the_gate_lets_a_quote_less_upload_through_for_a_class_that_requires_none(verifier, directory, agencies):
    relaxed = b"\x0f" * 32
    directory.register_class(
        sender=agencies[1], class_id=relaxed, pcr_digest=GOOD_LOG.pcr_digest(), attestation_required=False
    )
    node = SoftwareAttester(generate_attestation_key(), GOOD_LOG)
    device_id = directory.admit_device(
        sender=agencies[1], class_id=relaxed, attestation_key=node.attestation_key
    ).device_id
    assert verifier.check_upload(ENVELOPE, device_id, None) is None


def test_the_gate_refuses_a_quote_by_another_device(software_node, verifier):
    with pytest.raises(MalformedQuoteError, match="claims"):
        verifier.check_upload(ENVELOPE, b"\x01" * 32, quote_for(software_node, verifier))


# ---- TPM 2.0 quotes (swtpm), checked against the same registry ---------------------------------


@pytest.fixture
def tpm_verifier(client, agencies, tpm_node, clock) -> QuoteVerifier:
    tpm_class = b"\x7a" * 32
    client.register_class(
        sender=agencies[0], class_id=tpm_class, pcr_digest=GOOD_LOG.pcr_digest(), attestation_required=True
    )
    client.admit_device(sender=agencies[0], class_id=tpm_class, attestation_key=tpm_node.attestation_key)
    return QuoteVerifier(client, NonceBook(NONCE_TTL_S, clock=clock))


def test_a_valid_tpm_quote_is_accepted(tpm_node, tpm_verifier):
    quote = tpm_node.quote(tpm_verifier.issue_nonce(), hashlib.sha256(ENVELOPE).digest())
    verified = tpm_verifier.verify(quote, ENVELOPE)
    assert (verified.kind, verified.pcr_digest) == (QuoteKind.TPM2, GOOD_LOG.pcr_digest())


def test_a_tpm_with_a_modified_measurement_is_refused(tpm_node, tpm_verifier):
    tpm_node.measure(GOOD_LOG.with_event("rootkit.ko", b"\x7fELF"))
    try:
        quote = tpm_node.quote(tpm_verifier.issue_nonce(), hashlib.sha256(ENVELOPE).digest())
        with pytest.raises(MeasurementMismatchError):
            tpm_verifier.verify(quote, ENVELOPE)
    finally:
        tpm_node.measure(GOOD_LOG)


def test_a_host_cannot_rewrite_the_tpm_structure(tpm_node, tpm_verifier):
    quote = tpm_node.quote(tpm_verifier.issue_nonce(), hashlib.sha256(ENVELOPE).digest())
    state = parse_tpm_attest(quote.attested)
    forged = quote.attested.replace(state.pcr_digest, hashlib.sha256(b"claimed").digest())
    with pytest.raises(QuoteSignatureError):
        tpm_verifier.verify(replace(quote, attested=forged), ENVELOPE)
