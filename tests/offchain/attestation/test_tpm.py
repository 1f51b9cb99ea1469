"""The TPM 2.0 path against the swtpm emulator: tpm2-tools quotes, parsed and verified here."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from offchain.attestation import (
    MalformedQuoteError,
    MeasurementMismatchError,
    NonceBook,
    QuoteKind,
    QuoteSignatureError,
    QuoteVerifier,
    TpmAttester,
)
from offchain.attestation.quote import TPM_GENERATED, TPM_SHA256, parse_tpm_attest
from tests.offchain.attestation.conftest import CLASS_ID, GOOD_LOG
from tests.offchain.attestation.fake_directory import FakeDeviceDirectory

ENVELOPE = b"an envelope from a TPM node"


@pytest.fixture
def tpm_verifier(tpm_node: TpmAttester) -> QuoteVerifier:
    directory = FakeDeviceDirectory()
    directory.register_class(CLASS_ID, GOOD_LOG.pcr_digest())
    directory.admit(CLASS_ID, tpm_node.attestation_key)
    return QuoteVerifier(directory, NonceBook())


def test_the_tpm_pcr_equals_the_software_chain(tpm_node):
    assert tpm_node.pcr_value() == GOOD_LOG.pcr_value()


def test_a_tpm_quote_is_a_tpm_generated_structure_over_pcr_23(tpm_node):
    quote = tpm_node.quote(b"\x01" * 32, hashlib.sha256(ENVELOPE).digest())
    assert int.from_bytes(quote.attested[:4], "big") == TPM_GENERATED
    state = parse_tpm_attest(quote.attested)
    assert state.pcr_selection == ((TPM_SHA256, (23,)),)
    assert state.pcr_digest == GOOD_LOG.pcr_digest()


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


def test_a_truncated_tpm_structure_is_malformed(tpm_node):
    quote = tpm_node.quote(b"\x02" * 32, b"\x03" * 32)
    with pytest.raises(MalformedQuoteError):
        parse_tpm_attest(quote.attested[:-1])
