"""The storage and re-encryption proxy service: a :class:`CloudServer` behind HTTP (issue 17).

Research: the cloud server of Zheng et al. 2018 §4.3 (stores ``f*``, serves it for ``K_f*``),
the proxies of Feng et al. 2022 §6.8–6.9 (hold kfrags, re-encrypt only for an active grant
whose policy hash matches), the audits of Huang et al. 2020 §3.3. Every check is
:class:`~offchain.protocols.cloud_server.CloudServer`'s; this module adds transport,
authentication of callers (:mod:`offchain.services.signing`), bounded request sizes, typed
error responses, ``/health`` and ``/metrics``.

Endpoints (``{id}`` is a file id, 64 hex digits):

==========================================  ========  ===========================================
``PUT /files/{id}``                          signed    body: the ciphertext; headers ``X-Sealed-Key``,
                                                       ``X-Owner-Signature`` (hex). Signer = owner.
``GET /files/{id}``                          token     header ``X-Download-Token`` (``K_f*``, hex)
``GET /files/{id}/sealed-key``               public    the sealed key capsule (bytes)
``POST /files/{id}/audit``                   public    JSON ``{"indices": [...]}`` (≤ 1024) → blocks +
                                                       paths of the first ones, at most 16 MiB of
                                                       blocks (the client asks again for the rest)
``PUT /anonymous/{id}``                      group     a group member's anonymous upload (Huang et al.
                                                       §3.4): body = the group public key's JSON
                                                       (``X-Group-Key-Bytes`` long), then the
                                                       ciphertext; headers ``X-Sealed-Key``,
                                                       ``X-Block-Size``, ``X-Group-Signature`` (hex); only
                                                       under a group key (canonical JSON) that a
                                                       consortium agency published on chain
``PUT /files/{id}/kfrags/{grantee}``         signed    JSON kfrag delivery; signer = owner
``POST /files/{id}/reencrypt``               signed    body: the sealed capsule; signer = grantee
``GET /health``, ``GET /metrics``            public    liveness; Prometheus text format
``POST /attestation/nonce``, ``POST /device-uploads``, ``GET /device-uploads/{locator}``: attested
uploads from data-source devices (issue 18), see :mod:`offchain.services.attested`.
==========================================  ========  ===========================================

Errors come back as JSON ``{"error": "<OffchainError subclass>", "detail": "..."}`` with the
status of :data:`STATUS_OF`; the client raises the same class.

Uploads are streamed when the request declares its body's SHA-256 (``X-Datashare-Body-Sha256``,
which the client always sends) and the store is a folder: while the body arrives, one thread
checks the request signature against the declared hash and then, only for an authenticated
caller, the upload against the registration on chain (:meth:`CloudServer.plan_upload`: the
declared hash must give the registered ``K_f**``, so a wrong body is refused before it arrives;
the blob's intent row commits); the body goes to a
hidden staged file in the store (:meth:`FilesystemBlobStore.stage`), which hashes it as it
writes (that digest is the body hash, ``H(f*)`` and the blob's locator at once), while the
Merkle leaves are hashed in a second thread. Nothing is acknowledged before
:meth:`CloudServer.finish_upload` has checked the digest and the tree, renamed the blob into place
(fsynced) and committed its index row. Otherwise (an S3 store, a client that declares no hash)
the body is read into memory (bounded by ``max_upload_bytes``) and checked whole.

A download is served from the blob store, checked against its locator (the SHA-256 of ``f*``).
From a folder store, after one gate check and a stat: files up to 2 MiB are read and checked
before the answer starts, so a blob that no longer hashes to its locator is refused with an
``IntegrityError``: in the event loop itself when the whole blob is in the page cache
(:meth:`FilesystemBlobStore.get_if_cached`, which never waits for the disk), else in a thread
(:meth:`FilesystemBlobStore.get`; a cold 2 MiB read took 6 ms here, which would have stalled
every other request). Larger ones stream in 1 MiB reads checked as read
(:meth:`FilesystemBlobStore.open`) with their ``Content-Length``, and such a blob cuts the
response short at its end: the client never gets all of its declared length. Why in the loop:
a thread hop cost more than the read of a small file (with 32 concurrent clients the hops
queued), and up to 2 MiB the check in a thread, overlapped with sending (the last byte held
back until the digest matched, as an earlier version did), was slower on two cores than the
check first: the hash, the send and the client's receive contended instead of overlapping.
Measured with the service on loopback, clients in their own processes, the two ways alternated
(before, after, before, after): a lone client's 1 MiB download took 2.01, 1.33, 1.98, 1.32 ms
(p50); with three clients downloading 1 MiB files while six fetch 4 KiB ones, 264, 614, 275,
624 MiB/s were downloaded, at the price of the small fetches' p50 going from 2.3 to 4.8 ms (p99
4.5–4.8 to 6.7–7.0 ms): the loop takes requests in turn, so a small one can wait behind a 1 MiB
check (about 0.7 ms of hashing). Checking a cached blob in a thread instead (one hop): 1.73 and
1.83 ms alone, 368 and 374 MiB/s in the mix with small fetches at 3.3 ms. The page-cache test
(a buffer filled by ``preadv``, then copied) costs about 0.1 ms per MiB: 1.54 and 1.59 ms alone,
alternated with a plain read in the loop (1.45, 1.47 ms), the same in the mix.
From another store (S3), files up to 2 MiB are read and checked before
the answer starts, larger ones streamed (:meth:`CloudServer.open_file`).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import logging
import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, BinaryIO

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from offchain import errors
from offchain.chain.addresses import require_address
from offchain.chain.contracts import require_uint
from offchain.crypto import group_signature as gs
from offchain.crypto import pre
from offchain.crypto.hashing import keccak256
from offchain.crypto.merkle import MerkleTree, block_count, block_digests
from offchain.errors import IntegrityError, InvalidInputError, OffchainError, StorageError
from offchain.protocols.cloud_server import MAX_AUDIT_BYTES, CloudServer, UploadPlan
from offchain.protocols.storage_api import DEFAULT_MAX_FILE_BYTES
from offchain.services.attested import ATTESTATION_STATUS, DeviceUploadIndex, add_attested_routes
from offchain.services.signing import (
    ExpiredRequestError,
    NonceBook,
    ReplayedRequestError,
    SignedHeaders,
    verify_request,
)
from offchain.storage.filesystem import FilesystemBlobStore, StagedBlob
from offchain.validation import parse_json

__all__ = ["STATUS_OF", "PayloadTooLargeError", "ServiceConfig", "create_app"]

logger = logging.getLogger(__name__)


class PayloadTooLargeError(InvalidInputError):
    """A request body is larger than the service accepts."""


#: HTTP status of each error class (the most specific class listed wins).
STATUS_OF: tuple[tuple[type[OffchainError], int], ...] = (
    *ATTESTATION_STATUS,  # each attestation refusal its own status (issue 18)
    (PayloadTooLargeError, 413),
    (errors.ServiceBusyError, 503),
    (ExpiredRequestError, 401),
    (ReplayedRequestError, 409),
    (errors.UnknownFileError, 404),
    (errors.InvalidInputError, 400),
    (errors.VerificationError, 401),
    (errors.AccessDeniedError, 403),
    (errors.IntegrityError, 422),
    (errors.StorageError, 404),
    (errors.ChainError, 502),
    (OffchainError, 500),
)

_CHUNK_BYTES = 1 << 16
#: Read size of a streamed download: large enough that per-chunk overhead (thread hop, h11
#: framing) stays small against the copy (64 KiB chunks halved download throughput).
_STREAM_CHUNK_BYTES = 1 << 20


class ServiceConfig:
    """Limits and identity of one service process.

    Args:
        chain_id: The chain id signed requests must name.
        max_upload_bytes: Largest ciphertext accepted.
        max_json_bytes: Largest JSON or capsule body accepted.
        body_timeout_s: Longest time a request body may take to arrive.
        max_buffered_bytes: Most bytes of request bodies read into memory at once, all requests
            together (anonymous, device and S3-store uploads are read whole, before anything
            authenticates them); a body that would pass it is refused with 503
            (``ServiceBusyError``) and its bytes are given back when its request ends. At least
            ``max_upload_bytes``; 1 GiB or ``max_upload_bytes`` if more, by default.

    Raises:
        InvalidInputError: if ``max_buffered_bytes`` is below ``max_upload_bytes``.
    """

    def __init__(
        self,
        *,
        chain_id: int,
        max_upload_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_json_bytes: int = 64 << 10,
        body_timeout_s: float = 60.0,
        max_buffered_bytes: int | None = None,
    ) -> None:
        if max_buffered_bytes is None:
            max_buffered_bytes = max(1 << 30, max_upload_bytes)
        if max_buffered_bytes < max_upload_bytes:
            raise InvalidInputError(
                f"max_buffered_bytes ({max_buffered_bytes}) must hold at least one upload of "
                f"max_upload_bytes ({max_upload_bytes})"
            )
        self.chain_id = chain_id
        self.max_upload_bytes = max_upload_bytes
        self.max_json_bytes = max_json_bytes
        self.body_timeout_s = body_timeout_s
        self.max_buffered_bytes = max_buffered_bytes


def _status(exc: OffchainError) -> int:
    return next(code for cls, code in STATUS_OF if isinstance(exc, cls))


def _signed_path(request: Request) -> str:
    """The path a signed request signs: with its query, if any."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _file_id(value: str) -> bytes:
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise InvalidInputError(f"a file id is 64 hex digits, got {value!r}") from None
    if len(raw) != 32:
        raise InvalidInputError(f"a file id is 32 bytes, got {len(raw)}")
    return raw


