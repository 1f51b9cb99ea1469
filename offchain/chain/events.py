"""Event readers: typed, range-chunked log queries against a deployed contract."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from offchain.errors import ChainError

__all__ = ["EventLog", "get_events"]

#: Blocks per ``eth_getLogs`` query; public RPC providers commonly cap ranges near this.
DEFAULT_BLOCK_RANGE = 5_000


@dataclass(frozen=True)
class EventLog:
    """One decoded event.

    Attributes:
        name: Event name.
        args: Decoded arguments by name (``bytes32`` as ``bytes``, addresses checksummed).
        block_number: Block that emitted it.
        tx_hash: 0x-prefixed hash of the emitting transaction.
        log_index: Position of the log in its block.
    """

    name: str
    args: Mapping[str, Any]
    block_number: int
    tx_hash: str
    log_index: int


def get_events(
    contract: Any,
    event_name: str,
    *,
    from_block: int,
    to_block: int | None = None,
    argument_filters: Mapping[str, Any] | None = None,
    block_range: int = DEFAULT_BLOCK_RANGE,
) -> list[EventLog]:
    """All ``event_name`` logs of ``contract`` between two blocks, oldest first.

    Args:
        contract: A Brownie contract handle.
        event_name: Name of the event in the contract's ABI.
        from_block: First block to scan (the deployment block is a good start).
        to_block: Last block to scan, inclusive; the latest block if ``None``.
        argument_filters: Values of indexed arguments to match, by name.
        block_range: Largest block span of one node query.

    Raises:
        ChainError: if the event is not in the ABI or the node refuses the query.
    """
    from brownie import web3

    if block_range < 1:
        raise ValueError(f"block_range must be positive, got {block_range}")
    w3_contract = web3.eth.contract(address=contract.address, abi=contract.abi)
    try:
        event = getattr(w3_contract.events, event_name)
    except AttributeError:
        raise ChainError(f"{contract._name} has no event {event_name}") from None
    last = web3.eth.block_number if to_block is None else to_block
    found: list[EventLog] = []
    start = from_block
    while start <= last:
        end = min(start + block_range - 1, last)
        try:
            logs = event().get_logs(from_block=start, to_block=end, argument_filters=dict(argument_filters or {}))
        except Exception as exc:  # node and provider errors come in many types
            raise ChainError(f"reading {event_name} logs in blocks {start}..{end} failed: {exc}") from exc
        found.extend(
            EventLog(
                name=event_name,
                args=dict(log["args"]),
                block_number=int(log["blockNumber"]),
                tx_hash="0x" + bytes(log["transactionHash"]).hex(),
                log_index=int(log["logIndex"]),
            )
            for log in logs
        )
        start = end + 1
    return found
