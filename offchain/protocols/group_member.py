"""A user of an agency's group: joins it, then uploads files anonymously under group signatures.

Research: Huang, Chen, Wang 2020 §3.3–3.4. A user joins its agency's group (ACJT join, see
:mod:`offchain.crypto.group_signature`) and acknowledges its certificate with a *join receipt*,
an Ethereum signature (EIP-191) by the user's own key over the group and the certificate. The
receipt is what later ties an opened certificate to a person: the agency cannot make one up, so
it cannot name a user who never joined.

An upload reuses the encrypted-sharing parts (:func:`~offchain.protocols.data_owner.encrypt_file`:
envelope encryption, ``K_f* / K_f**``, the ciphertext's Merkle tree). The user group-signs
:func:`upload_message` (the paper's H(R), bound to the file id and block count), stores the file
on the cloud server with that signature (:meth:`CloudServer.store_anonymous`, which checks it)
and hands the upload to its agency, which checks it and records it on chain. The file id is derived
from the group and the salted commitment, never from an account, and each file has its own
Umbral key, so two uploads of one user share no public value.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from eth_account import Account
from eth_account.messages import encode_defunct

from offchain.crypto import group_signature as gs
from offchain.crypto.hashing import content_commitment, keccak256, new_salt
from offchain.crypto.merkle import DEFAULT_BLOCK_SIZE
from offchain.errors import InvalidInputError, VerificationError
from offchain.protocols.cloud_server import CloudServer, anonymous_upload_message
from offchain.protocols.data_owner import derive_file_keypair, encrypt_file
from offchain.protocols.keys import FileKeys

__all__ = [
    "GroupMember",
    "GroupUpload",
    "JoinReceipt",
    "anonymous_file_id",
    "join_receipt_message",
    "recover_receipt_signer",
    "upload_message",
]

logger = logging.getLogger(__name__)

_RECEIPT_DOMAIN = b"datashare/join-receipt/v1"
_FILE_ID_DOMAIN = b"datashare/anonymous-file/v1"


def upload_message(file_id: bytes, merkle_root: bytes, block_count: int) -> bytes:
    """The bytes a member group-signs for an upload: domain || file id || H(R) || block count
    (the storage server checks the same message, :func:`~offchain.protocols.cloud_server.anonymous_upload_message`)."""
    return anonymous_upload_message(file_id, merkle_root, block_count)


def anonymous_file_id(group: gs.GroupPublicKey, commitment: bytes) -> bytes:
    """keccak256(domain || group fingerprint || salted content commitment): no account in it."""
    return keccak256(_FILE_ID_DOMAIN + group.fingerprint() + commitment)


def join_receipt_message(group: gs.GroupPublicKey, certificate: int) -> bytes:
    """What a user signs to acknowledge its certificate (canonical form) in ``group``."""
    return keccak256(
        _RECEIPT_DOMAIN + group.fingerprint() + int(certificate).to_bytes(group.n.bit_length() // 8 + 1, "big")
    )


def recover_receipt_signer(group: gs.GroupPublicKey, certificate: int, signature: bytes) -> str:
    """The checksummed address that signed the join receipt of ``certificate``.

    Raises:
        VerificationError: if ``signature`` is not a valid Ethereum signature.
    """
    try:
        return str(
            Account.recover_message(encode_defunct(join_receipt_message(group, certificate)), signature=signature)
        )
    except Exception as exc:  # eth_account raises several types for malformed signatures
        raise VerificationError(f"join receipt signature is malformed: {exc}") from None


@dataclass(frozen=True)
class JoinReceipt:
    """A user's signed acknowledgement of its certificate.

    Attributes:
        user: The user's checksummed address (its identity, not a chain account it must fund).
        certificate: The certificate's canonical form.
        signature: 65-byte EIP-191 signature of :func:`join_receipt_message`.
    """

    user: str
    certificate: int
    signature: bytes


class AgencyEndpoint(Protocol):
    """The agency's side of the join, as a user sees it."""

    @property
    def public(self) -> gs.GroupPublicKey: ...

    def challenge_join(self, request: gs.JoinRequest) -> gs.JoinChallenge: ...

    def certify(self, response: gs.JoinResponse) -> gs.MembershipCertificate: ...

    def record_receipt(self, join_id: bytes, receipt: JoinReceipt) -> None: ...


