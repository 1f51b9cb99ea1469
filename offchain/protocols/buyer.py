"""The buyer (cloud service provider, analyst): receives a shared file through m-of-n proxies.

Research: Feng et al. 2022 §6.9: the buyer collects re-encrypted capsule fragments, opens the
data key, downloads, and checks what it received against the on-chain record before use. In the
data market (§5-6) the buyer posts requirements only with an arbiter its :class:`ArbiterPolicy`
trusts (the arbiter's ruling on a dispute is final, for the buyer's escrow too).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from offchain.chain.addresses import AddressLike, require_signer
from offchain.chain.arbiter_policy import ArbiterPolicy, TrustsArbiters
from offchain.chain.contracts import require_uint
from offchain.chain.market import DataMarketClient, MarketMatch, MarketRequirement
from offchain.chain.registry import DataRegistryClient, FileRegistration
from offchain.crypto import pre
from offchain.errors import AccessDeniedError, IntegrityError, InvalidInputError, StorageError, VerificationError
from offchain.protocols.data_owner import Recipient
from offchain.protocols.keys import FileKeys
from offchain.protocols.metadata import FileMetadata, check_capsule
from offchain.protocols.retrieval import CommitmentCheck, retrieve_checked
from offchain.protocols.storage_api import FileStore, ReencryptionProxy
from offchain.zk import Proof, Record, Requirement, record_opens, verify

__all__ = ["Buyer", "Delivery"]

logger = logging.getLogger(__name__)


class Buyer(TrustsArbiters):
    """A buyer with an account and an Umbral key pair (``receiving_sk``).

    Args:
        account: The signer (a Brownie account or an ``eth_account`` key, see
            :func:`~offchain.chain.addresses.require_signer`); the grantee on chain.
        registry: Client of the on-chain registry.
        keys: The buyer's Umbral key pair.
        arbiters: The data market arbiters this buyer names; by default (``None``) only the
            ``ConsortiumArbiter`` of the active network's deployment record, read when first needed.
    """

    def __init__(
        self,
        account: Any,
        registry: DataRegistryClient,
        keys: pre.KeyPair | None = None,
        *,
        arbiters: ArbiterPolicy | None = None,
    ) -> None:
        self.account = require_signer(account, "account")
        self.registry = registry
        self.keys = keys or pre.KeyPair.generate()
        self._arbiters = arbiters

    @property
    def address(self) -> str:
        """The buyer's account address (owners check requirements were posted by it)."""
        return str(self.account.address)

    @property
    def recipient(self) -> Recipient:
        """What the owner needs to share with this buyer."""
        return Recipient(address=str(self.account.address), receiving_pk=self.keys.public_key)

    def open_keys(
        self,
        file_id: bytes,
        *,
        storage: FileStore,
        proxies: Sequence[ReencryptionProxy],
        threshold: int,
        verifying_pk: pre.PublicKey,
        record: FileRegistration | None = None,
    ) -> FileKeys:
        """Collect ``threshold`` verified cfrags from the proxies and open the file keys.

        The file's delegating public key is read from its on-chain metadata (from ``record``
        when the caller already read it, else from the chain); ``verifying_pk`` is the owner's
        signing key, which the buyer must know from an authentic source. Proxies that refuse,
        or whose cfrag does not verify, are skipped (and logged). The sealed capsule the storage
        server hands out is checked against the hash in the registration before any use.

        Raises:
            InvalidInputError: if ``file_id``, ``threshold`` or ``verifying_pk`` is malformed.
            IntegrityError: if the storage server's capsule is not the registered one.
            AccessDeniedError: if fewer than ``threshold`` proxies produced a valid cfrag.
        """
        threshold = require_uint(threshold, "threshold", low=1, high=255)
        pre.public_key_to_bytes(verifying_pk)  # InvalidInputError unless a public key
        if record is None or record.file_id != file_id:
            record = self.registry.get_file(file_id)
        metadata = FileMetadata.from_bytes(record.metadata)
        delegating_pk = pre.public_key_from_bytes(metadata.delegating_pk)
        sealed = check_capsule(metadata, storage.sealed_key(file_id), file_id)
        cfrags: list[pre.VerifiedCFrag] = []
        refusals: list[str] = []
        for proxy in proxies:
            if len(cfrags) == threshold:
                break
            try:
                raw = proxy.reencrypt(file_id, self.recipient.address, sealed)
                cfrags.append(
                    pre.verify_cfrag(
                        raw,
                        sealed=sealed,
                        delegating_pk=delegating_pk,
                        receiving_pk=self.keys.public_key,
                        verifying_pk=verifying_pk,
                    )
                )
            except (AccessDeniedError, VerificationError, InvalidInputError) as exc:  # junk from a proxy
                logger.warning("proxy %s: %s", proxy.name, exc)
                refusals.append(f"{proxy.name}: {exc}")
        if len(cfrags) < threshold:
            raise AccessDeniedError(
                f"only {len(cfrags)} of the {threshold} cfrags needed for file 0x{file_id.hex()}: "
                + "; ".join(refusals)
            )
        payload = pre.open_reencrypted(
            receiving_sk=self.keys.secret_key,
            delegating_pk=delegating_pk,
            sealed=sealed,
            cfrags=cfrags,
            threshold=threshold,
        )
        return FileKeys.from_bytes(payload)

    def receive(
        self,
        file_id: bytes,
        *,
        storage: FileStore,
        proxies: Sequence[ReencryptionProxy],
        threshold: int,
        verifying_pk: pre.PublicKey,
        opens: CommitmentCheck | None = None,
    ) -> bytes:
        """Open the keys through the proxies, then download and check the file (see retrieval).

        ``opens`` checks the plaintext against the registered commitment (the salted hash by
        default; :func:`offchain.zk.record_opens` for a data-market record).
        """
        record = self.registry.get_file(file_id)  # read once, for the keys and for the checks
        keys = self.open_keys(
            file_id,
            storage=storage,
            proxies=proxies,
            threshold=threshold,
            verifying_pk=verifying_pk,
            record=record,
        )
        plaintext, _ = retrieve_checked(self.registry, storage, file_id, keys, record, opens=opens)
        return plaintext

    # -- the data market (Feng et al. 2022 §5-6) ------------------------------------------------

    def post_requirement(
        self,
        market: DataMarketClient,
        requirement: Requirement,
        *,
        arbiter: AddressLike,
        price_wei: int,
        capacity: int,
        expires_at: int,
        grant_period_s: int,
        review_period_s: int,
        bond_wei: int,
    ) -> MarketRequirement:
        """Post ``requirement``'s commitment and escrow ``price_wei * capacity``; each owner bonds
        ``bond_wei`` with its submission (credited to this buyer if the owner never grants).

        Owners then need the opening, :meth:`Requirement.to_json`, whose keccak is posted as the
        description hash so that they can check it against the chain, and this buyer's address
        (they refuse a copy of the commitment posted by anyone else).

        Raises:
            UntrustedArbiterError: if ``arbiter`` is outside :attr:`arbiters`; nothing was sent.
            InvalidInputError, TransactionRevertedError: as :meth:`DataMarketClient.post_requirement`.
        """
        trusted = self.arbiters.require_trusted(market, arbiter)
        return market.post_requirement(
            sender=self.account,
            arbiter=trusted,
            commitment=requirement.commitment_bytes,
            description_hash=requirement.description_hash,
            price_wei=price_wei,
            capacity=capacity,
            field_count=requirement.field_count,
            min_satisfied=requirement.min_satisfied,
            expires_at=expires_at,
            grant_period_s=grant_period_s,
            review_period_s=review_period_s,
            bond_wei=bond_wei,
        )

    def check_proof(self, proof: Proof, requirement: Requirement, matched: MarketMatch) -> bool:
        """Check an owner's proof without the chain: it holds (py_ecc pairings) and is about
        this requirement, the matched file's commitment and its owner."""
        about_this = (
            proof.requirement_commitment == requirement.commitment
            and proof.data_commitment == int.from_bytes(matched.data_commitment, "big")
            and proof.owner.lower() == matched.owner.lower()
        )
        return about_this and verify(proof, requirement.field_count)

    def take_delivery(
        self,
        market: DataMarketClient,
        match_id: int,
        requirement: Requirement,
        *,
        storage: FileStore,
        proxies: Sequence[ReencryptionProxy],
        threshold: int,
        verifying_pk: pre.PublicKey,
    ) -> Delivery:
        """Receive a matched record, check it, and confirm receipt, or dispute.

        The record must open through the proxies, match its on-chain commitment h, and meet the
        requirement (which the proof already showed; checked again on the plaintext). Then the
        buyer confirms and the owner is paid. If anything fails, the buyer disputes with the
        keccak of the reason, which freezes the payment until the arbiter rules.
        """
        matched = market.get_match(match_id)
        try:
            content = self.receive(
                matched.file_id,
                storage=storage,
                proxies=proxies,
                threshold=threshold,
                verifying_pk=verifying_pk,
                opens=record_opens,
            )
            record = Record.from_bytes(content)
            unmet = requirement.unmet_required(record)
            if unmet or requirement.satisfied_by(record) < requirement.min_satisfied:
                raise IntegrityError(f"the record does not meet the requirement (fields {unmet} out of range)")
        except (AccessDeniedError, IntegrityError, VerificationError, StorageError, InvalidInputError) as problem:
            reason = f"match {match_id}: {problem}"
            logger.warning("disputing %s", reason)
            market.dispute(sender=self.account, match_id=match_id, reason_hash=keccak(reason.encode()))
            return Delivery(match_id=match_id, record=None, reason=reason)
        market.confirm_receipt(sender=self.account, match_id=match_id)
        logger.info("confirmed receipt of match %d", match_id)
        return Delivery(match_id=match_id, record=record, reason="")


@dataclass(frozen=True)
class Delivery:
    """What became of a matched record: ``record`` when received, checked and confirmed;
    ``None`` with the ``reason`` of the dispute otherwise."""

    match_id: int
    record: Record | None
    reason: str

    @property
    def confirmed(self) -> bool:
        """Whether the buyer confirmed receipt (and the owner was paid)."""
        return self.record is not None
