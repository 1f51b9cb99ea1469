"""Brownie plumbing: the loaded project, the active network, contract handles and transactions.

Everything that touches Brownie's objects directly lives here and in the clients built on it,
so the rest of the toolkit sees typed results and :mod:`offchain.errors` exceptions only.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from eth_typing import HexStr
from eth_utils import to_checksum_address

from offchain.chain import receipts
from offchain.chain.addresses import AddressLike, require_address, require_signer
from offchain.errors import (
    ChainError,
    ContractNotDeployedError,
    InvalidInputError,
    MissingAccountKeyError,
    TransactionRevertedError,
)
from offchain.toolchain import PROJECT_ROOT
from offchain.validation import require_int

__all__ = [
    "DEFAULT_NETWORK",
    "ENV_PRIVATE_KEY",
    "MAX_UINT256",
    "ContractClient",
    "call",
    "call_batch",
    "connect",
    "contract_at",
    "default_account",
    "is_local_network",
    "load_project",
    "require_bytes32",
    "require_uint",
    "settle",
    "transact",
]

logger = logging.getLogger(__name__)

#: The Brownie network the toolkit uses when none is named: the project's local Ganache.
DEFAULT_NETWORK = "ganache-cli"

#: Environment variable holding the hex private key used on live networks.
ENV_PRIVATE_KEY = "DATASHARE_PRIVATE_KEY"

T = TypeVar("T")

#: The largest uint256.
MAX_UINT256 = (1 << 256) - 1


def require_bytes32(value: object, name: str, *, nonzero: bool) -> bytes:
    """``value`` as 32 ``bytes``, or InvalidInputError naming ``name`` and what was found."""
    if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
        found = f"{len(value)} bytes" if isinstance(value, (bytes, bytearray)) else type(value).__name__
        raise InvalidInputError(f"{name} must be 32 bytes, got {found}")
    if nonzero and not any(value):
        raise InvalidInputError(f"{name} must not be all zero")
    return bytes(value)


def require_uint(value: object, name: str, *, low: int, high: int) -> int:
    """``value`` as an int in ``low .. high``, or InvalidInputError naming ``name`` and what was found."""
    value = require_int(value, name)
    if not low <= value <= high:
        shown = "2**256 - 1" if high == MAX_UINT256 else str(high)
        raise InvalidInputError(f"{name} must be in {low}..{shown}, got {value}")
    return value


class ContractClient:
    """Base of the typed clients: a deployed contract and the block its event scans start from.

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    def __init__(self, contract: Any, from_block: int = 0) -> None:
        self.contract = contract
        self.from_block = from_block

    @property
    def address(self) -> str:
        """The contract's address."""
        return str(self.contract.address)


