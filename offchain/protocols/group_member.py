"""A user of an agency's group: joins it, then uploads files anonymously under group signatures.

Research: Huang, Chen, Wang 2020 §3.3–3.4. A user whose identity (an Ethereum address) its
agency admitted joins the agency's group (ACJT join, see :mod:`offchain.crypto.group_signature`)
and signs a *join receipt*, an Ethereum signature (EIP-191) by the user's own key over the
group, the join id and its commitment C2 = a^{x_i}, *before* the agency certifies: the agency
issues no certificate without it. The receipt is what later ties an opened certificate to a
person (the certificate A satisfies A^e = C2·a0): the agency cannot make one up, so it cannot
name a user who never joined, and no member can stay untraceable by withholding it.

An upload reuses the encrypted-sharing parts (:func:`~offchain.protocols.data_owner.encrypt_file`:
envelope encryption, ``K_f* / K_f**``, the ciphertext's Merkle tree). The user group-signs
:func:`upload_message` (the paper's H(R), bound to the file id and block count), stores the file
on the cloud server with that signature (:meth:`CloudServer.store_anonymous`, which checks it)
and hands the upload to its agency, which checks it and records it on chain. The file id is derived
from the group and the salted commitment, never from an account, and each file has its own
Umbral key, so two uploads of one user share no public value.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from offchain.chain.addresses import AddressLike
from offchain.chain.contracts import require_bytes32
from offchain.chain.signing import recover_digest_signer, sign_digest
from offchain.crypto import group_signature as gs
from offchain.crypto.hashing import content_commitment, keccak256, new_salt
from offchain.crypto.merkle import DEFAULT_BLOCK_SIZE
from offchain.errors import InvalidInputError, VerificationError
from offchain.protocols.cloud_server import anonymous_upload_message
from offchain.protocols.data_owner import derive_file_keypair, encrypt_file
from offchain.protocols.keys import FileKeys
from offchain.protocols.storage_api import AnonymousFileStore
from offchain.validation import is_integer, parse_json

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

_RECEIPT_DOMAIN = b"datashare/join-receipt/v2"
_FILE_ID_DOMAIN = b"datashare/anonymous-file/v1"
_UPLOAD_FORMAT = "datashare/group-upload/v1"


def upload_message(file_id: bytes, merkle_root: bytes, block_count: int) -> bytes:
    """The bytes a member group-signs for an upload: domain || file id || H(R) || block count
    (the storage server checks the same message, :func:`~offchain.protocols.cloud_server.anonymous_upload_message`)."""
    return anonymous_upload_message(file_id, merkle_root, block_count)


def anonymous_file_id(group: gs.GroupPublicKey, commitment: bytes) -> bytes:
    """keccak256(domain || group fingerprint || salted content commitment): no account in it.

    Raises:
        InvalidInputError: if ``group`` is not a group public key or ``commitment`` not 32 bytes.
    """
    if not isinstance(group, gs.GroupPublicKey):
        raise InvalidInputError(f"expected a GroupPublicKey, got {type(group).__name__}")
    commitment = require_bytes32(commitment, "commitment", nonzero=False)
    return keccak256(_FILE_ID_DOMAIN + group.fingerprint() + commitment)


def join_receipt_message(group: gs.GroupPublicKey, join_id: bytes, c2: int) -> bytes:
    """The digest a user signs in the join, before it is certified:
    keccak256(domain || group fingerprint || len(join id) || join id || C2 (fixed width))."""
    if not isinstance(group, gs.GroupPublicKey):
        raise InvalidInputError(f"expected a GroupPublicKey, got {type(group).__name__}")
    if not isinstance(join_id, bytes) or not 0 < len(join_id) < 256:
        found = f"{len(join_id)} bytes" if isinstance(join_id, bytes) else type(join_id).__name__
        raise InvalidInputError(f"join id must be 1..255 bytes, got {found}")
    if not is_integer(c2) or not 0 < c2 < group.n:
        raise InvalidInputError("C2 must be an int in ]0, n[")
    width = (int(group.n).bit_length() + 7) // 8
    return keccak256(
        _RECEIPT_DOMAIN + group.fingerprint() + bytes([len(join_id)]) + join_id + int(c2).to_bytes(width, "big")
    )


def recover_receipt_signer(group: gs.GroupPublicKey, join_id: bytes, c2: int, signature: bytes) -> str:
    """The checksummed address that signed the join receipt of (``join_id``, ``c2``) in ``group``.

    Raises:
        VerificationError: if ``signature`` is not a valid Ethereum signature.
    """
    try:
        return recover_digest_signer(join_receipt_message(group, join_id, c2), signature)
    except VerificationError as exc:
        raise VerificationError(f"join receipt signature is malformed: {exc}") from None


@dataclass(frozen=True)
class JoinReceipt:
    """A user's signature binding its identity to its join, sent before it is certified.

    Attributes:
        user: The user's checksummed address (its identity, not a chain account it must fund).
        join_id: The join's id.
        c2: The user's commitment C2 = a^{x_i} of the join (its certificate will satisfy
            A^e = C2·a0).
        signature: 65-byte EIP-191 signature of :func:`join_receipt_message`.
    """

    user: str
    join_id: bytes
    c2: int
    signature: bytes

    @classmethod
    def sign(cls, identity: Any, group: gs.GroupPublicKey, response: gs.JoinResponse) -> JoinReceipt:
        """The receipt of join ``response`` signed with the ``eth_account`` key ``identity``."""
        signature = sign_digest(identity, join_receipt_message(group, response.join_id, int(response.c2)))
        return cls(str(identity.address), response.join_id, int(response.c2), signature)

    def signer(self, group: gs.GroupPublicKey) -> str:
        """Who signed this receipt (compare with :attr:`user`)."""
        return recover_receipt_signer(group, self.join_id, self.c2, self.signature)


class AgencyEndpoint(Protocol):
    """The agency's side of the join, as a user sees it."""

    @property
    def public(self) -> gs.GroupPublicKey: ...

    def challenge_join(self, request: gs.JoinRequest, user: AddressLike) -> gs.JoinChallenge: ...

    def certify(self, response: gs.JoinResponse, receipt: JoinReceipt) -> gs.MembershipCertificate: ...


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

    def to_json(self) -> str:
        """JSON of the upload, as the member hands it to its agency (bytes in 0x-hex)."""
        return json.dumps(
            {
                "format": _UPLOAD_FORMAT,
                "file_id": "0x" + self.file_id.hex(),
                "merkle_root": "0x" + self.merkle_root.hex(),
                "block_count": self.block_count,
                "block_size": self.block_size,
                "locator": self.locator,
                "group": "0x" + self.group.hex(),
                "signature": "0x" + self.signature.to_bytes().hex(),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> GroupUpload:
        """Read :meth:`to_json` output.

        Raises:
            InvalidInputError: if the text is not a group upload, or a field is malformed.
        """
        try:
            data = parse_json(text)
            if data["format"] != _UPLOAD_FORMAT:
                raise ValueError(f"format {data['format']!r}")
            return cls(
                file_id=require_bytes32(bytes.fromhex(data["file_id"].removeprefix("0x")), "file_id", nonzero=False),
                merkle_root=bytes.fromhex(data["merkle_root"].removeprefix("0x")),
                block_count=int(data["block_count"]),
                block_size=int(data["block_size"]),
                locator=str(data["locator"]),
                group=bytes.fromhex(data["group"].removeprefix("0x")),
                signature=gs.GroupSignature.from_bytes(bytes.fromhex(data["signature"].removeprefix("0x"))),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInputError(f"not a group upload: {exc}") from None


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
    def join(cls, agency: AgencyEndpoint, identity: Any) -> GroupMember:
        """Run the ACJT join with ``agency``, sending the signed join receipt with the response.

        Args:
            agency: The agency whose group to join; it must have admitted ``identity``'s address.
            identity: The user's ``eth_account`` key.

        Raises:
            AccessDeniedError: if the agency did not admit this identity.
            VerificationError: if the group key's setup does not check
                (:func:`~offchain.crypto.group_signature.check_group_setup`): a manager who chose
                related bases could frame its members, so nobody joins such a group.
        """
        gs.check_group_setup(agency.public)
        applicant = gs.JoinApplicant(agency.public)
        request = applicant.request()
        challenge = agency.challenge_join(request, str(identity.address))
        response = applicant.respond(request, challenge)
        certificate = agency.certify(response, JoinReceipt.sign(identity, agency.public, response))
        member_key = applicant.complete(certificate)
        logger.info("%s joined group 0x%s", identity.address, agency.public.fingerprint().hex()[:12])
        return cls(member_key, identity)

    def upload(
        self, content: bytes, server: AnonymousFileStore, *, block_size: int = DEFAULT_BLOCK_SIZE
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
