"""Run a storage or proxy service as a process (issue 17).

``python -m offchain.services storage --name storage --port 8800 --data var/storage \\
--network ganache-cli --registry 0x… [--device-registry 0x…]`` (a proxy is the same service under another name and
folder: ``proxy --name proxy-1 …``). At start-up the state is reconciled with the blob store
(:meth:`CloudServerState.reconcile`) and the temporary files of uploads a crash cut short are
removed (:meth:`FilesystemBlobStore.sweep_staged`); it then serves until killed. Every write is
committed before it is acknowledged, so a SIGKILL loses nothing acknowledged. Spent request
nonces live in the state database (``service_nonces``), beside the index. A background
thread follows the registry's new registrations (:meth:`DataRegistryClient.follow_registrations`),
so that an upload usually finds its registration already read and verified.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Container
from pathlib import Path

import uvicorn

from offchain.attestation.nonces import DEFAULT_NONCE_TTL_S, PersistentNonceBook
from offchain.attestation.verifier import QuoteVerifier
from offchain.chain.consortium import ConsortiumClient, PublishedGroupKeys
from offchain.chain.contracts import DEFAULT_NETWORK, attach, connect, contract_at, load_project
from offchain.chain.device_registry import DeviceRegistryClient
from offchain.chain.registry import DataRegistryClient
from offchain.protocols.cloud_server import CloudServer
from offchain.protocols.cloud_state import CloudServerState
from offchain.protocols.storage_api import DEFAULT_MAX_FILE_BYTES
from offchain.services.attested import DeviceUploadIndex
from offchain.services.signing import NonceBook
from offchain.services.storage import ServiceConfig, create_app
from offchain.storage.filesystem import FilesystemBlobStore

logger = logging.getLogger("offchain.services")


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, reconcile the state, serve."""
    parser = argparse.ArgumentParser(prog="python -m offchain.services", description=__doc__)
    parser.add_argument("role", choices=("storage", "proxy"))
    parser.add_argument("--name", required=True, help="the server's name (in locators and signed requests)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True, help="folder of the blobs and the SQLite state")
    parser.add_argument("--database", help="SQLAlchemy URL of the state (default: <data>/state.sqlite)")
    parser.add_argument("--network", default=None, help="Brownie network id")
    parser.add_argument(
        "--rpc",
        default=None,
        help="attach to the chain at this RPC URL (default: the network's configured host and port)",
    )
    parser.add_argument("--registry", required=True, help="address of the DataRegistry contract")
    parser.add_argument("--max-upload-bytes", type=int, default=DEFAULT_MAX_FILE_BYTES)
    parser.add_argument(
        "--max-buffered-bytes",
        type=int,
        default=None,
        help="most bytes of request bodies held in memory at once, all requests together (beyond: 503); "
        "default 1 GiB, or --max-upload-bytes if more",
    )
    parser.add_argument(
        "--consortium",
        help="address of the Consortium contract: take anonymous uploads under the group keys its agencies "
        "published (without it, anonymous uploads are refused)",
    )
    parser.add_argument(
        "--device-registry",
        help="address of the DeviceRegistry contract: take attested uploads from data-source devices (issue 18)",
    )
    parser.add_argument("--nonce-ttl-s", type=float, default=DEFAULT_NONCE_TTL_S, help="lifetime of a device's nonce")
    parser.add_argument(
        "--follow-interval-s",
        type=float,
        default=0.25,
        help="how often new registrations are read from the chain ahead of their uploads (0: never)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    if args.rpc:
        attach(args.network or DEFAULT_NETWORK, args.rpc)
    else:
        load_project()  # brownie-config.yaml's network settings (host, port) before connecting
        connect(args.network)
    from brownie import web3

    registry = DataRegistryClient(contract_at("DataRegistry", args.registry))
    store = FilesystemBlobStore(args.data / "blobs")
    state = CloudServerState(args.database or args.data / "state.sqlite")
    report = state.reconcile(store)
    store.sweep_staged()
    logger.info(
        "%s %s: reconciled (%d stray blobs removed, %d intents cleared, %d index rows without blob)",
        args.role,
        args.name,
        len(report.removed_blobs),
        report.cleared_intents,
        len(report.missing_blobs),
    )
    verifier, device_uploads = None, None
    if args.device_registry:  # issued and used nonces and accepted uploads persist (a restart reopens none)
        devices = DeviceRegistryClient(contract_at("DeviceRegistry", args.device_registry))
        verifier = QuoteVerifier(devices, PersistentNonceBook(args.data / "attestation.sqlite", args.nonce_ttl_s))
        device_uploads = DeviceUploadIndex(args.data / "attestation.sqlite")
    group_keys: Container[bytes] = frozenset()
    if args.consortium:
        group_keys = PublishedGroupKeys(ConsortiumClient(contract_at("Consortium", args.consortium)))
    else:
        logger.warning("%s %s: no --consortium, so anonymous uploads are refused", args.role, args.name)
    server = CloudServer(args.name, store, registry, state=state, attestation=verifier, group_keys=group_keys)
    nonces = NonceBook(state.engine)  # one database: an upload's index commit makes its nonce durable
    legacy = args.data / "nonces.sqlite"  # where versions before it kept them
    if legacy.exists():
        logger.info(
            "%s %s: %d unexpired nonces taken over from %s", args.role, args.name, nonces.absorb(legacy), legacy
        )
        for leftover in (legacy, legacy.with_name(legacy.name + "-wal"), legacy.with_name(legacy.name + "-shm")):
            leftover.unlink(missing_ok=True)
    app = create_app(
        server,
        nonces,
        ServiceConfig(
            chain_id=int(web3.eth.chain_id),
            max_upload_bytes=args.max_upload_bytes,
            max_buffered_bytes=args.max_buffered_bytes,
        ),
        device_uploads=device_uploads,
    )
    _follow(registry, args.follow_interval_s)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        http="httptools",  # C parser: a 1 MiB body parsed in about half the time of h11's
        log_level="warning",
        timeout_keep_alive=5,
        limit_concurrency=256,
    )
    return 0


def _follow(registry: DataRegistryClient, interval_s: float) -> None:
    """Read new registrations every ``interval_s`` seconds in a daemon thread (uploads still read
    the chain themselves when theirs is not read yet)."""
    if interval_s <= 0:
        return
    registry.follow_registrations()  # from the latest block on

    def loop() -> None:
        while True:
            time.sleep(interval_s)
            try:
                registry.follow_registrations()
            except Exception as exc:  # a node hiccup: the next round retries the same blocks
                logger.warning("following the registry failed: %s", exc)

    threading.Thread(target=loop, name="follow-registrations", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
