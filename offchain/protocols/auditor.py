"""The auditor: any user checks, without a third party, that a server still holds a file.

Research: Huang et al. 2020 §3.3 "Data auditing": challenge k random blocks derived from the
file's Merkle root on chain, check the returned blocks and paths against that root. The
challenge also binds a fresh nonce (see :mod:`offchain.crypto.challenge` for why).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from offchain.chain.registry import DataRegistryClient
from offchain.crypto.challenge import Challenge, new_challenge
from offchain.crypto.hashing import sha256
from offchain.crypto.merkle import InclusionProof, verify_inclusion
from offchain.errors import OffchainError
from offchain.protocols.cloud_server import AuditResponse
from offchain.protocols.metadata import FileMetadata, check_capsule
from offchain.protocols.storage_api import FileStore

__all__ = ["AuditReport", "Auditor", "audit_root"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuditReport:
    """The outcome of one audit.

    Attributes:
        file_id: The audited file.
        challenge: The challenge sent.
        failed_indices: Challenged blocks whose answer did not verify (or was missing).
        error: Why the server could not answer at all, if it could not.
    """

    file_id: bytes
    challenge: Challenge
    failed_indices: tuple[int, ...]
    error: str | None = None

    @property
    def passed(self) -> bool:
        """True when every challenged block verified against the on-chain root."""
        return self.error is None and not self.failed_indices


class Auditor:
    """Audits files registered on chain.

    Args:
        registry: Client of the on-chain registry (the source of roots and block counts).
    """

    def __init__(self, registry: DataRegistryClient) -> None:
        self.registry = registry

    def audit(self, file_id: bytes, server: FileStore, *, k: int = 10, nonce: bytes | None = None) -> AuditReport:
        """Challenge ``server`` for ``k`` blocks of ``file_id`` and verify its answers, and check
        that the sealed key capsule it hands out is the registered one (else the report's
        ``error`` says so and the audit fails).

        Args:
            file_id: The file to audit.
            server: The server that should hold it.
            k: Number of blocks sampled.
            nonce: Fresh randomness of the challenge (random if omitted; a recent block hash
                makes the challenge publicly checkable).
        """
        record = self.registry.get_file(file_id)
        metadata = FileMetadata.from_bytes(record.metadata)
        report = audit_root(
            file_id,
            server,
            root=record.merkle_root,
            block_count=metadata.block_count,
            block_size=metadata.block_size,
            k=k,
            nonce=nonce,
        )
        if report.error is not None:
            return report
        try:
            check_capsule(metadata, server.sealed_key(file_id), file_id)
        except OffchainError as exc:
            logger.warning("audit of 0x%s: %s", file_id.hex(), exc)
            return AuditReport(file_id, report.challenge, report.failed_indices, error=str(exc))
        return report


def audit_root(
    file_id: bytes,
    server: FileStore,
    *,
    root: bytes,
    block_count: int,
    block_size: int,
    k: int = 10,
    nonce: bytes | None = None,
) -> AuditReport:
    """Challenge ``server`` for ``k`` blocks of ``file_id`` and check them against ``root``.

    The root and block count come from the chain: :class:`Auditor` reads them from the
    ``DataRegistry``; group-signed uploads have theirs in the ``Consortium`` records.
    """
    challenge = new_challenge(root, block_count, k, nonce)
    try:
        answers = server.answer_challenge(file_id, challenge.indices)
    except OffchainError as exc:
        logger.warning("audit of 0x%s: the server could not answer: %s", file_id.hex(), exc)
        return AuditReport(file_id, challenge, challenge.indices, error=str(exc))
    if not isinstance(answers, list | tuple):
        error = f"the server answered with a {type(answers).__name__}, not a list of blocks"
        logger.warning("audit of 0x%s: %s", file_id.hex(), error)
        return AuditReport(file_id, challenge, challenge.indices, error=error)
    # A server may answer anything: an answer counts only if it is a well-formed block and path.
    well_formed = [answer for answer in answers if _well_formed(answer)]
    failed = [
        index
        for index in challenge.indices
        if not any(_answer_verifies(answer, index, root, block_size) for answer in well_formed)
    ]
    report = AuditReport(file_id, challenge, tuple(failed))
    logger.info("audit of 0x%s: %s (%d blocks)", file_id.hex(), "passed" if report.passed else "FAILED", k)
    return report


def _well_formed(answer: object) -> bool:
    return (
        isinstance(answer, AuditResponse)
        and isinstance(answer.block, bytes | bytearray)
        and isinstance(answer.proof, InclusionProof)
    )


def _answer_verifies(answer: AuditResponse, index: int, root: bytes, block_size: int) -> bool:
    """Whether ``answer`` (well formed) is block ``index`` with a path to ``root``."""
    return (
        answer.index == index
        and answer.proof.index == index
        and len(answer.block) <= block_size
        and verify_inclusion(root, sha256(answer.block), answer.proof)
    )
