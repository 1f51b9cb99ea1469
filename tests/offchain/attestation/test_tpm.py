"""The TPM 2.0 path against the swtpm emulator: tpm2-tools quotes and their parsing (their
verification against the deployed DeviceRegistry is in tests/offchain/chain/test_quote_verifier.py)."""

from __future__ import annotations

import hashlib

import pytest

from offchain.attestation import (
    MalformedQuoteError,
)
from offchain.attestation.quote import TPM_GENERATED, TPM_SHA256, parse_tpm_attest
from tests.offchain.conftest import GOOD_LOG

ENVELOPE = b"an envelope from a TPM node"


def test_the_tpm_pcr_equals_the_software_chain(tpm_node):
    assert tpm_node.pcr_value() == GOOD_LOG.pcr_value()


def test_a_tpm_quote_is_a_tpm_generated_structure_over_pcr_23(tpm_node):
    quote = tpm_node.quote(b"\x01" * 32, hashlib.sha256(ENVELOPE).digest())
    assert int.from_bytes(quote.attested[:4], "big") == TPM_GENERATED
    state = parse_tpm_attest(quote.attested)
    assert state.pcr_selection == ((TPM_SHA256, (23,)),)
    assert state.pcr_digest == GOOD_LOG.pcr_digest()


def test_a_truncated_tpm_structure_is_malformed(tpm_node):
    quote = tpm_node.quote(b"\x02" * 32, b"\x03" * 32)
    with pytest.raises(MalformedQuoteError):
        parse_tpm_attest(quote.attested[:-1])
