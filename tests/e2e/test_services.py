"""The storage service (also the first re-encryption proxy) and a second proxy as processes
(issue 17), driven through the HTTP client: upload → share → fetch → audit → revoke, every
service SIGKILLed and restarted between steps (a replayed request stays refused); a crash test under concurrent uploads;
refused signed requests over HTTP; attested uploads from data-source devices (issue 18): a good
device accepted, a modified measurement, a replayed quote (also after a restart) and a revoked
device each refused with its own status and typed error.

Research: Zheng et al. 2018 §4.3, Feng et al. 2022 §6.8–6.9, Huang et al. 2020 §3.3; Peng et al.,
*Towards Decentralized Privacy-Preserving of Encrypted Data Sharing Protocol*, steps (1)–(5).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from offchain.attestation import (
    AttestationRequiredError,
    MeasurementLog,
    MeasurementMismatchError,
    NonceReplayError,
    QuoteKind,
    RevokedAttestationKeyError,
    SoftwareAttester,
    Swtpm,
    TpmAttester,
    generate_attestation_key,
    swtpm_available,
)
from offchain.chain.device_registry import DeviceRegistryClient
from offchain.chain.registry import DataRegistryClient
from offchain.crypto import pre
from offchain.crypto.digital_envelope import generate_receiver_key, open_envelope, seal
from offchain.crypto.hashing import keccak256, sha256
from offchain.errors import AccessDeniedError, IntegrityError, OffchainError, StorageError
from offchain.protocols import Auditor, Buyer, DataOwner
from offchain.protocols.cloud_state import CloudServerState
from offchain.services.client import StorageClient, raise_for_error
from offchain.services.local import LocalService
from offchain.services.signing import ReplayedRequestError, sign_request
from offchain.storage import FilesystemBlobStore, locator_for
from tests.helpers import evict_from_page_cache

ROOT = Path(__file__).resolve().parents[2]
CONTENT = b"patient_id,age,diagnosis\n" + b"P-00042,54,benign\n" * 300
BLOCK = 256
START_TIMEOUT_S = 90.0


def _rpc_url() -> str:
    """The URL of this test's chain (each test worker runs its own, at its own port)."""
    from brownie import web3

    return str(web3.provider.endpoint_uri)


def Service(role: str, name: str, data: Path, network: str, registry: str, extra: tuple[str, ...] = ()) -> LocalService:
    """One ``datashare serve`` process of this test's chain; ``kill`` is SIGKILL, ``start`` reuses
    its port and folder."""
    return LocalService(role, name, data, network=network, registry=registry, rpc=_rpc_url(), extra=extra, cwd=ROOT)


@pytest.fixture(scope="module")
def device_registry(DeviceRegistry, consortium, deployer):
    return DeviceRegistry.deploy(consortium, {"from": deployer})


@pytest.fixture(scope="module")
def services(registry, device_registry, tmp_path_factory):
    """Two processes (each costs a Brownie start-up of several seconds): the storage service,
    which is also a proxy and takes attested device uploads, and a second proxy."""
    from brownie import network

    folder = tmp_path_factory.mktemp("services")
    started = [
        Service(role, name, folder / name, network.show_active(), registry.address, extra)
        for role, name, extra in (
            ("storage", "storage", ("--device-registry", device_registry.address)),
            ("proxy", "proxy-2", ()),
        )
    ]

    def restart() -> None:
        for service in started:
            service.kill()
        for service in started:
            service.start()
        for service in started:
            service.wait_ready()

    restart()
    yield started, restart
    for service in started:
        service.kill()


@pytest.fixture
def funded(accounts):
    def make():
        account = accounts.add()
        accounts[0].transfer(account, "10 ether")
        return account

    return make


