"""offchain.chain.device_registry against a deployed DeviceRegistry, and the attested-upload gate
of the CloudServer checking quotes against it (Peng et al.)."""

from __future__ import annotations

import hashlib

import pytest
from eth_utils import keccak

from offchain.attestation import (
    AttestationRequiredError,
    MeasurementMismatchError,
    QuoteVerifier,
    RevokedAttestationKeyError,
    RevokedMeasurementError,
    SoftwareAttester,
    UnknownAttestationKeyError,
    generate_attestation_key,
)
from offchain.attestation.pcr import MeasurementLog
from offchain.chain.device_registry import (
    DeviceRegistryClient,
    UnknownDeviceClassError,
    UnknownDeviceError,
    device_id_of,
)
from offchain.errors import AccessDeniedError, InvalidInputError, TransactionRevertedError
from offchain.protocols import CloudServer
from offchain.storage import FilesystemBlobStore

CLASS_ID = keccak(b"sensor-node/v1")
LOG = MeasurementLog().with_event("node.py", b"read_sensor()").with_event("config", b"{}")
ENVELOPE = b"a sealed digital envelope"


@pytest.fixture(scope="module")
def client(DeviceRegistry, consortium, deployer):
    contract = DeviceRegistry.deploy(consortium, {"from": deployer})
    return DeviceRegistryClient(contract, from_block=contract.tx.block_number)


@pytest.fixture(scope="module")
def node_key():
    return generate_attestation_key()


@pytest.fixture(scope="module")
def node(node_key):
    return SoftwareAttester(node_key, LOG)


@pytest.fixture
def admitted(client, agencies, node):
    client.register_class(sender=agencies[0], class_id=CLASS_ID, pcr_digest=LOG.pcr_digest(), attestation_required=True)
    return client.admit_device(sender=agencies[0], class_id=CLASS_ID, attestation_key=node.attestation_key)


@pytest.fixture
def server(client, registry, tmp_path):
    return CloudServer("storage", FilesystemBlobStore(tmp_path), registry, attestation=QuoteVerifier(client))


def upload(server, node, device_id, envelope=ENVELOPE):
    quote = node.quote(server.upload_nonce(), hashlib.sha256(envelope).digest())
    return server.store_device_upload(envelope=envelope, device_id=device_id, quote=quote)


def test_the_client_reads_back_what_it_wrote(client, agencies, node, admitted):
    assert admitted.device_id == device_id_of(node.attestation_key)
    assert admitted.gas_used > 0
    stored_class = client.get_class(CLASS_ID)
    assert (stored_class.agency, stored_class.attestation_required, stored_class.current_version) == (
        agencies[0].address,
        True,
        1,
    )
    assert client.current_measurement(CLASS_ID).pcr_digest == LOG.pcr_digest()
    assert client.get_device(admitted.device_id).class_id == CLASS_ID
    assert client.is_trusted(admitted.device_id, LOG.pcr_digest())


def test_versions_and_revocations_come_back(client, agencies, admitted):
    update = client.set_measurement(sender=agencies[0], class_id=CLASS_ID, pcr_digest=keccak(b"v2"))
    assert update.version == 2 and client.get_class(CLASS_ID).current_version == 2
    revoked = client.revoke_measurement(sender=agencies[0], class_id=CLASS_ID, version=2)
    assert revoked.revoked and revoked.pcr_digest == keccak(b"v2")
    gone = client.revoke_device(sender=agencies[0], device_id=admitted.device_id)
    assert gone.revoked and client.get_device(admitted.device_id).revoked


def test_unknown_ids_raise_typed_errors(client):
    with pytest.raises(UnknownDeviceClassError):
        client.get_class(keccak(b"nothing"))
    with pytest.raises(UnknownDeviceError):
        client.get_device(keccak(b"nothing"))


def test_bad_input_costs_no_transaction(client, agencies):
    with pytest.raises(InvalidInputError):
        client.register_class(
            sender=agencies[0], class_id=b"\x00" * 32, pcr_digest=LOG.pcr_digest(), attestation_required=True
        )
    with pytest.raises(InvalidInputError):
        client.admit_device(sender=agencies[0], class_id=CLASS_ID, attestation_key=b"\x01" * 513)


def test_a_stranger_cannot_register_a_class(client, stranger):
    with pytest.raises(TransactionRevertedError) as raised:
        client.register_class(
            sender=stranger, class_id=CLASS_ID, pcr_digest=LOG.pcr_digest(), attestation_required=True
        )
    assert raised.value.error_name == "DeviceRegistryNotAgency"


def test_the_server_stores_an_attested_upload(server, node, admitted):
    locator = upload(server, node, admitted.device_id)
    assert server.store.get(locator) == ENVELOPE
    assert server.device_upload_attestation(locator).measurement_version == 1


def test_the_server_refuses_a_modified_node(server, node_key, admitted):
    tampered = SoftwareAttester(node_key, LOG.with_event("patch.py", b"leak()"))
    with pytest.raises(MeasurementMismatchError):
        upload(server, tampered, admitted.device_id)


def test_the_server_refuses_a_revoked_device_and_a_revoked_measurement(server, client, agencies, node, admitted):
    client.revoke_measurement(sender=agencies[0], class_id=CLASS_ID, version=1)
    with pytest.raises(RevokedMeasurementError):
        upload(server, node, admitted.device_id)
    client.revoke_device(sender=agencies[0], device_id=admitted.device_id)
    with pytest.raises(RevokedAttestationKeyError):
        upload(server, node, admitted.device_id)


def test_the_server_refuses_an_unknown_key_and_a_missing_quote(server, admitted):
    stranger = SoftwareAttester(generate_attestation_key(), LOG)
    with pytest.raises(UnknownAttestationKeyError):
        upload(server, stranger, device_id_of(stranger.attestation_key))
    with pytest.raises(AttestationRequiredError):
        server.store_device_upload(envelope=ENVELOPE, device_id=admitted.device_id, quote=None)


def test_a_server_without_a_verifier_takes_no_device_uploads(registry, tmp_path):
    plain = CloudServer("plain", FilesystemBlobStore(tmp_path), registry)
    with pytest.raises(AccessDeniedError):
        plain.upload_nonce()
