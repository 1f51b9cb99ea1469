"""DeviceRegistry: agencies of the consortium register device classes with golden PCR digests
(versioned), admit and revoke devices' attestation keys, revoke measurements; every revert and
every event (Peng et al., steps (1)–(5))."""

from __future__ import annotations

import brownie
import pytest
from eth_utils import keccak

from tests.helpers import custom_error

CLASS_ID = keccak(b"sensor-node/v1")
OTHER_CLASS_ID = keccak(b"hospital-gateway/v1")
GOLDEN = keccak(b"golden pcr digest v1")
GOLDEN_V2 = keccak(b"golden pcr digest v2")
KEY = b"\x30\x59" + bytes(range(89))  # stands for a 91-byte DER SubjectPublicKeyInfo
OTHER_KEY = b"\x30\x59" + bytes(reversed(range(89)))
DEVICE_ID = keccak(KEY)
CLASS_FIELDS = ("agency", "attestationRequired", "currentVersion", "registeredAt")
MEASUREMENT_FIELDS = ("pcrDigest", "setAt", "revokedAt")
DEVICE_FIELDS = ("classId", "admittedAt", "revokedAt")
ZERO32 = b"\x00" * 32
# Gas goals (bench/attestation.py measures the same calls): a class 99,355, a 91-byte key 79,487,
# a new measurement version 79,933, a device revocation 38,568, a measurement revocation 36,974.
REGISTER_GAS_GOAL = 100_000
ADMIT_GAS_GOAL = 80_000
SET_MEASUREMENT_GAS_GOAL = 80_000
REVOKE_GAS_GOAL = 40_000


@pytest.fixture(scope="module")
def devices(DeviceRegistry, consortium, deployer):
    return DeviceRegistry.deploy(consortium, {"from": deployer})


@pytest.fixture
def registered(devices, agencies):
    """CLASS_ID registered by agencies[0], attestation required; the receipt."""
    return devices.registerClass(CLASS_ID, GOLDEN, True, {"from": agencies[0]})


@pytest.fixture
def admitted(devices, agencies, registered):
    """KEY admitted to CLASS_ID; the receipt."""
    return devices.admitDevice(CLASS_ID, KEY, {"from": agencies[0]})


def class_of(devices, class_id=CLASS_ID) -> dict:
    return dict(zip(CLASS_FIELDS, devices.classOf(class_id), strict=True))


def measurement_of(devices, version, class_id=CLASS_ID) -> dict:
    return dict(zip(MEASUREMENT_FIELDS, devices.measurementOf(class_id, version), strict=True))


def device_of(devices, device_id=DEVICE_ID) -> dict:
    return dict(zip(DEVICE_FIELDS, devices.deviceOf(device_id), strict=True))


def remove_member(consortium, agencies, member) -> None:
    """The other three agencies vote ``member`` out (3 of 4 is the quorum)."""
    others = [a for a in agencies if a != member]
    ballot = consortium.proposeRemoval(member, {"from": others[0]}).return_value
    for agency in others[1:3]:
        consortium.vote(ballot, True, {"from": agency})
    assert not consortium.isMember(member)


# --- deployment ---------------------------------------------------------------------------------


def test_deployment_records_the_consortium(devices, consortium):
    assert devices.consortium() == consortium.address
    assert devices.MAX_KEY_BYTES() == 512


def test_deployment_refuses_an_address_without_code(DeviceRegistry, deployer, stranger):
    with brownie.reverts(custom_error("DeviceRegistryNoCode", stranger.address)):
        DeviceRegistry.deploy(stranger, {"from": deployer})


# --- classes ------------------------------------------------------------------------------------


def test_an_agency_registers_a_class_with_measurement_version_1(devices, agencies, registered, chain):
    event = registered.events["DeviceClassRegistered"]
    assert (event["classId"], event["agency"], event["pcrDigest"], event["attestationRequired"]) == (
        "0x" + CLASS_ID.hex(),
        agencies[0],
        "0x" + GOLDEN.hex(),
        True,
    )
    set_event = registered.events["MeasurementSet"]
    assert (set_event["classId"], set_event["version"], set_event["pcrDigest"]) == (
        "0x" + CLASS_ID.hex(),
        1,
        "0x" + GOLDEN.hex(),
    )
    stored = class_of(devices)
    assert (stored["agency"], stored["attestationRequired"], stored["currentVersion"]) == (agencies[0], True, 1)
    assert stored["registeredAt"] == registered.timestamp
    assert measurement_of(devices, 1) == {
        "pcrDigest": "0x" + GOLDEN.hex(),
        "setAt": registered.timestamp,
        "revokedAt": 0,
    }


