"""offchain.attestation.verifier: a valid quote is accepted; each way a quote can be wrong is
refused with its own typed error (Peng et al., steps (3)–(5)). Software quotes, in-memory registry."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from offchain.attestation import (
    AttestationRequiredError,
    DataDigestMismatchError,
    MalformedQuoteError,
    MeasurementMismatchError,
    NonceExpiredError,
    NonceReplayError,
    QuoteKind,
    QuoteSignatureError,
    RevokedAttestationKeyError,
    RevokedMeasurementError,
    SoftwareAttester,
    UnknownAttestationKeyError,
    UnknownNonceError,
    generate_attestation_key,
)
from offchain.attestation.errors import AttestationError
from offchain.attestation.quote import Quote
from offchain.errors import OffchainError, VerificationError
from tests.offchain.attestation.conftest import CLASS_ID, GOOD_LOG, NONCE_TTL_S

ENVELOPE = b"DSDENV stands in for a sealed digital envelope"
OTHER_ENVELOPE = b"another envelope"


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


def test_a_revoked_key_is_refused(software_node, verifier, directory):
    quote = quote_for(software_node, verifier)
    directory.revoke_device(quote.device_id)
    with pytest.raises(RevokedAttestationKeyError):
        verifier.verify(quote, ENVELOPE)


def test_a_revoked_measurement_is_refused(software_node, verifier, directory):
    directory.revoke_measurement(CLASS_ID, 1)
    with pytest.raises(RevokedMeasurementError):
        verifier.verify(quote_for(software_node, verifier), ENVELOPE)


def test_a_superseded_measurement_is_refused_and_the_new_one_accepted(software_key, software_node, verifier, directory):
    updated_log = GOOD_LOG.with_event("patch.py", b"fix()")
    directory.set_measurement(CLASS_ID, updated_log.pcr_digest())
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


def test_the_gate_lets_a_quote_less_upload_through_for_a_class_that_requires_none(software_key, verifier, directory):
    relaxed = b"\x0f" * 32
    directory.register_class(relaxed, GOOD_LOG.pcr_digest(), attestation_required=False)
    node = SoftwareAttester(generate_attestation_key(), GOOD_LOG)
    device_id = directory.admit(relaxed, node.attestation_key)
    assert verifier.check_upload(ENVELOPE, device_id, None) is None


def test_the_gate_refuses_a_quote_by_another_device(software_node, verifier):
    with pytest.raises(MalformedQuoteError, match="claims"):
        verifier.check_upload(ENVELOPE, b"\x01" * 32, quote_for(software_node, verifier))