@functools.lru_cache(maxsize=16)
def _group_key(text: bytes) -> gs.GroupPublicKey:
    """The group key ``text`` holds, its setup checked once per distinct key (kept for the next
    upload under it: the groups uploads come under are few)."""
    return gs.GroupPublicKey.from_json(text.decode("utf-8", "replace"))


def _hex_header(request: Request, name: str) -> bytes:
    value = request.headers.get(name)
    if value is None:
        raise InvalidInputError(f"header {name} is missing")
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise InvalidInputError(f"header {name} is not hex") from None


class _BodyBudget:
    """The bytes of request bodies held in memory, all requests together (``max_buffered_bytes``).

    :func:`_read_body` takes from it as a body arrives, charging the request's scope;
    :class:`_CountRequests` gives a request's bytes back when its answer is sent (or it fails).
    Used from the event loop only.
    """

    SCOPE_KEY = "datashare.buffered_bytes"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, scope: Any, count: int) -> None:
        if self.used + count > self.limit:
            raise errors.ServiceBusyError(
                f"the service holds {self.used} bytes of request bodies, at most {self.limit}: try again shortly"
            )
        self.used += count
        scope[self.SCOPE_KEY][0] += count

    def give_back(self, scope: Any) -> None:
        self.used -= scope[self.SCOPE_KEY][0]
        scope[self.SCOPE_KEY][0] = 0


