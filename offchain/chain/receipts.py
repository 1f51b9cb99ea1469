"""A second look before Brownie calls a mined transaction "dropped".

Brownie 1.22.2 waits for a receipt in a background thread and declares a transaction dropped
(``TransactionError: Tx dropped without known replacement``) when the sender's nonce has moved
past it but no receipt is found, or when another receipt object with the same sender and nonce
confirms first. Both happen to transactions that were in fact mined:

* Anvil raises an account's nonce when it executes a block, a moment before the block's receipts
  can be fetched; a busy machine widens that moment enough for Brownie's poll to fall into it;
* after a chain revert (every test and every hypothesis example starts from a snapshot) the same
  transaction is often sent again, byte for byte, so it has the same hash as a receipt object of
  the reverted chain whose confirmation thread may still be running.

:func:`install` wraps Brownie's confirmation so that, before the error is raised, the node is
asked for the transaction's receipt for a few seconds; a receipt in a block is adopted (status,
gas, logs), and only a transaction the node does not know as mined is reported dropped. Nothing
changes for transactions Brownie confirms itself. Installed by :func:`offchain.chain.transact`
(through which the toolkit sends every transaction) and by the test suite's ``conftest.py``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

__all__ = ["RECHECK_SECONDS", "install", "mined_receipt"]

logger = logging.getLogger(__name__)

#: How long the node is asked for a receipt before a transaction is reported dropped.
RECHECK_SECONDS = 5.0

_POLL_SECONDS = 0.1
_installed = False


def mined_receipt(txid: str, *, within: float = RECHECK_SECONDS) -> Any | None:
    """The node's receipt of ``txid`` once it is in a block, or None if none appears ``within`` seconds."""
    from brownie import web3
    from hexbytes import HexBytes
    from web3.exceptions import TransactionNotFound

    deadline = time.monotonic() + within
    while True:
        try:
            receipt = web3.eth.get_transaction_receipt(HexBytes(txid))
        except TransactionNotFound:
            receipt = None
        if receipt is not None and receipt["blockHash"] is not None:
            return receipt
        if time.monotonic() >= deadline:
            return None
        time.sleep(_POLL_SECONDS)


def install() -> None:
    """Make Brownie re-check a "dropped" transaction with the node before raising (idempotent)."""
    global _installed
    if _installed:
        return
    from brownie.exceptions import TransactionError
    from brownie.network.account import _PrivateKeyAccount

    original = _PrivateKeyAccount._await_confirmation

    def _await_confirmation(self: Any, receipt: Any, required_confs: int, gas_strategy: Any, gas_iter: Any) -> Any:
        try:
            return original(self, receipt, required_confs, gas_strategy, gas_iter)
        except TransactionError as exc:
            if "dropped without known replacement" not in str(exc):
                raise
            mined = mined_receipt(receipt.txid, within=RECHECK_SECONDS)
            if mined is None:
                raise
            logger.info("%s was reported dropped but is mined in block %s", receipt.txid, mined["blockNumber"])
            receipt._set_from_receipt(mined)
            return receipt

    setattr(_PrivateKeyAccount, "_await_confirmation", _await_confirmation)  # noqa: B010 (mypy: method-assign)
    _installed = True
