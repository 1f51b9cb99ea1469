"""Shared fixtures: accounts named for their roles, deployed contracts, isolation per test."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.helpers import MAX_EXAMPLES_CAP, VOTING_PERIOD_S
from tests.offchain.protocols.postgres_server import PostgresServer, start_postgres


@pytest.fixture(autouse=True)
def isolation(fn_isolation, request):
    """Every test starts from the same chain state (Brownie snapshots and reverts).

    Under Brownie, the objects alive when a test starts (the loaded project, its build
    artifacts, the module's fixtures: some 250,000) are also moved out of the garbage
    collector's reach (:func:`gc.freeze`, after a collection of what the last test left).
    Brownie runs a full ``gc.collect()`` on every revert, and walking that heap cost about
    0.3 s a test, more than most tests themselves; with it frozen the walk covers only what the
    test made. Frozen objects are still freed when their last reference goes; only a cycle made
    before the test and dropped during it waits for the process to end.
    """
    if request.config.pluginmanager.hasplugin("pytest-brownie"):
        gc.collect()
        gc.freeze()


class _NoChain:
    """Stands in for Brownie's isolation when its plugin is off, so that the pure Python tests
    run alone and fast: ``pytest -p no:pytest-brownie -o addopts="" tests/offchain/crypto``."""

    @pytest.fixture
    def fn_isolation(self):
        yield


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("pytest-brownie"):
        config.pluginmanager.register(_NoChain(), "datashare-no-chain")
        # The hypothesis settings Brownie would load from brownie-config.yaml.
        settings.register_profile("datashare", max_examples=50, deadline=None)
        settings.load_profile("datashare")
    else:
        from offchain.chain import receipts

        receipts.install()  # a mined transaction is never reported dropped (see the module)


def pytest_collection_modifyitems(config, items):
    """Cap every property test's examples at ``$DATASHARE_MAX_EXAMPLES`` when it is set (the
    second chain's pass of ``make test``: the properties just ran in full on the first)."""
    cap = os.environ.get(MAX_EXAMPLES_CAP)
    if not cap:
        return
    for item in items:
        test = getattr(item, "obj", None)
        current = getattr(test, "_hypothesis_internal_use_settings", None)
        if current is not None and current.max_examples > int(cap):
            test._hypothesis_internal_use_settings = settings(current, max_examples=int(cap))


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL server for one module's state tests (postgres_server.py)."""
    yield from start_postgres()


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def owner(accounts):
    """A data owner."""
    return accounts[1]


@pytest.fixture(scope="module")
def stranger(accounts):
    """An account with no role."""
    return accounts[2]


@pytest.fixture(scope="module")
def registry(DataRegistry, deployer):
    return DataRegistry.deploy({"from": deployer})


@pytest.fixture(scope="module")
def agencies(accounts):
    """The four founding agencies of a consortium, each the manager of a group signature group."""
    return list(accounts[3:7])


@pytest.fixture(scope="module")
def candidate(accounts):
    """An agency that is not (yet) a member of the consortium."""
    return accounts[7]


@pytest.fixture(scope="module")
def consortium(Consortium, deployer, agencies):
    return Consortium.deploy(agencies, VOTING_PERIOD_S, {"from": deployer})


# --- the data market --------------------------------------------------------------------------
# accounts[7] is the consortium's candidate in consortium tests and the arbiter in market tests;
# accounts[8] and accounts[9] are the market's buyer and a second data owner.


@pytest.fixture(scope="module")
def arbiter(accounts):
    """An account that settles a requirement's disputes alone (an EOA arbiter)."""
    return accounts[7]


@pytest.fixture(scope="module")
def buyer(accounts):
    """A buyer of records on the data market."""
    return accounts[8]


@pytest.fixture(scope="module")
def rival(accounts):
    """A second data owner."""
    return accounts[9]


@pytest.fixture(scope="module")
def verifiers(Groth16VerifierN8, Groth16VerifierN16, deployer):
    """The generated Groth16 verifiers, by record width."""
    return {8: Groth16VerifierN8.deploy({"from": deployer}), 16: Groth16VerifierN16.deploy({"from": deployer})}


@pytest.fixture(scope="module")
def market(DataMarket, registry, verifiers, deployer):
    return DataMarket.deploy(registry, list(verifiers), list(verifiers.values()), {"from": deployer})


#: The requirement tests prove against: field 0 in 40..60 and field 1 equal to 1234 (both
#: required), field 2 in 48..250 (optional), the other five ignored; at least two fields in range.
ZK_RANGES = (
    (40, 60, True),
    (1234, 1234, True),
    (48, 250, False),
)
#: A record that meets it with R = 3.
ZK_VALUES = (45, 1234, 61, 138, 291, 0, 2, 1)


@pytest.fixture(scope="session")
def zk_requirement():
    """An 8-field requirement (see ZK_RANGES), with a fixed nonce so that runs repeat."""
    from offchain.zk import FieldRange, Requirement

    ranges = [FieldRange(lo, hi, required=required) for lo, hi, required in ZK_RANGES]
    return Requirement((*ranges, *[FieldRange.ignored()] * 5), min_satisfied=2, nonce=0x5EED_0001)


@pytest.fixture(scope="session")
def zk_record():
    """A record meeting ``zk_requirement`` (R = 3), with a fixed salt."""
    from offchain.zk import Record

    return Record(ZK_VALUES, salt=0x5A17_0001)


@pytest.fixture(scope="session")
def owner_proof(zk_record, zk_requirement, accounts):
    """The owner's proof that ``zk_record`` meets ``zk_requirement`` (made once per session)."""
    from offchain.zk import prove

    return prove(zk_record, zk_requirement, accounts[1].address)


@pytest.fixture(scope="session")
def rival_proof(zk_record, zk_requirement, accounts):
    """The second owner's proof of the same record (it registered the same commitment)."""
    from offchain.zk import prove

    return prove(zk_record, zk_requirement, accounts[9].address)
