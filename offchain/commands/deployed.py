"""What the ``ledger`` and ``market`` command groups share: deployed contracts and state files.

A contract's address comes from its command's option (``--ledger``, ``--market``) or else the
network's deployment record (``--deployment``, default ``deployments/<network>.json``); a
role's state database from ``--database`` or else a file beside the keystore.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from offchain.keystore import Keystore

__all__ = ["address_and_block", "keystore_for_writing", "read_input", "spinner", "state_database"]


def address_and_block(args: argparse.Namespace, name: str, given: str | None) -> tuple[str, int]:
    """The address of the deployed contract ``name`` and its deployment block (0 when given).

    Connects to the chain first (:func:`offchain.cli._connect`).

    Raises:
        DeploymentRecordError: no address given and the record lacks ``name``.
    """
    from offchain.chain.deployment import DeploymentRecord, deployment_path
    from offchain.cli import _connect

    network = _connect(args)
    if given:
        return str(given), 0
    record = DeploymentRecord.load(Path(args.deployment) if args.deployment else deployment_path(network))
    return record.address_of(name), record.contracts[name].block_number


def state_database(args: argparse.Namespace, default_name: str) -> str | Path:
    """``--database`` (a path or an SQLAlchemy URL), else ``default_name`` beside the keystore."""
    from offchain.cli import _keystore_path

    if args.database:
        return str(args.database)
    return _keystore_path(args).parent / default_name


def read_input(path: str, what: str) -> bytes:
    """The bytes of an input file the command was given.

    Raises:
        InvalidInputError: it cannot be read (exit code 3).
    """
    from offchain.errors import InvalidInputError

    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read the {what} {path}: {exc}") from None


def spinner(out: Any) -> Progress:
    """A spinner with the elapsed time on stderr, for long steps (disabled under ``--json``)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=out.err,
        disable=out.as_json,
        transient=False,
    )


def keystore_for_writing(args: argparse.Namespace) -> Keystore:
    """The keystore named by the global options, created (with no secret yet) if there is none."""
    from offchain.cli import _keystore_path, _open_keystore, _passphrase

    path = _keystore_path(args)
    if path.exists():
        return _open_keystore(args)
    return Keystore.create(path, _passphrase(args, confirm=True), purpose="datashare role secrets")
