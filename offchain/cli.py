"""``datashare``: the command line of the toolkit's roles (issue 17).

A person runs each role by hand, each in its own process, against the HTTP storage and proxy
services (:mod:`offchain.services`): the owner keeps its Umbral secrets in an encrypted
keystore (:mod:`offchain.keystore`), uploads, shares and revokes; a lab fetches through the
proxies; anyone audits. Every step is a :class:`~offchain.protocols.DataOwner`,
:class:`~offchain.protocols.Buyer` or :class:`~offchain.protocols.Auditor` call made against
:class:`~offchain.services.client.StorageClient`; this module only parses arguments, loads keys
and accounts, shows progress and maps errors to exit codes.

Research: the owner, cloud server and receiver of Zheng et al. 2018 §4.3, the proxies of Feng
et al. 2022 §6.8–6.9, the audits of Huang et al. 2020 §3.3.

Exit codes (:data:`EXIT_CODES`): 0 ok; 1 unexpected error; 2 usage (unknown command or
option, missing argument); 3 bad input (malformed value, unreadable input file, no
passphrase or account); 4 refused (by the chain, a service or the keystore: access denied, wrong
passphrase, a signature that does not verify, a reverted transaction); 5 not found (no keystore,
no such secret, no such file on chain or on the service, no deployment record); 6 integrity (a
check against the chain failed, a failed audit, a tampered keystore); 7 unavailable (the chain or
a service cannot be reached, or a service is busy).

With ``--json`` every command prints exactly one JSON object on stdout (an error prints
``{"error": <class>, "detail": <message>, "exit_code": <n>}``) and shows no progress bar.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.text import Text

from offchain import errors
from offchain.atomic_io import atomic_write_bytes
from offchain.crypto import pre
from offchain.errors import InvalidInputError, OffchainError
from offchain.keystore import Keystore
from offchain.protocols.storage_api import DEFAULT_MAX_FILE_BYTES
from offchain.services.client import StorageClient

__all__ = [
    "ENV_KEYSTORE",
    "ENV_NETWORK",
    "ENV_PASSPHRASE",
    "EXIT_CODES",
    "AuditFailedError",
    "ProgressClient",
    "ServiceUnavailableError",
    "UsageError",
    "build_parser",
    "exit_code_of",
    "main",
]

logger = logging.getLogger(__name__)

ENV_PASSPHRASE = "DATASHARE_PASSPHRASE"
ENV_KEYSTORE = "DATASHARE_KEYSTORE"
ENV_NETWORK = "DATASHARE_NETWORK"
ENV_ACCOUNT_PASSWORD = "DATASHARE_ACCOUNT_PASSWORD"
DEFAULT_KEYSTORE = Path.home() / ".datashare" / "keystore.json"

#: Names of the secrets ``datashare keys create`` seals.
MASTER_SECRET = "umbral-master"  # per-file delegating keys derive from it (DataOwner)
SIGNER_SECRET = "umbral-signer"  # signs kfrags; its public key is the verifying_pk
RECEIVING_SECRET = "umbral-receiving"  # receives re-encrypted capsules; public: receiving_pk


class UsageError(InvalidInputError):
    """The command line itself is wrong: an unknown command or option, a missing argument."""


class AuditFailedError(errors.IntegrityError):
    """The storage service failed an audit: a sampled block or its Merkle path did not verify."""


class ServiceUnavailableError(OffchainError):
    """A storage or proxy service could not be reached."""


#: Exit code of each error class, the most specific class listed first.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (UsageError, 2),
    (errors.MissingAccountKeyError, 3),
    (errors.KeystoreFormatError, 3),
    (errors.UnknownSecretError, 5),
    (errors.UnknownFileError, 5),
    (errors.DeploymentRecordError, 5),
    (errors.ContractNotDeployedError, 5),
    (FileNotFoundError, 5),
    (errors.InvalidInputError, 3),
    (errors.AccessDeniedError, 4),
    (errors.VerificationError, 4),
    (errors.TransactionRevertedError, 4),
    (errors.IntegrityError, 6),
    (errors.StorageError, 5),
    (ServiceUnavailableError, 7),
    (errors.ServiceBusyError, 7),
    (errors.ChainError, 7),
    (OffchainError, 1),
    (BaseException, 1),
)


def exit_code_of(exc: BaseException) -> int:
    """The documented exit code of an error (see :data:`EXIT_CODES`)."""
    return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


# ---- output ---------------------------------------------------------------------------------


class Output:
    """Where results go: one JSON object on stdout under ``--json``, else ``name  value`` lines."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.stream = sys.stdout  # bound now: main sends everything else printed to stderr
        self.out = Console(file=self.stream, highlight=False)
        self.err = Console(stderr=True, highlight=False)

    def result(self, title: str, fields: dict[str, Any]) -> None:
        """Print a command's result."""
        if self.as_json:
            self.stream.write(json.dumps(fields, sort_keys=True) + "\n")
            self.stream.flush()
            return
        self.out.print(Text(title, style="bold"))
        width = max(map(len, fields), default=0)
        for key, value in fields.items():
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            self.out.print(Text.assemble((f"  {key:<{width}}  ", "cyan"), shown), soft_wrap=True)  # ids unbroken

    def progress(self) -> Progress:
        """A byte progress bar on stderr (disabled under ``--json``)."""
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=self.err,
            disable=self.as_json,
            transient=False,
        )


