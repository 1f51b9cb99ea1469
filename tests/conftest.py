"""Shared fixtures: accounts named for their roles, deployed contracts, isolation per test."""

from __future__ import annotations

import pytest

from tests.helpers import VOTING_PERIOD_S


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Every test starts from the same chain state (Brownie snapshots and reverts)."""


class _NoChain:
    """Stands in for Brownie's isolation when its plugin is off, so that the pure Python tests
    run alone and fast: ``pytest -p no:pytest-brownie -o addopts="" tests/offchain/crypto``."""

    @pytest.fixture
    def fn_isolation(self):
        yield


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("pytest-brownie"):
        config.pluginmanager.register(_NoChain(), "datashare-no-chain")


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