def test_a_non_member_cannot_register_a_class(devices, stranger):
    with brownie.reverts(custom_error("DeviceRegistryNotAgency", stranger.address)):
        devices.registerClass(CLASS_ID, GOLDEN, True, {"from": stranger})


@pytest.mark.parametrize(
    ("class_id", "digest", "field"), [(ZERO32, GOLDEN, "classId"), (CLASS_ID, ZERO32, "pcrDigest")]
)
def test_register_class_refuses_a_zero_field(devices, agencies, class_id, digest, field):
    with brownie.reverts(custom_error("DeviceRegistryZeroField", field)):
        devices.registerClass(class_id, digest, False, {"from": agencies[0]})


def test_a_class_id_cannot_be_taken_twice(devices, agencies, registered):
    with brownie.reverts(custom_error("DeviceRegistryClassExists", CLASS_ID)):
        devices.registerClass(CLASS_ID, GOLDEN_V2, False, {"from": agencies[1]})


# --- measurements -------------------------------------------------------------------------------


def test_set_measurement_makes_a_new_current_version(devices, agencies, registered):
    tx = devices.setMeasurement(CLASS_ID, GOLDEN_V2, {"from": agencies[0]})
    assert tx.return_value == 2
    event = tx.events["MeasurementSet"]
    assert (event["classId"], event["version"], event["pcrDigest"]) == (
        "0x" + CLASS_ID.hex(),
        2,
        "0x" + GOLDEN_V2.hex(),
    )
    assert class_of(devices)["currentVersion"] == 2
    assert measurement_of(devices, 2)["pcrDigest"] == "0x" + GOLDEN_V2.hex()
    assert measurement_of(devices, 1)["pcrDigest"] == "0x" + GOLDEN.hex()  # history kept
    assert tx.gas_used <= SET_MEASUREMENT_GAS_GOAL


def test_set_measurement_refuses_a_zero_digest(devices, agencies, registered):
    with brownie.reverts(custom_error("DeviceRegistryZeroField", "pcrDigest")):
        devices.setMeasurement(CLASS_ID, ZERO32, {"from": agencies[0]})


def test_revoke_measurement_marks_the_version(devices, agencies, registered):
    tx = devices.revokeMeasurement(CLASS_ID, 1, {"from": agencies[0]})
    event = tx.events["MeasurementRevoked"]
    assert (event["classId"], event["version"]) == ("0x" + CLASS_ID.hex(), 1)
    assert measurement_of(devices, 1)["revokedAt"] == tx.timestamp
    assert tx.gas_used <= REVOKE_GAS_GOAL


@pytest.mark.parametrize("version", [0, 2])
def test_revoke_measurement_refuses_an_unknown_version(devices, agencies, registered, version):
    with brownie.reverts(custom_error("DeviceRegistryUnknownMeasurement", CLASS_ID, version, 1)):
        devices.revokeMeasurement(CLASS_ID, version, {"from": agencies[0]})


def test_a_measurement_cannot_be_revoked_twice(devices, agencies, registered):
    devices.revokeMeasurement(CLASS_ID, 1, {"from": agencies[0]})
    with brownie.reverts(custom_error("DeviceRegistryMeasurementRevoked", CLASS_ID, 1)):
        devices.revokeMeasurement(CLASS_ID, 1, {"from": agencies[0]})


# --- devices ------------------------------------------------------------------------------------


def test_an_agency_admits_a_device_key(devices, agencies, admitted):
    assert admitted.return_value == "0x" + DEVICE_ID.hex()
    event = admitted.events["DeviceAdmitted"]
    assert (event["deviceId"], event["classId"], event["attestationKey"]) == (
        "0x" + DEVICE_ID.hex(),
        "0x" + CLASS_ID.hex(),
        "0x" + KEY.hex(),
    )
    assert device_of(devices) == {"classId": "0x" + CLASS_ID.hex(), "admittedAt": admitted.timestamp, "revokedAt": 0}
    assert admitted.gas_used <= ADMIT_GAS_GOAL


def test_admit_device_refuses_an_empty_key(devices, agencies, registered):
    with brownie.reverts(custom_error("DeviceRegistryZeroField", "attestationKey")):
        devices.admitDevice(CLASS_ID, b"", {"from": agencies[0]})


def test_admit_device_refuses_an_oversized_key(devices, agencies, registered):
    with brownie.reverts(custom_error("DeviceRegistryKeyTooLong", 513, 512)):
        devices.admitDevice(CLASS_ID, b"\x01" * 513, {"from": agencies[0]})