class ProgressClient(StorageClient):
    """A :class:`StorageClient` whose uploads and downloads move in chunks through a progress bar."""

    def __init__(
        self, base_url: str, *, progress: Progress | None = None, connect_wait_s: float = 0.0, **kwargs: Any
    ) -> None:
        deadline = time.monotonic() + connect_wait_s
        while True:
            try:
                super().__init__(base_url, **kwargs)
                break
            except httpx.ConnectError as exc:  # nothing listens (yet): a service restarting
                if time.monotonic() >= deadline:
                    raise ServiceUnavailableError(f"the service at {base_url} cannot be reached: {exc}") from None
                time.sleep(0.2)
            except httpx.TransportError as exc:
                raise ServiceUnavailableError(f"the service at {base_url} cannot be reached: {exc}") from None
        self.base_url = base_url
        self._progress = progress

    def store_file(self, *, on_sent: Callable[[int, int], None] | None = None, **upload: Any) -> str:
        """Upload as ``StorageClient.store_file`` does (same arguments), through the progress bar."""
        if self._progress is None or on_sent is not None:
            return super().store_file(on_sent=on_sent, **upload)
        progress = self._progress
        task = progress.add_task(f"upload to {self.name}", total=None)

        def advance(slice_bytes: int, total_bytes: int) -> None:
            progress.update(task, advance=slice_bytes, total=total_bytes)

        return super().store_file(on_sent=advance, **upload)

    def fetch(
        self,
        file_id: bytes,
        download_token: bytes,
        *,
        max_bytes: int | None = None,
        on_chunk: Callable[[int, int | None], None] | None = None,
    ) -> bytes:
        """Download as ``StorageClient.fetch`` does, through the progress bar."""
        if self._progress is None or on_chunk is not None:
            return super().fetch(file_id, download_token, max_bytes=max_bytes, on_chunk=on_chunk)
        progress = self._progress
        task = progress.add_task(f"download from {self.name}", total=None)

        def advance(chunk_bytes: int, total_bytes: int | None) -> None:
            progress.update(task, advance=chunk_bytes, total=total_bytes)

        return super().fetch(file_id, download_token, max_bytes=max_bytes, on_chunk=advance)


# ---- secrets, accounts and the chain --------------------------------------------------------