def load_project(root: Path = PROJECT_ROOT) -> Any:
    """The loaded Brownie project, loading (and compiling if needed) the one at ``root``.

    Under ``brownie run``, ``brownie test`` and ``brownie console`` the project is already loaded
    and is returned as is. Processes loading the same project at once (the participants of
    :mod:`offchain.protocols.vertical_svm_node`, the services of an end-to-end test) take turns
    under an exclusive lock on ``build/.load.lock``: the first load after a compilation prunes
    the build files it finds stale, and two processes pruning the same file at once would make
    the second fail with FileNotFoundError.
    """
    from brownie import project

    loaded = project.get_loaded_projects()
    if loaded:
        return loaded[0]
    logger.info("loading Brownie project at %s", root)
    build = root / "build"
    build.mkdir(exist_ok=True)
    with open(build / ".load.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        loaded_project = project.load(root, name="DatashareProject")
    loaded_project.load_config()  # network settings (hardfork, gas price) from brownie-config.yaml
    return loaded_project


def connect(network_id: str | None = None) -> str:
    """Connect Brownie to ``network_id`` (default: the project's Ganache network) if not connected.

    Returns:
        The id of the active network.

    Raises:
        ChainError: if the network cannot be reached or started.
    """
    from brownie import network

    if network.is_connected():
        return str(network.show_active())
    target = network_id or DEFAULT_NETWORK
    try:
        network.connect(target)
    except Exception as exc:  # brownie raises many unrelated types here
        raise ChainError(f"could not connect to network {target!r}: {exc}") from exc
    return target


def attach(network_id: str, rpc: str) -> None:
    """Load the project and attach Brownie to the running chain at ``rpc`` (never start one).

    A process that serves or takes part in a flow beside the one that started the chain (a
    service, a training participant) must reach that very chain, which need not be at the port
    ``brownie-config.yaml`` names (test workers each run their own).

    Raises:
        ChainError: if the network id is unknown or the chain cannot be reached.
    """
    from brownie import network
    from brownie._config import CONFIG

    load_project()
    if network.is_connected():
        return
    if network_id not in CONFIG.networks:
        raise ChainError(f"unknown network {network_id!r}")
    CONFIG.networks[network_id]["host"] = rpc
    try:
        network.connect(network_id, launch_rpc=False)
    except Exception as exc:  # brownie raises many unrelated types here
        raise ChainError(f"could not attach to {rpc}: {exc}") from exc


def is_local_network() -> bool:
    """Whether the active network is a local chain Brownie runs (Ganache, Anvil)."""
    from brownie._config import CONFIG

    return "cmd" in CONFIG.active_network


def default_account() -> Any:
    """The account that signs by default.

    On a local chain it is the first unlocked test account. On a live network it is the key in
    the ``DATASHARE_PRIVATE_KEY`` environment variable.

    Raises:
        MissingAccountKeyError: on a live network with no key in the environment.
    """
    from brownie import accounts

    if is_local_network():
        return accounts[0]
    key = os.environ.get(ENV_PRIVATE_KEY, "").strip()
    if not key:
        raise MissingAccountKeyError(
            f"the active network is live: set {ENV_PRIVATE_KEY} to the hex private key of the account to use"
        )
    return accounts.add(key)


def contract_at(name: str, address: AddressLike) -> Any:
    """A Brownie handle on the deployed contract ``name`` at ``address``.

    Raises:
        InvalidInputError: if ``address`` is not an address (see :func:`~offchain.chain.addresses.require_address`).
        ContractNotDeployedError: if no code is at ``address`` on the active chain.
    """
    from brownie import Contract, web3

    abi = load_project()[name].abi
    checksummed = to_checksum_address(require_address(address, "address"))
    if len(web3.eth.get_code(checksummed)) == 0:
        raise ContractNotDeployedError(name, f"no code at {address} on chain {web3.eth.chain_id}")
    factory: Any = Contract  # Brownie types the name and address as NewTypes
    return factory.from_abi(name, checksummed, abi)


def _error_names(contract: Any) -> set[str]:
    return {item["name"] for item in contract.abi if item.get("type") == "error"}


def _reverted(contract: Any, function: str, exc: Exception, reason: str | None = None) -> TransactionRevertedError:
    reason = reason or getattr(exc, "revert_msg", None) or str(exc).splitlines()[0]
    name, _, detail = str(reason).partition(":")
    if name.strip() in _error_names(contract):
        return TransactionRevertedError(contract._name, function, reason, name.strip(), detail.strip())
    return TransactionRevertedError(contract._name, function, reason)


def _guarded(contract: Any, function: str, action: Callable[[], T]) -> T:
    from brownie.exceptions import VirtualMachineError, decode_typed_error
    from web3.exceptions import ContractCustomError

    try:
        return action()
    except VirtualMachineError as exc:
        raise _reverted(contract, function, exc) from exc
    except ContractCustomError as exc:  # raw web3 calls (call_batch): the error's data, decoded as Brownie does
        raise _reverted(contract, function, exc, decode_typed_error(HexStr(str(exc.data)))) from exc
    except ValueError as exc:  # web3 raises ValueError for node-side reverts on some clients
        if "revert" in str(exc).lower():
            raise _reverted(contract, function, exc) from exc
        raise


def transact(
    contract: Any, function: str, *args: Any, sender: Any, value_wei: int = 0, gas_limit: int | None = None
) -> Any:
    """Send a transaction calling ``contract.function(*args)`` from ``sender``, with ``value_wei`` attached.

    ``sender`` is any signer :func:`~offchain.chain.addresses.require_signer` accepts.
    ``gas_limit``: the transaction's gas limit, when the caller knows a bound (no estimate is
    made then; on local chains Brownie otherwise claims the block's whole gas).

    Returns:
        Brownie's ``TransactionReceipt``, already confirmed.

    Raises:
        InvalidInputError: if ``sender`` cannot sign (an address string, a contract).
        TransactionRevertedError: with the decoded custom error if the call reverts.
    """
    receipts.install()
    method = getattr(contract, function)
    signer = require_signer(sender)
    params: dict[str, Any] = {"from": signer}
    if value_wei:
        params["value"] = value_wei
    if gas_limit is not None:
        params["gas_limit"] = require_uint(gas_limit, "gas_limit", low=21_000, high=(1 << 64) - 1)
    receipt = _guarded(contract, function, lambda: method(*args, params))
    logger.debug("%s.%s mined in block %s, gas %s", contract._name, function, receipt.block_number, receipt.gas_used)
    return receipt


def call(contract: Any, function: str, *args: Any) -> Any:
    """Call the view function ``contract.function(*args)``.

    Raises:
        TransactionRevertedError: with the decoded custom error if the call reverts.
    """
    method = getattr(contract, function)
    return _guarded(contract, function, lambda: method(*args))


def call_batch(contract: Any, *calls: tuple[Any, ...]) -> list[Any]:
    """Call several view functions of ``contract`` in one JSON-RPC batch: one round trip to the
    node instead of one per call (an ``eth_call`` costs several ms on Ganache, mostly the trip).

    Args:
        contract: A Brownie contract.
        calls: ``(function_name, *args)`` for each call, in order.

    Returns:
        Each call's decoded result (as :func:`call` returns it), in order.

    Raises:
        TransactionRevertedError: with the decoded custom error if a call reverts.
    """
    from brownie import web3

    methods = [(getattr(contract, name), args) for name, *args in calls]

    def run() -> list[Any]:
        with web3.batch_requests() as batch:
            for method, args in methods:
                batch.add(web3.eth.call({"to": contract.address, "data": method.encode_input(*args)}))
            raw = batch.execute()
        return [method.decode_output(data) for (method, _), data in zip(methods, raw, strict=True)]

    return _guarded(contract, "+".join(name for name, *_ in calls), run)


def settle(timeout_s: float = 10.0) -> None:
    """Wait for Brownie's background bookkeeping threads to finish.

    On a local chain Brownie snapshots the chain after every transaction in a daemon thread
    (its undo buffer). A script that ends right after a transaction, a reverted one above all,
    can stop the chain under that thread, which then prints a connection traceback. Scripts
    call this last.

    Args:
        timeout_s: Longest total wait, in seconds.
    """
    deadline = time.monotonic() + timeout_s
    for thread in threading.enumerate():
        if thread is threading.current_thread() or not thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