@dataclass(frozen=True)
class GroupUpload:
    """What a member hands its agency after storing a file (Huang et al. §3.4, data sharing).

    Attributes:
        file_id: The anonymous file id.
        merkle_root: H(R), the root of the ciphertext's blocks.
        block_count: Number of blocks.
        block_size: Block size in bytes.
        locator: Where the cloud server keeps the ciphertext.
        group: Fingerprint of the group the signature is for.
        signature: The group signature on :func:`upload_message`.
    """

    file_id: bytes
    merkle_root: bytes
    block_count: int
    block_size: int
    locator: str
    group: bytes
    signature: gs.GroupSignature

    @property
    def message(self) -> bytes:
        """The signed message."""
        return upload_message(self.file_id, self.merkle_root, self.block_count)


class GroupMember:
    """A user holding a group membership key.

    Args:
        key: The member key from the join.
        identity: The user's Ethereum key (signs the join receipt only).
        master_secret: 32 bytes from which per-file Umbral keys derive (random if omitted).
    """

    def __init__(self, key: gs.MemberKey, identity: Any, master_secret: bytes | None = None) -> None:
        if master_secret is not None and len(master_secret) != 32:
            raise InvalidInputError(f"master_secret must be 32 bytes, got {len(master_secret)}")
        self.key = key
        self.identity = identity
        self._master_secret = master_secret or secrets.token_bytes(32)

    @property
    def address(self) -> str:
        """The user's identity address."""
        return str(self.identity.address)

    @classmethod
    def join(cls, agency: AgencyEndpoint, identity: Any | None = None) -> GroupMember:
        """Run the ACJT join with ``agency`` and send it the signed join receipt.

        Args:
            agency: The agency whose group to join.
            identity: The user's ``eth_account`` key; a new one if omitted.
        """
        identity = identity or Account.create()
        applicant = gs.JoinApplicant(agency.public)
        request = applicant.request()
        challenge = agency.challenge_join(request)
        member_key = applicant.complete(agency.certify(applicant.respond(request, challenge)))
        message = encode_defunct(join_receipt_message(agency.public, member_key.certificate))
        signature = bytes(identity.sign_message(message).signature)
        agency.record_receipt(
            request.join_id, JoinReceipt(str(identity.address), int(member_key.certificate), signature)
        )
        logger.info("%s joined group 0x%s", identity.address, agency.public.fingerprint().hex()[:12])
        return cls(member_key, identity)

    def upload(
        self, content: bytes, server: CloudServer, *, block_size: int = DEFAULT_BLOCK_SIZE
    ) -> tuple[GroupUpload, FileKeys]:
        """Encrypt and store ``content`` on ``server`` and group-sign its Merkle root.

        Returns:
            The upload to hand to the agency, and the file's keys (secret: keep them).
        """
        salt = new_salt()
        file_id = anonymous_file_id(self.key.public, content_commitment(content, salt))
        keypair = derive_file_keypair(self._master_secret, file_id)
        encrypted = encrypt_file(
            content, salt=salt, file_id=file_id, sealing_pk=keypair.public_key, block_size=block_size
        )
        signature = gs.sign(self.key, upload_message(file_id, encrypted.tree.root, encrypted.tree.size))
        locator = server.store_anonymous(
            file_id=file_id,
            ciphertext=encrypted.ciphertext,
            block_size=block_size,
            sealed_key=encrypted.sealed_key,
            group=self.key.public,
            signature=signature,
        )
        upload = GroupUpload(
            file_id=file_id,
            merkle_root=encrypted.tree.root,
            block_count=encrypted.tree.size,
            block_size=block_size,
            locator=locator,
            group=self.key.public.fingerprint(),
            signature=signature,
        )
        logger.info("anonymous upload 0x%s (%d blocks)", file_id.hex(), encrypted.tree.size)
        return upload, encrypted.keys
