"""offchain.attestation.pcr: the SHA-256 extend chain is the TPM's, and every input moves it."""

from __future__ import annotations

import hashlib
import json

import pytest

from offchain.attestation.pcr import ZERO_PCR, MeasurementLog, extend, measure_node
from offchain.errors import InvalidInputError


def test_extend_is_sha256_of_the_old_value_and_the_event_digest():
    digest = hashlib.sha256(b"event").digest()
    assert extend(ZERO_PCR, digest) == hashlib.sha256(ZERO_PCR + digest).digest()


def test_an_empty_log_leaves_the_reset_value_and_its_digest_is_the_hash_of_it():
    assert MeasurementLog().pcr_value() == ZERO_PCR
    assert MeasurementLog().pcr_digest() == hashlib.sha256(ZERO_PCR).digest()


def test_order_matters():
    a = MeasurementLog().with_event("a", b"1").with_event("b", b"2")
    b = MeasurementLog().with_event("b", b"2").with_event("a", b"1")
    assert a.pcr_value() != b.pcr_value()


def test_measure_node_covers_code_and_configuration(tmp_path):
    code = tmp_path / "node.py"
    code.write_bytes(b"print('v1')")
    base = measure_node([code], {"rate_hz": 10, "server": "a"})
    assert measure_node([code], {"server": "a", "rate_hz": 10}).pcr_digest() == base.pcr_digest()  # canonical JSON
    assert measure_node([code], {"rate_hz": 11, "server": "a"}).pcr_digest() != base.pcr_digest()
    code.write_bytes(b"print('v2')")
    assert measure_node([code], {"rate_hz": 10, "server": "a"}).pcr_digest() != base.pcr_digest()
    config_event = base.events[-1]
    assert (
        config_event.digest
        == hashlib.sha256(json.dumps({"rate_hz": 10, "server": "a"}, separators=(",", ":")).encode()).digest()
    )


def test_extend_refuses_a_short_digest():
    with pytest.raises(InvalidInputError):
        extend(ZERO_PCR, b"\x00" * 31)


def test_measure_node_refuses_a_configuration_that_is_not_json(tmp_path):
    with pytest.raises(InvalidInputError):
        measure_node([], {"when": object()})
