"""FeatureIndex: hospitals (consortium members) publish batches of feature records whose root the
contract computes and anchors through MerkleAnchor; updates and deletions as new versions;
agency-registered users query, the service answers once; every event and revert, and a Python
Merkle proof checked by the contract (Shen, Zhu, Xu, ch. 6, §6.3.1, §6.5.1, §6.5.2)."""

from __future__ import annotations

import brownie
import pytest
from eth_abi import encode
from eth_utils import keccak

from offchain.crypto.merkle import MerkleTree
from tests.helpers import custom_error, deploy_feature_index

ZERO32 = b"\x00" * 32
QUERY_HASH = keccak(b"encrypted query")
RESULT_HASH = keccak(b"top-k answer")


def record(n: int, version: int = 1, label: int = 3, deleted: bool = False) -> tuple:
    """Record n: (imageId, version, label, featureDigest, locator)."""
    digest = ZERO32 if deleted else keccak(b"feature %d v%d" % (n, version))
    locator = "" if deleted else "sha256:" + keccak(b"blob %d" % n).hex()
    return (keccak(b"image %d" % n), version, label, digest, locator)


def digest_of(index, hospital, rec) -> bytes:
    image_id, version, label, feature, locator = rec
    return keccak(
        encode(
            ["address", "address", "bytes32", "uint32", "uint32", "bytes32", "bytes32"],
            [index.address, hospital.address, image_id, version, label, feature, keccak(locator.encode())],
        )
    )


def image_of(index, image_id) -> tuple:
    hospital, version, batch_id, deleted = index.imageOf(image_id)
    return (hospital, int(version), int(batch_id), bool(deleted))


