"""A cheap "has the chain moved?" check for clients that wait on other parties' transactions.

Research: Shen, Zhu, Xu, *Blockchain-based privacy-preserving data sharing*, ch. 5 §5.6: the
participants of a vertical training talk only through the chain, so each one waits on it for
the others' posts. Reading a contract's logs or state to find out is a full query for the node
(a log filter over a block range, or an ``eth_call`` through the EVM); asking for the height
(``eth_blockNumber``) is the cheapest request there is. Nothing a waiter looks for can change
between two blocks, so a waiter asks for the height every poll and reads logs or state only when
it moved: one expensive read per block instead of one per poll, and less CPU taken from the node
(on a shared machine, from the other participants' computations).

Caveat: a chain rewound by a snapshot revert, or reorganised, may come back to a height seen
before with other contents; :meth:`BlockHeight.moved` reports any change of height, down as well
as up, and a waiter re-reads after it.
"""

from __future__ import annotations

from collections.abc import Callable

from offchain.errors import ChainError

__all__ = ["BlockHeight", "node_block_number"]


def node_block_number() -> int:
    """The connected node's height (``eth_blockNumber`` through Brownie's web3).

    Raises:
        ChainError: The node did not answer.
    """
    from brownie import web3

    try:
        return int(web3.eth.block_number)
    except (OSError, ValueError) as exc:  # connection refused / reset, or a JSON-RPC error
        raise ChainError(f"could not read the block height: {exc}") from exc


class BlockHeight:
    """Whether the chain's height changed since the last look.

    Args:
        read: Returns the current height (by default :func:`node_block_number`).

    Example::

        height = BlockHeight()
        while not done:
            if height.moved():
                done = check_logs()   # the expensive read, once per new block
            time.sleep(poll_s)
    """

    __slots__ = ("_last", "_read")

    def __init__(self, read: Callable[[], int] | None = None) -> None:
        self._read = read or node_block_number
        self._last: int | None = None

    @property
    def last(self) -> int | None:
        """The height seen at the last look (``None`` before the first)."""
        return self._last

    def moved(self) -> bool:
        """True at the first look and whenever the height differs from the one seen before.

        Raises:
            ChainError: The reader returned something other than a non-negative int.
        """
        height = self._read()
        if isinstance(height, bool) or not isinstance(height, int) or height < 0:
            raise ChainError(f"a block height must be a non-negative int, got {height!r}")
        changed = height != self._last
        self._last = height
        return changed
