"""Attested uploads from data-source devices over HTTP: the storage service's nonce and
device-upload endpoints (issue 18).

Research: Peng, Zhu, Wang, Hu, Song, Wang, *Towards Decentralized Privacy-Preserving of Encrypted
Data Sharing Protocol*, steps (1)–(5), Eq. 1–9: the receiver issues a fresh nonce, the device
quotes (PCR, nonce, SHA-256(envelope)) with its platform key, and the receiver checks the quote
(:class:`~offchain.attestation.QuoteVerifier`, through
:meth:`~offchain.protocols.cloud_server.CloudServer.store_device_upload`) before it stores the
envelope.

Endpoints (added to :func:`offchain.services.storage.create_app` when it is given a
:class:`DeviceUploadIndex` and the server a verifier):

==========================================  ========  ===========================================
``POST /attestation/nonce``                  public    → ``{"nonce": hex, "ttl_s": …}``; single use
``POST /device-uploads``                     quote     body: the envelope; headers ``X-Device-Id``
                                                       (hex), ``X-Quote`` (hex of ``Quote.to_bytes``,
                                                       absent for a class requiring none)
``GET /device-uploads/{locator}``            public    the envelope (encrypted to its receiver)
``GET /device-uploads/{locator}/attestation`` public   what its quote proved (JSON)
==========================================  ========  ===========================================

Device uploads are not EIP-712 signed: the quote is the device's credential, and it names the
envelope and a nonce of this server. Each refusal comes back with its own status and the error
class's name (:data:`ATTESTATION_STATUS`), which the client raises again.

What survives a restart: issued and used nonces (a
:class:`~offchain.attestation.PersistentNonceBook`, so a used nonce never becomes usable
again) and the index of accepted uploads (:class:`DeviceUploadIndex`). The envelope is written
to the blob store before its index row commits; a crash between the two leaves an unindexed,
content-addressed blob that is never served (the device uploads again with a fresh nonce).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from offchain.attestation import errors as attestation_errors
from offchain.attestation.quote import Quote, QuoteKind
from offchain.attestation.verifier import VerifiedQuote
from offchain.chain.contracts import MAX_UINT256, require_uint
from offchain.database import open_engine
from offchain.errors import InvalidInputError, OffchainError, StorageError
from offchain.protocols.cloud_server import CloudServer

__all__ = ["ATTESTATION_STATUS", "DeviceUploadIndex", "DeviceUploadRecord", "add_attested_routes"]

logger = logging.getLogger(__name__)

#: HTTP status of each attestation refusal (listed before the general ones of ``STATUS_OF``).
ATTESTATION_STATUS: tuple[tuple[type[OffchainError], int], ...] = (
    (attestation_errors.MalformedQuoteError, 400),
    (attestation_errors.QuoteSignatureError, 401),
    (attestation_errors.AttestationRequiredError, 428),  # Precondition Required: bring a quote
    (attestation_errors.UnknownAttestationKeyError, 403),
    (attestation_errors.RevokedAttestationKeyError, 403),
    (attestation_errors.MeasurementMismatchError, 403),
    (attestation_errors.RevokedMeasurementError, 403),
    (attestation_errors.NonceReplayError, 409),
    (attestation_errors.UnknownNonceError, 409),
    (attestation_errors.NonceExpiredError, 410),
    (attestation_errors.DataDigestMismatchError, 422),
    (attestation_errors.AttestationError, 403),
)

HEADER_DEVICE_ID = "x-device-id"
HEADER_QUOTE = "x-quote"
_CHUNK_BYTES = 1 << 16


@dataclass(frozen=True)
class DeviceUploadRecord:
    """An accepted device upload, as the index keeps it.

    Attributes:
        locator: The envelope's blob locator.
        device_id: The device on chain.
        attestation: The verified quote's findings, ``None`` for a class that requires none.
    """

    locator: str
    device_id: bytes
    attestation: VerifiedQuote | None

    def as_json(self) -> dict[str, Any]:
        """The record as the attestation endpoint serves it."""
        quote = self.attestation
        return {
            "locator": self.locator,
            "device_id": self.device_id.hex(),
            "attested": quote is not None,
            **(
                {
                    "kind": quote.kind.value,
                    "class_id": quote.class_id.hex(),
                    "measurement_version": quote.measurement_version,
                    "pcr_digest": quote.pcr_digest.hex(),
                    "data_digest": quote.data_digest.hex(),
                }
                if quote is not None
                else {}
            ),
        }

    @classmethod
    def from_json(cls, fields: dict[str, Any]) -> DeviceUploadRecord:
        """Parse :meth:`as_json`.

        Raises:
            InvalidInputError: if a field is missing or malformed.
        """
        try:
            attestation = (
                VerifiedQuote(
                    QuoteKind(fields["kind"]),
                    bytes.fromhex(fields["device_id"]),
                    bytes.fromhex(fields["class_id"]),
                    require_uint(fields["measurement_version"], "measurement_version", low=0, high=MAX_UINT256),
                    bytes.fromhex(fields["pcr_digest"]),
                    bytes.fromhex(fields["data_digest"]),
                )
                if fields["attested"]
                else None
            )
            return cls(str(fields["locator"]), bytes.fromhex(fields["device_id"]), attestation)
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidInputError(f"a device-upload record is malformed: {exc!r}") from None


_metadata = MetaData()
_uploads_table = Table(
    "device_uploads",
    _metadata,
    Column("locator", String(80), primary_key=True),
    Column("device_id", LargeBinary(32), nullable=False),
    Column("kind", String(16)),  # NULL: no quote (the class requires none)
    Column("class_id", LargeBinary(32)),
    Column("measurement_version", Integer),
    Column("pcr_digest", LargeBinary(32)),
    Column("data_digest", LargeBinary(32)),
)


class DeviceUploadIndex:
    """Accepted device uploads and what their quotes proved, in a database (survives restarts).

    Args:
        database: A path (SQLite file) or an SQLAlchemy URL.
    """

    def __init__(self, database: str | Path) -> None:
        self.engine = open_engine(database)
        _metadata.create_all(self.engine)

    def add(self, locator: str, device_id: bytes, attestation: VerifiedQuote | None) -> None:
        """Index an accepted upload (the first record of an envelope stays)."""
        values: dict[str, Any] = {"locator": locator, "device_id": device_id}
        if attestation is not None:
            values.update(
                kind=attestation.kind.value,
                class_id=attestation.class_id,
                measurement_version=attestation.measurement_version,
                pcr_digest=attestation.pcr_digest,
                data_digest=attestation.data_digest,
            )
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(_uploads_table).values(**values))
        except SqlIntegrityError:
            pass  # the same envelope accepted before: its first record stays

    def get(self, locator: str) -> DeviceUploadRecord:
        """The record of ``locator``.

        Raises:
            StorageError: if no device upload is indexed under it.
        """
        with self.engine.connect() as connection:
            row = connection.execute(select(_uploads_table).where(_uploads_table.c.locator == locator)).first()
        if row is None:
            raise StorageError(f"no device upload is stored under {locator!r}")
        attestation = (
            VerifiedQuote(
                QuoteKind(row.kind),
                bytes(row.device_id),
                bytes(row.class_id),
                int(row.measurement_version),
                bytes(row.pcr_digest),
                bytes(row.data_digest),
            )
            if row.kind is not None
            else None
        )
        return DeviceUploadRecord(locator, bytes(row.device_id), attestation)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def _hex(value: str, name: str) -> bytes:
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise InvalidInputError(f"header {name} is not hex") from None


def add_attested_routes(
    app: FastAPI,
    server: CloudServer,
    uploads: DeviceUploadIndex,
    read_body: Callable[[Request], Awaitable[bytes]],
) -> None:
    """Add the nonce and device-upload endpoints to ``app`` (see the module docstring).

    Args:
        app: The storage service's application.
        server: Its cloud server, made with an ``attestation=`` verifier (else every device
            upload is refused with AccessDeniedError).
        uploads: Where accepted uploads are indexed.
        read_body: Reads a request body within the service's size and time limits.
    """

    @app.post("/attestation/nonce")
    async def attestation_nonce() -> dict[str, Any]:
        nonce = await asyncio.to_thread(server.upload_nonce)
        assert server.attestation is not None  # upload_nonce refused otherwise
        return {"nonce": nonce.hex(), "ttl_s": server.attestation.nonces.ttl_s}

    @app.post("/device-uploads")
    async def device_upload(request: Request) -> dict[str, str]:
        device_header = request.headers.get(HEADER_DEVICE_ID)
        if device_header is None:
            raise InvalidInputError(f"header {HEADER_DEVICE_ID} is missing")
        device_id = _hex(device_header, HEADER_DEVICE_ID)
        quote_header = request.headers.get(HEADER_QUOTE)
        quote = Quote.from_bytes(_hex(quote_header, HEADER_QUOTE)) if quote_header else None
        envelope = await read_body(request)

        def store() -> str:
            locator = server.store_device_upload(envelope=envelope, device_id=device_id, quote=quote)
            uploads.add(locator, device_id, server.device_upload_attestation(locator))
            return locator

        locator = await asyncio.to_thread(store)
        logger.info("device upload %s from 0x%s accepted", locator, device_id.hex())
        return {"locator": locator}

    @app.get("/device-uploads/{locator}")
    async def device_download(locator: str) -> StreamingResponse:
        await asyncio.to_thread(uploads.get, locator)  # served only if accepted as a device upload
        data = await asyncio.to_thread(server.store.get, locator)

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(data), _CHUNK_BYTES):
                yield data[start : start + _CHUNK_BYTES]

        return StreamingResponse(
            chunks(), media_type="application/octet-stream", headers={"content-length": str(len(data))}
        )

    @app.get("/device-uploads/{locator}/attestation")
    async def device_attestation(locator: str) -> dict[str, Any]:
        record = await asyncio.to_thread(uploads.get, locator)
        return record.as_json()
