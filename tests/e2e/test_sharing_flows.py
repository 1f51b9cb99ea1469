"""The five flows of encrypted sharing, end to end on the local chain, with their failure cases.

Upload and download (Zheng et al. §4.3), sharing through m-of-n proxies (Feng et al. §6.8–6.9),
auditing (Huang et al. §3.3) and anchoring in item and data blocks (Zheng et al. §4.4).
"""

from __future__ import annotations

import pytest
from brownie import chain

from offchain.chain.anchor import MerkleAnchorClient
from offchain.chain.registry import DataRegistryClient, file_id_of, policy_hash
from offchain.chain.signing import sign_digest
from offchain.crypto import envelope, pre
from offchain.crypto.batching import DataBlock
from offchain.crypto.hashing import keccak256, sha256
from offchain.crypto.merkle import MerkleTree
from offchain.errors import AccessDeniedError, IntegrityError, UnknownBatchError, UnknownFileError, VerificationError
from offchain.protocols import Auditor, Buyer, CloudServer, DataOwner, RecordAnchorer
from offchain.protocols.cloud_server import AuditResponse, kfrag_delivery_message, upload_message
from offchain.protocols.data_owner import encrypt_file
from offchain.protocols.keys import FileKeys
from offchain.protocols.metadata import FileMetadata, capsule_hash
from offchain.storage import FilesystemBlobStore

CONTENT = b"patient_id,age,diagnosis\n" + b"P-%05d,54,benign\n" * 400
BLOCK = 256


