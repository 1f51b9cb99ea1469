"""Typed client of the ``DeviceRegistry`` contract: device classes, golden measurements, device keys.

Research: Peng, Zhu, Wang, Hu, Song, Wang, *Towards Decentralized Privacy-Preserving of Encrypted
Data Sharing Protocol*, steps (1)–(5), Eq. 1–9. A data-source node (an IoT sensor node, a
hospital gateway) proves with a quote signed by its platform identity key that its measured
software state (its PCR values) is the expected one; the receiver checks the quote against what
the consortium published. This module is the published half: an agency of the ``Consortium``
registers a device class with its golden PCR digest (:meth:`DeviceRegistryClient.register_class`,
version 1; :meth:`~DeviceRegistryClient.set_measurement` for a software update), admits devices'
attestation public keys (:meth:`~DeviceRegistryClient.admit_device`: the device id is keccak256
of the key's DER bytes) and revokes devices or measurement versions. The quote itself is checked
off chain (:mod:`offchain.attestation`), against the state read here.

Caveats: the contract cannot tell a TPM-resident key from a software one; the agency that admits a
key vouches for where it lives. A class whose agency left the consortium is frozen.

Example::

    devices = session.device_registry
    devices.register_class(sender=agency, class_id=keccak(b"sensor/v1"), pcr_digest=golden,
                           attestation_required=True)
    device = devices.admit_device(sender=agency, class_id=keccak(b"sensor/v1"), attestation_key=ak_der)
    devices.revoke_device(sender=agency, device_id=device.device_id)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak, to_checksum_address

from offchain.chain.contracts import ContractClient, call, require_bytes32, require_uint, transact
from offchain.errors import ChainError, InvalidInputError

__all__ = [
    "DEVICE_REGISTRY_CONTRACT",
    "MAX_KEY_BYTES",
    "AdmittedDevice",
    "DeviceClass",
    "DeviceRegistryClient",
    "GoldenMeasurement",
    "UnknownDeviceClassError",
    "UnknownDeviceError",
    "device_id_of",
]

logger = logging.getLogger(__name__)

#: The contract's name in the project and in deployment records.
DEVICE_REGISTRY_CONTRACT = "DeviceRegistry"
#: Longest attestation key accepted, in bytes (``MAX_KEY_BYTES``).
MAX_KEY_BYTES = 512
_MAX_UINT32 = (1 << 32) - 1


class UnknownDeviceClassError(ChainError):
    """No device class is registered under the given id."""

    def __init__(self, class_id: bytes) -> None:
        super().__init__(f"no device class is registered under id 0x{class_id.hex()}")
        self.class_id = class_id


class UnknownDeviceError(ChainError):
    """No device is admitted under the given id (keccak256 of its attestation key)."""

    def __init__(self, device_id: bytes) -> None:
        super().__init__(f"no device is admitted under id 0x{device_id.hex()}")
        self.device_id = device_id


def device_id_of(attestation_key: bytes) -> bytes:
    """The id the registry gives a device: keccak256 of its attestation key bytes."""
    return bytes(keccak(_key(attestation_key)))


class _Revocable:
    """What a measurement version and a device share: a revocation time, 0 while not revoked."""

    revoked_at: int

    @property
    def revoked(self) -> bool:
        """Whether it was revoked."""
        return self.revoked_at != 0


@dataclass(frozen=True)
class DeviceClass:
    """A device class as the registry holds it.

    Attributes:
        class_id: The class's id.
        agency: Checksummed address of the agency that manages it.
        attestation_required: Whether uploads from its devices must carry a valid quote.
        current_version: Its newest measurement version (from 1).
        registered_at: When it was registered, in seconds.
        tx_hash: 0x-prefixed hash of the registering transaction, when this came from it.
        gas_used: Gas it used, when this came from it.
    """

    class_id: bytes
    agency: str
    attestation_required: bool
    current_version: int
    registered_at: int
    tx_hash: str | None = None
    gas_used: int | None = None


@dataclass(frozen=True)
class GoldenMeasurement(_Revocable):
    """One version of a class's golden PCR digest.

    Attributes:
        class_id: The class.
        version: The version, from 1.
        pcr_digest: SHA-256 of the PCR values the class's software yields.
        set_at: When it was set, in seconds.
        revoked_at: When it was revoked, in seconds (0: not revoked).
        tx_hash: 0x-prefixed hash of the transaction that set or revoked it, when this came from it.
        gas_used: Gas it used, when this came from it.
    """

    class_id: bytes
    version: int
    pcr_digest: bytes
    set_at: int
    revoked_at: int = 0
    tx_hash: str | None = None
    gas_used: int | None = None


@dataclass(frozen=True)
class AdmittedDevice(_Revocable):
    """A device admitted to a class.

    Attributes:
        device_id: keccak256 of its attestation key.
        class_id: Its class.
        admitted_at: When it was admitted, in seconds.
        revoked_at: When it was revoked, in seconds (0: not revoked).
        tx_hash: 0x-prefixed hash of the admitting or revoking transaction, when this came from it.
        gas_used: Gas it used, when this came from it.
    """

    device_id: bytes
    class_id: bytes
    admitted_at: int
    revoked_at: int = 0
    tx_hash: str | None = None
    gas_used: int | None = None


class DeviceRegistryClient(ContractClient):
    """Device classes, golden measurements and device keys through a deployed ``DeviceRegistry``.

    Inputs are checked here first, so bad input costs no transaction; the contract's own checks
    (membership, who manages a class, duplicates, revocations) come back as
    :class:`~offchain.errors.TransactionRevertedError` with the custom error's name
    (``DeviceRegistryNotAgency``, ``DeviceRegistryNotClassAgency``…).

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    def register_class(
        self, *, sender: Any, class_id: bytes, pcr_digest: bytes, attestation_required: bool
    ) -> DeviceClass:
        """Register ``class_id``, managed by ``sender`` (a consortium member), with golden digest version 1.

        Args:
            sender: The agency's signer.
            class_id: Non-zero 32-byte id (e.g. keccak256 of a model name).
            pcr_digest: Non-zero 32-byte golden PCR digest
                (:meth:`offchain.attestation.MeasurementLog.pcr_digest`).
            attestation_required: Whether uploads from the class must carry a valid quote.

        Returns:
            The class as registered, with ``tx_hash`` and ``gas_used``.

        Raises:
            InvalidInputError: on a zero or wrongly sized id or digest; nothing is sent.
            TransactionRevertedError: ``DeviceRegistryNotAgency``, ``DeviceRegistryClassExists``.
        """
        cid = require_bytes32(class_id, "class_id", nonzero=True)
        digest = require_bytes32(pcr_digest, "pcr_digest", nonzero=True)
        if not isinstance(attestation_required, bool):
            raise InvalidInputError(f"attestation_required must be a bool, got {type(attestation_required).__name__}")
        receipt = transact(self.contract, "registerClass", cid, digest, attestation_required, sender=sender)
        event = receipt.events["DeviceClassRegistered"]
        return DeviceClass(
            class_id=cid,
            agency=to_checksum_address(event["agency"]),
            attestation_required=attestation_required,
            current_version=1,
            registered_at=int(receipt.timestamp),
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
        )

    def set_measurement(self, *, sender: Any, class_id: bytes, pcr_digest: bytes) -> GoldenMeasurement:
        """Set a new golden digest for ``class_id``; it becomes the current version.

        Raises:
            InvalidInputError: on a zero or wrongly sized id or digest; nothing is sent.
            TransactionRevertedError: ``DeviceRegistryUnknownClass``,
                ``DeviceRegistryNotClassAgency``, ``DeviceRegistryNotAgency``.
        """
        cid = require_bytes32(class_id, "class_id", nonzero=True)
        digest = require_bytes32(pcr_digest, "pcr_digest", nonzero=True)
        receipt = transact(self.contract, "setMeasurement", cid, digest, sender=sender)
        return GoldenMeasurement(
            class_id=cid,
            version=int(receipt.events["MeasurementSet"]["version"]),
            pcr_digest=digest,
            set_at=int(receipt.timestamp),
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
        )

    def revoke_measurement(self, *, sender: Any, class_id: bytes, version: int) -> GoldenMeasurement:
        """Revoke ``version`` of ``class_id``'s golden measurement.

        Returns:
            The measurement as now stored, with ``tx_hash`` and ``gas_used``.

        Raises:
            InvalidInputError: on a wrongly sized id or a version out of range; nothing is sent.
            TransactionRevertedError: ``DeviceRegistryUnknownMeasurement``,
                ``DeviceRegistryMeasurementRevoked``, and as :meth:`set_measurement`.
        """
        cid = require_bytes32(class_id, "class_id", nonzero=True)
        checked = require_uint(version, "version", low=1, high=_MAX_UINT32)
        receipt = transact(self.contract, "revokeMeasurement", cid, checked, sender=sender)
        stored = self.get_measurement(cid, checked)
        return GoldenMeasurement(
            class_id=cid,
            version=checked,
            pcr_digest=stored.pcr_digest,
            set_at=stored.set_at,
            revoked_at=stored.revoked_at,
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
        )

    def admit_device(self, *, sender: Any, class_id: bytes, attestation_key: bytes) -> AdmittedDevice:
        """Admit a device's attestation public key (DER SubjectPublicKeyInfo) to ``class_id``.

        Returns:
            The device as admitted (its id is :func:`device_id_of` the key), with ``tx_hash``
            and ``gas_used``.

        Raises:
            InvalidInputError: on a wrongly sized id or an empty or oversized key; nothing is sent.
            TransactionRevertedError: ``DeviceRegistryDeviceExists``, and as :meth:`set_measurement`.
        """
        cid = require_bytes32(class_id, "class_id", nonzero=True)
        key = _key(attestation_key)
        receipt = transact(self.contract, "admitDevice", cid, key, sender=sender)
        return AdmittedDevice(
            device_id=device_id_of(key),
            class_id=cid,
            admitted_at=int(receipt.timestamp),
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
        )

    def revoke_device(self, *, sender: Any, device_id: bytes) -> AdmittedDevice:
        """Revoke ``device_id`` for good.

        Raises:
            InvalidInputError: on a wrongly sized id; nothing is sent.
            TransactionRevertedError: ``DeviceRegistryUnknownDevice``,
                ``DeviceRegistryDeviceRevoked``, and as :meth:`set_measurement`.
        """
        did = require_bytes32(device_id, "device_id", nonzero=True)
        receipt = transact(self.contract, "revokeDevice", did, sender=sender)
        stored = self.get_device(did)
        return AdmittedDevice(
            device_id=did,
            class_id=stored.class_id,
            admitted_at=stored.admitted_at,
            revoked_at=stored.revoked_at,
            tx_hash=str(receipt.txid),
            gas_used=int(receipt.gas_used),
        )

    # --- reads --------------------------------------------------------------------------------

    def get_class(self, class_id: bytes) -> DeviceClass:
        """The class ``class_id``.

        Raises:
            UnknownDeviceClassError: if no class is registered under it.
        """
        cid = require_bytes32(class_id, "class_id", nonzero=False)
        agency, required, version, registered_at = call(self.contract, "classOf", cid)
        if int(agency, 16) == 0:
            raise UnknownDeviceClassError(cid)
        return DeviceClass(cid, to_checksum_address(agency), bool(required), int(version), int(registered_at))

    def get_measurement(self, class_id: bytes, version: int) -> GoldenMeasurement:
        """Version ``version`` of ``class_id``'s golden measurement.

        Raises:
            UnknownDeviceClassError: if the class has no such version (or does not exist).
        """
        cid = require_bytes32(class_id, "class_id", nonzero=False)
        checked = require_uint(version, "version", low=1, high=_MAX_UINT32)
        digest, set_at, revoked_at = call(self.contract, "measurementOf", cid, checked)
        if int(set_at) == 0:
            raise UnknownDeviceClassError(cid)
        return GoldenMeasurement(cid, checked, bytes(digest), int(set_at), int(revoked_at))

    def current_measurement(self, class_id: bytes) -> GoldenMeasurement:
        """The current (newest) version of ``class_id``'s golden measurement, revoked or not.

        Raises:
            UnknownDeviceClassError: if no class is registered under it.
        """
        return self.get_measurement(class_id, self.get_class(class_id).current_version)

    def get_device(self, device_id: bytes) -> AdmittedDevice:
        """The device ``device_id``.

        Raises:
            UnknownDeviceError: if no device is admitted under it.
        """
        did = require_bytes32(device_id, "device_id", nonzero=False)
        class_id, admitted_at, revoked_at = call(self.contract, "deviceOf", did)
        if int(admitted_at) == 0:
            raise UnknownDeviceError(did)
        return AdmittedDevice(did, bytes(class_id), int(admitted_at), int(revoked_at))

    def is_trusted(self, device_id: bytes, pcr_digest: bytes) -> bool:
        """The contract's own check: admitted, not revoked, ``pcr_digest`` current and unrevoked."""
        did = require_bytes32(device_id, "device_id", nonzero=False)
        digest = require_bytes32(pcr_digest, "pcr_digest", nonzero=False)
        return bool(call(self.contract, "isTrusted", did, digest))


def _key(value: object) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise InvalidInputError(f"attestation_key must be bytes, got {type(value).__name__}")
    if not 1 <= len(value) <= MAX_KEY_BYTES:
        raise InvalidInputError(f"attestation_key must be 1..{MAX_KEY_BYTES} bytes, got {len(value)}")
    return bytes(value)
