"""An in-memory stand-in for :class:`~offchain.chain.device_registry.DeviceRegistryClient`'s reads,
so that quote verification is tested without a chain; it answers with the real record types and
raises the real errors (the chain client itself is tested in tests/offchain/chain)."""

from __future__ import annotations

from dataclasses import replace

from offchain.chain.device_registry import (
    AdmittedDevice,
    DeviceClass,
    GoldenMeasurement,
    UnknownDeviceClassError,
    UnknownDeviceError,
    device_id_of,
)

AGENCY = "0x" + "11" * 20


class FakeDeviceDirectory:
    """Classes, measurements and devices in dicts; the clock ticks one second per change."""

    def __init__(self) -> None:
        self.classes: dict[bytes, DeviceClass] = {}
        self.measurements: dict[tuple[bytes, int], GoldenMeasurement] = {}
        self.devices: dict[bytes, AdmittedDevice] = {}
        self.clock = 1_000

    def _tick(self) -> int:
        self.clock += 1
        return self.clock

    def register_class(self, class_id: bytes, pcr_digest: bytes, *, attestation_required: bool = True) -> None:
        now = self._tick()
        self.classes[class_id] = DeviceClass(class_id, AGENCY, attestation_required, 1, now)
        self.measurements[(class_id, 1)] = GoldenMeasurement(class_id, 1, pcr_digest, now)

    def set_measurement(self, class_id: bytes, pcr_digest: bytes) -> int:
        version = self.classes[class_id].current_version + 1
        self.classes[class_id] = replace(self.classes[class_id], current_version=version)
        self.measurements[(class_id, version)] = GoldenMeasurement(class_id, version, pcr_digest, self._tick())
        return version

    def revoke_measurement(self, class_id: bytes, version: int) -> None:
        key = (class_id, version)
        self.measurements[key] = replace(self.measurements[key], revoked_at=self._tick())

    def admit(self, class_id: bytes, attestation_key: bytes) -> bytes:
        device_id = device_id_of(attestation_key)
        self.devices[device_id] = AdmittedDevice(device_id, class_id, self._tick())
        return device_id

    def revoke_device(self, device_id: bytes) -> None:
        self.devices[device_id] = replace(self.devices[device_id], revoked_at=self._tick())

    def get_device(self, device_id: bytes) -> AdmittedDevice:
        try:
            return self.devices[device_id]
        except KeyError:
            raise UnknownDeviceError(device_id) from None

    def get_class(self, class_id: bytes) -> DeviceClass:
        try:
            return self.classes[class_id]
        except KeyError:
            raise UnknownDeviceClassError(class_id) from None

    def get_measurement(self, class_id: bytes, version: int) -> GoldenMeasurement:
        try:
            return self.measurements[(class_id, version)]
        except KeyError:
            raise UnknownDeviceClassError(class_id) from None