def test_a_key_cannot_be_admitted_twice(devices, agencies, admitted):
    devices.registerClass(OTHER_CLASS_ID, GOLDEN, False, {"from": agencies[1]})
    with brownie.reverts(custom_error("DeviceRegistryDeviceExists", DEVICE_ID)):
        devices.admitDevice(OTHER_CLASS_ID, KEY, {"from": agencies[1]})


def test_revoke_device_marks_it_for_good(devices, agencies, admitted):
    tx = devices.revokeDevice(DEVICE_ID, {"from": agencies[0]})
    event = tx.events["DeviceRevoked"]
    assert (event["deviceId"], event["classId"]) == ("0x" + DEVICE_ID.hex(), "0x" + CLASS_ID.hex())
    assert device_of(devices)["revokedAt"] == tx.timestamp
    assert tx.gas_used <= REVOKE_GAS_GOAL
    with brownie.reverts(custom_error("DeviceRegistryDeviceExists", DEVICE_ID)):
        devices.admitDevice(CLASS_ID, KEY, {"from": agencies[0]})


def test_revoke_device_refuses_an_unknown_device(devices, agencies, registered):
    with brownie.reverts(custom_error("DeviceRegistryUnknownDevice", DEVICE_ID)):
        devices.revokeDevice(DEVICE_ID, {"from": agencies[0]})


def test_a_device_cannot_be_revoked_twice(devices, agencies, admitted):
    devices.revokeDevice(DEVICE_ID, {"from": agencies[0]})
    with brownie.reverts(custom_error("DeviceRegistryDeviceRevoked", DEVICE_ID)):
        devices.revokeDevice(DEVICE_ID, {"from": agencies[0]})


# --- who manages a class ------------------------------------------------------------------------

MANAGING_CALLS = [
    ("setMeasurement", (CLASS_ID, GOLDEN_V2)),
    ("revokeMeasurement", (CLASS_ID, 1)),
    ("admitDevice", (CLASS_ID, OTHER_KEY)),
    ("revokeDevice", (DEVICE_ID,)),
]


@pytest.mark.parametrize(("function", "args"), MANAGING_CALLS, ids=[c[0] for c in MANAGING_CALLS])
def test_only_the_class_agency_manages_it(devices, agencies, admitted, function, args):
    with brownie.reverts(
        custom_error("DeviceRegistryNotClassAgency", CLASS_ID, agencies[1].address, agencies[0].address)
    ):
        getattr(devices, function)(*args, {"from": agencies[1]})


@pytest.mark.parametrize(("function", "args"), MANAGING_CALLS[:3], ids=[c[0] for c in MANAGING_CALLS[:3]])
def test_managing_an_unknown_class_reverts(devices, agencies, function, args):
    with brownie.reverts(custom_error("DeviceRegistryUnknownClass", CLASS_ID)):
        getattr(devices, function)(*args, {"from": agencies[0]})


def test_an_agency_that_left_the_consortium_can_no_longer_manage_its_class(devices, consortium, agencies, admitted):
    remove_member(consortium, agencies, agencies[0])
    with brownie.reverts(custom_error("DeviceRegistryNotAgency", agencies[0].address)):
        devices.revokeDevice(DEVICE_ID, {"from": agencies[0]})


# --- the on-chain half of a quote check ---------------------------------------------------------


def test_is_trusted_holds_for_an_admitted_device_at_the_current_digest(devices, admitted):
    assert devices.isTrusted(DEVICE_ID, GOLDEN)
    assert not devices.isTrusted(DEVICE_ID, GOLDEN_V2)
    assert not devices.isTrusted(keccak(OTHER_KEY), GOLDEN)


def test_is_trusted_fails_after_any_revocation_or_update(devices, agencies, admitted):
    devices.setMeasurement(CLASS_ID, GOLDEN_V2, {"from": agencies[0]})
    assert not devices.isTrusted(DEVICE_ID, GOLDEN) and devices.isTrusted(DEVICE_ID, GOLDEN_V2)
    devices.revokeMeasurement(CLASS_ID, 2, {"from": agencies[0]})
    assert not devices.isTrusted(DEVICE_ID, GOLDEN_V2)
    devices.setMeasurement(CLASS_ID, GOLDEN_V2, {"from": agencies[0]})
    assert devices.isTrusted(DEVICE_ID, GOLDEN_V2)
    devices.revokeDevice(DEVICE_ID, {"from": agencies[0]})
    assert not devices.isTrusted(DEVICE_ID, GOLDEN_V2)
