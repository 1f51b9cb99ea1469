"""Data market flows shared by the market and arbiter tests: requirement 1, the owner's file,
match 1 and its grant and dispute. A module overrides ``requirement_arbiter`` to change who
settles requirement 1's disputes."""

from __future__ import annotations

import pytest

from tests.helpers import (
    REASON_HASH,
    grant_access,
    market_terms,
    matched_id,
    post_requirement,
    posted_id,
    register_record,
    submit_proof,
)


@pytest.fixture
def requirement_arbiter(arbiter):
    """Who settles requirement 1's disputes: the EOA arbiter unless a module overrides it."""
    return arbiter


@pytest.fixture
def requirement_id(market, buyer, requirement_arbiter, zk_requirement):
    """Requirement 1: the default terms over zk_requirement's commitment, posted by the buyer."""
    return posted_id(post_requirement(market, buyer, market_terms(requirement_arbiter, zk_requirement.commitment)))


@pytest.fixture
def file_id(registry, owner, zk_record):
    """The owner's file registered under zk_record's commitment."""
    return register_record(registry, owner, zk_record.commitment)


@pytest.fixture
def match_id(market, owner, requirement_id, file_id, owner_proof):
    """Match 1: the owner's file matched to requirement 1."""
    return matched_id(submit_proof(market, owner, requirement_id, owner_proof))


@pytest.fixture
def granted(market, registry, owner, buyer, file_id, match_id):
    """Match 1 with the buyer's grant recorded; the receipt of recordGrant."""
    grant_access(registry, owner, file_id, buyer)
    return market.recordGrant(match_id, {"from": owner})


@pytest.fixture
def disputed(market, buyer, match_id, granted):
    """Match 1 disputed by the buyer; the receipt of dispute."""
    return market.dispute(match_id, REASON_HASH, {"from": buyer})