@pytest.fixture(scope="module")
def service(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def user(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def deployed(FeatureIndex, MerkleAnchor, consortium, service, deployer):
    return deploy_feature_index(FeatureIndex, MerkleAnchor, consortium, service, deployer)


@pytest.fixture(scope="module")
def index(deployed):
    return deployed[0]


@pytest.fixture(scope="module")
def anchor(deployed):
    return deployed[1]


@pytest.fixture(scope="module")
def hospital(agencies):
    return agencies[0]


@pytest.fixture
def published(index, hospital):
    """Records 0..4 (version 1) published as batch 1; the receipt."""
    return index.publishBatch([record(n) for n in range(5)], {"from": hospital})


@pytest.fixture
def registered(index, agencies, user):
    return index.registerUser(user, {"from": agencies[1]})


@pytest.fixture
def queried(index, user, registered):
    return index.submitQuery(QUERY_HASH, 20, True, {"from": user})


# --- deployment ---------------------------------------------------------------------------------


def test_deployment_records_its_wiring(index, consortium, anchor, service):
    assert (index.consortium(), index.anchor(), index.service()) == (consortium, anchor, service)
    assert (index.MAX_BATCH_RECORDS(), index.MAX_LOCATOR_BYTES(), index.MAX_TOP_K()) == (64, 128, 1000)


def test_deployment_refuses_addresses_without_code(FeatureIndex, consortium, anchor, deployer, stranger, service):
    with brownie.reverts(custom_error("FeatureIndexNoCode", stranger.address)):
        FeatureIndex.deploy(stranger, anchor, service, {"from": deployer})
    with brownie.reverts(custom_error("FeatureIndexNoCode", stranger.address)):
        FeatureIndex.deploy(consortium, stranger, service, {"from": deployer})
    with brownie.reverts(custom_error("FeatureIndexZeroField", "service")):
        FeatureIndex.deploy(consortium, anchor, brownie.ZERO_ADDRESS, {"from": deployer})


# --- publishing ---------------------------------------------------------------------------------


def test_publishing_anchors_the_root_of_the_emitted_records(index, anchor, hospital, published):
    records = [record(n) for n in range(5)]
    tree = MerkleTree.from_digests([digest_of(index, hospital, r) for r in records])
    batch_id, root = published.return_value
    assert (int(batch_id), bytes(root)) == (1, tree.root)
    event = published.events["BatchPublished"]
    assert (event["batchId"], event["hospital"], event["anchorBatchId"], event["recordCount"]) == (1, hospital, 1, 5)
    assert bytes(event["root"]) == tree.root == bytes(anchor.rootOf(1))
    assert tuple(int(v) if i else v for i, v in enumerate(index.batchOf(1))) == (hospital, 1, 5)
    assert index.batchCount() == 1
    emitted = published.events["RecordPublished"]
    assert len(emitted) == 5
    for n, log in enumerate(emitted):
        image_id, version, label, feature, locator = records[n]
        assert (log["batchId"], bytes(log["imageId"]), log["hospital"], log["index"]) == (1, image_id, hospital, n)
        assert (log["version"], log["label"], bytes(log["featureDigest"]), log["locator"]) == (
            version,
            label,
            feature,
            locator,
        )
        assert image_of(index, image_id) == (hospital, 1, 1, False)


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_the_on_chain_root_equals_the_python_tree(index, hospital, size):
    records = [record(n) for n in range(size)]
    tx = index.publishBatch(records, {"from": hospital})
    tree = MerkleTree.from_digests([digest_of(index, hospital, r) for r in records])
    assert bytes(tx.events["BatchPublished"]["root"]) == tree.root


def test_record_digest_matches_python(index, hospital):
    assert bytes(index.recordDigest(hospital, record(4))) == digest_of(index, hospital, record(4))


def test_a_python_proof_verifies_on_chain(index, hospital, published):
    records = [record(n) for n in range(5)]
    tree = MerkleTree.from_digests([digest_of(index, hospital, r) for r in records])
    for n in (0, 4):
        assert index.verifyRecord(records[n], n, list(tree.proof(n).siblings))
    assert not index.verifyRecord(records[1], 0, list(tree.proof(0).siblings))  # wrong position
    tampered = (*records[2][:2], 9, *records[2][3:])  # another label
    assert not index.verifyRecord(tampered, 2, list(tree.proof(2).siblings))


def test_an_update_supersedes_the_old_version(index, hospital, published):
    old = MerkleTree.from_digests([digest_of(index, hospital, record(n)) for n in range(5)])
    tx = index.publishBatch([record(2, version=2)], {"from": hospital})
    assert tx.events["RecordPublished"]["version"] == 2
    assert image_of(index, record(2)[0]) == (hospital, 2, 2, False)
    assert not index.verifyRecord(record(2), 2, list(old.proof(2).siblings))  # superseded
    assert index.verifyRecord(record(2, version=2), 0, [])


def test_a_tombstone_deletes_the_image(index, hospital, published):
    tomb = record(1, version=2, deleted=True)
    tx = index.publishBatch([tomb], {"from": hospital})
    event = tx.events["RecordDeleted"]
    assert (event["batchId"], bytes(event["imageId"]), event["hospital"], event["index"], event["version"]) == (
        2,
        tomb[0],
        hospital,
        0,
        2,
    )
    assert "RecordPublished" not in tx.events
    assert image_of(index, tomb[0]) == (hospital, 2, 2, True)
    assert not index.verifyRecord(tomb, 0, [])  # a deleted image verifies nothing
    index.publishBatch([record(1, version=3)], {"from": hospital})  # and may come back
    assert image_of(index, tomb[0]) == (hospital, 3, 3, False)


def test_a_stranger_cannot_publish(index, stranger):
    with brownie.reverts(custom_error("FeatureIndexNotMember", stranger.address)):
        index.publishBatch([record(0)], {"from": stranger})


def test_batches_are_bounded(index, hospital):
    with brownie.reverts(custom_error("FeatureIndexBatchSize", 0, 64)):
        index.publishBatch([], {"from": hospital})
    with brownie.reverts(custom_error("FeatureIndexBatchSize", 65, 64)):
        index.publishBatch([record(n) for n in range(65)], {"from": hospital})


def test_bad_records_are_refused(index, hospital, published):
    with brownie.reverts(custom_error("FeatureIndexZeroField", "imageId")):
        index.publishBatch([(ZERO32, *record(9)[1:])], {"from": hospital})
    with brownie.reverts(custom_error("FeatureIndexZeroField", "locator")):
        index.publishBatch([(*record(9)[:4], "")], {"from": hospital})
    with brownie.reverts(custom_error("FeatureIndexLocatorTooLong", 129, 128)):
        index.publishBatch([(*record(9)[:4], "x" * 129)], {"from": hospital})
    with brownie.reverts(custom_error("FeatureIndexBadVersion", record(9)[0], 2, 1)):
        index.publishBatch([record(9, version=2)], {"from": hospital})
    with brownie.reverts(custom_error("FeatureIndexBadVersion", record(0)[0], 1, 2)):
        index.publishBatch([record(0)], {"from": hospital})  # a replayed record
    with brownie.reverts(custom_error("FeatureIndexNothingToDelete", record(9)[0])):
        index.publishBatch([record(9, deleted=True)], {"from": hospital})


def test_deleting_twice_is_refused(index, hospital, published):
    index.publishBatch([record(1, version=2, deleted=True)], {"from": hospital})
    with brownie.reverts(custom_error("FeatureIndexNothingToDelete", record(1)[0])):
        index.publishBatch([record(1, version=3, deleted=True)], {"from": hospital})


def test_another_hospital_cannot_supersede_or_delete_an_image(index, hospital, agencies, published):
    rival = agencies[2]
    with brownie.reverts(custom_error("FeatureIndexNotImageOwner", record(0)[0], rival.address, hospital.address)):
        index.publishBatch([record(0, version=2)], {"from": rival})
    with brownie.reverts(custom_error("FeatureIndexNotImageOwner", record(0)[0], rival.address, hospital.address)):
        index.publishBatch([record(0, version=2, deleted=True)], {"from": rival})


# --- users --------------------------------------------------------------------------------------


def test_an_agency_registers_and_revokes_a_user(index, agencies, user, registered):
    assert registered.events["UserRegistered"].values() == [user, agencies[1]]
    assert index.isUser(user) and index.agencyOf(user) == agencies[1]
    tx = index.revokeUser(user, {"from": agencies[1]})
    assert tx.events["UserRevoked"].values() == [user, agencies[1]]
    assert not index.isUser(user) and index.agencyOf(user) == brownie.ZERO_ADDRESS


def test_user_registration_reverts(index, agencies, stranger, user, registered):
    with brownie.reverts(custom_error("FeatureIndexNotMember", stranger.address)):
        index.registerUser(stranger, {"from": stranger})
    with brownie.reverts(custom_error("FeatureIndexZeroField", "user")):
        index.registerUser(brownie.ZERO_ADDRESS, {"from": agencies[0]})
    with brownie.reverts(custom_error("FeatureIndexUserExists", user.address)):
        index.registerUser(user, {"from": agencies[0]})
    with brownie.reverts(custom_error("FeatureIndexNotUserAgency", user.address, agencies[0].address)):
        index.revokeUser(user, {"from": agencies[0]})


# --- queries ------------------------------------------------------------------------------------


def test_a_user_submits_and_the_service_answers(index, user, service, queried):
    event = queried.events["QuerySubmitted"]
    assert (event["queryId"], event["user"], bytes(event["queryHash"]), event["topK"], event["privateMode"]) == (
        1,
        user,
        QUERY_HASH,
        20,
        True,
    )
    assert index.queryCount() == 1
    tx = index.answerQuery(1, RESULT_HASH, {"from": service})
    answered = tx.events["QueryAnswered"]
    assert (answered["queryId"], answered["user"], bytes(answered["resultHash"])) == (1, user, RESULT_HASH)
    user_, submitted_at, answered_at, top_k, private, query_hash, result_hash = index.queryOf(1)
    assert (user_, top_k, private, bytes(query_hash), bytes(result_hash)) == (user, 20, True, QUERY_HASH, RESULT_HASH)
    assert answered_at == tx.timestamp and submitted_at == queried.timestamp


def test_query_reverts(index, user, stranger, registered):
    with brownie.reverts(custom_error("FeatureIndexNotUser", stranger.address)):
        index.submitQuery(QUERY_HASH, 20, False, {"from": stranger})
    with brownie.reverts(custom_error("FeatureIndexZeroField", "queryHash")):
        index.submitQuery(ZERO32, 20, False, {"from": user})
    for top_k in (0, 1001):
        with brownie.reverts(custom_error("FeatureIndexBadTopK", top_k, 1000)):
            index.submitQuery(QUERY_HASH, top_k, False, {"from": user})


def test_a_user_of_a_removed_agency_cannot_query(index, consortium, agencies, user, registered):
    others = [a for a in agencies if a != agencies[1]]
    ballot = consortium.proposeRemoval(agencies[1], {"from": others[0]}).return_value
    for agency in others[1:3]:
        consortium.vote(ballot, True, {"from": agency})
    with brownie.reverts(custom_error("FeatureIndexNotUser", user.address)):
        index.submitQuery(QUERY_HASH, 20, False, {"from": user})


def test_only_the_service_answers_once(index, service, stranger, user, queried):
    with brownie.reverts(custom_error("FeatureIndexNotService", user.address)):
        index.answerQuery(1, RESULT_HASH, {"from": user})
    with brownie.reverts(custom_error("FeatureIndexNotService", stranger.address)):
        index.answerQuery(1, RESULT_HASH, {"from": stranger})
    with brownie.reverts(custom_error("FeatureIndexUnknownQuery", 2)):
        index.answerQuery(2, RESULT_HASH, {"from": service})
    with brownie.reverts(custom_error("FeatureIndexZeroField", "resultHash")):
        index.answerQuery(1, ZERO32, {"from": service})
    index.answerQuery(1, RESULT_HASH, {"from": service})
    with brownie.reverts(custom_error("FeatureIndexAlreadyAnswered", 1)):  # a replayed answer
        index.answerQuery(1, keccak(b"other answer"), {"from": service})