def test_upload_share_fetch_audit_revoke_survive_sigkill(services, registry, funded):
    (storage, proxy2), restart = services
    chain_client = DataRegistryClient(registry, from_block=registry.tx.block_number)
    owner = DataOwner(funded(), chain_client)
    buyer = Buyer(funded(), chain_client)

    def clients(account):
        return [StorageClient(s.url, private_key=account.private_key) for s in (storage, storage, proxy2)]

    owner_storage, *owner_proxies = clients(owner.account)
    receipt = owner.upload(CONTENT, owner_storage, block_size=BLOCK)
    file_id = receipt.registration.file_id
    assert receipt.registration.locator == f"cloud://storage/{receipt.registration.ciphertext_hash.hex()}"

    path = "/files/" + "00" * 32 + "/reencrypt"
    replay = sign_request(
        owner.account.private_key, chain_id=owner_storage.chain_id, service="storage", method="POST", path=path
    )
    first = httpx.post(f"{storage.url}{path}", headers=replay.as_dict())
    assert first.status_code == 400 and first.json()["error"] == "InvalidInputError"  # no capsule; nonce spent

    restart()
    replayed = httpx.post(f"{storage.url}{path}", headers=replay.as_dict())
    assert (replayed.status_code, replayed.json()["error"]) == (409, "ReplayedRequestError")
    with pytest.raises(ReplayedRequestError):
        raise_for_error(replayed)
    assert owner.download(owner_storage, file_id) == CONTENT
    owner.grant(file_id, buyer.recipient, owner_proxies, threshold=2)

    restart()
    buyer_storage, *buyer_proxies = clients(buyer.account)
    opened = dict(storage=buyer_storage, proxies=buyer_proxies, threshold=2, verifying_pk=owner.signer.public_key)
    assert buyer.receive(file_id, **opened) == CONTENT

    restart()
    report = Auditor(chain_client).audit(file_id, buyer_storage, k=8)
    assert report.passed, report
    assert "datashare_requests_total" in httpx.get(f"{storage.url}/metrics").text

    owner.revoke(file_id, buyer.account.address)
    with pytest.raises(AccessDeniedError, match="only 0 of the 2"):  # at once: no restart, no cache
        buyer.open_keys(file_id, **opened)
    restart()
    with pytest.raises(AccessDeniedError, match="only 0 of the 2"):
        buyer.open_keys(file_id, **opened)


def test_a_foreign_or_wrong_chain_request_is_refused_over_http(services, funded):
    (storage, proxy2), _ = services
    caller = funded()
    client = StorageClient(proxy2.url, private_key=caller.private_key)
    path = "/files/" + "00" * 32 + "/reencrypt"
    again = sign_request(caller.private_key, chain_id=client.chain_id, service="proxy-2", method="POST", path=path)
    to_other = httpx.post(f"{storage.url}{path}", headers=again.as_dict())  # signed for proxy-2
    assert (to_other.status_code, to_other.json()["error"]) == (401, "VerificationError")
    wrong_chain = sign_request(caller.private_key, chain_id=1, service="proxy-2", method="POST", path=path)
    refused = httpx.post(f"{proxy2.url}{path}", headers=wrong_chain.as_dict())
    assert (refused.status_code, refused.json()["error"]) == (401, "VerificationError")


@pytest.mark.parametrize("threshold", [1e999, 1.5, True, "2"])
def test_a_kfrag_delivery_with_a_count_that_is_not_an_integer_is_refused_as_malformed(services, funded, threshold):
    """Infinity answered 500 (int() overflowed), 1.5 was truncated to 1: both are the caller's error (400)."""
    (storage, _), _ = services
    caller = funded()
    path = f"/files/{'00' * 32}/kfrags/{caller.address}"
    key = pre.public_key_to_bytes(pre.KeyPair.generate().public_key).hex()  # well formed: the counts are read next
    fields = {"kfrag": "00", "receiving_pk": key, "verifying_pk": key, "threshold": 1, "shares": 2}
    body = json.dumps({**fields, "threshold": threshold, "owner_signature": "00"}).encode()
    chain_id = StorageClient(storage.url).chain_id
    signed = sign_request(caller.private_key, chain_id=chain_id, service="storage", method="PUT", path=path, body=body)
    answer = httpx.put(f"{storage.url}{path}", content=body, headers=signed.as_dict())
    assert (answer.status_code, answer.json()["error"]) == (400, "InvalidInputError")