async def _read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The body, refused as soon as it passes ``limit`` bytes or takes longer than ``timeout_s``,
    or if the service's memory for bodies (:class:`_BodyBudget`) has no room for it."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body declares {declared} bytes, at most {limit} are accepted")
    budget: _BodyBudget = request.app.state.body_budget

    async def collect() -> bytes:
        parts = bytearray()
        async for chunk in request.stream():
            budget.take(request.scope, len(chunk))
            parts += chunk
            if len(parts) > limit:
                raise PayloadTooLargeError(f"the body passed {limit} bytes, the most accepted")
        return bytes(parts)

    try:
        return await asyncio.wait_for(collect(), timeout_s)
    except TimeoutError:
        raise InvalidInputError(f"the body did not arrive within {timeout_s} s") from None


#: Bytes of a streamed upload handed to the hashing and writing threads at a time (rounded to
#: whole Merkle blocks): large enough that thread hops cost little, small enough that the next
#: batch arrives while this one is hashed and written.
_UPLOAD_BATCH_BYTES = 1 << 20
#: Bytes of a streamed upload kept in memory for their Merkle leaves until the registration is read.
_UPLOAD_WAITING_BYTES = 32 << 20


async def _receive_staged(
    request: Request,
    staged: StagedBlob,
    checks: asyncio.Future[tuple[str, UploadPlan]],
    limit: int,
) -> list[bytes]:
    """Stream the body into ``staged`` (which hashes it as it writes) and return its Merkle leaf
    digests at the registered block size (``checks`` gives the caller and the plan): each byte
    is written once and hashed twice (the blob's SHA-256 and its block's), in two threads, while
    the next batch arrives. Writing starts at once; the leaves wait for the registration (its
    block size), batches kept until then.

    A failed check (the signature, the registration) ends the upload at once, but the rest of
    the body is still read and dropped, so the client can read the error answer.
    """
    pending = bytearray()
    blocks: _BlockDigests | None = None
    waiting: list[bytes] = []  # batches written, their leaves not hashed yet (no block size yet)
    received = 0
    writing: asyncio.Future[None] | None = None
    hashing: asyncio.Future[None] | None = None
    failure: BaseException | None = None

    async def dispatch(batch: bytes, *, final: bool) -> None:
        nonlocal writing, hashing, blocks
        if writing is not None:
            await writing  # at most one batch in the writing thread while the next arrives
        writing = asyncio.ensure_future(asyncio.to_thread(_write, staged, batch, sync=final))
        waiting.append(batch)
        if blocks is None and (final or checks.done() or sum(map(len, waiting)) > _UPLOAD_WAITING_BYTES):
            metadata = (await checks)[1].metadata
            blocks = _BlockDigests(metadata.block_size, metadata.block_count)
        if blocks is not None:
            if hashing is not None:
                await hashing
            hashing = asyncio.ensure_future(asyncio.to_thread(blocks.update, list(waiting)))
            waiting.clear()

    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise PayloadTooLargeError(f"the body passed {limit} bytes, the most accepted")
            if failure is not None:
                continue  # drained: the answer is the failure
            if checks.done() and not checks.cancelled() and checks.exception() is not None:
                failure = checks.exception()
            pending += chunk
            if failure is None and len(pending) >= _UPLOAD_BATCH_BYTES:
                batch = bytes(pending)
                pending.clear()
                try:
                    await dispatch(batch, final=False)
                except OffchainError as exc:
                    failure = exc
        if failure is None:
            try:
                await dispatch(bytes(pending), final=True)
            except OffchainError as exc:
                failure = exc
    finally:  # also on a refusal mid-body, a timeout or a client gone: no thread left writing
        in_flight = [work for work in (writing, hashing) if work is not None]
        outcomes = await asyncio.shield(asyncio.gather(*in_flight, return_exceptions=True))
    if failure is None:
        failure = next((outcome for outcome in outcomes if isinstance(outcome, BaseException)), None)
    if failure is not None:
        raise failure
    assert blocks is not None
    return blocks.finish()


