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
``POST /files/{id}/audit``                   public    JSON ``{"indices": [...]}`` → blocks + paths
``PUT /anonymous/{id}``                      group     a group member's anonymous upload (Huang et al.
                                                       §3.4): body = the group public key's JSON
                                                       (``X-Group-Key-Bytes`` long), then the
                                                       ciphertext; headers ``X-Sealed-Key``,
                                                       ``X-Block-Size``, ``X-Group-Signature`` (hex)
``PUT /files/{id}/kfrags/{grantee}``         signed    JSON kfrag delivery; signer = owner
``POST /files/{id}/reencrypt``               signed    body: the sealed capsule; signer = grantee
``GET /health``, ``GET /metrics``            public    liveness; Prometheus text format
``POST /attestation/nonce``, ``POST /device-uploads``, ``GET /device-uploads/{locator}``: attested
uploads from data-source devices (issue 18), see :mod:`offchain.services.attested`.
==========================================  ========  ===========================================

Errors come back as JSON ``{"error": "<OffchainError subclass>", "detail": "..."}`` with the
status of :data:`STATUS_OF`; the client raises the same class.

Caveat: :class:`CloudServer` takes whole byte strings, so an upload is read (bounded by
``max_upload_bytes``) into memory before it is checked. A download is streamed from the blob
store (:meth:`CloudServer.open_file`, 1 MiB reads, chunked transfer encoding), checked as it is
read: a blob that no longer hashes to its locator aborts the response at its end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from offchain import errors
from offchain.chain.addresses import require_address
from offchain.crypto import group_signature as gs
from offchain.crypto import pre
from offchain.errors import InvalidInputError, OffchainError
from offchain.protocols.cloud_server import CloudServer
from offchain.services.attested import ATTESTATION_STATUS, DeviceUploadIndex, add_attested_routes
from offchain.services.signing import (
    ExpiredRequestError,
    NonceBook,
    ReplayedRequestError,
    SignedHeaders,
    verify_request,
)

__all__ = ["STATUS_OF", "PayloadTooLargeError", "ServiceConfig", "create_app"]

logger = logging.getLogger(__name__)


class PayloadTooLargeError(InvalidInputError):
    """A request body is larger than the service accepts."""


#: HTTP status of each error class (the most specific class listed wins).
STATUS_OF: tuple[tuple[type[OffchainError], int], ...] = (
    *ATTESTATION_STATUS,  # each attestation refusal its own status (issue 18)
    (PayloadTooLargeError, 413),
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
    """

    def __init__(
        self,
        *,
        chain_id: int,
        max_upload_bytes: int = 256 << 20,
        max_json_bytes: int = 64 << 10,
        body_timeout_s: float = 60.0,
    ) -> None:
        self.chain_id = chain_id
        self.max_upload_bytes = max_upload_bytes
        self.max_json_bytes = max_json_bytes
        self.body_timeout_s = body_timeout_s


def _status(exc: OffchainError) -> int:
    return next(code for cls, code in STATUS_OF if isinstance(exc, cls))


def _file_id(value: str) -> bytes:
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise InvalidInputError(f"a file id is 64 hex digits, got {value!r}") from None
    if len(raw) != 32:
        raise InvalidInputError(f"a file id is 32 bytes, got {len(raw)}")
    return raw


def _hex_header(request: Request, name: str) -> bytes:
    value = request.headers.get(name)
    if value is None:
        raise InvalidInputError(f"header {name} is missing")
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise InvalidInputError(f"header {name} is not hex") from None


async def _read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The body, refused as soon as it passes ``limit`` bytes or takes longer than ``timeout_s``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body declares {declared} bytes, at most {limit} are accepted")

    async def collect() -> bytes:
        parts = bytearray()
        async for chunk in request.stream():
            parts += chunk
            if len(parts) > limit:
                raise PayloadTooLargeError(f"the body passed {limit} bytes, the most accepted")
        return bytes(parts)

    try:
        return await asyncio.wait_for(collect(), timeout_s)
    except TimeoutError:
        raise InvalidInputError(f"the body did not arrive within {timeout_s} s") from None


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

    @app.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        route = request.scope.get("route")
        requests_total[(getattr(route, "path", "unmatched"), response.status_code)] += 1
        return response

    @app.exception_handler(OffchainError)
    async def typed_error(request: Request, exc: OffchainError) -> JSONResponse:
        status = _status(exc)
        logger.info("%s %s refused (%d): %s", request.method, request.url.path, status, exc)
        return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=status)

    async def authenticated(request: Request, body: bytes) -> str:
        headers = SignedHeaders.from_headers(request.headers)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return await asyncio.to_thread(
            verify_request,
            headers,
            chain_id=config.chain_id,
            service=server.name,
            method=request.method,
            path=path,
            body=body,
            nonces=nonces,
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
            "# HELP datashare_uptime_seconds Seconds since the service started.",
            "# TYPE datashare_uptime_seconds gauge",
            f"datashare_uptime_seconds {time.time() - started:.3f}",
        ]
        return Response("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    @app.put("/files/{file_id}")
    async def upload(file_id: str, request: Request) -> dict[str, str]:
        fid = _file_id(file_id)
        body = await _read_body(request, config.max_upload_bytes, config.body_timeout_s)
        caller = await authenticated(request, body)
        sealed = pre.SealedKey.from_bytes(_hex_header(request, "x-sealed-key"))
        signature = _hex_header(request, "x-owner-signature")
        locator = await asyncio.to_thread(
            server.store_file, file_id=fid, ciphertext=body, sealed_key=sealed, owner_signature=signature
        )
        stored_bytes_total["bytes"] += len(body)
        logger.info("upload of 0x%s by %s accepted", fid.hex(), caller)
        return {"locator": locator}

    @app.get("/files/{file_id}")
    async def download(file_id: str, request: Request) -> StreamingResponse:
        fid = _file_id(file_id)
        token = _hex_header(request, "x-download-token")
        stream = await asyncio.to_thread(server.open_file, fid, token)

        def chunks() -> Iterator[bytes]:  # Starlette reads a sync iterator in its thread pool
            with stream:  # checked as read: a blob that no longer hashes to its locator aborts the response
                while chunk := stream.read(_STREAM_CHUNK_BYTES):
                    yield chunk

        return StreamingResponse(chunks(), media_type="application/octet-stream")  # chunked transfer

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
        answers = await asyncio.to_thread(server.answer_challenge, fid, tuple(indices))
        return {
            "answers": [
                {
                    "index": a.index,
                    "block": a.block.hex(),
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
        group = await asyncio.to_thread(gs.GroupPublicKey.from_json, body[:key_bytes].decode("utf-8", "replace"))
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
                "threshold": int(fields["threshold"]),
                "shares": int(fields["shares"]),
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
    import json

    try:
        value = json.loads(body)
    except ValueError:
        raise InvalidInputError("the body is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidInputError("the body is not a JSON object")
    return value
