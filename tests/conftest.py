"""Shared fixtures: accounts named for their roles, deployed contracts, isolation per test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Every test starts from the same chain state (Brownie snapshots and reverts)."""


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