def _write(staged: StagedBlob, batch: bytes, *, sync: bool) -> None:
    """Append ``batch``; after the last one, flush it to disk while the checks may still run."""
    staged.write(batch)
    if sync:
        staged.sync()


class _BlockDigests:
    """SHA-256 of each ``block_size`` block of a stream given in batches of any sizes
    (:func:`~offchain.crypto.merkle.block_digests` of the whole stream, in pieces), refused as
    soon as the stream passes the ``registered`` number of blocks (memory is a digest a block)."""

    def __init__(self, block_size: int, registered: int) -> None:
        self.block_size = block_size
        self.registered = registered
        self.digests: list[bytes] = []
        self._carry = b""
        self._seen = 0

    def update(self, batches: list[bytes]) -> None:
        for batch in batches:
            self._seen += len(batch)
            if block_count(self._seen, self.block_size) > self.registered:
                raise IntegrityError(
                    f"upload refused: the body passed the {self.registered} blocks of "
                    f"{self.block_size} bytes registered for it"
                )
            view = memoryview(batch)
            if self._carry:
                need = self.block_size - len(self._carry)
                self._carry += bytes(view[:need])
                view = view[need:]
                if len(self._carry) < self.block_size:
                    continue
                self.digests.append(hashlib.sha256(self._carry).digest())
                self._carry = b""
            whole = len(view) - len(view) % self.block_size
            if whole:
                self.digests.extend(block_digests(view[:whole], self.block_size))
            self._carry = bytes(view[whole:])

    def finish(self) -> list[bytes]:
        if self._carry or not self._seen:  # the last, short block; an empty file is one empty block
            self.digests.append(hashlib.sha256(self._carry).digest())
        return self.digests


