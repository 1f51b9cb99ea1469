"""The client of the storage / proxy service: the calls of an in-process CloudServer, over HTTP.

:class:`StorageClient` has the methods the owner, buyer and auditor call on a
:class:`~offchain.protocols.cloud_server.CloudServer` (``name``, ``locator_for``,
``store_file``, ``fetch``, ``sealed_key``, ``accept_kfrag``, ``reencrypt``,
``answer_challenge``), so those roles work against either; data-source devices call
``upload_nonce`` and ``store_device_upload`` (attested uploads, issue 18). Requests that need an identity are
signed with the caller's Ethereum key (:mod:`offchain.services.signing`); a refused request
raises the :mod:`offchain.errors` class the service named. Ciphertexts (``store_file``,
``fetch``) go through pooled keep-alive ``http.client`` connections
(:mod:`offchain.services.transport`), every other call through httpx.

Research: Zheng et al. 2018 §4.3, Feng et al. 2022 §6.8–6.9, Huang et al. 2020 §3.3 (see
:mod:`offchain.protocols.cloud_server`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx

from offchain import errors
from offchain.attestation import errors as attestation_errors
from offchain.attestation.quote import Quote
from offchain.attestation.verifier import VerifiedQuote
from offchain.chain.addresses import AddressLike, require_address
from offchain.crypto import group_signature as gs
from offchain.crypto import pre
from offchain.crypto.merkle import InclusionProof
from offchain.errors import IntegrityError, OffchainError, StorageError
from offchain.protocols.cloud_server import LOCATOR_SCHEME, MAX_AUDIT_BYTES, AuditResponse
from offchain.protocols.storage_api import DEFAULT_MAX_FILE_BYTES
from offchain.services import signing
from offchain.services.attested import HEADER_DEVICE_ID, HEADER_QUOTE, DeviceUploadRecord
from offchain.services.signing import sign_request
from offchain.services.transport import MAX_ERROR_BYTES, BulkAnswer, BulkTransport, read_capped
from offchain.validation import parse_json, require_int

__all__ = ["AnswerTooLargeError", "MalformedAnswerError", "StorageClient", "raise_for_error"]

T = TypeVar("T")

_ERRORS: dict[str, type[OffchainError]] = {
    name: cls
    for module in (errors, signing, attestation_errors)
    for name, cls in vars(module).items()
    if isinstance(cls, type) and issubclass(cls, OffchainError)
}


class MalformedAnswerError(IntegrityError):
    """A service answered with success, but its body is not the answer asked for: a malicious
    or broken service, whose answer is refused rather than half read."""


class AnswerTooLargeError(MalformedAnswerError):
    """A service's successful answer is longer than the client reads for that call (a ciphertext
    longer than its registration allows, an endless body): refused, the rest left unread."""


#: The most bytes read of a JSON or key answer other than an audit's (health, locators, nonces,
#: sealed keys, cfrags, device-upload records).
_MAX_SMALL_ANSWER_BYTES = 1 << 20
#: The most bytes read of an audit answer: the service's :data:`MAX_AUDIT_BYTES` of blocks in
#: hex, with their Merkle paths (at most 18 siblings each for 1,024 answers) and JSON keys.
_MAX_AUDIT_ANSWER_BYTES = 2 * MAX_AUDIT_BYTES + (8 << 20)


def _answer(response: BulkAnswer, what: str, read: Callable[[Any], T]) -> T:
    """``read`` of the JSON body of a successful ``response`` (else the error the service named).

    Raises:
        AnswerTooLargeError: if the body is longer than the call reads.
        MalformedAnswerError: if the body is not JSON or ``read`` finds it is not of the form
            expected (a missing key, a value of another type).
    """
    raise_for_error(response, what)
    try:
        return read(parse_json(response.content))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, OverflowError) as exc:
        raise MalformedAnswerError(f"the service's answer to {what} is malformed: {exc!r}"[:500]) from None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _locator(body: Any) -> str:
    return _text(body["locator"])


def raise_for_error(response: httpx.Response | BulkAnswer, what: str = "the request") -> None:
    """Raise the error the service named, if the response is one, or :class:`AnswerTooLargeError`
    if it is a success cut at the reader's limit.

    Errors whose class takes other arguments than a message come back as their nearest
    message-taking base (e.g. ``UnknownFileError`` as :class:`~offchain.errors.ChainError`).
    """
    if response.is_success:
        if isinstance(response, BulkAnswer) and response.cut_at is not None:
            raise AnswerTooLargeError(
                f"the service's answer to {what} is longer than the {response.cut_at} bytes this call reads"
            )
        return
    try:
        body = parse_json(response.content)
        name, detail = str(body["error"]), str(body["detail"])
    except (ValueError, KeyError, TypeError):
        raise StorageError(f"the service answered {response.status_code}: {response.text[:200]!r}") from None
    cls = _ERRORS.get(name, OffchainError)
    if name == "PayloadTooLargeError":
        cls = errors.InvalidInputError
    for candidate in cls.__mro__:
        if isinstance(candidate, type) and issubclass(candidate, OffchainError):
            try:
                raise candidate(f"{name}: {detail}")
            except TypeError:
                continue
    raise OffchainError(f"{name}: {detail}")


#: The most blocks asked for in one audit request (the service's limit).
_AUDIT_BATCH = 1024
#: Bodies larger than this are handed to httpx in slices of this size.
_SEND_CHUNK_BYTES = 1 << 20


def _body(content: bytes, headers: dict[str, str]) -> bytes | Iterator[bytes]:
    """``content`` as httpx should send it: large bodies as 1 MiB slices with their length declared.

    httpcore sends one ``bytes`` body with ``buffer = buffer[n:]`` after each ``send``, copying
    the rest every time: a 128 MiB upload went at about 19 MiB/s; sliced it is not copied
    (``Content-Length`` set here keeps httpx from switching to chunked encoding).
    """
    if len(content) <= _SEND_CHUNK_BYTES:
        return content
    headers["content-length"] = str(len(content))
    view = memoryview(content)
    return (bytes(view[start : start + _SEND_CHUNK_BYTES]) for start in range(0, len(content), _SEND_CHUNK_BYTES))


def _byte_bound(value: object, name: str) -> int:
    """``value`` as a count of bytes to read: an int of at least 1."""
    bound = require_int(value, name)
    if bound < 1:
        raise errors.InvalidInputError(f"{name} must be at least 1 byte, got {bound}")
    return bound


def _audit_answers(body: Any) -> list[AuditResponse]:
    answers = body["answers"]
    if not isinstance(answers, list):
        raise TypeError(f"expected a list of answers, got {type(answers).__name__}")
    return [
        AuditResponse(
            require_int(a["index"], "index"),
            bytes.fromhex(a["block"]),
            InclusionProof(
                require_int(a["proof_index"], "proof_index"), tuple(bytes.fromhex(s) for s in a["siblings"])
            ),
        )
        for a in answers
    ]


class StorageClient:
    """A storage service or proxy reached over HTTP.

    Args:
        base_url: E.g. ``http://127.0.0.1:8800``.
        private_key: The caller's Ethereum key, for signed requests (owner: uploads and kfrag
            deliveries; receiver: re-encryptions). ``None`` for public and token-gated calls only.
        chain_id: The chain id the service expects in signatures; read from ``/health`` if omitted.
        timeout_s: Per-request timeout.
        max_download_bytes: The most bytes of a ciphertext or device upload read when the caller
            knows no size of its own (a service's default ``--max-upload-bytes``). Every other
            answer is read up to a bound of its own, so a malicious service cannot fill the
            client's memory: a longer answer raises :class:`AnswerTooLargeError`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        private_key: bytes | str | None = None,
        chain_id: int | None = None,
        timeout_s: float = 30.0,
        max_download_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s)
        self._bulk = BulkTransport(base_url, timeout_s=timeout_s)
        self._key = private_key
        self.max_download_bytes = _byte_bound(max_download_bytes, "max_download_bytes")
        name, served_chain = _answer(
            self._call("GET", "/health"),
            "/health",
            lambda body: (_text(body["name"]), require_int(body["chain_id"], "chain_id")),
        )
        self.name: str = name
        self.chain_id: int = served_chain if chain_id is None else chain_id

    def close(self) -> None:
        """Close the connection pools."""
        self._http.close()
        self._bulk.close()

    def health(self) -> dict[str, Any]:
        """The service's ``/health`` answer."""
        return _answer(self._call("GET", "/health"), "/health", dict)

    def _call(self, method: str, path: str, *, limit: int = _MAX_SMALL_ANSWER_BYTES, **request: Any) -> BulkAnswer:
        """One request through httpx, its answer read up to ``limit`` bytes (an error's up to
        :data:`~offchain.services.transport.MAX_ERROR_BYTES`); a longer one comes back cut."""
        with self._http.stream(method, path, **request) as response:
            chunks = response.iter_bytes()  # as they arrive (never empty): the size asked for is ignored
            content, cut_at = read_capped(
                lambda _size: next(chunks, b""), limit if response.is_success else MAX_ERROR_BYTES
            )
            return BulkAnswer(response.status_code, response.headers, content, cut_at=cut_at)

    def locator_for(self, index_hash: bytes) -> str:
        """The locator the service gives the file whose ``K_f**`` is ``index_hash``."""
        return f"{LOCATOR_SCHEME}{self.name}/{index_hash.hex()}"

    def _identity(self, method: str, path: str, body: bytes) -> dict[str, str]:
        """The headers that sign ``method path`` with ``body`` by this client's key."""
        if self._key is None:
            raise errors.InvalidInputError("this request must be signed: the client was made without a private_key")
        return sign_request(
            self._key, chain_id=self.chain_id, service=self.name, method=method, path=path, body=body
        ).as_dict()

    def _signed(
        self, method: str, path: str, *, content: bytes = b"", headers: dict[str, str] | None = None
    ) -> BulkAnswer:
        sent = {**(headers or {}), **self._identity(method, path, content)}
        response = self._call(method, path, content=_body(content, sent), headers=sent)
        raise_for_error(response, f"{method} {path}")
        return response

    def store_file(
        self,
        *,
        file_id: bytes,
        ciphertext: bytes,
        sealed_key: pre.SealedKey,
        owner_signature: bytes,
        on_sent: Callable[[int, int], None] | None = None,
    ) -> str:
        """Upload a registered file version (see ``CloudServer.store_file``); returns its locator.

        ``on_sent(slice_bytes, total_bytes)`` is called as the body goes out (a progress bar).
        """
        path = f"/files/{file_id.hex()}"
        body = ciphertext if isinstance(ciphertext, bytes) else bytes(ciphertext)
        headers = {
            "content-type": "application/octet-stream",
            "x-sealed-key": sealed_key.to_bytes().hex(),
            "x-owner-signature": owner_signature.hex(),
            **self._identity("PUT", path, body),
        }
        answer = self._bulk.request(
            "PUT", path, headers=headers, body=body, on_sent=on_sent, max_bytes=_MAX_SMALL_ANSWER_BYTES
        )
        return _answer(answer, "an upload", _locator)

    def store_anonymous(
        self,
        *,
        file_id: bytes,
        ciphertext: bytes,
        block_size: int,
        sealed_key: pre.SealedKey,
        group: gs.GroupPublicKey,
        signature: gs.GroupSignature,
    ) -> str:
        """A group member's anonymous upload (see ``CloudServer.store_anonymous``): no account
        signs it, the group signature over its blocks does; returns its locator."""
        key = group.to_json().encode()
        headers = {
            "x-group-key-bytes": str(len(key)),
            "x-block-size": str(int(block_size)),
            "x-sealed-key": sealed_key.to_bytes().hex(),
            "x-group-signature": signature.to_bytes().hex(),
        }
        response = self._call(
            "PUT", f"/anonymous/{file_id.hex()}", content=_body(key + bytes(ciphertext), headers), headers=headers
        )
        return _answer(response, "an anonymous upload", _locator)

    def fetch(
        self,
        file_id: bytes,
        download_token: bytes,
        *,
        max_bytes: int | None = None,
        on_chunk: Callable[[int, int | None], None] | None = None,
    ) -> bytes:
        """Download ``f*`` with ``K_f*`` (streamed; the caller checks it against the chain).

        ``max_bytes`` is the most read: the size the file's registration allows, which the
        caller read on chain, or :attr:`max_download_bytes` if ``None``.
        ``on_chunk(chunk_bytes, total_bytes)`` is called for each chunk received (a progress
        bar); ``total_bytes`` is the declared length, or ``None``.

        Raises:
            AnswerTooLargeError: if the service sends, or declares, more than ``max_bytes``.
        """
        limit = self.max_download_bytes if max_bytes is None else _byte_bound(max_bytes, "max_bytes")
        answer = self._bulk.request(
            "GET",
            f"/files/{file_id.hex()}",
            headers={"x-download-token": download_token.hex()},
            on_chunk=on_chunk,
            max_bytes=limit,
        )
        raise_for_error(answer, f"the download of file 0x{file_id.hex()}")
        return answer.content

    def sealed_key(self, file_id: bytes) -> pre.SealedKey:
        """The sealed key capsule (the caller checks it against the registered hash)."""
        response = self._call("GET", f"/files/{file_id.hex()}/sealed-key")
        raise_for_error(response, "a sealed key request")
        return pre.SealedKey.from_bytes(response.content)

    def answer_challenge(self, file_id: bytes, indices: tuple[int, ...]) -> list[AuditResponse]:
        """The challenged blocks and their Merkle paths (the auditor verifies them). Asked in
        batches of the service's limit (an agency checking an upload asks for every block); the
        service answers the first blocks of a batch, up to its byte limit, and the rest are asked
        for again.

        Raises:
            StorageError: if the service answers none of the blocks asked for.
        """
        answers: list[AuditResponse] = []
        remaining = list(indices)
        while True:
            batch = remaining[:_AUDIT_BATCH]
            response = self._call(
                "POST", f"/files/{file_id.hex()}/audit", json={"indices": batch}, limit=_MAX_AUDIT_ANSWER_BYTES
            )
            got = _answer(response, "an audit", _audit_answers)
            if batch and not got:
                raise StorageError(f"the service answered none of the {len(batch)} blocks asked for")
            answers += got
            remaining = remaining[min(len(got), len(batch)) :]
            if not remaining:
                return answers

    def accept_kfrag(
        self,
        *,
        file_id: bytes,
        grantee: AddressLike,
        kfrag: bytes,
        receiving_pk: pre.PublicKey,
        verifying_pk: pre.PublicKey,
        threshold: int,
        shares: int,
        owner_signature: bytes,
    ) -> None:
        """Deliver one kfrag to this proxy (see ``CloudServer.accept_kfrag``)."""
        body = json.dumps(
            {
                "kfrag": bytes(kfrag).hex(),
                "receiving_pk": pre.public_key_to_bytes(receiving_pk).hex(),
                "verifying_pk": pre.public_key_to_bytes(verifying_pk).hex(),
                "threshold": threshold,
                "shares": shares,
                "owner_signature": owner_signature.hex(),
            }
        ).encode()
        self._signed(
            "PUT",
            f"/files/{file_id.hex()}/kfrags/{require_address(grantee, 'grantee')}",
            content=body,
            headers={"content-type": "application/json"},
        )

    def reencrypt(self, file_id: bytes, grantee: AddressLike, sealed: pre.SealedKey) -> bytes:
        """A cfrag of ``sealed`` for the caller, who must be ``grantee`` (the signer is checked)."""
        require_address(grantee, "grantee")
        return self._signed("POST", f"/files/{file_id.hex()}/reencrypt", content=sealed.to_bytes()).content

    # ---- attested uploads from data-source devices (issue 18; Peng et al. steps (1)–(5)) ----

    def upload_nonce(self) -> bytes:
        """A fresh, single-use, expiring nonce of the service for the device's next quote.

        Raises:
            AccessDeniedError: if the service takes no device uploads.
        """
        return _answer(
            self._call("POST", "/attestation/nonce"), "a nonce request", lambda body: bytes.fromhex(body["nonce"])
        )

    def store_device_upload(self, *, envelope: bytes, device_id: bytes, quote: Quote | None) -> str:
        """Upload a digital envelope with its quote (see ``CloudServer.store_device_upload``).

        Returns:
            The envelope's locator on the service.

        Raises:
            AttestationError: the same subclass the service refused the quote with
                (``MeasurementMismatchError``, ``NonceReplayError``, ``RevokedAttestationKeyError``…).
        """
        headers = {HEADER_DEVICE_ID: bytes(device_id).hex(), "content-type": "application/octet-stream"}
        if quote is not None:
            headers[HEADER_QUOTE] = quote.to_bytes().hex()
        response = self._call("POST", "/device-uploads", content=_body(bytes(envelope), headers), headers=headers)
        return _answer(response, "a device upload", _locator)

    def fetch_device_upload(self, locator: str) -> bytes:
        """The envelope of an accepted device upload (its receiver opens it).

        Raises:
            StorageError: if no device upload is stored under ``locator``.
        """
        response = self._call("GET", f"/device-uploads/{locator}", limit=self.max_download_bytes)
        raise_for_error(response, "a device upload's download")
        return response.content

    def device_upload_attestation(self, locator: str) -> VerifiedQuote | None:
        """What the quote of an accepted device upload proved (``None``: its class required none)."""
        response = self._call("GET", f"/device-uploads/{locator}/attestation")
        return _answer(response, "an attestation request", lambda body: DeviceUploadRecord.from_json(body).attestation)
