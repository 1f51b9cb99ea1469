"""The Shapley scenario's core (issue 15; Shen, Zhu, Xu ch. 7 §7.3–7.5): five thyroid owners,
their files registered, a valuation record naming them, and the round the contract splits itself,
paid to the wei as Python computes it; the record's files and test set are the ones on chain."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from eth_abi import encode
from eth_utils import keccak
from rich.progress import Progress

from offchain.chain.deploy import deploy_all
from offchain.chain.revenue_rounds import RecordFilesError, check_record_files, record_tree
from offchain.chain.session import Session
from offchain.chain.shapley_payout import RoundStatus, SplitMode, onchain_shares
from offchain.errors import InvalidInputError
from offchain.learning import load_dataset, prepare
from offchain.learning.valuation import CoalitionUtility, ValuationRecord, digest_test_set
from offchain.protocols import CloudServer, DataOwner
from offchain.storage import FilesystemBlobStore
from scripts import shapley

POOL_WEI = shapley.POOL_WEI


@pytest.fixture(scope="module")
def session(accounts, tmp_path_factory):
    return Session(deploy_all(accounts[0], path=tmp_path_factory.mktemp("shapley") / "deployment.json"))


@pytest.fixture(scope="module")
def prepared():
    return prepare(load_dataset("thyroid"), seed=0)


@pytest.fixture(scope="module")
def five(prepared):
    game = shapley.deal_game(prepared, "5 owners", shapley.FIVE_OWNER_ROWS, {shapley.NOISY_OWNER: shapley.NOISE})
    with Progress(disable=True) as progress:
        shapley.value_game(game, (prepared.x_test, prepared.y_test), ("svm",), 1, progress)
    return game


@pytest.fixture(scope="module")
def owners(accounts):
    return [accounts[i] for i in range(1, 6)]


@pytest.fixture(scope="module")
def server(session, tmp_path_factory):
    return CloudServer("storage", FilesystemBlobStore(tmp_path_factory.mktemp("blobs")), session.registry)


@pytest.fixture(scope="module")
def data_owners(session, owners):
    return [DataOwner(o, session.registry) for o in owners]


@pytest.fixture(scope="module")
def registered(session, owners, five, server, data_owners):
    return shapley.register_owner_files(session, owners, five, server, data_owners)


@pytest.fixture(scope="module")
def record(five, registered, prepared):
    return shapley.valuation_record(five, "svm", registered, digest_test_set(prepared.x_test, prepared.y_test))


@pytest.fixture(scope="module")
def paid(session, record, owners, accounts):
    agencies = shapley.agency_accounts(session)
    balance_before = session.shapley_payout.contract.balance()
    figures = shapley.pay_onchain_shapley(session, record, owners, accounts[0], agencies)
    return figures, balance_before


def test_the_onchain_split_pays_each_owner_pythons_share_to_the_wei(paid, record, session, owners):
    figures, balance_before = paid
    python = onchain_shares(POOL_WEI, record.scaled_table())
    assert figures["paid_wei"] == figures["computed_wei"] == python
    assert sum(figures["paid_wei"]) == POOL_WEI
    state = figures["round"]
    assert (state.mode, state.status, state.pool_wei, state.paid_wei) == (
        SplitMode.ONCHAIN_SHAPLEY, RoundStatus.PAYABLE, POOL_WEI, POOL_WEI
    )  # fmt: skip
    assert session.shapley_payout.payees_of(figures["round_id"]) == [o.address for o in owners]
    assert session.shapley_payout.contract.balance() == balance_before  # nothing stranded


def test_the_noisy_owner_earns_less_than_the_clean_owners_with_fewer_rows(paid):
    shares = paid[0]["paid_wei"]
    assert shares[shapley.NOISY_OWNER] < min(shares[1], shares[2])


def test_the_round_pins_the_records_file_ids_and_test_set(paid, record, registered, prepared):
    file_ids = [r.file_id for r in registered]
    assert record.owner_file_ids == tuple("0x" + f.hex() for f in file_ids)
    assert record.test_set_sha256 == digest_test_set(prepared.x_test, prepared.y_test)
    expected = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32"],
            [bytes.fromhex(record.canonical_hash()), bytes.fromhex(record.test_set_sha256), keccak(b"".join(file_ids))],
        )
    )
    assert paid[0]["round"].valuation_hash == expected


def test_anyone_given_the_files_recomputes_the_recorded_grand_coalition(record, data_owners, server, prepared):
    rows = []
    for owner, file_id in zip(data_owners, record.owner_file_ids, strict=True):
        text = owner.download(server, bytes.fromhex(file_id[2:])).decode()  # checked against the chain
        table = np.array(list(csv.reader(io.StringIO(text)))[1:], dtype=np.float64)
        rows.append((table[:, :-1], table[:, -1].astype(np.int64)))
    grand = CoalitionUtility(rows, (prepared.x_test, prepared.y_test), record.model)((1 << len(rows)) - 1)
    assert grand == record.utilities[-1]


def test_a_record_naming_another_owners_file_is_refused_before_any_transaction(session, record, owners):
    swapped = [owners[1], owners[0], *owners[2:]]
    with pytest.raises(RecordFilesError, match="registered by"):
        check_record_files(session.registry, record, swapped)


def test_a_record_naming_an_unregistered_file_is_refused(session, record, owners):
    forged = ValuationRecord(
        owner_file_ids=("0x" + "11" * 32, *record.owner_file_ids[1:]),
        test_set_sha256=record.test_set_sha256,
        model=record.model,
        utilities=record.utilities,
    )
    with pytest.raises(RecordFilesError, match="not registered"):
        check_record_files(session.registry, forged, owners)
    with pytest.raises(InvalidInputError, match="5 owners"):
        check_record_files(session.registry, record, owners[:4])


def test_a_merkle_tree_of_the_record_pays_what_the_onchain_split_pays(record, owners):
    tree = record_tree(record, owners, POOL_WEI)
    assert list(tree.amounts) == onchain_shares(POOL_WEI, record.scaled_table())
    assert tree.total_wei == POOL_WEI
    with pytest.raises(InvalidInputError):
        record_tree(record, owners[:2], POOL_WEI)