#: Files up to this size are read whole and checked before the answer starts (see the module
#: docstring); larger ones are streamed, checked as read.
_WHOLE_DOWNLOAD_BYTES = 2 << 20


def _folder_blob(server: CloudServer, file_id: bytes, token: bytes) -> tuple[str, int]:
    """The locator of the file's blob in a folder store, once ``token`` passed the gate, and the
    blob's size (a stat). Cheap enough for the event loop: the index row is read from the
    database on a file's first download only, then cached.

    Raises:
        StorageError: if the blob is missing from the store.
    """
    assert isinstance(server.store, FilesystemBlobStore)
    locator = server.blob_locator(file_id, token)
    try:
        return locator, server.store.path_for(locator).stat().st_size
    except FileNotFoundError:
        raise StorageError(f"{server.name}: blob {locator} is missing from the store") from None


def _open_download(
    server: CloudServer, file_id: bytes, token: bytes
) -> tuple[bytes | None, BinaryIO | None, int | None]:
    """For a store other than a folder: ``(whole, None, size)`` for a small file, read and
    checked; ``(None, stream, size)`` otherwise.

    ``size`` is the blob's length when the store's stream is a local file (sent as
    ``Content-Length``: cheaper to frame than chunks on both sides), else ``None``.
    """
    stream = server.open_file(file_id, token)
    try:
        size: int | None = os.fstat(stream.fileno()).st_size
    except (OSError, io.UnsupportedOperation, AttributeError):
        size = None
    if size is not None and size <= _WHOLE_DOWNLOAD_BYTES:
        with stream:
            return stream.read(), None, size  # read to the end: checked against the locator
    return None, stream, size


class _CountRequests:
    """ASGI middleware counting requests by route and status for ``/metrics``, and giving back
    each request's share of the body budget when it ends (a plain ASGI
    wrapper: Starlette's ``BaseHTTPMiddleware`` pipes every streamed body through a task and a
    memory channel, which halved upload and download throughput)."""

    def __init__(self, app: Any, counter: Counter[tuple[str, int]], budget: _BodyBudget) -> None:
        self.app = app
        self.counter = counter
        self.budget = budget

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]
        scope[_BodyBudget.SCOPE_KEY] = [0]  # a holder: shared even if a layer copies the scope

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.budget.give_back(scope)
            self.counter[(getattr(scope.get("route"), "path", "unmatched"), status[0])] += 1


