"""The buyer (cloud service provider, analyst): receives a shared file through m-of-n proxies.

Research: Feng et al. 2022 §6.9: the buyer collects re-encrypted capsule fragments, opens the
data key, downloads, and checks what it received against the on-chain record before use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from offchain.chain.registry import DataRegistryClient, FileRegistration
from offchain.crypto import pre
from offchain.errors import AccessDeniedError, VerificationError
from offchain.protocols.cloud_server import CloudServer
from offchain.protocols.data_owner import Recipient
from offchain.protocols.keys import FileKeys
from offchain.protocols.metadata import FileMetadata
from offchain.protocols.retrieval import retrieve_checked

__all__ = ["Buyer"]

logger = logging.getLogger(__name__)


class Buyer:
    """A buyer with an account and an Umbral key pair (``receiving_sk``).

    Args:
        account: Brownie account (the grantee on chain).
        registry: Client of the on-chain registry.
        keys: The buyer's Umbral key pair.
    """

    def __init__(self, account: Any, registry: DataRegistryClient, keys: pre.KeyPair | None = None) -> None:
        self.account = account
        self.registry = registry
        self.keys = keys or pre.KeyPair.generate()

    @property
    def recipient(self) -> Recipient:
        """What the owner needs to share with this buyer."""
        return Recipient(address=str(self.account.address), receiving_pk=self.keys.public_key)

    def open_keys(
        self,
        file_id: bytes,
        *,
        storage: CloudServer,
        proxies: Sequence[CloudServer],
        threshold: int,
        verifying_pk: pre.PublicKey,
        record: FileRegistration | None = None,
    ) -> FileKeys:
        """Collect ``threshold`` verified cfrags from the proxies and open the file keys.

        The file's delegating public key is read from its on-chain metadata (from ``record``
        when the caller already read it, else from the chain); ``verifying_pk`` is the owner's
        signing key, which the buyer must know from an authentic source. Proxies that refuse,
        or whose cfrag does not verify, are skipped (and logged).

        Raises:
            AccessDeniedError: if fewer than ``threshold`` proxies produced a valid cfrag.
        """
        if record is None or record.file_id != file_id:
            record = self.registry.get_file(file_id)
        metadata = FileMetadata.from_bytes(record.metadata)
        delegating_pk = pre.public_key_from_bytes(metadata.delegating_pk)
        sealed = storage.sealed_key(file_id)
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
            except (AccessDeniedError, VerificationError) as exc:
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
        storage: CloudServer,
        proxies: Sequence[CloudServer],
        threshold: int,
        verifying_pk: pre.PublicKey,
    ) -> bytes:
        """Open the keys through the proxies, then download and check the file (see retrieval)."""
        record = self.registry.get_file(file_id)  # read once, for the keys and for the checks
        keys = self.open_keys(
            file_id,
            storage=storage,
            proxies=proxies,
            threshold=threshold,
            verifying_pk=verifying_pk,
            record=record,
        )
        plaintext, _ = retrieve_checked(self.registry, storage, file_id, keys, record)
        return plaintext
