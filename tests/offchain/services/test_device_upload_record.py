"""The device-upload record the attestation endpoint serves and the client parses
(offchain.services.attested.DeviceUploadRecord): a round trip, and refusals of malformed fields."""

from __future__ import annotations

import pytest

from offchain.attestation.quote import QuoteKind
from offchain.attestation.verifier import VerifiedQuote
from offchain.errors import InvalidInputError
from offchain.services.attested import DeviceUploadRecord

RECORD = DeviceUploadRecord(
    "sha256:" + "ab" * 32,
    b"\x01" * 32,
    VerifiedQuote(QuoteKind.SOFTWARE, b"\x01" * 32, b"\x02" * 32, 3, b"\x03" * 32, b"\x04" * 32),
)


def test_a_record_survives_its_json():
    assert DeviceUploadRecord.from_json(RECORD.as_json()) == RECORD


def test_a_record_without_attestation_survives_its_json():
    record = DeviceUploadRecord(RECORD.locator, RECORD.device_id, None)
    assert DeviceUploadRecord.from_json(record.as_json()) == record


@pytest.mark.parametrize("version", [float("inf"), 1.5, True, "3", -1])
def test_a_measurement_version_that_is_not_a_uint_is_malformed(version):
    """Infinity raised OverflowError, 1.5 was truncated and "3" parsed: each is now a malformed record."""
    fields = {**RECORD.as_json(), "measurement_version": version}
    with pytest.raises(InvalidInputError, match="measurement_version"):
        DeviceUploadRecord.from_json(fields)