def create_app(
    server: CloudServer,
    nonces: NonceBook,
    config: ServiceConfig,
    *,
    device_uploads: DeviceUploadIndex | None = None,
) -> FastAPI:
    """The HTTP application serving ``server``.

    Args:
        server: The cloud server (made with a persisted ``state=`` in a deployment).
        nonces: Where spent request nonces are kept.
        config: Chain id and limits.
        device_uploads: Where accepted device uploads are indexed; with it (and a server made
            with an ``attestation=`` verifier) the service takes attested uploads
            (:mod:`offchain.services.attested`).
    """
    app = FastAPI(title=f"datashare storage/proxy service {server.name}", version="1")
    requests_total: Counter[tuple[str, int]] = Counter()
    stored_bytes_total = Counter[str]()
    started = time.time()

    app.state.body_budget = budget = _BodyBudget(config.max_buffered_bytes)
    app.add_middleware(_CountRequests, counter=requests_total, budget=budget)

    @app.exception_handler(OffchainError)
    async def typed_error(request: Request, exc: OffchainError) -> JSONResponse:
        status = _status(exc)
        logger.info("%s %s refused (%d): %s", request.method, request.url.path, status, exc)
        return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=status)

    async def authenticated(
        request: Request, body: bytes | None, headers: SignedHeaders | None = None, *, synced: bool = True
    ) -> str:
        """The caller of a signed request; ``body`` ``None``: checked against its declared body hash.
        ``synced=False``: the nonce's commit is made durable by the upload's index row (see
        :meth:`NonceBook.spend`)."""
        headers = headers or SignedHeaders.from_headers(request.headers)
        return await asyncio.to_thread(
            verify_signed, request.method, _signed_path(request), headers, body, synced=synced
        )

    def verify_signed(
        method: str, path: str, headers: SignedHeaders, body: bytes | None, *, synced: bool = True
    ) -> str:
        """:func:`verify_request` of this service (blocking: spends the nonce)."""
        return verify_request(
            headers,
            chain_id=config.chain_id,
            service=server.name,
            method=method,
            path=path,
            body=body,
            body_hash=None if body is not None else headers.body_hash,
            nonces=nonces,
            synced=synced,
        )

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "name": server.name, "chain_id": config.chain_id, "uptime_s": time.time() - started}

    @app.get("/metrics")
    async def metrics() -> Response:
        lines = [
            "# HELP datashare_requests_total Requests served, by route and status.",
            "# TYPE datashare_requests_total counter",
        ]
        for (route, status), count_ in sorted(requests_total.items()):
            lines.append(f'datashare_requests_total{{route="{route}",status="{status}"}} {count_}')
        lines += [
            "# HELP datashare_stored_bytes_total Ciphertext bytes accepted.",
            "# TYPE datashare_stored_bytes_total counter",
            f"datashare_stored_bytes_total {stored_bytes_total['bytes']}",
            "# HELP datashare_buffered_body_bytes Bytes of request bodies held in memory now.",
            "# TYPE datashare_buffered_body_bytes gauge",
            f"datashare_buffered_body_bytes {budget.used}",
            "# HELP datashare_uptime_seconds Seconds since the service started.",
            "# TYPE datashare_uptime_seconds gauge",
            f"datashare_uptime_seconds {time.time() - started:.3f}",
        ]
        return Response("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    @app.put("/files/{file_id}")
    async def upload(file_id: str, request: Request) -> dict[str, str]:
        fid = _file_id(file_id)
        sealed = pre.SealedKey.from_bytes(_hex_header(request, "x-sealed-key"))
        signature = _hex_header(request, "x-owner-signature")
        headers = SignedHeaders.from_headers(request.headers)
        if headers.body_hash is not None and isinstance(server.store, FilesystemBlobStore):
            caller, locator, size = await _streamed_upload(request, fid, headers, sealed, signature)
        else:  # no declared body hash, or a store without staged writes (S3): buffered, checked whole
            body = await _read_body(request, config.max_upload_bytes, config.body_timeout_s)
            caller = await authenticated(request, body)
            locator = await asyncio.to_thread(
                server.store_file, file_id=fid, ciphertext=body, sealed_key=sealed, owner_signature=signature
            )
            size = len(body)
        stored_bytes_total["bytes"] += size
        logger.info("upload of 0x%s by %s accepted", fid.hex(), caller)
        return {"locator": locator}

    async def _streamed_upload(
        request: Request, fid: bytes, headers: SignedHeaders, sealed: pre.SealedKey, signature: bytes
    ) -> tuple[str, str, int]:
        """The upload, checked while its body arrives, hashed and written once (see the module docstring)."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > config.max_upload_bytes:
            raise PayloadTooLargeError(
                f"the body declares {declared} bytes, at most {config.max_upload_bytes} are accepted"
            )
        assert headers.body_hash is not None and isinstance(server.store, FilesystemBlobStore)
        path, digest = _signed_path(request), headers.body_hash

        def checks() -> tuple[str, UploadPlan]:
            """The caller first: an unauthenticated request neither reads the registration nor commits an intent."""
            caller = verify_signed("PUT", path, headers, None, synced=False)
            plan = server.plan_upload(
                file_id=fid, ciphertext_digest=digest, sealed_key=sealed, owner_signature=signature
            )
            return caller, plan

        # In one thread while the body arrives (they need none of its bytes): both are mostly
        # Python, so two threads would only contend for the GIL with the loop receiving the body.
        checks_task = asyncio.ensure_future(asyncio.to_thread(checks))
        staged = server.store.stage()
        try:
            try:
                digests = await asyncio.wait_for(
                    _receive_staged(request, staged, checks_task, config.max_upload_bytes), config.body_timeout_s
                )
            except TimeoutError:
                raise InvalidInputError(f"the body did not arrive within {config.body_timeout_s} s") from None
            caller, plan = await checks_task
            locator = await asyncio.to_thread(
                lambda: server.finish_upload(plan, staged, MerkleTree.from_digests(digests))
            )
            return caller, locator, staged.size_bytes
        finally:
            staged.discard()  # no-op once adopted
            if not checks_task.done():
                checks_task.cancel()
                await asyncio.gather(checks_task, return_exceptions=True)

    @app.get("/files/{file_id}")
    async def download(file_id: str, request: Request) -> Response:
        fid = _file_id(file_id)
        token = _hex_header(request, "x-download-token")
        stream: BinaryIO | None
        size: int | None
        if isinstance(server.store, FilesystemBlobStore):
            locator, size = _folder_blob(server, fid, token)
            if size <= _WHOLE_DOWNLOAD_BYTES:  # read and checked in the loop if cached, else in a thread
                whole = server.store.get_if_cached(locator)
                if whole is None:
                    whole = await asyncio.to_thread(server.store.get, locator)
                return Response(whole, media_type="application/octet-stream")
            stream = await asyncio.to_thread(server.store.open, locator)  # checked as read
        else:
            small, stream, size = await asyncio.to_thread(_open_download, server, fid, token)
            if small is not None:
                return Response(small, media_type="application/octet-stream")
        assert stream is not None

        def chunks() -> Iterator[bytes]:  # Starlette reads a sync iterator in its thread pool
            # Checked as read: the read that reaches the end raises if the blob no longer hashes to
            # its locator. One chunk is read ahead, so the last one goes out only after that read
            # passed: a blob of a whole number of chunks is cut short as well, never sent whole.
            with stream:
                current = stream.read(_STREAM_CHUNK_BYTES)
                while current:
                    following = stream.read(_STREAM_CHUNK_BYTES)
                    yield current
                    current = following

        length = {} if size is None else {"content-length": str(size)}  # else chunked transfer
        return StreamingResponse(chunks(), media_type="application/octet-stream", headers=length)

    @app.get("/files/{file_id}/sealed-key")
    async def sealed_key(file_id: str) -> Response:
        sealed = await asyncio.to_thread(server.sealed_key, _file_id(file_id))
        return Response(sealed.to_bytes(), media_type="application/octet-stream")

    @app.post("/files/{file_id}/audit")
    async def audit(file_id: str, request: Request) -> dict[str, Any]:
        fid = _file_id(file_id)
        body = await _read_body(request, config.max_json_bytes, config.body_timeout_s)
        indices = _json(body).get("indices")
        if not isinstance(indices, list) or len(indices) > 1024:
            raise InvalidInputError("audit body is {'indices': [at most 1024 ints]}")
        answers = await asyncio.to_thread(server.answer_challenge, fid, tuple(indices), max_bytes=MAX_AUDIT_BYTES)
        blocks = {a.index: a.block for a in answers}
        hexed = {index: block.hex() for index, block in blocks.items()}  # once per block, however often asked
        return {
            "answers": [
                {
                    "index": a.index,
                    "block": hexed[a.index],
                    "proof_index": a.proof.index,
                    "siblings": [s.hex() for s in a.proof.siblings],
                }
                for a in answers
            ]
        }

    @app.put("/anonymous/{file_id}")
    async def anonymous_upload(file_id: str, request: Request) -> dict[str, str]:
        fid = _file_id(file_id)
        body = await _read_body(request, config.max_upload_bytes, config.body_timeout_s)
        try:
            key_bytes, block_size = int(request.headers["x-group-key-bytes"]), int(request.headers["x-block-size"])
        except (KeyError, ValueError):
            raise InvalidInputError("headers x-group-key-bytes and x-block-size must be integers") from None
        if not 0 < key_bytes < len(body):
            raise InvalidInputError(f"x-group-key-bytes must lie in ]0, {len(body)}[, got {key_bytes}")
        sealed = pre.SealedKey.from_bytes(_hex_header(request, "x-sealed-key"))
        signature = gs.GroupSignature.from_bytes(_hex_header(request, "x-group-signature"))
        key = body[:key_bytes]
        # A published key's hash is that of its canonical JSON, which clients send: anything else
        # is refused before it is parsed and its setup checked (up to 0.5 s for 4096 bits).
        await asyncio.to_thread(lambda: server.check_group_key(keccak256(key)))
        group = await asyncio.to_thread(_group_key, key)
        locator = await asyncio.to_thread(
            server.store_anonymous,
            file_id=fid,
            ciphertext=body[key_bytes:],
            block_size=block_size,
            sealed_key=sealed,
            group=group,
            signature=signature,
        )
        stored_bytes_total["bytes"] += len(body) - key_bytes
        logger.info("anonymous upload 0x%s for group 0x%s accepted", fid.hex(), group.fingerprint().hex()[:16])
        return {"locator": locator}

    @app.put("/files/{file_id}/kfrags/{grantee}")
    async def deliver_kfrag(file_id: str, grantee: str, request: Request) -> dict[str, str]:
        fid = _file_id(file_id)
        body = await _read_body(request, config.max_json_bytes, config.body_timeout_s)
        await authenticated(request, body)
        fields = _json(body)
        try:
            kwargs: dict[str, Any] = {
                "kfrag": bytes.fromhex(fields["kfrag"]),
                "receiving_pk": pre.public_key_from_bytes(bytes.fromhex(fields["receiving_pk"])),
                "verifying_pk": pre.public_key_from_bytes(bytes.fromhex(fields["verifying_pk"])),
                "threshold": require_uint(fields["threshold"], "threshold", low=1, high=255),
                "shares": require_uint(fields["shares"], "shares", low=1, high=255),
                "owner_signature": bytes.fromhex(fields["owner_signature"]),
            }
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInputError(f"a kfrag delivery is malformed: {exc!r}") from None
        await asyncio.to_thread(server.accept_kfrag, file_id=fid, grantee=require_address(grantee, "grantee"), **kwargs)
        return {"status": "accepted"}

    @app.post("/files/{file_id}/reencrypt")
    async def reencrypt(file_id: str, request: Request) -> Response:
        fid = _file_id(file_id)
        body = await _read_body(request, config.max_json_bytes, config.body_timeout_s)
        caller = await authenticated(request, body)  # only the grantee asks for its own cfrag
        sealed = pre.SealedKey.from_bytes(body)
        cfrag = await asyncio.to_thread(server.reencrypt, fid, caller, sealed)
        return Response(cfrag, media_type="application/octet-stream")

    if device_uploads is not None:
        add_attested_routes(
            app,
            server,
            device_uploads,
            lambda request: _read_body(request, config.max_upload_bytes, config.body_timeout_s),
        )
    return app


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = parse_json(body)
    except ValueError:
        raise InvalidInputError("the body is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidInputError("the body is not a JSON object")
    return value