class TamperingServer(CloudServer):
    """A faulty or malicious server: flips one bit of what it serves."""

    bit = 8 * 100 + 3

    def fetch(self, file_id: bytes, download_token: bytes, *, max_bytes: int | None = None) -> bytes:
        data = bytearray(super().fetch(file_id, download_token))
        data[self.bit // 8] ^= 1 << (self.bit % 8)
        return bytes(data)

    def answer_challenge(self, file_id: bytes, indices: tuple[int, ...]) -> list[AuditResponse]:
        answers = super().answer_challenge(file_id, indices)
        first = answers[0]
        block = bytearray(first.block)
        block[0] ^= 0x01
        return [AuditResponse(first.index, bytes(block), first.proof), *answers[1:]]


class PaddingServer(CloudServer):
    """A malicious server that serves its file with ``extra`` bytes more, and records the bound
    it was asked to keep."""

    extra = 1
    asked: tuple[int | None, ...] = ()

    def fetch(self, file_id: bytes, download_token: bytes, *, max_bytes: int | None = None) -> bytes:
        self.asked = (*self.asked, max_bytes)
        return super().fetch(file_id, download_token) + b"\0" * self.extra


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


def test_the_upload_is_registered_with_the_hash_of_its_sealed_capsule(client, uploaded, storage):
    metadata = FileMetadata.from_bytes(client.get_file(uploaded.file_id).metadata)
    assert metadata.capsule_hash == capsule_hash(storage.sealed_key(uploaded.file_id))


def test_the_server_refuses_an_upload_of_an_unregistered_file(data_owner, storage, uploaded):
    encrypted = encrypt_file(
        CONTENT, salt=bytes(32), file_id=b"\x01" * 32, sealing_pk=pre.KeyPair.generate().public_key
    )
    with pytest.raises(UnknownFileError):
        storage.store_file(
            file_id=b"\x01" * 32, ciphertext=encrypted.ciphertext, sealed_key=encrypted.sealed_key, owner_signature=b""
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


def test_a_download_is_bounded_by_the_registered_blocks(data_owner, client, tmp_path):
    server = PaddingServer("padding", FilesystemBlobStore(tmp_path / "p"), client)
    receipt = data_owner.upload(CONTENT, server, block_size=BLOCK)
    metadata = FileMetadata.from_bytes(client.get_file(receipt.file_id).metadata)
    server.extra = metadata.block_count * BLOCK - metadata.ciphertext_bytes + 1  # one byte past the last block
    with pytest.raises(IntegrityError, match=f"served {metadata.block_count * BLOCK + 1} bytes .* registered as"):
        data_owner.download(server, receipt.file_id)
    assert server.asked == (metadata.block_count * BLOCK,)


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
        def fetch(self, file_id, token, *, max_bytes=None):
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


def test_a_regrant_under_another_policy_stops_the_old_kfrags(data_owner, buyer, uploaded, storage, proxies, client):
    """The buyer's Umbral key changed (lost or leaked): the owner revokes and grants again for the
    new key. A proxy still holding the kfrag of the old policy must not re-encrypt with it."""
    share(data_owner, buyer, uploaded, proxies)
    data_owner.revoke(uploaded.file_id, buyer.recipient.address)
    new_policy = policy_hash(
        receiving_pk=pre.public_key_to_bytes(pre.KeyPair.generate().public_key),
        verifying_pk=pre.public_key_to_bytes(data_owner.signer.public_key),
        threshold=2,
        shares=len(proxies),
    )
    client.grant_access(
        sender=data_owner.account, file_id=uploaded.file_id, grantee=buyer.recipient.address, policy=new_policy
    )
    with pytest.raises(AccessDeniedError, match=r"policy of the grant .* is not the kfrag's"):
        proxies[0].reencrypt(uploaded.file_id, buyer.recipient.address, storage.sealed_key(uploaded.file_id))
    with pytest.raises(AccessDeniedError, match="only 0 of the 2"):
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


# ---- 6. a malicious outsider, server or proxy (issue 24, findings 1 and 4) ----------------------


def signed_upload(account, record, sealed):
    """An upload signature by ``account`` over the registration's fields and ``sealed``'s hash."""
    digest = upload_message(
        file_id=record.file_id,
        version=record.version,
        ciphertext_hash=record.ciphertext_hash,
        merkle_root=record.merkle_root,
        capsule_hash=capsule_hash(sealed),
    )
    return sign_digest(account, digest)


def test_an_outsider_cannot_replace_a_stored_file(data_owner, storage, uploaded, client, stranger):
    junk = encrypt_file(
        b"junk" * 300, salt=bytes(32), file_id=uploaded.file_id, sealing_pk=pre.KeyPair.generate().public_key
    )
    record = client.get_file(uploaded.file_id)
    with pytest.raises(VerificationError, match="registered owner"):
        storage.store_file(
            file_id=uploaded.file_id,
            ciphertext=junk.ciphertext,
            sealed_key=junk.sealed_key,
            owner_signature=signed_upload(stranger, record, junk.sealed_key),
        )
    assert data_owner.download(storage, uploaded.file_id) == CONTENT


def test_even_the_owner_cannot_store_a_ciphertext_other_than_the_registered_one(data_owner, storage, uploaded, client):
    junk = encrypt_file(
        b"junk" * 300, salt=bytes(32), file_id=uploaded.file_id, sealing_pk=pre.KeyPair.generate().public_key
    )
    record = client.get_file(uploaded.file_id)
    sealed = storage.sealed_key(uploaded.file_id)
    with pytest.raises(IntegrityError, match="registered K_f"):
        storage.store_file(
            file_id=uploaded.file_id,
            ciphertext=junk.ciphertext,
            sealed_key=sealed,
            owner_signature=signed_upload(data_owner.account, record, sealed),
        )
    assert data_owner.download(storage, uploaded.file_id) == CONTENT


def test_a_stored_capsule_is_never_replaced_by_another(data_owner, storage, uploaded, client):
    ciphertext = storage.fetch(uploaded.file_id, uploaded.keys.download_token)
    other = pre.seal(
        data_owner.file_keypair(uploaded.file_id).public_key, FileKeys(bytes(32), bytes(32), bytes(32)).to_bytes()
    )
    record = client.get_file(uploaded.file_id)
    with pytest.raises(IntegrityError, match="capsule"):
        storage.store_file(
            file_id=uploaded.file_id,
            ciphertext=ciphertext,
            sealed_key=other,
            owner_signature=signed_upload(data_owner.account, record, storage.sealed_key(uploaded.file_id)),
        )
    assert data_owner.download(storage, uploaded.file_id) == CONTENT


def test_the_server_refuses_a_ciphertext_whose_merkle_tree_is_not_the_registered_one(data_owner, client, storage):
    """The owner registered a wrong root (or block size): no server stores the file under it."""
    commitment = keccak256(b"a commitment")
    file_id = file_id_of(data_owner.address, commitment)
    encrypted = encrypt_file(
        CONTENT, salt=bytes(32), file_id=file_id, sealing_pk=data_owner.file_keypair(file_id).public_key
    )
    metadata = FileMetadata(
        block_size=BLOCK,
        block_count=encrypted.tree.size,
        ciphertext_bytes=len(encrypted.ciphertext),
        delegating_pk=data_owner.file_keypair(file_id).public_bytes(),
        capsule_hash=encrypted.capsule_hash,
    )
    record = client.register_file(
        sender=data_owner.account,
        content_commitment=commitment,
        ciphertext_hash=encrypted.index_hash,
        merkle_root=keccak256(b"not the root"),
        locator=storage.locator_for(encrypted.index_hash),
        metadata=metadata.to_bytes(),
    )
    with pytest.raises(IntegrityError, match="Merkle tree"):
        storage.store_file(
            file_id=file_id,
            ciphertext=encrypted.ciphertext,
            sealed_key=encrypted.sealed_key,
            owner_signature=signed_upload(data_owner.account, record, encrypted.sealed_key),
        )


def test_a_valid_upload_sent_again_is_acknowledged_and_changes_nothing(data_owner, storage, uploaded, client):
    ciphertext = storage.fetch(uploaded.file_id, uploaded.keys.download_token)
    sealed = storage.sealed_key(uploaded.file_id)
    record = client.get_file(uploaded.file_id)
    locator = storage.store_file(
        file_id=uploaded.file_id,
        ciphertext=ciphertext,
        sealed_key=sealed,
        owner_signature=signed_upload(data_owner.account, record, sealed),
    )
    assert locator == record.locator and storage.sealed_key(uploaded.file_id) is sealed


def test_a_changed_file_is_stored_as_a_new_registered_version(data_owner, storage, uploaded, client):
    version = data_owner.upload(CONTENT + b"v2", storage, block_size=BLOCK, previous=uploaded.file_id)
    assert version.registration.version == 2 and client.successor_of(uploaded.file_id) == version.file_id
    assert data_owner.download(storage, version.file_id) == CONTENT + b"v2"
    assert data_owner.download(storage, uploaded.file_id) == CONTENT


class CapsuleSwappingServer(CloudServer):
    """A dishonest server that hands out a capsule of its own instead of the owner's."""

    swapped: pre.SealedKey | None = None

    def sealed_key(self, file_id: bytes) -> pre.SealedKey:
        return self.swapped or super().sealed_key(file_id)


@pytest.fixture
def swapping(data_owner, client, tmp_path):
    server = CapsuleSwappingServer("swapper", FilesystemBlobStore(tmp_path / "swapper"), client)
    receipt = data_owner.upload(CONTENT, server, block_size=BLOCK)
    fake = FileKeys(bytes(32), bytes(32), bytes(32))
    server.swapped = pre.seal(data_owner.file_keypair(receipt.file_id).public_key, fake.to_bytes())
    return server, receipt


def test_a_buyer_detects_a_swapped_capsule_before_using_it(data_owner, buyer, proxies, swapping):
    server, receipt = swapping
    share(data_owner, buyer, receipt, proxies)
    with pytest.raises(IntegrityError, match=r"capsule of file .* does not match the chain"):
        receive(buyer, data_owner, receipt, server, proxies)


def test_the_owner_detects_a_swapped_capsule_before_opening_it(data_owner, swapping):
    server, receipt = swapping
    with pytest.raises(IntegrityError, match="capsule"):
        data_owner.open_keys(server, receipt.file_id)


def test_an_audit_fails_on_a_swapped_capsule(client, swapping):
    server, receipt = swapping
    report = Auditor(client).audit(receipt.file_id, server, k=3)
    assert not report.passed and "capsule" in (report.error or "")


def outsider_kfrag(buyer):
    """A kfrag an outsider makes with keys of its own, for the buyer's key."""
    delegating, signer = pre.KeyPair.generate(), pre.KeyPair.generate()
    [kfrag] = pre.generate_kfrags(
        delegating_sk=delegating.secret_key,
        receiving_pk=buyer.keys.public_key,
        signer_sk=signer.secret_key,
        threshold=1,
        shares=1,
    )
    return kfrag, signer


def test_an_outsider_cannot_replace_a_proxys_kfrag(data_owner, buyer, uploaded, storage, proxies, stranger, client):
    share(data_owner, buyer, uploaded, proxies)
    kfrag, signer = outsider_kfrag(buyer)
    granted_at = client.get_grant(uploaded.file_id, buyer.recipient.address).granted_at
    delivery = kfrag_delivery_message(
        server=proxies[0].name,
        file_id=uploaded.file_id,
        grantee=buyer.recipient.address,
        kfrag=kfrag,
        granted_at=granted_at,
    )
    with pytest.raises(AccessDeniedError, match="policy is not the on-chain grant's"):
        proxies[0].accept_kfrag(
            file_id=uploaded.file_id,
            grantee=buyer.recipient.address,
            kfrag=kfrag,
            receiving_pk=buyer.keys.public_key,
            verifying_pk=signer.public_key,
            threshold=1,
            shares=1,
            owner_signature=sign_digest(stranger, delivery),
        )
    assert receive(buyer, data_owner, uploaded, storage, proxies[:2]) == CONTENT


def redeliver(data_owner, buyer, uploaded, source, target, client, signed_for=None):
    """Deliver ``source``'s kfrag to ``target`` under the owner's signature for ``signed_for``."""
    held = source._kfrags[(uploaded.file_id, buyer.recipient.address.lower())]
    kfrag = held.kfrag.to_bytes()
    granted_at = client.get_grant(uploaded.file_id, buyer.recipient.address).granted_at
    delivery = kfrag_delivery_message(
        server=(signed_for or target).name,
        file_id=uploaded.file_id,
        grantee=buyer.recipient.address,
        kfrag=kfrag,
        granted_at=granted_at,
    )
    target.accept_kfrag(
        file_id=uploaded.file_id,
        grantee=buyer.recipient.address,
        kfrag=kfrag,
        receiving_pk=buyer.keys.public_key,
        verifying_pk=data_owner.signer.public_key,
        threshold=2,
        shares=3,
        owner_signature=sign_digest(data_owner.account, delivery),
    )


def test_a_proxy_cannot_hand_its_kfrag_to_another_proxy(data_owner, buyer, uploaded, storage, proxies, client):
    share(data_owner, buyer, uploaded, proxies)
    with pytest.raises(VerificationError, match="registered owner"):  # the owner signed it for proxy 1
        redeliver(data_owner, buyer, uploaded, proxies[1], proxies[0], client, signed_for=proxies[1])
    assert receive(buyer, data_owner, uploaded, storage, proxies[:2]) == CONTENT


def test_a_proxy_never_replaces_the_kfrag_it_holds_for_a_grant(data_owner, buyer, uploaded, storage, proxies, client):
    share(data_owner, buyer, uploaded, proxies)
    with pytest.raises(AccessDeniedError, match="already holds a kfrag"):
        redeliver(data_owner, buyer, uploaded, proxies[1], proxies[0], client)
    assert receive(buyer, data_owner, uploaded, storage, proxies[:2]) == CONTENT


def test_a_kfrag_from_another_delegating_key_than_the_registered_one_is_refused(
    data_owner, buyer, uploaded, storage, proxies, client
):
    """Even signed and delivered by the owner under the grant's policy, a kfrag of another file's key is refused."""
    share(data_owner, buyer, uploaded, proxies)
    data_owner.revoke(uploaded.file_id, buyer.recipient.address)
    chain.sleep(2)
    grant = data_owner.registry.grant_access(
        sender=data_owner.account,
        file_id=uploaded.file_id,
        grantee=buyer.recipient.address,
        policy=client.get_grant(uploaded.file_id, buyer.recipient.address).policy_hash,
    )
    [kfrag] = pre.generate_kfrags(
        delegating_sk=data_owner.file_keypair(keccak256(b"another file")).secret_key,
        receiving_pk=buyer.keys.public_key,
        signer_sk=data_owner.signer.secret_key,
        threshold=2,
        shares=3,
    )[:1]
    delivery = kfrag_delivery_message(
        server=proxies[0].name,
        file_id=uploaded.file_id,
        grantee=buyer.recipient.address,
        kfrag=kfrag,
        granted_at=grant.granted_at,
    )
    with pytest.raises(VerificationError):
        proxies[0].accept_kfrag(
            file_id=uploaded.file_id,
            grantee=buyer.recipient.address,
            kfrag=kfrag,
            receiving_pk=buyer.keys.public_key,
            verifying_pk=data_owner.signer.public_key,
            threshold=2,
            shares=3,
            owner_signature=sign_digest(data_owner.account, delivery),
        )


def test_a_kfrag_without_a_grant_on_chain_is_refused(data_owner, buyer, uploaded, proxies):
    with pytest.raises(AccessDeniedError, match="no active grant on chain"):
        proxies[0].accept_kfrag(
            file_id=uploaded.file_id,
            grantee=buyer.recipient.address,
            kfrag=outsider_kfrag(buyer)[0],
            receiving_pk=buyer.keys.public_key,
            verifying_pk=data_owner.signer.public_key,
            threshold=2,
            shares=3,
            owner_signature=b"",
        )


def test_after_a_revocation_a_new_grant_replaces_the_proxies_kfrags(data_owner, buyer, uploaded, storage, proxies):
    share(data_owner, buyer, uploaded, proxies)
    data_owner.revoke(uploaded.file_id, buyer.recipient.address)
    chain.sleep(2)  # a new grant, at a later time
    share(data_owner, buyer, uploaded, proxies)
    assert receive(buyer, data_owner, uploaded, storage, proxies[1:]) == CONTENT


def test_audit_answers_reassemble_the_ciphertext_and_its_token_but_never_the_plaintext(storage, uploaded, client):
    """The download gate is no access control: f* and K_f* = H(f*) are public in effect; the data key protects."""
    record = client.get_file(uploaded.file_id)
    metadata = FileMetadata.from_bytes(record.metadata)
    answers = storage.answer_challenge(uploaded.file_id, tuple(range(metadata.block_count)))
    ciphertext = b"".join(answer.block for answer in answers)
    assert MerkleTree.from_bytes(ciphertext, metadata.block_size).root == record.merkle_root
    assert storage.fetch(uploaded.file_id, sha256(ciphertext)) == ciphertext  # the gate opens to anyone
    with pytest.raises(VerificationError):
        envelope.decrypt(ciphertext, sha256(ciphertext), file_id=uploaded.file_id)
    assert CONTENT not in ciphertext and b"P-00" not in ciphertext
