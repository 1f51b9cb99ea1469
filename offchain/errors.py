"""The toolkit's exceptions: one base class and a few specific ones.

Every error says what was expected and what was found. Catch :class:`OffchainError` to
handle anything the toolkit raises on purpose.
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "ChainError",
    "ContractNotDeployedError",
    "DeploymentRecordError",
    "IntegrityError",
    "InvalidInputError",
    "KeystoreFormatError",
    "MissingAccountKeyError",
    "OffchainError",
    "ProverError",
    "RequirementNotMetError",
    "ServiceBusyError",
    "StateSchemaError",
    "StorageError",
    "TamperedKeystoreError",
    "TransactionRevertedError",
    "UnknownBallotError",
    "UnknownBatchError",
    "UnknownFileError",
    "UnknownMatchError",
    "UnknownRecordError",
    "UnknownRequirementError",
    "UnknownSecretError",
    "UntrustedArbiterError",
    "VerificationError",
    "WrongPassphraseError",
]


class OffchainError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class InvalidInputError(OffchainError, ValueError):
    """An argument has the wrong type, size or value; nothing was sent or written."""


class IntegrityError(OffchainError):
    """Data does not match its commitment, hash or Merkle root; nothing was decrypted or used."""


class VerificationError(OffchainError):
    """A signature, proof or authentication tag did not verify."""


class AccessDeniedError(OffchainError):
    """A party refused a request it is not authorised to serve (no active grant, wrong secret)."""


class UntrustedArbiterError(AccessDeniedError):
    """A data market requirement names an arbiter outside the client's trust policy; nothing was
    proved, posted, granted or re-encrypted for it.

    Attributes:
        arbiter: Checksummed address of the refused arbiter.
        reason: What was expected and what was found.
        requirement_id: The requirement, when there is one.
    """

    def __init__(self, arbiter: str, reason: str, *, requirement_id: int | None = None) -> None:
        where = f"requirement {requirement_id}" if requirement_id is not None else "the requirement"
        super().__init__(f"{where} names arbiter {arbiter}, which this client does not trust: {reason}")
        self.arbiter = arbiter
        self.reason = reason
        self.requirement_id = requirement_id


class StorageError(OffchainError):
    """A blob store could not read or write a blob."""


class ServiceBusyError(OffchainError):
    """A service has no room for a request now (its memory for request bodies is taken by
    others); nothing was done, and the same request may be sent again shortly."""


class WrongPassphraseError(VerificationError):
    """A keystore does not open with this passphrase (its passphrase check does not match).

    A changed salt or scrypt cost in the file cannot be told apart from a wrong passphrase.
    """


class TamperedKeystoreError(IntegrityError):
    """A keystore opened with the right passphrase, but its header or a sealed secret was changed
    (an AES-GCM tag did not verify); no secret was returned."""


class KeystoreFormatError(InvalidInputError):
    """A file is not a keystore of a format and version this toolkit reads."""


class UnknownSecretError(OffchainError, KeyError):
    """A keystore holds no secret under the given name.

    Attributes:
        name: The name asked for.
    """

    def __init__(self, name: str) -> None:
        super().__init__(f"the keystore holds no secret named {name!r}")
        self.name = name

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class StateSchemaError(StorageError):
    """A role's state database has a schema version this code does not read (or no schema table
    where one was expected); nothing was read or written."""


class RequirementNotMetError(InvalidInputError):
    """A record does not meet a requirement, so no proof of it can exist; nothing was proved.

    Attributes:
        fields: Indices (from 0) of the required fields whose values are out of range.
    """

    def __init__(self, message: str, fields: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields


class ProverError(OffchainError):
    """The zk-SNARK tool chain (circom, snarkjs) failed, or its artifacts are missing or stale."""


class ChainError(OffchainError):
    """Talking to the chain failed."""


class DeploymentRecordError(ChainError):
    """The deployment record is missing, unreadable, or for another chain."""


class ContractNotDeployedError(ChainError):
    """A contract is not in the deployment record, or has no code at its recorded address."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"contract {name} is not deployed: {detail}")
        self.name = name


class MissingAccountKeyError(ChainError):
    """A live network needs a signing key and none was given in the environment."""


class UnknownFileError(ChainError):
    """No file is registered under the given id."""

    def __init__(self, file_id: bytes) -> None:
        super().__init__(f"no file is registered under id 0x{file_id.hex()}")
        self.file_id = file_id


class UnknownBatchError(ChainError):
    """No Merkle root is anchored under the given batch id."""

    def __init__(self, batch_id: int) -> None:
        super().__init__(f"no batch is anchored under id {batch_id}")
        self.batch_id = batch_id


class UnknownRecordError(ChainError):
    """The given agency submitted no consortium record under the given file id."""

    def __init__(self, file_id: bytes, agency: str | None = None) -> None:
        by = f" by agency {agency}" if agency else ""
        super().__init__(f"no consortium record is submitted{by} under file id 0x{file_id.hex()}")
        self.file_id = file_id
        self.agency = agency


class UnknownBallotError(ChainError):
    """No consortium ballot was opened under the given id."""

    def __init__(self, ballot_id: int) -> None:
        super().__init__(f"no ballot is opened under id {ballot_id}")
        self.ballot_id = ballot_id


class UnknownRequirementError(ChainError):
    """No data market requirement was posted under the given id."""

    def __init__(self, requirement_id: int) -> None:
        super().__init__(f"no requirement is posted under id {requirement_id}")
        self.requirement_id = requirement_id


class UnknownMatchError(ChainError):
    """No data market match was made under the given id."""

    def __init__(self, match_id: int) -> None:
        super().__init__(f"no match is made under id {match_id}")
        self.match_id = match_id


class TransactionRevertedError(ChainError):
    """A transaction or call reverted.

    Attributes:
        contract: Name of the contract called.
        function: Name of the function called.
        reason: The revert reason as the node reported it, e.g.
            ``"DataRegistryAlreadyRegistered: 0x12…"`` for a custom error.
        error_name: The custom error's name (``"DataRegistryAlreadyRegistered"``) when the
            reason names an error of the contract's ABI, else ``None``.
        error_detail: The custom error's arguments as Brownie printed them (``"0, 512"``), or ``""``.
    """

    def __init__(
        self,
        contract: str,
        function: str,
        reason: str | None,
        error_name: str | None = None,
        error_detail: str = "",
    ) -> None:
        self.contract = contract
        self.function = function
        self.reason = reason or "no reason given"
        self.error_name = error_name
        self.error_detail = error_detail
        super().__init__(f"{contract}.{function} reverted: {self.reason}")