class _Captured:
    """Where DataOwner.upload "stores": keeps the signed upload to send later, concurrently."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.uploads: list[dict[str, object]] = []

    def locator_for(self, index_hash: bytes) -> str:
        return f"cloud://{self.name}/{index_hash.hex()}"

    def store_file(self, **upload: object) -> str:
        self.uploads.append(upload)
        return self.locator_for(b"")


def test_storage_killed_during_concurrent_uploads_stays_consistent(services, registry, funded):
    (storage, _), restart = services
    chain_client = DataRegistryClient(registry, from_block=registry.tx.block_number)
    owner = DataOwner(funded(), chain_client)
    captured = _Captured("storage")
    for i in range(12):  # registered on chain first, uploaded below
        owner.upload(os.urandom(48_000 * (i + 1)), captured, block_size=4096)  # 48 KB .. 576 KB
    acknowledged: list[bytes] = []
    client = StorageClient(storage.url, private_key=owner.account.private_key)

    def send(upload: dict[str, object]) -> None:
        try:
            client.store_file(**upload)  # type: ignore[arg-type]
            acknowledged.append(upload["file_id"])  # type: ignore[arg-type]
        except (OffchainError, httpx.TransportError):
            pass  # killed mid-request: not acknowledged

    threads = [threading.Thread(target=send, args=(u,)) for u in captured.uploads]
    for thread in threads:
        thread.start()
    time.sleep(random.uniform(0.05, 0.4))
    storage.kill()
    for thread in threads:
        thread.join()
    restart()  # the service reconciles its state with its blobs at start-up

    folder = _data_folder(storage)
    blobs = _blob_store(storage)
    state = CloudServerState(folder / "state.sqlite")
    try:
        assert state.pending_blobs() == ()
        assert state.reconcile(blobs).consistent
        for file_id in state.file_ids():
            assert blobs.exists(state.file(file_id).blob_locator)  # no index entry without its blob
    finally:
        state.close()
    for path in (folder / "blobs").rglob("*"):  # no partial blob visible under a locator
        if path.is_file() and not path.name.startswith("."):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    for upload in captured.uploads:
        file_id = upload["file_id"]
        if file_id in acknowledged:
            keys = owner.open_keys(client, file_id)
            ciphertext = client.fetch(file_id, keys.download_token)
            assert sha256(sha256(ciphertext)) == chain_client.get_file(file_id).ciphertext_hash


# ---- streamed uploads: checked while the body arrives, written once, never visible half done ----


def _registered_upload(registry, funded, size: int) -> tuple[DataOwner, dict[str, object]]:
    owner = DataOwner(funded(), DataRegistryClient(registry, from_block=registry.tx.block_number))
    captured = _Captured("storage")
    owner.upload(os.urandom(size), captured, block_size=4096)
    return owner, captured.uploads[0]


def _upload_headers(owner: DataOwner, upload: dict[str, object], chain_id: int, signed_body: bytes) -> dict[str, str]:
    path = f"/files/{upload['file_id'].hex()}"  # type: ignore[attr-defined]
    identity = sign_request(
        owner.account.private_key, chain_id=chain_id, service="storage", method="PUT", path=path, body=signed_body
    )
    return {
        "x-sealed-key": upload["sealed_key"].to_bytes().hex(),  # type: ignore[attr-defined]
        "x-owner-signature": upload["owner_signature"].hex(),  # type: ignore[attr-defined]
        **identity.as_dict(),
    }


def _data_folder(storage: LocalService) -> Path:
    """The service's ``--data`` folder."""
    return Path(storage.argv[storage.argv.index("--data") + 1])


def _blob_store(storage: LocalService) -> FilesystemBlobStore:
    """The service's blob folder, opened as a store (its layout, ``path_for``)."""
    return FilesystemBlobStore(_data_folder(storage) / "blobs")


def _blob_files(storage: LocalService) -> set[Path]:
    root = _blob_store(storage).root
    return {path.relative_to(root) for path in root.rglob("*") if path.is_file()}


