"""The storage service on a PostgreSQL state database (issue 17: "the same code runs on
PostgreSQL through a URL"): ``datashare serve storage --database postgresql+psycopg://…`` as a
process, an upload and a grant, SIGKILL, and after the restart the owner's download, the
receiver's re-encrypted fetch and an audit all find the state from before.

The server is Debian's PostgreSQL, started by the test (tests/offchain/protocols/postgres_server.py);
under ``CI=true`` its absence fails the run.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text

from offchain.chain.registry import DataRegistryClient
from offchain.protocols import Auditor, Buyer, DataOwner
from offchain.services.client import StorageClient
from offchain.services.local import LocalService
from tests.e2e.test_services import ROOT, _rpc_url

CONTENT = b"sample_id,marker\n" + b"S-0001,0.731\n" * 900


def test_the_storage_service_keeps_its_state_in_postgresql_across_sigkill(postgres, registry, accounts, tmp_path):
    from brownie import network

    url = postgres.new_database("storage_service")
    storage = LocalService(
        "storage", "storage", tmp_path / "storage", network=network.show_active(), registry=registry.address,
        rpc=_rpc_url(), extra=("--database", url), cwd=ROOT,
    )  # fmt: skip
    people = [accounts.add() for _ in range(2)]
    for person in people:
        accounts[0].transfer(person, "5 ether")
    chain = DataRegistryClient(registry, from_block=registry.tx.block_number)
    owner, lab = DataOwner(people[0], chain), Buyer(people[1], chain)
    storage.start()
    try:
        storage.wait_ready()
        owner_client = StorageClient(storage.url, private_key=owner.account.private_key)
        file_id = owner.upload(CONTENT, owner_client, block_size=1024).registration.file_id
        owner.grant(file_id, lab.recipient, [owner_client], threshold=1)

        storage.restart()  # SIGKILL, start, wait for /health
        engine = create_engine(url)
        with engine.connect() as connection:  # the rows are in PostgreSQL, not in a local file
            assert connection.execute(text("SELECT count(*) FROM cloud_files")).scalar_one() == 1
            assert connection.execute(text("SELECT count(*) FROM cloud_kfrags")).scalar_one() == 1
        engine.dispose()
        assert not (tmp_path / "storage" / "state.sqlite").exists()
        assert owner.download(StorageClient(storage.url, private_key=owner.account.private_key), file_id) == CONTENT
        lab_client = StorageClient(storage.url, private_key=lab.account.private_key)
        received = lab.receive(
            file_id, storage=lab_client, proxies=[lab_client], threshold=1, verifying_pk=owner.signer.public_key
        )
        assert received == CONTENT
        assert Auditor(chain).audit(file_id, lab_client, k=6).passed
    finally:
        storage.kill()
