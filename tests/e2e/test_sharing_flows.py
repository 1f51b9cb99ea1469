"""The five flows of encrypted sharing, end to end on the local chain, with their failure cases.

Upload and download (Zheng et al. §4.3), sharing through m-of-n proxies (Feng et al. §6.8–6.9),
auditing (Huang et al. §3.3) and anchoring in item and data blocks (Zheng et al. §4.4).
"""

from __future__ import annotations

import pytest

from offchain.chain.anchor import MerkleAnchorClient
from offchain.chain.registry import DataRegistryClient
from offchain.crypto import pre
from offchain.crypto.batching import DataBlock
from offchain.crypto.hashing import keccak256, sha256
from offchain.errors import AccessDeniedError, IntegrityError, UnknownBatchError
from offchain.protocols import Auditor, Buyer, CloudServer, DataOwner, RecordAnchorer
from offchain.protocols.cloud_server import AuditResponse
from offchain.storage import FilesystemBlobStore

CONTENT = b"patient_id,age,diagnosis\n" + b"P-%05d,54,benign\n" * 400
BLOCK = 256


class TamperingServer(CloudServer):
    """A faulty or malicious server: flips one bit of what it serves."""

    bit = 8 * 100 + 3

    def fetch(self, file_id: bytes, download_token: bytes) -> bytes:
        data = bytearray(super().fetch(file_id, download_token))
        data[self.bit // 8] ^= 1 << (self.bit % 8)
        return bytes(data)

    def answer_challenge(self, file_id: bytes, indices: tuple[int, ...]) -> list[AuditResponse]:
        answers = super().answer_challenge(file_id, indices)
        first = answers[0]
        block = bytearray(first.block)
        block[0] ^= 0x01
        return [AuditResponse(first.index, bytes(block), first.proof), *answers[1:]]


class ForgingProxy(CloudServer):
    """A proxy that answers with a cfrag made for another receiver."""

    forged: bytes = b""

    def reencrypt(self, file_id: bytes, grantee: str, sealed: pre.SealedKey) -> bytes:
        return self.forged


@pytest.fixture
def client(registry):
    return DataRegistryClient(registry, from_block=registry.tx.block_number)


@pytest.fixture
def storage(client, tmp_path):
    return CloudServer("storage", FilesystemBlobStore(tmp_path / "storage"), client)


@pytest.fixture
def proxies(client, tmp_path):
    return [CloudServer(f"proxy{i}", FilesystemBlobStore(tmp_path / f"proxy{i}"), client) for i in range(3)]


@pytest.fixture
def data_owner(owner, client):
    return DataOwner(owner, client)


@pytest.fixture
def buyer(accounts, client):
    return Buyer(accounts[3], client)


@pytest.fixture
def uploaded(data_owner, storage):
    return data_owner.upload(CONTENT, storage, block_size=BLOCK, name="hospital-a/cohort.csv")


def share(data_owner, buyer, uploaded, proxies, threshold=2):
    return data_owner.grant(uploaded.file_id, buyer.recipient, proxies, threshold=threshold)


def receive(buyer, data_owner, uploaded, storage, proxies, threshold=2):
    return buyer.receive(
        uploaded.file_id,
        storage=storage,
        proxies=proxies,
        threshold=threshold,
        verifying_pk=data_owner.signer.public_key,
    )


# ---- 1. upload --------------------------------------------------------------------------------


def test_upload_registers_the_double_hash_and_the_merkle_root_on_chain(client, uploaded, storage):
    record = client.get_file(uploaded.file_id)
    ciphertext = storage.fetch(uploaded.file_id, uploaded.keys.download_token)
    assert record.ciphertext_hash == sha256(sha256(ciphertext))
    assert record.merkle_root == uploaded.registration.merkle_root
    assert record.locator == storage.locator_for(record.ciphertext_hash)
    assert uploaded.metadata.block_count == -(-len(ciphertext) // BLOCK)


def test_the_server_refuses_an_upload_whose_index_hash_is_wrong(storage, uploaded):
    with pytest.raises(IntegrityError, match="K_f"):
        storage.store_file(
            file_id=b"\x01" * 32,
            ciphertext=b"ciphertext",
            index_hash=b"\x00" * 32,
            block_size=BLOCK,
            sealed_key=storage.sealed_key(uploaded.file_id),
        )


# ---- 2. download ------------------------------------------------------------------------------


def test_the_owner_downloads_and_checks_its_file(data_owner, storage, uploaded):
    assert data_owner.download(storage, uploaded.file_id) == CONTENT


def test_a_wrong_download_token_is_refused(storage, uploaded):
    with pytest.raises(AccessDeniedError, match="download token"):
        storage.fetch(uploaded.file_id, b"\x00" * 32)


def test_a_tampered_ciphertext_is_detected_and_nothing_is_decrypted(data_owner, client, tmp_path, monkeypatch):
    server = TamperingServer("tampering", FilesystemBlobStore(tmp_path / "t"), client)
    receipt = data_owner.upload(CONTENT, server, block_size=BLOCK)

    def must_not_decrypt(*args, **kwargs):
        raise AssertionError("decrypt was called on an unchecked ciphertext")

    monkeypatch.setattr("offchain.protocols.retrieval.envelope.decrypt", must_not_decrypt)
    with pytest.raises(IntegrityError, match="does not match the chain"):
        data_owner.download(server, receipt.file_id)


def test_a_merkle_root_that_does_not_match_the_ciphertext_is_detected(data_owner, client, storage, uploaded):
    keys = data_owner.open_keys(storage, uploaded.file_id)
    registration = uploaded.registration
    forged = client.register_version(
        sender=data_owner.account,
        previous_file_id=registration.file_id,
        content_commitment=keccak256(b"other commitment"),
        ciphertext_hash=registration.ciphertext_hash,
        merkle_root=keccak256(b"not the root"),
        locator=registration.locator,
        metadata=registration.metadata,
    )
    from offchain.protocols.retrieval import retrieve_checked

    class SameCiphertext:
        def fetch(self, file_id, token):
            return storage.fetch(uploaded.file_id, token)

    with pytest.raises(IntegrityError, match="Merkle root"):
        retrieve_checked(client, SameCiphertext(), forged.file_id, keys)


# ---- 3. share ---------------------------------------------------------------------------------


def test_a_buyer_granted_through_two_of_three_proxies_receives_the_file(data_owner, buyer, uploaded, storage, proxies):
    grant = share(data_owner, buyer, uploaded, proxies)
    assert grant.active
    assert receive(buyer, data_owner, uploaded, storage, proxies) == CONTENT


def test_the_grant_is_on_chain_with_its_policy(data_owner, buyer, uploaded, proxies, client):
    share(data_owner, buyer, uploaded, proxies)
    on_chain = client.get_grant(uploaded.file_id, buyer.recipient.address)
    assert on_chain.active and any(on_chain.policy_hash)


def test_one_proxy_down_still_leaves_the_threshold(data_owner, buyer, uploaded, storage, proxies, client, tmp_path):
    share(data_owner, buyer, uploaded, proxies)
    down = CloudServer("down", FilesystemBlobStore(tmp_path / "down"), client)  # holds no kfrag
    assert receive(buyer, data_owner, uploaded, storage, [down, proxies[1], proxies[2]]) == CONTENT


def test_a_receiver_with_the_wrong_key_cannot_open_the_capsule(data_owner, buyer, uploaded, storage, proxies):
    share(data_owner, buyer, uploaded, proxies)
    impostor = Buyer(buyer.account, buyer.registry)  # same address, another Umbral key
    with pytest.raises(AccessDeniedError, match="only 0 of the 2"):
        receive(impostor, data_owner, uploaded, storage, proxies)


def test_an_ungranted_buyer_gets_no_cfrag(data_owner, accounts, client, uploaded, storage, proxies, buyer):
    share(data_owner, buyer, uploaded, proxies)
    stranger = Buyer(accounts[4], client)
    with pytest.raises(AccessDeniedError, match="holds no kfrag"):
        receive(stranger, data_owner, uploaded, storage, proxies)


def test_after_revocation_the_proxies_refuse(data_owner, buyer, uploaded, storage, proxies):
    share(data_owner, buyer, uploaded, proxies)
    data_owner.revoke(uploaded.file_id, buyer.recipient.address)
    with pytest.raises(AccessDeniedError, match="not active"):
        receive(buyer, data_owner, uploaded, storage, proxies)


def test_a_forged_cfrag_is_rejected_and_the_honest_proxies_suffice(
    data_owner, buyer, uploaded, storage, proxies, client, tmp_path
):
    share(data_owner, buyer, uploaded, proxies)
    other = pre.KeyPair.generate()
    file_keys = data_owner.file_keypair(uploaded.file_id)
    [wrong_kfrag] = pre.generate_kfrags(
        delegating_sk=file_keys.secret_key,
        receiving_pk=other.public_key,
        signer_sk=data_owner.signer.secret_key,
        threshold=1,
        shares=1,
    )
    verified = pre.verify_kfrag(
        wrong_kfrag,
        delegating_pk=file_keys.public_key,
        receiving_pk=other.public_key,
        verifying_pk=data_owner.signer.public_key,
    )
    forger = ForgingProxy("forger", FilesystemBlobStore(tmp_path / "forger"), client)
    forger.forged = pre.reencrypt(storage.sealed_key(uploaded.file_id), verified)
    assert receive(buyer, data_owner, uploaded, storage, [forger, proxies[0], proxies[1]]) == CONTENT
    with pytest.raises(AccessDeniedError, match="only 1 of the 2"):
        receive(buyer, data_owner, uploaded, storage, [forger, proxies[0]])


# ---- 4. audit ---------------------------------------------------------------------------------


def test_an_honest_server_passes_an_audit(client, storage, uploaded):
    report = Auditor(client).audit(uploaded.file_id, storage, k=10)
    assert report.passed
    assert len(set(report.challenge.indices)) == 10


def test_a_single_flipped_bit_in_a_sampled_block_fails_the_audit(data_owner, client, tmp_path):
    server = TamperingServer("tampering", FilesystemBlobStore(tmp_path / "t"), client)
    receipt = data_owner.upload(CONTENT, server, block_size=BLOCK)
    report = Auditor(client).audit(receipt.file_id, server, k=5)
    assert not report.passed
    assert report.failed_indices == (report.challenge.indices[0],)


def test_a_server_that_lost_the_file_fails_the_audit(client, uploaded, tmp_path):
    empty = CloudServer("empty", FilesystemBlobStore(tmp_path / "e"), client)
    report = Auditor(client).audit(uploaded.file_id, empty, k=3)
    assert not report.passed and "holds no file" in (report.error or "")


# ---- 5. anchoring -----------------------------------------------------------------------------


@pytest.fixture
def anchor_client(MerkleAnchor, deployer):
    contract = MerkleAnchor.deploy({"from": deployer})
    client = MerkleAnchorClient(contract, from_block=contract.tx.block_number)
    client.grant_anchorer(sender=deployer, account=deployer.address)
    return client


def test_every_record_of_an_anchored_data_block_proves_on_and_off_chain(data_owner, storage, anchor_client, deployer):
    anchorer = RecordAnchorer(anchor_client, deployer)
    for i in range(23):
        anchorer.add(data_owner.upload(CONTENT + bytes([i]), storage, block_size=4096).registration)
    anchored = anchorer.anchor()
    assert len(anchored) == 23 and anchorer.pending == 0
    assert all(record.verify_offchain() for record in anchored)
    assert all(anchorer.verify_onchain(record) for record in (anchored[0], anchored[10], anchored[22]))


def test_a_proof_for_a_root_that_was_never_anchored_fails_on_chain(data_owner, storage, anchor_client, deployer):
    anchorer = RecordAnchorer(anchor_client, deployer)
    anchorer.add(data_owner.upload(CONTENT, storage, block_size=4096).registration)
    [anchored] = anchorer.anchor()
    never = DataBlock.from_record_digests([keccak256(b"a"), keccak256(b"b")])
    assert not anchor_client.verify_record(anchored.batch.batch_id, keccak256(b"a"), never.record_proof(0))
    with pytest.raises(UnknownBatchError):
        anchor_client.verify_record(anchored.batch.batch_id + 1, keccak256(b"a"), never.record_proof(0))