def test_a_streamed_upload_not_matching_its_registration_is_refused_and_leaves_no_blob_nor_temp_file(
    services, registry, funded
):
    (storage, _), _ = services
    owner, upload = _registered_upload(registry, funded, 1_500_000)  # two 1 MiB batches
    client = StorageClient(storage.url, private_key=owner.account.private_key)
    ciphertext: bytes = upload["ciphertext"]  # type: ignore[assignment]
    tampered = bytearray(ciphertext)
    tampered[-1] ^= 1
    url = f"{storage.url}/files/{upload['file_id'].hex()}"  # type: ignore[attr-defined]
    before = _blob_files(storage)

    late = httpx.put(url, content=bytes(tampered), headers=_upload_headers(owner, upload, client.chain_id, ciphertext))
    assert (late.status_code, late.json()["error"]) == (422, "IntegrityError")  # declared right, sent wrong
    assert "the body hashes to" in late.json()["detail"]
    early = httpx.put(url, content=bytes(tampered), headers=_upload_headers(owner, upload, client.chain_id, tampered))
    assert (early.status_code, early.json()["error"]) == (422, "IntegrityError")  # refused by the registration
    assert "H(H(f*))" in early.json()["detail"]
    assert _blob_files(storage) == before  # no blob, no temporary file

    client.store_file(**upload)  # type: ignore[arg-type]
    keys = owner.open_keys(client, upload["file_id"])  # type: ignore[arg-type]
    assert client.fetch(upload["file_id"], keys.download_token) == ciphertext  # type: ignore[arg-type]


def _forged_upload_headers(owner: DataOwner, upload: dict[str, object], chain_id: int, stranger) -> dict[str, str]:
    """The upload's headers, the request signed by ``stranger`` but claiming to be the owner's."""
    headers = _upload_headers(owner, upload, chain_id, upload["ciphertext"])  # type: ignore[arg-type]
    path = f"/files/{upload['file_id'].hex()}"  # type: ignore[attr-defined]
    forged = sign_request(
        stranger.private_key, chain_id=chain_id, service="storage", method="PUT", path=path, body=upload["ciphertext"]
    )
    return {**headers, **{k: v for k, v in forged.as_dict().items() if k != "x-datashare-signer"}}


def test_a_streamed_upload_with_a_forged_request_signature_commits_no_blob_intent(services, registry, funded):
    (storage, _), _ = services
    owner, upload = _registered_upload(registry, funded, 1_500_000)
    chain_id = StorageClient(storage.url).chain_id
    url = f"{storage.url}/files/{upload['file_id'].hex()}"  # type: ignore[attr-defined]
    refused = httpx.put(
        url, content=upload["ciphertext"], headers=_forged_upload_headers(owner, upload, chain_id, funded())
    )
    assert (refused.status_code, refused.json()["error"]) == (401, "VerificationError")
    time.sleep(0.5)  # a check still running in a thread would have committed by now
    state = CloudServerState(_data_folder(storage) / "state.sqlite")
    try:
        assert locator_for(upload["ciphertext"]) not in state.pending_blobs()  # type: ignore[arg-type]
    finally:
        state.close()


def test_a_forged_upload_of_an_unregistered_file_is_refused_for_its_signature(services, registry, funded):
    (storage, _), _ = services
    owner, upload = _registered_upload(registry, funded, 100_000)
    unregistered = {**upload, "file_id": os.urandom(32)}
    chain_id = StorageClient(storage.url).chain_id
    url = f"{storage.url}/files/{unregistered['file_id'].hex()}"  # type: ignore[attr-defined]
    for _ in range(5):  # the registration is never read for an unauthenticated caller: never a 404
        headers = _forged_upload_headers(owner, unregistered, chain_id, funded())
        refused = httpx.put(url, content=upload["ciphertext"], headers=headers)
        assert (refused.status_code, refused.json()["error"]) == (401, "VerificationError")


