"""offchain.protocols.agency_state: an Agency's records persisted in SQL. A new Agency on the same
database (a restart) certifies a join challenged before it and traces an upload recorded before
it; the manager's and the members' secrets never reach the database. The restart tests run on
an SQLite file and on a real PostgreSQL server (postgres_server.py; skipped without it, failed
under CI=true).

Research: Huang, Chen, Wang 2020 §3.3–3.5. The chain is the test chain's Consortium (four
agencies, quorum three).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy import insert

from offchain.chain.consortium import ConsortiumClient
from offchain.chain.registry import DataRegistryClient
from offchain.crypto import group_signature as gs
from offchain.errors import InvalidInputError, StateSchemaError, TransactionRevertedError
from offchain.protocols import CloudServer
from offchain.protocols.agency import Agency, check_published_opening, reason_hash
from offchain.protocols.agency_state import AGENCY_SCHEMA, AgencyState
from offchain.protocols.group_member import GroupMember, JoinReceipt
from offchain.storage import FilesystemBlobStore
from tests.offchain.acjt_vectors import CERTIFICATE_PRIMES_1024
from tests.offchain.protocols.postgres_server import PostgresServer

BITS = 1024
CONTENT = b"record_id,age,diagnosis\n" + b"R-0001,47,I10\n" * 100
BLOCK = 512


@pytest.fixture(scope="module")
def manager_key() -> gs.GroupManagerKey:
    return gs.generate_group(BITS)


@pytest.fixture(scope="module")
def primes() -> list[int]:
    return list(CERTIFICATE_PRIMES_1024[:3])


@pytest.fixture(scope="module")
def client(consortium) -> ConsortiumClient:
    return ConsortiumClient(consortium, from_block=consortium.tx.block_number)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str | Path:
    if request.param == "sqlite":
        return tmp_path / "agency.sqlite"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database("agency")


@pytest.fixture
def open_agency(database, manager_key, agencies, client) -> Iterator[Callable[[], Agency]]:
    """A new Agency (as after a restart) on the same database each call."""
    states: list[AgencyState] = []

    def start() -> Agency:
        states.append(AgencyState(database))
        return Agency("hospital", manager_key, agencies[0], client, state=states[-1])

    yield start
    for state in states:
        state.close()


def test_a_join_challenged_before_a_restart_is_certified_after_it(open_agency, manager_key, primes):
    agency = open_agency()
    agency.add_primes(primes[:2])
    identity = Account.create()
    agency.admit(identity.address)
    applicant = gs.JoinApplicant(manager_key.public)
    request = applicant.request()
    challenge = agency.challenge_join(request, identity.address)
    del agency  # "restart": nothing in memory survives

    restarted = open_agency()
    assert restarted.manager.stocked_primes and len(restarted.manager.stocked_primes) == 2
    response = applicant.respond(request, challenge)
    certificate = restarted.certify(response, JoinReceipt.sign(identity, manager_key.public, response))
    applicant.complete(certificate)  # a valid certificate for the member's secret
    assert int(certificate.e) in primes[:2]  # a stocked prime, now used

    again = open_agency()
    assert again.member_count == 1 and again.state is not None
    assert again.state.joins() == () and again.state.admitted() == ()
    assert [int(e) for e in again.manager.stocked_primes] == [e for e in primes[:2] if e != certificate.e]
    with pytest.raises(InvalidInputError, match="no join with this id"):
        again.certify(response, JoinReceipt.sign(identity, manager_key.public, response))


def test_an_upload_recorded_before_a_restart_is_traced_after_it(
    open_agency, tmp_path, registry, client, agencies, primes
):
    agency = open_agency()
    agency.publish_group_key()
    agency.add_primes(primes[2:])
    identity = Account.create()
    agency.admit(identity.address)
    member = GroupMember.join(agency, identity)
    server = CloudServer("cloud", FilesystemBlobStore(tmp_path / "cloud"), DataRegistryClient(registry))
    upload, _ = member.upload(CONTENT, server, block_size=BLOCK)
    agency.accept_upload(upload, server)
    del agency

    restarted = open_agency()
    ballot = client.request_trace(
        sender=agencies[1], agency=agencies[0].address, file_id=upload.file_id, reason_hash=reason_hash("dispute")
    )
    restarted.vote(ballot.ballot_id)
    client.vote(sender=agencies[2], ballot_id=ballot.ballot_id)

    traced = open_agency()
    published = traced.open_trace(ballot.ballot_id)
    assert published.signer == identity.address
    assert check_published_opening(client, ballot.ballot_id, traced.public, upload.signature) == identity.address
    assert traced.state is not None
    assert [(b.ballot_id, b.action) for b in traced.state.ballots()] == [
        (ballot.ballot_id, "opened"),
        (ballot.ballot_id, "voted"),
    ]
    held = traced.state.upload(upload.file_id)
    assert held is not None and held.tx_hash is not None and held.signature == upload.signature.to_bytes()


def _needles(*values: int) -> list[bytes]:
    """The ways an integer secret could be written: hex (as our JSON does), decimal, big-endian bytes."""
    found = []
    for value in values:
        found += [hex(value)[2:].encode(), str(value).encode(), value.to_bytes((value.bit_length() + 7) // 8, "big")]
    return found


def test_no_secret_of_the_manager_or_a_member_is_written_to_the_database(
    tmp_path, manager_key, agencies, client, registry, primes
):
    path = tmp_path / "agency.sqlite"
    state = AgencyState(path)
    agency = Agency("hospital", manager_key, agencies[0], client, state=state)
    agency.publish_group_key()
    agency.add_primes(primes[:1])
    identity = Account.create()
    agency.admit(identity.address)
    member = GroupMember.join(agency, identity)
    server = CloudServer("cloud", FilesystemBlobStore(tmp_path / "cloud"), DataRegistryClient(registry))
    agency.accept_upload(member.upload(CONTENT, server, block_size=BLOCK)[0], server)
    state.close()  # checkpoints the write-ahead log into the file
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("agency.sqlite*"))
    (listed,) = state.members()
    assert hex(listed.c2)[2:].encode() in raw  # the search sees what is stored: public values are there
    secrets = _needles(int(manager_key.p_prime), int(manager_key.q_prime), int(manager_key.x), int(member.key.x))
    leaked = [needle[:12] for needle in secrets if needle in raw]
    assert leaked == [], "a secret is in the database in the clear"


def test_a_database_of_another_agency_is_refused(tmp_path, manager_key, agencies, client):
    path = tmp_path / "agency.sqlite"
    Agency("hospital", manager_key, agencies[0], client, state=AgencyState(path))
    with pytest.raises(StateSchemaError, match="is the state of agency"):
        Agency("bank", manager_key, agencies[1], client, state=AgencyState(path))


def test_a_database_written_by_a_newer_toolkit_is_refused(tmp_path):
    path = tmp_path / "agency.sqlite"
    state = AgencyState(path)
    with state.engine.begin() as connection:
        connection.execute(insert(AGENCY_SCHEMA.table).values(version=99, name="future", applied_at=0))
    with pytest.raises(StateSchemaError, match="schema version 99"):
        AgencyState(path)


def test_an_upload_whose_record_is_refused_on_chain_is_not_kept(tmp_path, manager_key, agencies, client, registry):
    state = AgencyState(tmp_path / "agency.sqlite")
    agency = Agency("hospital", manager_key, agencies[0], client, state=state)  # its group key never published
    agency.add_primes(CERTIFICATE_PRIMES_1024[:1])
    identity = Account.create()
    agency.admit(identity.address)
    server = CloudServer("cloud", FilesystemBlobStore(tmp_path / "cloud"), DataRegistryClient(registry))
    upload, _ = GroupMember.join(agency, identity).upload(CONTENT, server, block_size=BLOCK)
    with pytest.raises(TransactionRevertedError, match="ConsortiumGroupKeyNotSet"):
        agency.accept_upload(upload, server)
    assert state.upload_ids() == ()  # written before the submission, forgotten when it failed
    state.close()