def _passphrase(args: argparse.Namespace, *, confirm: bool = False) -> str:
    if args.passphrase_file is not None:
        try:
            text = Path(args.passphrase_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(f"cannot read the passphrase file {args.passphrase_file}: {exc}") from None
        return text.rstrip("\r\n")
    if os.environ.get(ENV_PASSPHRASE):
        return os.environ[ENV_PASSPHRASE]
    if not sys.stdin.isatty():
        raise InvalidInputError(f"no passphrase: give --passphrase-file or set {ENV_PASSPHRASE}")
    first = getpass.getpass("keystore passphrase: ")
    if confirm and getpass.getpass("again: ") != first:
        raise InvalidInputError("the two passphrases differ")
    return first


def _keystore_path(args: argparse.Namespace) -> Path:
    return Path(args.keystore or os.environ.get(ENV_KEYSTORE) or DEFAULT_KEYSTORE)


def _open_keystore(args: argparse.Namespace) -> Keystore:
    path = _keystore_path(args)
    if not path.exists():
        raise FileNotFoundError(f"no keystore at {path}: run `datashare keys create` first")
    return Keystore.open(path, _passphrase(args))


def _hex_bytes(value: str, name: str, *, length: int | None = None) -> bytes:
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise InvalidInputError(f"{name} must be hex, got {value!r}") from None
    if length is not None and len(raw) != length:
        raise InvalidInputError(f"{name} must be {length} bytes ({2 * length} hex digits), got {len(raw)}")
    return raw


def _file_id(value: str) -> bytes:
    return _hex_bytes(value, "file id", length=32)


def _public_key(value: str, name: str) -> pre.PublicKey:
    return pre.public_key_from_bytes(_hex_bytes(value, name))


def _account_key(args: argparse.Namespace) -> str | None:
    """The hex private key from ``--key-file`` or ``DATASHARE_PRIVATE_KEY``, if any."""
    from offchain.chain.contracts import ENV_PRIVATE_KEY

    if args.key_file is not None:
        try:
            return Path(args.key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InvalidInputError(f"cannot read the key file {args.key_file}: {exc}") from None
    return os.environ.get(ENV_PRIVATE_KEY, "").strip() or None


def _address_of_key(key: str) -> str:
    from eth_account import Account

    try:
        return str(Account.from_key(key).address)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"the account key is not a secp256k1 private key: {exc}") from None


def _connect(args: argparse.Namespace) -> str:
    from offchain.chain.contracts import DEFAULT_NETWORK, attach, connect, load_project

    if args.rpc:
        network = args.network or DEFAULT_NETWORK
        attach(network, args.rpc)
        return str(network)
    load_project()  # brownie-config.yaml's network settings before connecting
    return connect(args.network)


def _account(args: argparse.Namespace) -> Any:
    """The signing account: a key (file or env), a Brownie keystore account, or the local default."""
    from brownie import accounts

    from offchain.chain.contracts import default_account

    key = _account_key(args)
    if key is not None:
        _address_of_key(key)
        return accounts.add(key)
    if args.account is not None:
        return accounts.load(args.account, password=os.environ.get(ENV_ACCOUNT_PASSWORD))
    return default_account()


def _registry_address(args: argparse.Namespace, network: str) -> tuple[str, int]:
    """The DataRegistry's address and deployment block, from ``--registry`` or the record."""
    from offchain.chain.deployment import DeploymentRecord, deployment_path

    if args.registry:
        return str(args.registry), 0
    record = DeploymentRecord.load(Path(args.deployment) if args.deployment else deployment_path(network))
    return record.address_of("DataRegistry"), record.contracts["DataRegistry"].block_number


def _registry(args: argparse.Namespace) -> Any:
    from offchain.chain.contracts import contract_at
    from offchain.chain.registry import DataRegistryClient

    network = _connect(args)
    address, block = _registry_address(args, network)
    return DataRegistryClient(contract_at("DataRegistry", address), from_block=block)


def _owner(args: argparse.Namespace, registry: Any) -> Any:
    from offchain.protocols import DataOwner

    store = _open_keystore(args)
    signer = pre.KeyPair.from_secret_bytes(store.get(SIGNER_SECRET))
    return DataOwner(_account(args), registry, master_secret=store.get(MASTER_SECRET), signer=signer)


def _clients(args: argparse.Namespace, urls: Sequence[str], key: Any, progress: Progress | None) -> list[Any]:
    """Clients of the services at ``urls`` (``Any``: they stand in for ``CloudServer``, which the
    roles' annotations name; see README "Services")."""
    return [ProgressClient(url, private_key=key, progress=progress, connect_wait_s=args.connect_wait_s) for url in urls]


# ---- commands -------------------------------------------------------------------------------


def cmd_keys_create(args: argparse.Namespace, out: Output) -> None:
    """Create the keystore: a master secret, a kfrag signing key and a receiving key."""
    path = _keystore_path(args)
    if path.exists() and not args.force:
        raise InvalidInputError(f"a keystore exists at {path}; --force replaces it (and loses its secrets)")
    signer, receiving = pre.KeyPair.generate(), pre.KeyPair.generate()
    import secrets

    store = Keystore.create(
        path,
        _passphrase(args, confirm=True),
        secrets_by_name={
            MASTER_SECRET: secrets.token_bytes(32),
            SIGNER_SECRET: signer.secret_bytes(),
            RECEIVING_SECRET: receiving.secret_bytes(),
        },
        purpose="datashare role secrets",
        public={"verifying_pk": signer.public_bytes().hex(), "receiving_pk": receiving.public_bytes().hex()},
    )
    out.result("keystore created", _keys_fields(args, store))


def cmd_keys_show(args: argparse.Namespace, out: Output) -> None:
    """Show the keystore's public keys and the names of its secrets (never a secret)."""
    out.result("keystore", _keys_fields(args, _open_keystore(args)))


def _keys_fields(args: argparse.Namespace, store: Keystore) -> dict[str, Any]:
    fields: dict[str, Any] = {"keystore": str(store.path), "secrets": list(store.names()), **store.public}
    key = _account_key(args)
    if key is not None:
        fields["address"] = _address_of_key(key)
    return fields


def cmd_upload(args: argparse.Namespace, out: Output) -> None:
    """Encrypt a file, register it on chain and store it on the storage service."""
    try:
        content = Path(args.path).read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {args.path}: {exc}") from None
    registry = _registry(args)
    owner = _owner(args, registry)
    with out.progress() as progress:
        (storage,) = _clients(args, [args.storage], owner.account.private_key, progress)
        receipt = owner.upload(content, storage, block_size=args.block_size, name=args.label)
    registration = receipt.registration
    out.result(
        "uploaded",
        {
            "file_id": "0x" + registration.file_id.hex(),
            "version": registration.version,
            "locator": registration.locator,
            "owner": owner.address,
            "plaintext_bytes": len(content),
            "ciphertext_bytes": receipt.metadata.ciphertext_bytes,
            "blocks": receipt.metadata.block_count,
            "storage": receipt.server,
        },
    )


def cmd_share(args: argparse.Namespace, out: Output) -> None:
    """Grant a receiver access on chain and give each proxy its kfrag."""
    from offchain.chain.addresses import require_address
    from offchain.protocols.data_owner import Recipient

    file_id = _file_id(args.file_id)
    recipient = Recipient(
        address=require_address(args.to, "--to"), receiving_pk=_public_key(args.receiving_pk, "--receiving-pk")
    )
    registry = _registry(args)
    owner = _owner(args, registry)
    proxies = _clients(args, args.proxy, owner.account.private_key, None)
    grant = owner.grant(file_id, recipient, proxies, threshold=args.threshold, expires_at=args.expires_at)
    out.result(
        "shared",
        {
            "file_id": "0x" + file_id.hex(),
            "grantee": recipient.address,
            "threshold": args.threshold,
            "proxies": [p.name for p in proxies],
            "granted_at": grant.granted_at,
            "expires_at": args.expires_at,
            "verifying_pk": owner.signer.public_bytes().hex(),
        },
    )


def cmd_revoke(args: argparse.Namespace, out: Output) -> None:
    """Revoke a grant on chain; honest proxies refuse to re-encrypt for it from then on."""
    from offchain.chain.addresses import require_address

    file_id = _file_id(args.file_id)
    grantee = require_address(args.grantee, "--grantee")
    registry = _registry(args)
    owner = _owner(args, registry)
    owner.revoke(file_id, grantee)
    out.result("revoked", {"file_id": "0x" + file_id.hex(), "grantee": grantee})


def cmd_fetch(args: argparse.Namespace, out: Output) -> None:
    """Download, check against the chain and decrypt a file: the owner's own, or one shared
    with the caller (through ``--proxy`` services, ``--threshold`` of them)."""
    from offchain.protocols import Buyer

    file_id = _file_id(args.file_id)
    registry = _registry(args)
    with out.progress() as progress:
        if not args.proxy:
            owner = _owner(args, registry)
            (storage,) = _clients(args, [args.storage], owner.account.private_key, progress)
            content = owner.download(storage, file_id)
        else:
            if args.verifying_pk is None:
                raise UsageError("fetch through proxies needs --verifying-pk (the owner's, from `keys show`)")
            verifying_pk = _public_key(args.verifying_pk, "--verifying-pk")
            store = _open_keystore(args)
            receiver = Buyer(_account(args), registry, keys=pre.KeyPair.from_secret_bytes(store.get(RECEIVING_SECRET)))
            key = receiver.account.private_key
            (storage,) = _clients(args, [args.storage], key, progress)
            proxies = _clients(args, args.proxy, key, None)
            threshold = args.threshold or len(proxies)
            content = receiver.receive(
                file_id, storage=storage, proxies=proxies, threshold=threshold, verifying_pk=verifying_pk
            )
    atomic_write_bytes(Path(args.out), content)
    out.result("fetched", {"file_id": "0x" + file_id.hex(), "path": str(args.out), "plaintext_bytes": len(content)})


def cmd_audit(args: argparse.Namespace, out: Output) -> None:
    """Challenge the storage service on sampled blocks and verify the answers against the chain."""
    from offchain.protocols import Auditor

    file_id = _file_id(args.file_id)
    registry = _registry(args)
    (storage,) = _clients(args, [args.storage], None, None)
    report = Auditor(registry).audit(file_id, storage, k=args.samples)
    fields = {
        "file_id": "0x" + file_id.hex(),
        "passed": report.passed,
        "challenged": list(report.challenge.indices),
        "failed": list(report.failed_indices),
        "error": report.error,
    }
    if not report.passed:
        if out.as_json:
            out.result("audit", fields)
        raise AuditFailedError(
            f"the storage service failed the audit of 0x{file_id.hex()} on blocks {list(report.failed_indices)}"
            + (f": {report.error}" if report.error else "")
        )
    out.result("audit passed", fields)


def cmd_serve(args: argparse.Namespace, out: Output) -> None:
    """Run the storage or proxy service in this process (``python -m offchain.services``)."""
    from offchain.services.__main__ import main as serve

    network = args.network or os.environ.get(ENV_NETWORK) or "ganache-cli"
    registry, _ = _registry_address(args, network)
    argv = [args.role, "--name", args.name or args.role, "--host", args.host, "--port", str(args.port)]
    argv += ["--data", str(args.data), "--network", network, "--registry", registry]
    argv += ["--max-upload-bytes", str(args.max_upload_bytes)]
    if args.max_buffered_bytes is not None:
        argv += ["--max-buffered-bytes", str(args.max_buffered_bytes)]
    if args.database:
        argv += ["--database", args.database]
    if args.rpc:
        argv += ["--rpc", args.rpc]
    if args.device_registry:
        argv += ["--device-registry", args.device_registry, "--nonce-ttl-s", str(args.nonce_ttl_s)]
    consortium = args.consortium or (None if args.registry else _recorded_address(args, network, "Consortium"))
    if consortium:
        argv += ["--consortium", consortium]
    serve(argv)


def _recorded_address(args: argparse.Namespace, network: str, name: str) -> str | None:
    """The deployment record's address of ``name``, or ``None`` if the record lists no such contract."""
    from offchain.chain.deployment import DeploymentRecord, deployment_path

    record = DeploymentRecord.load(Path(args.deployment) if args.deployment else deployment_path(network))
    return record.address_of(name) if name in record.contracts else None


def cmd_deploy(args: argparse.Namespace, out: Output) -> None:
    """Deploy every contract to the network and write its deployment record."""
    from offchain.chain.deploy import deploy_all

    _connect(args)
    record = deploy_all(_account(args), path=Path(args.deployment) if args.deployment else None)
    out.result(
        f"deployed on {record.network} (chain {record.chain_id})",
        {
            "network": record.network,
            "chain_id": record.chain_id,
            "deployer": record.deployer,
            **{name: entry.address for name, entry in record.contracts.items()},
        },
    )


# ---- the parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The ``datashare`` argument parser (its usage errors raise :class:`UsageError`)."""
    parser = _Parser(
        prog="datashare",
        description="Share files privately and verifiably: the owner, receiver, auditor and services of the toolkit.",
        epilog="exit codes: 0 ok, 1 unexpected, 2 usage, 3 bad input, 4 refused, 5 not found, "
        "6 integrity, 7 unavailable",
    )
    parser.add_argument("--network", default=os.environ.get(ENV_NETWORK), help="Brownie network id")
    parser.add_argument("--rpc", help="attach to the chain at this RPC URL (default: the network's configured one)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout, no progress bars")
    parser.add_argument("--registry", help="DataRegistry address (default: from the deployment record)")
    parser.add_argument("--deployment", help="deployment record (default: deployments/<network>.json)")
    parser.add_argument("--keystore", help=f"role keystore (default: ${ENV_KEYSTORE} or {DEFAULT_KEYSTORE})")
    parser.add_argument("--passphrase-file", help=f"keystore passphrase (else ${ENV_PASSPHRASE}, else a prompt)")
    parser.add_argument("--key-file", help="file holding the account's hex private key (else $DATASHARE_PRIVATE_KEY)")
    parser.add_argument("--account", help=f"Brownie keystore account id (password: ${ENV_ACCOUNT_PASSWORD} or prompt)")
    parser.add_argument(
        "--connect-wait-s",
        type=float,
        default=0.0,
        help="keep retrying a service that refuses connections (restarting) for this long",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    keys = commands.add_parser("keys", help="create or show the role keystore")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION", parser_class=_Parser)
    create = keys_commands.add_parser("create", help="create the keystore (master, signing and receiving keys)")
    create.add_argument("--force", action="store_true", help="replace an existing keystore")
    create.set_defaults(run=cmd_keys_create)
    keys_commands.add_parser("show", help="public keys and secret names").set_defaults(run=cmd_keys_show)

    upload = commands.add_parser("upload", help="encrypt, register and store a file")
    upload.add_argument("path", help="the plaintext file")
    upload.add_argument("--storage", required=True, help="storage service URL")
    upload.add_argument("--block-size", type=int, default=4096, help="Merkle block size in bytes (audits)")
    upload.add_argument("--label", default="", help="public label put in the metadata")
    upload.set_defaults(run=cmd_upload)

    share = commands.add_parser("share", help="grant a receiver access through m-of-n proxies")
    share.add_argument("file_id")
    share.add_argument("--to", required=True, help="the receiver's address")
    share.add_argument("--receiving-pk", required=True, help="the receiver's receiving_pk (its `keys show`)")
    share.add_argument("--proxy", action="append", required=True, help="a proxy URL (repeat for each)")
    share.add_argument("--threshold", type=int, required=True, help="m of the m-of-n proxies")
    share.add_argument("--expires-at", type=int, default=0, help="Unix time the grant lapses (0: never)")
    share.set_defaults(run=cmd_share)

    revoke = commands.add_parser("revoke", help="revoke a grant on chain")
    revoke.add_argument("file_id")
    revoke.add_argument("--grantee", required=True, help="the receiver's address")
    revoke.set_defaults(run=cmd_revoke)

    fetch = commands.add_parser("fetch", help="download, check and decrypt a file")
    fetch.add_argument("file_id")
    fetch.add_argument("--storage", required=True, help="storage service URL")
    fetch.add_argument("--proxy", action="append", default=[], help="a proxy URL (receivers; repeat)")
    fetch.add_argument("--threshold", type=int, default=0, help="cfrags needed (default: every proxy)")
    fetch.add_argument("--verifying-pk", help="the owner's verifying_pk (receivers)")
    fetch.add_argument("--out", required=True, help="where to write the plaintext")
    fetch.set_defaults(run=cmd_fetch)

    audit = commands.add_parser("audit", help="audit the storage service's copy of a file")
    audit.add_argument("file_id")
    audit.add_argument("--storage", required=True, help="storage service URL")
    audit.add_argument("--samples", type=int, default=10, help="blocks challenged")
    audit.set_defaults(run=cmd_audit)

    serve = commands.add_parser("serve", help="run a storage or proxy service")
    serve.add_argument("role", choices=("storage", "proxy"))
    serve.add_argument("--name", help="the server's name (default: the role)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--data", required=True, help="folder of the blobs and the SQLite state")
    serve.add_argument("--database", help="SQLAlchemy URL of the state (default: <data>/state.sqlite)")
    serve.add_argument("--max-upload-bytes", type=int, default=DEFAULT_MAX_FILE_BYTES)
    serve.add_argument(
        "--max-buffered-bytes", type=int, help="request bodies in memory at once, beyond: 503 (default 1 GiB)"
    )
    serve.add_argument(
        "--device-registry", help="DeviceRegistry address: take attested uploads from data-source devices"
    )
    serve.add_argument("--nonce-ttl-s", type=float, default=60.0, help="lifetime of a device's nonce (s)")
    serve.add_argument(
        "--consortium",
        help="Consortium address: take anonymous uploads under its agencies' published group keys "
        "(default: the deployment record's, when the registry comes from it; none: anonymous uploads refused)",
    )
    serve.set_defaults(run=cmd_serve)

    deploy = commands.add_parser("deploy", help="deploy every contract and write the deployment record")
    deploy.set_defaults(run=cmd_deploy)
    __import__("offchain.commands.consortium", fromlist=["register"]).register(commands)
    __import__("offchain.commands.ledger", fromlist=["register"]).register(commands)  # late: it imports this module
    __import__("offchain.commands.market", fromlist=["register"]).register(commands)
    return parser


def _wants_json(argv: Sequence[str]) -> bool:
    return "--json" in argv


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``datashare`` command; returns its exit code (see :data:`EXIT_CODES`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = Output(_wants_json(argv))
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="%(asctime)s %(name)s %(levelname)s %(message)s",
            stream=sys.stderr,
        )
        run: Callable[[argparse.Namespace, Output], None] = args.run
        with contextlib.redirect_stdout(sys.stderr):  # Brownie's chatter; stdout is for results
            run(args, out)
        return 0
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        out.err.print("interrupted")
        return 130
    except (OffchainError, OSError, httpx.TransportError) as exc:
        if isinstance(exc, httpx.TransportError):
            exc = ServiceUnavailableError(f"a service cannot be reached: {exc}")
        return _report(out, exc)
    except Exception as exc:  # the last resort of a command line: report, never a traceback
        logger.exception("unexpected error")
        return _report(out, exc)


def _report(out: Output, exc: BaseException) -> int:
    code = exit_code_of(exc)
    name = type(exc).__name__
    detail = str(exc) if not isinstance(exc, KeyError) else str(exc.args[0] if exc.args else exc)
    if out.as_json:
        out.stream.write(json.dumps({"error": name, "detail": detail, "exit_code": code}) + "\n")
        out.stream.flush()
    out.err.print(Text.assemble(("error", "bold red"), f" ({name}): {detail}"), soft_wrap=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