@pytest.mark.parametrize(
    ("size", "refusal"),
    [
        (20_000, IntegrityError),  # checked before the answer starts: a clean error (IntegrityError, 422)
        (2_000_000, IntegrityError),  # up to 2 MiB: read whole and checked before the answer starts
        (3_000_000, httpx.TransportError),  # streamed, checked as read: cut short as well
        (3 << 20, httpx.TransportError),  # streamed, a whole number of 1 MiB reads: the last held back
    ],
)
def test_a_blob_altered_on_disk_is_never_delivered_whole(services, registry, funded, size, refusal):
    (storage, _), _ = services
    owner, upload = _registered_upload(registry, funded, size)
    client = StorageClient(storage.url, private_key=owner.account.private_key)
    client.store_file(**upload)  # type: ignore[arg-type]
    token = owner.open_keys(client, upload["file_id"]).download_token  # type: ignore[arg-type]
    blob = _blob_store(storage).path_for(locator_for(upload["ciphertext"]))  # type: ignore[arg-type]
    altered = bytearray(blob.read_bytes())
    altered[len(altered) // 2] ^= 1
    blob.write_bytes(bytes(altered))
    with pytest.raises(refusal):
        client.fetch(upload["file_id"], token)  # type: ignore[arg-type]


def test_a_blob_out_of_the_page_cache_is_served_from_a_thread_and_checked(services, registry, funded):
    """The event loop serves only cached blobs (``get_if_cached``); one on disk only is read in a thread."""
    (storage, _), _ = services
    owner, upload = _registered_upload(registry, funded, 1_500_000)
    client = StorageClient(storage.url, private_key=owner.account.private_key)
    client.store_file(**upload)  # type: ignore[arg-type]
    token = owner.open_keys(client, upload["file_id"]).download_token  # type: ignore[arg-type]
    store = _blob_store(storage)
    locator = locator_for(upload["ciphertext"])  # type: ignore[arg-type]
    evict_from_page_cache(store.path_for(locator))
    assert store.get_if_cached(locator) is None  # the loop would not read it
    assert client.fetch(upload["file_id"], token) == upload["ciphertext"]  # type: ignore[arg-type]
    assert store.get_if_cached(locator) == upload["ciphertext"]  # the thread's read cached it


def test_an_upload_killed_mid_body_leaves_no_visible_partial_blob(services, registry, funded):
    (storage, _), _ = services
    owner, upload = _registered_upload(registry, funded, 3_000_000)
    chain_id = StorageClient(storage.url).chain_id
    ciphertext: bytes = upload["ciphertext"]  # type: ignore[assignment]
    path = f"/files/{upload['file_id'].hex()}"  # type: ignore[attr-defined]
    headers = {**_upload_headers(owner, upload, chain_id, ciphertext), "content-length": str(len(ciphertext))}
    head = f"PUT {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", storage.port)) as sock:
        sock.sendall(head.encode() + b"\r\n" + ciphertext[: len(ciphertext) // 2])
        deadline = time.monotonic() + 20
        while not any(p.name.startswith(".stage-") and p.stat().st_size >= 1 << 20 for p in _root_files(storage)):
            assert time.monotonic() < deadline, "the service never began writing the body"
            time.sleep(0.02)
        storage.kill()  # mid-body: half the bytes sent, the first batch staged
    storage.start()
    storage.wait_ready()

    locator = locator_for(ciphertext)
    files = _blob_files(storage)
    assert not any(p.name.startswith(".") for p in files)  # the staged file was swept at start-up
    folder = _data_folder(storage)
    assert not _blob_store(storage).exists(locator)
    state = CloudServerState(folder / "state.sqlite")
    try:
        assert state.pending_blobs() == () and state.file(upload["file_id"]) is None  # type: ignore[arg-type]
    finally:
        state.close()
    client = StorageClient(storage.url, private_key=owner.account.private_key)
    client.store_file(**upload)  # type: ignore[arg-type]  # the same upload, sent again whole, is accepted
    assert _blob_store(storage).get(locator) == ciphertext


def _root_files(storage: LocalService) -> list[Path]:
    root = _blob_store(storage).root
    return [path for path in root.iterdir() if path.is_file()] if root.is_dir() else []


# ---- attested uploads from data-source devices over HTTP (issue 18) ------------------------------

NODE_LOG = MeasurementLog().with_event("node.py", b"read_sensor()").with_event("config", b'{"rate_hz":1}')
READINGS = b"t,bpm\n" + b"".join(b"%d,%d\n" % (t, 60 + t % 25) for t in range(120))
ENVELOPE_FILE_ID = b"ward-3/heart-rate/batch-1"


def _attempt(url: str, envelope: bytes, device_id: bytes, quote) -> httpx.Response:
    """A device upload sent by hand, so that the status can be checked as well as the typed error."""
    headers = {"x-device-id": device_id.hex(), "x-quote": quote.to_bytes().hex()}
    return httpx.post(f"{url}/device-uploads", content=envelope, headers=headers)


def test_attested_device_uploads_over_http(services, device_registry, agencies):
    (storage, _), _ = services
    devices = DeviceRegistryClient(device_registry, from_block=device_registry.tx.block_number)
    class_id = keccak256(b"sensor-node/services-test")
    devices.register_class(
        sender=agencies[0], class_id=class_id, pcr_digest=NODE_LOG.pcr_digest(), attestation_required=True
    )
    key = generate_attestation_key()
    node = SoftwareAttester(key, NODE_LOG)
    admitted = devices.admit_device(sender=agencies[0], class_id=class_id, attestation_key=node.attestation_key)
    device_id = admitted.device_id
    receiver = generate_receiver_key()
    envelope = seal(READINGS, receiver.public_key(), file_id=ENVELOPE_FILE_ID).to_bytes()
    digest = sha256(envelope)
    client = StorageClient(storage.url)

    with pytest.raises(AttestationRequiredError):  # this class takes nothing without a quote
        client.store_device_upload(envelope=envelope, device_id=device_id, quote=None)
    good = node.quote(client.upload_nonce(), digest)
    locator = client.store_device_upload(envelope=envelope, device_id=device_id, quote=good)
    assert open_envelope(client.fetch_device_upload(locator), receiver, file_id=ENVELOPE_FILE_ID) == READINGS
    proved = client.device_upload_attestation(locator)
    assert proved is not None and (proved.kind, proved.device_id, proved.pcr_digest) == (
        QuoteKind.SOFTWARE,
        device_id,
        NODE_LOG.pcr_digest(),
    )

    patched = SoftwareAttester(key, NODE_LOG.with_event("patched.py", b"send_copy_elsewhere()"))
    refused = _attempt(storage.url, envelope, device_id, patched.quote(client.upload_nonce(), digest))
    assert (refused.status_code, refused.json()["error"]) == (403, "MeasurementMismatchError")
    with pytest.raises(MeasurementMismatchError):
        raise_for_error(refused)

    other = node.quote(client.upload_nonce(), sha256(b"another envelope"))
    refused = _attempt(storage.url, envelope, device_id, other)
    assert (refused.status_code, refused.json()["error"]) == (422, "DataDigestMismatchError")

    storage.restart()  # issued and used nonces and accepted uploads persist
    refused = _attempt(storage.url, envelope, device_id, good)
    assert (refused.status_code, refused.json()["error"]) == (409, "NonceReplayError")
    with pytest.raises(NonceReplayError):
        client.store_device_upload(envelope=envelope, device_id=device_id, quote=good)
    assert client.fetch_device_upload(locator) == envelope

    devices.revoke_device(sender=agencies[0], device_id=device_id)
    with pytest.raises(RevokedAttestationKeyError):
        client.store_device_upload(
            envelope=envelope, device_id=device_id, quote=node.quote(client.upload_nonce(), digest)
        )
    with pytest.raises(StorageError):  # only accepted device uploads are served
        client.fetch_device_upload("sha256:" + "00" * 32)


def test_a_tpm_quote_is_accepted_over_http(services, device_registry, agencies):
    if not swtpm_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("swtpm or tpm2-tools missing under CI=true: `make setup` installs them")
        pytest.skip("swtpm or tpm2-tools not installed (Debian packages swtpm, tpm2-tools)")
    (storage, _), _ = services
    devices = DeviceRegistryClient(device_registry, from_block=device_registry.tx.block_number)
    class_id = keccak256(b"sensor-node/services-tpm-test")
    devices.register_class(
        sender=agencies[1], class_id=class_id, pcr_digest=NODE_LOG.pcr_digest(), attestation_required=True
    )
    envelope = seal(READINGS, generate_receiver_key().public_key(), file_id=ENVELOPE_FILE_ID).to_bytes()
    client = StorageClient(storage.url)
    with Swtpm() as tpm:
        node = TpmAttester(tpm.tcti)
        node.provision()
        node.measure(NODE_LOG)
        device_id = devices.admit_device(
            sender=agencies[1], class_id=class_id, attestation_key=node.attestation_key
        ).device_id
        quote = node.quote(client.upload_nonce(), sha256(envelope))
    locator = client.store_device_upload(envelope=envelope, device_id=device_id, quote=quote)
    proved = client.device_upload_attestation(locator)
    assert proved is not None and proved.kind is QuoteKind.TPM2
