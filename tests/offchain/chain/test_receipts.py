"""The second look before a transaction is called dropped (offchain.chain.receipts)."""

from __future__ import annotations

import pytest
from brownie import chain
from brownie.exceptions import TransactionError
from brownie.network.transaction import Status

from offchain.chain import receipts


def test_a_mined_transaction_reported_dropped_is_adopted_from_the_node(accounts):
    tx = accounts[0].transfer(accounts[1], 1)
    block = tx.block_number
    tx.status = Status(-2)  # what Brownie's confirmation thread concludes in the race

    confirmed = accounts[0]._await_confirmation(tx, 1, None, None)

    assert (confirmed.status, confirmed.block_number) == (Status(1), block)


def test_a_transaction_the_node_does_not_know_is_still_reported_dropped(accounts, monkeypatch):
    monkeypatch.setattr(receipts, "RECHECK_SECONDS", 0.2)
    tx = accounts[0].transfer(accounts[1], 1)
    chain.undo()  # the transaction is gone from the chain
    tx.status = Status(-2)

    with pytest.raises(TransactionError, match="dropped without known replacement"):
        accounts[0]._await_confirmation(tx, 1, None, None)


def test_install_is_idempotent():
    from brownie.network.account import _PrivateKeyAccount

    before = _PrivateKeyAccount._await_confirmation
    receipts.install()

    assert _PrivateKeyAccount._await_confirmation is before
