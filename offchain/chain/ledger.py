"""Typed client of the ``ConfidentialLedger`` contract: Paillier-encrypted balances on chain.

Research: Zheng et al., "Scalable and Privacy-Preserving Data Sharing Based on Blockchain",
J. Comput. Sci. Technol. 33(3), 2018, §4.5 (transaction-information privacy). Balances are
Paillier ciphertexts under the consortium's threshold key
(:mod:`offchain.crypto.threshold_paillier`); the contract multiplies them by the ciphertexts a
transfer carries, so the chain itself applies every update and never sees an amount. The
contract stores only keccak256 of each balance; this client finds the current ciphertext in
the events (``BalanceUpdated``, and ``WithdrawalRequested`` for an executed withdrawal) by
that hash, and sends it back with each call.

An account's balance changes only by its own operations (deposit, its own transfer, an executed
withdrawal, folding its credits). A transfer writes *credits* for the other accounts of its set
and debits its sender at once, but counts only after t trustees attested it
(:meth:`ConfidentialLedgerClient.settle_transfer`, the signatures of
:meth:`~ConfidentialLedgerClient.verdict_digest`); until then the sender is locked and the
credits cannot be folded. A rejected or cancelled transfer restores the sender's balance and its
credits fold to nothing. :func:`transfer_proof_context` computes the context the contract binds a
transfer's zero-knowledge proof to (:mod:`offchain.crypto.transfer_proof`).

The roles built on it are :class:`~offchain.protocols.ledger_account.LedgerAccount` (pays with
decoys under the anonymity-set rule, proves its transfers, folds its credits) and
:class:`~offchain.protocols.ledger_trustee.LedgerTrustee` (decrypts with its key share, reviews
transfers and withdrawals, audits balances).

Deployment: :func:`deploy_ledger` deploys the contract for a dealt threshold key and adds it
to the network's deployment record, so that :attr:`offchain.chain.Session.ledger` finds it.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_abi.exceptions import EncodingError
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from offchain.chain.addresses import AddressLike, require_address, require_signer
from offchain.chain.contracts import (
    MAX_UINT256,
    ContractClient,
    call,
    load_project,
    require_bytes32,
    require_uint,
    transact,
)
from offchain.chain.deployment import ContractDeployment, DeploymentRecord, deployment_path
from offchain.chain.events import get_events
from offchain.errors import ChainError, InvalidInputError, TransactionRevertedError
from offchain.validation import is_int

__all__ = [
    "LEDGER_CONTRACT",
    "MAX_AMOUNT_WEI",
    "MAX_FOLD",
    "MAX_SET_SIZE",
    "PROOF_DOMAIN",
    "VERDICT_DOMAIN",
    "BalanceUpdate",
    "ConfidentialLedgerClient",
    "Credit",
    "LedgerTransfer",
    "TransferRecord",
    "TransferState",
    "UnknownTransferError",
    "UnknownWithdrawalError",
    "WithdrawalRequest",
    "WithdrawalState",
    "WithdrawalVote",
    "deploy_ledger",
    "encode_modulus",
    "transfer_proof_context",
    "verdict_digest",
]

logger = logging.getLogger(__name__)

#: The contract's name in the project and in deployment records.
LEDGER_CONTRACT = "ConfidentialLedger"
#: The largest deposit or withdrawal (the contract's ``MAX_AMOUNT``).
MAX_AMOUNT_WEI = (1 << 128) - 1
#: The largest anonymity set a transfer may name, sender included (``MAX_SET_SIZE``).
MAX_SET_SIZE = 16
#: Most credits one fold takes (``MAX_FOLD``).
MAX_FOLD = 16
#: Domain of a transfer's proof context (the contract's ``PROOF_DOMAIN``).
PROOF_DOMAIN = keccak(b"datashare/ledger/transfer-proof/v1")
#: Domain of the trustees' verdict on a transfer (the contract's ``VERDICT_DOMAIN``).
VERDICT_DOMAIN = keccak(b"datashare/ledger/transfer-verdict/v1")
#: The field of ``Transferred`` holding the sender's balance after the debit.
TRANSFERRED_BALANCE_FIELD = "newBalance"


class UnknownWithdrawalError(ChainError):
    """No withdrawal request has the given id."""

    def __init__(self, request_id: int) -> None:
        super().__init__(f"no withdrawal request has id {request_id}")
        self.request_id = request_id


class WithdrawalState(enum.IntEnum):
    """Where a withdrawal request stands (the contract's ``WithdrawalState``)."""

    NONE = 0
    PENDING = 1
    EXECUTED = 2
    REJECTED = 3
    CANCELLED = 4


class TransferState(enum.IntEnum):
    """Where a transfer stands (the contract's ``TransferState``)."""

    NONE = 0
    PENDING = 1
    VERIFIED = 2
    REJECTED = 3
    CANCELLED = 4


def transfer_proof_context(
    *,
    chain_id: int,
    ledger: AddressLike,
    sender: AddressLike,
    nonce: int,
    previous_balance_hash: bytes,
    accounts: Sequence[AddressLike],
    delta_hashes: Sequence[bytes],
) -> bytes:
    """The 32-byte context a transfer's proof is bound to, as the contract computes it.

    keccak256(abi.encode(PROOF_DOMAIN, chainid, ledger, sender, nonce, previousBalanceHash,
    accounts, deltaHashes)): a proof made for one chain, ledger, sender nonce, sender balance,
    set or deltas does not verify for any other.

    Raises:
        InvalidInputError: if a field does not fit its ABI type.
    """
    if isinstance(accounts, str | bytes) or not isinstance(accounts, Sequence):
        raise InvalidInputError(f"accounts must be a sequence of addresses, got {type(accounts).__name__}")
    if isinstance(delta_hashes, str | bytes) or not isinstance(delta_hashes, Sequence):
        raise InvalidInputError(f"delta_hashes must be a sequence of 32-byte hashes, got {type(delta_hashes).__name__}")
    return _abi_keccak(
        "transfer proof context",
        ["bytes32", "uint256", "address", "address", "uint256", "bytes32", "address[]", "bytes32[]"],
        [
            PROOF_DOMAIN,
            chain_id,
            require_address(ledger, "ledger"),
            require_address(sender, "sender"),
            nonce,
            previous_balance_hash,
            [require_address(a, "account") for a in accounts],
            list(delta_hashes),
        ],
    )


def _abi_keccak(what: str, types: list[str], values: list[Any]) -> bytes:
    """keccak256 of the ABI encoding of ``values``, or InvalidInputError if one does not fit its type."""
    try:
        return bytes(keccak(abi_encode(types, values)))
    except EncodingError as exc:
        raise InvalidInputError(f"{what}: a field does not fit its ABI type ({exc})") from None


def verdict_digest(*, chain_id: int, ledger: AddressLike, transfer_id: int, digest: bytes, accept: bool) -> bytes:
    """What each trustee signs to accept (or reject) a transfer, as the contract computes it.

    keccak256(abi.encode(VERDICT_DOMAIN, chainid, ledger, transferId, digest, accept)), where
    ``digest`` = keccak256(abi.encode(proofContext, proofHash)) is the transfer's record.

    Raises:
        InvalidInputError: if a field does not fit its ABI type.
    """
    return _abi_keccak(
        "verdict digest",
        ["bytes32", "uint256", "address", "uint256", "bytes32", "bool"],
        [VERDICT_DOMAIN, chain_id, require_address(ledger, "ledger"), transfer_id, digest, accept],
    )


@dataclass(frozen=True)
class BalanceUpdate:
    """A balance a transaction left: the account and its new ciphertext."""

    account: str
    ciphertext: int


@dataclass(frozen=True)
class LedgerTransfer:
    """A confidential transfer, as mined (pending until the trustees settle it).

    Attributes:
        transfer_id: The contract's id of the transfer.
        sender: Who sent it.
        accounts: The anonymity set, in the order sent.
        deltas: One ciphertext per account, same order (the sender's is its debit).
        sender_balance: The sender's balance after the debit (current once verified).
        proof_context: What the transfer's proof is bound to.
        proof_hash: keccak256 of the proof the sender committed to.
        gas_used: Gas it used.
    """

    transfer_id: int
    sender: str
    accounts: tuple[str, ...]
    deltas: tuple[int, ...]
    sender_balance: int
    proof_context: bytes
    proof_hash: bytes
    gas_used: int


@dataclass(frozen=True)
class TransferRecord:
    """A transfer as the contract keeps it.

    Attributes:
        transfer_id: Its id.
        sender: Who sent it.
        state: Where it stands.
        submitted_at: Block time of its submission (s).
        previous_balance_hash: The sender's balance hash before it (restored if it fails).
        digest: keccak256(abi.encode(proofContext, proofHash)), what the verdicts sign.
    """

    transfer_id: int
    sender: str
    state: TransferState
    submitted_at: int
    previous_balance_hash: bytes
    digest: bytes


@dataclass(frozen=True)
class Credit:
    """A credit an account holds from another's transfer, not yet folded.

    Attributes:
        transfer_id: The transfer that wrote it.
        ciphertext: The delta (E(amount), amount ≥ 0 once the transfer is verified).
        state: The transfer's state: only a verified credit adds to the balance when folded.
    """

    transfer_id: int
    ciphertext: int
    state: TransferState


@dataclass(frozen=True)
class WithdrawalRequest:
    """A withdrawal request and the balance it would leave.

    Attributes:
        request_id: Its id.
        account: The requester.
        amount_wei: The amount asked for.
        state: Where it stands.
        approvals: Trustee approvals counted.
        rejections: Trustee rejections counted.
        new_ciphertext: The balance after the withdrawal (current · E(−amount)), which the
            trustees decrypt before voting.
    """

    request_id: int
    account: str
    amount_wei: int
    state: WithdrawalState
    approvals: int
    rejections: int
    new_ciphertext: int


@dataclass(frozen=True)
class WithdrawalVote:
    """A trustee's vote as mined: the counts after it, and whether it decided the request."""

    request_id: int
    trustee: str
    approve: bool
    approvals: int
    rejections: int
    state: WithdrawalState
    gas_used: int


def encode_modulus(n: int) -> bytes:
    """n as the contract takes it: big-endian, padded to a whole number of 32-byte words."""
    if not is_int(n) or n <= 1 or n % 2 == 0:
        raise InvalidInputError("the ledger's modulus must be an odd int > 1")
    width = -(-((n.bit_length() + 7) // 8) // 32) * 32
    return n.to_bytes(width, "big")


class ConfidentialLedgerClient(ContractClient):
    """Deposits, confidential transfers, withdrawals and audits through a ``ConfidentialLedger``.

    Refusals come back as :class:`~offchain.errors.TransactionRevertedError` naming the
    contract's custom error (``ConfidentialLedgerStaleBalance``, ``ConfidentialLedgerAccountLocked``,
    ``ConfidentialLedgerNotTrustee``, …), or :class:`UnknownWithdrawalError`.

    Args:
        contract: Brownie handle of the deployed contract.
        from_block: Where event scans start (the contract's deployment block).
    """

    def __init__(self, contract: Any, from_block: int = 0) -> None:
        super().__init__(contract, from_block)
        self._modulus: int | None = None
        self._width: int | None = None
        self._seen: dict[bytes, int] = {}  # keccak256 of a ciphertext seen in a receipt → the ciphertext

    def _remember(self, data: bytes) -> int:
        value = int.from_bytes(data, "big")
        self._seen[keccak(data)] = value
        return value

    # --- the key and the encoding --------------------------------------------------------------

    @property
    def modulus(self) -> int:
        """The Paillier modulus n of the consortium key."""
        if self._modulus is None:
            self._modulus = int.from_bytes(bytes(call(self.contract, "modulus")), "big")
        return self._modulus

    @property
    def ciphertext_bytes(self) -> int:
        """Width of every ciphertext on chain (2 · the modulus width)."""
        if self._width is None:
            self._width = int(call(self.contract, "ciphertextBytes"))
        return self._width

    def encode(self, ciphertext: int) -> bytes:
        """A ciphertext in the contract's fixed-width encoding.

        Raises:
            InvalidInputError: It is not in [1, n²).
        """
        if isinstance(ciphertext, bool) or not 0 < int(ciphertext) < self.modulus**2:
            raise InvalidInputError("a ledger ciphertext must be in [1, n²)")
        return int(ciphertext).to_bytes(self.ciphertext_bytes, "big")

    def threshold(self) -> int:
        """t: approvals that decide a withdrawal, reports that freeze an account."""
        return int(call(self.contract, "threshold"))

    def trustees(self) -> tuple[str, ...]:
        """The trustees (holders of the key shares), in deployment order."""
        return tuple(to_checksum_address(a) for a in call(self.contract, "trustees"))

    # --- balances ----------------------------------------------------------------------------

    def balance_hash(self, account: AddressLike) -> bytes:
        """keccak256 of ``account``'s current balance ciphertext."""
        return bytes(call(self.contract, "balanceHash", require_address(account, "account", nonzero=True)))

    def balance_ciphertext(self, account: AddressLike, balance_hash: bytes | None = None) -> int:
        """``account``'s balance ciphertext, found in the events by its hash.

        Args:
            account: The account.
            balance_hash: Which of its balances (the current one by default; e.g. the one a
                pending transfer would restore).

        Raises:
            ChainError: No event holds a ciphertext with that hash (the node pruned its logs).
        """
        address = require_address(account, "account", nonzero=True)
        target = self.balance_hash(address) if balance_hash is None else bytes(balance_hash)
        if target == keccak(self.encode(1)):
            return 1  # never touched: E(0) with r = 1
        if target in self._seen:
            return self._seen[target]
        sources = (
            ("BalanceUpdated", "ciphertext", "account"),
            ("WithdrawalRequested", "newCiphertext", "account"),
            ("Transferred", TRANSFERRED_BALANCE_FIELD, "sender"),
        )
        for name, field, who in sources:
            logs = get_events(self.contract, name, from_block=self.from_block, argument_filters={who: address})
            for log in reversed(logs):
                data = bytes(log.args[field])
                if keccak(data) == target:
                    return self._remember(data)
        raise ChainError(f"no ledger event holds the current balance of {address} (hash 0x{target.hex()})")

    def settled_holdings(self, account: AddressLike) -> int:
        """E(what ``account`` owns once settled): its balance times its verified, unfolded credits.

        A sender with a pending transfer counts with the balance it had before it (restored if
        the transfer fails); credits of pending transfers do not count.
        """
        address = require_address(account, "account", nonzero=True)
        nsquare = self.modulus**2
        pending = self.pending_transfer(address)
        if pending:
            owned = self.balance_ciphertext(address, self.transfer_of(pending).previous_balance_hash)
        else:
            owned = self.balance_ciphertext(address)
        for credit in self.credits_to(address):
            if credit.state is TransferState.VERIFIED:
                owned = owned * credit.ciphertext % nsquare
        return owned

    def accounts(self) -> tuple[str, ...]:
        """Every account that ever held a balance or a credit (from the events), each once."""
        seen: dict[str, None] = {}
        for name, who in (("BalanceUpdated", "account"), ("Transferred", "sender"), ("Credited", "account")):
            for log in get_events(self.contract, name, from_block=self.from_block):
                seen.setdefault(to_checksum_address(log.args[who]), None)
        return tuple(seen)

    def held_wei(self) -> int:
        """The ether the contract holds."""
        from brownie import web3

        return int(web3.eth.get_balance(to_checksum_address(self.address)))

    def credits(self, account: AddressLike) -> int:
        """Wei credited to ``account`` by executed withdrawals and not yet withdrawn."""
        return int(call(self.contract, "credits", require_address(account, "account", nonzero=True)))

    def frozen(self, account: AddressLike) -> bool:
        """Whether ``account`` was frozen by the trustees' audit."""
        return bool(call(self.contract, "frozen", require_address(account, "account", nonzero=True)))

    def pending_withdrawal(self, account: AddressLike) -> int:
        """The id of ``account``'s pending withdrawal request (it locks the account), 0 if none."""
        return int(call(self.contract, "pendingWithdrawal", require_address(account, "account", nonzero=True)))

    def add_ciphertexts(self, a: int, b: int) -> int:
        """a · b mod n², computed by the contract (its homomorphic addition)."""
        return int.from_bytes(bytes(call(self.contract, "addCiphertexts", self.encode(a), self.encode(b))), "big")

    # --- transactions ------------------------------------------------------------------------

    def deposit(self, *, sender: Any, amount_wei: int) -> BalanceUpdate:
        """Deposit ether; the chain adds E(amount) to the sender's balance itself."""
        amount = require_uint(amount_wei, "amount_wei", low=1, high=MAX_AMOUNT_WEI)
        current = self.encode(self.balance_ciphertext(sender))
        receipt = transact(self.contract, "deposit", current, sender=sender, value_wei=amount)
        updated = receipt.events["BalanceUpdated"][0]
        return BalanceUpdate(to_checksum_address(updated["account"]), self._remember(bytes(updated["ciphertext"])))

    def chain_id(self) -> int:
        """The id of the chain the ledger is on (part of every proof context and verdict)."""
        from brownie import web3

        return int(web3.eth.chain_id)

    def transfer_nonce(self, account: AddressLike) -> int:
        """How many transfers ``account`` has sent: the nonce its next transfer's proof binds."""
        return int(call(self.contract, "transferNonce", require_address(account, "account", nonzero=True)))

    def pending_transfer(self, account: AddressLike) -> int:
        """The id of ``account``'s transfer awaiting the trustees (it locks the account), 0 if none."""
        return int(call(self.contract, "pendingTransfer", require_address(account, "account", nonzero=True)))

    def offenses(self, account: AddressLike) -> int:
        """How many of ``account``'s transfers the trustees rejected."""
        return int(call(self.contract, "offenses", require_address(account, "account", nonzero=True)))

    def proof_context(self, *, sender: AddressLike, accounts: Sequence[AddressLike], deltas: Sequence[int]) -> bytes:
        """The context the next transfer of ``sender`` over ``accounts`` with ``deltas`` binds its proof to."""
        address = require_address(sender, "sender", nonzero=True)
        return transfer_proof_context(
            chain_id=self.chain_id(),
            ledger=self.address,
            sender=address,
            nonce=self.transfer_nonce(address),
            previous_balance_hash=self.balance_hash(address),
            accounts=[require_address(a, "account", nonzero=True) for a in accounts],
            delta_hashes=[keccak(self.encode(d)) for d in deltas],
        )

    def transfer(
        self, *, sender: Any, accounts: Sequence[AddressLike], deltas: Sequence[int], proof_hash: bytes
    ) -> LedgerTransfer:
        """Submit a transfer: credit each account its delta, debit the sender (§4.5).

        The sender is debited at once and locked; the credits count, and the sender is unlocked,
        only when t trustees settle the transfer (:meth:`settle_transfer`).

        Args:
            sender: The paying account; it must be one of ``accounts``.
            accounts: The anonymity set (sender, receiver, decoys), 2 to 16 distinct accounts.
            deltas: One ciphertext per account: a non-negative credit for every account but the
                sender, the negated sum for the sender (:func:`offchain.crypto.transfer_proof.make_deltas`).
            proof_hash: keccak256 of the transfer's proof, which the sender hands the trustees.

        Raises:
            InvalidInputError: Lengths differ, a repeated account, or a set size out of range.
            TransactionRevertedError: E.g. ``ConfidentialLedgerStaleBalance`` if the sender's own
                balance changed meanwhile, ``ConfidentialLedgerNotAUnit`` for a delta ≡ 0 mod n.
        """
        addresses = [require_address(a, "account", nonzero=True) for a in accounts]
        if len(addresses) != len(deltas):
            raise InvalidInputError(f"{len(addresses)} accounts but {len(deltas)} deltas")
        if not 2 <= len(addresses) <= MAX_SET_SIZE:
            raise InvalidInputError(f"an anonymity set has 2 to {MAX_SET_SIZE} accounts, got {len(addresses)}")
        if len(set(addresses)) != len(addresses):
            raise InvalidInputError("an account appears twice in the anonymity set")
        sender_address = require_address(sender, "sender", nonzero=True)
        if sender_address not in addresses:
            raise InvalidInputError("the sender must be one of the anonymity set's accounts")
        commitment = require_bytes32(proof_hash, "proof_hash", nonzero=True)
        balance = self.encode(self.balance_ciphertext(sender_address))
        encoded = [self.encode(d) for d in deltas]
        receipt = transact(self.contract, "transfer", addresses, balance, encoded, commitment, sender=sender)
        event = receipt.events["Transferred"]
        return LedgerTransfer(
            transfer_id=int(event["transferId"]),
            sender=sender_address,
            accounts=tuple(addresses),
            deltas=tuple(int(d) for d in deltas),
            sender_balance=self._remember(bytes(event[TRANSFERRED_BALANCE_FIELD])),
            proof_context=bytes(event["proofContext"]),
            proof_hash=commitment,
            gas_used=int(receipt.gas_used),
        )

    def transfer_of(self, transfer_id: int) -> TransferRecord:
        """The contract's record of transfer ``transfer_id``.

        Raises:
            UnknownTransferError: No transfer has this id.
        """
        checked = require_uint(transfer_id, "transfer_id", low=1, high=MAX_UINT256)
        with _known_transfer(checked):
            sender, state, submitted_at, previous, digest = call(self.contract, "transferOf", checked)
        return TransferRecord(
            transfer_id=checked,
            sender=to_checksum_address(sender),
            state=TransferState(int(state)),
            submitted_at=int(submitted_at),
            previous_balance_hash=bytes(previous),
            digest=bytes(digest),
        )

    def submitted_transfer(self, transfer_id: int) -> LedgerTransfer:
        """Transfer ``transfer_id`` as submitted (its accounts, deltas and commitments), from its event.

        Raises:
            UnknownTransferError: No transfer has this id.
            ChainError: Its event or its deltas cannot be found (the node pruned its logs).
        """
        logs = get_events(
            self.contract, "Transferred", from_block=self.from_block, argument_filters={"transferId": transfer_id}
        )
        if not logs:
            self.transfer_of(transfer_id)  # UnknownTransferError for an id never used
            raise ChainError(f"no Transferred event for transfer {transfer_id}")
        event = logs[-1]
        from brownie import web3

        tx = web3.eth.get_transaction(HexBytes(event.tx_hash))
        _, arguments = self.contract.decode_input(tx["input"])
        accounts = tuple(to_checksum_address(a) for a in arguments[0])
        deltas = tuple(int.from_bytes(bytes(d), "big") for d in arguments[2])
        return LedgerTransfer(
            transfer_id=transfer_id,
            sender=to_checksum_address(event.args["sender"]),
            accounts=accounts,
            deltas=deltas,
            sender_balance=self._remember(bytes(event.args[TRANSFERRED_BALANCE_FIELD])),
            proof_context=bytes(event.args["proofContext"]),
            proof_hash=bytes(event.args["proofHash"]),
            gas_used=0,
        )

    def verdict_digest(self, transfer_id: int, accept: bool) -> bytes:
        """What t trustees sign to accept (``accept``) or reject transfer ``transfer_id``."""
        record = self.transfer_of(transfer_id)
        return verdict_digest(
            chain_id=self.chain_id(),
            ledger=self.address,
            transfer_id=record.transfer_id,
            digest=record.digest,
            accept=bool(accept),
        )

    def settle_transfer(
        self, *, sender: Any, transfer_id: int, accept: bool, signatures: Sequence[bytes]
    ) -> TransferState:
        """Submit the trustees' verdict on a pending transfer with their signatures (anyone may).

        Returns:
            The transfer's new state (verified, or rejected: the sender's balance is restored).

        Raises:
            UnknownTransferError: No transfer has this id.
            TransactionRevertedError: E.g. ``ConfidentialLedgerTooFewSignatures``.
        """
        checked = require_uint(transfer_id, "transfer_id", low=1, high=MAX_UINT256)
        encoded = []
        for signature in signatures:
            if not isinstance(signature, (bytes, bytearray)) or len(signature) != 65:
                raise InvalidInputError("each signature is 65 bytes (r ‖ s ‖ v)")
            encoded.append(bytes(signature))
        with _known_transfer(checked):
            receipt = transact(self.contract, "settleTransfer", checked, bool(accept), encoded, sender=sender)
        return TransferState.VERIFIED if "TransferVerified" in receipt.events else TransferState.REJECTED

    def cancel_transfer(self, *, sender: Any, transfer_id: int) -> None:
        """The sender takes back a transfer the trustees left pending past the review period."""
        checked = require_uint(transfer_id, "transfer_id", low=1, high=MAX_UINT256)
        with _known_transfer(checked):
            transact(self.contract, "cancelTransfer", checked, sender=sender)

    def credit_hash(self, account: AddressLike, transfer_id: int) -> bytes:
        """keccak256 of the credit ``transfer_id`` wrote for ``account`` (zero once folded, or never written)."""
        address = require_address(account, "account", nonzero=True)
        checked = require_uint(transfer_id, "transfer_id", low=1, high=MAX_UINT256)
        return bytes(call(self.contract, "creditOf", address, checked))

    def credits_to(self, account: AddressLike) -> tuple[Credit, ...]:
        """The credits ``account`` holds and has not folded, oldest first (from the events)."""
        address = require_address(account, "account", nonzero=True)
        out = []
        for log in get_events(
            self.contract, "Credited", from_block=self.from_block, argument_filters={"account": address}
        ):
            transfer_id = int(log.args["transferId"])
            data = bytes(log.args["delta"])
            if self.credit_hash(address, transfer_id) != keccak(data):
                continue  # folded already
            out.append(Credit(transfer_id, int.from_bytes(data, "big"), self.transfer_of(transfer_id).state))
        return tuple(out)

    def fold(self, *, sender: Any, credits: Sequence[Credit]) -> BalanceUpdate:
        """Fold settled credits into the sender's balance (verified ones add, others are dropped).

        Raises:
            InvalidInputError: No credits, more than :data:`MAX_FOLD`, or a credit still pending.
            TransactionRevertedError: E.g. ``ConfidentialLedgerNoCredit`` for one folded already.
        """
        if not 1 <= len(credits) <= MAX_FOLD:
            raise InvalidInputError(f"a fold takes 1 to {MAX_FOLD} credits, got {len(credits)}")
        if any(c.state is TransferState.PENDING for c in credits):
            raise InvalidInputError("a pending credit cannot be folded: the trustees have not settled its transfer")
        balance = self.encode(self.balance_ciphertext(sender))
        ids = [c.transfer_id for c in credits]
        deltas = [self.encode(c.ciphertext) if c.state is TransferState.VERIFIED else b"" for c in credits]
        receipt = transact(self.contract, "fold", balance, ids, deltas, sender=sender)
        updated = receipt.events["BalanceUpdated"][0]
        return BalanceUpdate(to_checksum_address(updated["account"]), self._remember(bytes(updated["ciphertext"])))

    def request_withdrawal(self, *, sender: Any, amount_wei: int) -> WithdrawalRequest:
        """Ask the trustees to pay out ``amount_wei``; the account is locked until they decide."""
        amount = require_uint(amount_wei, "amount_wei", low=1, high=MAX_AMOUNT_WEI)
        current = self.encode(self.balance_ciphertext(sender))
        receipt = transact(self.contract, "requestWithdrawal", current, amount, sender=sender)
        event = receipt.events["WithdrawalRequested"]
        return WithdrawalRequest(
            request_id=int(event["requestId"]),
            account=to_checksum_address(event["account"]),
            amount_wei=amount,
            state=WithdrawalState.PENDING,
            approvals=0,
            rejections=0,
            new_ciphertext=self._remember(bytes(event["newCiphertext"])),
        )

    def withdrawal(self, request_id: int) -> WithdrawalRequest:
        """Request ``request_id`` with its new-balance ciphertext (from its event).

        Raises:
            UnknownWithdrawalError: No request has this id.
        """
        checked = require_uint(request_id, "request_id", low=1, high=MAX_UINT256)
        with _known_withdrawal(checked):
            account, amount, state, approvals, rejections, new_hash = call(self.contract, "withdrawalOf", checked)
        new_ciphertext = self._seen.get(bytes(new_hash))
        if new_ciphertext is None:
            logs = get_events(
                self.contract,
                "WithdrawalRequested",
                from_block=self.from_block,
                argument_filters={"requestId": checked},
            )
            matching = [c for c in (bytes(log.args["newCiphertext"]) for log in logs) if keccak(c) == bytes(new_hash)]
            if not matching:
                raise ChainError(f"no WithdrawalRequested event holds request {checked}'s ciphertext")
            new_ciphertext = self._remember(matching[0])
        return WithdrawalRequest(
            request_id=checked,
            account=to_checksum_address(account),
            amount_wei=int(amount),
            state=WithdrawalState(int(state)),
            approvals=int(approvals),
            rejections=int(rejections),
            new_ciphertext=new_ciphertext,
        )

    def _vote(self, function: str, *, sender: Any, request_id: int) -> WithdrawalVote:
        checked = require_uint(request_id, "request_id", low=1, high=MAX_UINT256)
        with _known_withdrawal(checked):
            receipt = transact(self.contract, function, checked, sender=sender)
        event = receipt.events["WithdrawalVoted"]
        state = WithdrawalState.PENDING
        if "WithdrawalExecuted" in receipt.events:
            state = WithdrawalState.EXECUTED
        elif "WithdrawalRejected" in receipt.events:
            state = WithdrawalState.REJECTED
        return WithdrawalVote(
            request_id=checked,
            trustee=to_checksum_address(event["trustee"]),
            approve=bool(event["approve"]),
            approvals=int(event["approvals"]),
            rejections=int(event["rejections"]),
            state=state,
            gas_used=int(receipt.gas_used),
        )

    def has_voted(self, request_id: int, trustee: AddressLike) -> bool:
        """Whether ``trustee`` voted on withdrawal ``request_id`` (a second vote reverts)."""
        checked = require_uint(request_id, "request_id", low=1, high=MAX_UINT256)
        return bool(call(self.contract, "hasVoted", checked, require_address(trustee, "trustee", nonzero=True)))

    def approve_withdrawal(self, *, sender: Any, request_id: int) -> WithdrawalVote:
        """A trustee's approval, having decrypted the new balance to a valid value."""
        return self._vote("approveWithdrawal", sender=sender, request_id=request_id)

    def reject_withdrawal(self, *, sender: Any, request_id: int) -> WithdrawalVote:
        """A trustee's rejection (the new balance would be negative)."""
        return self._vote("rejectWithdrawal", sender=sender, request_id=request_id)

    def cancel_withdrawal(self, *, sender: Any, request_id: int) -> None:
        """The requester withdraws its pending request (its account is unlocked)."""
        checked = require_uint(request_id, "request_id", low=1, high=MAX_UINT256)
        with _known_withdrawal(checked):
            transact(self.contract, "cancelWithdrawal", checked, sender=sender)

    def withdraw(self, *, sender: Any) -> int:
        """Collect every credited wei (pull payment); returns the amount sent."""
        receipt = transact(self.contract, "withdraw", sender=sender)
        return int(receipt.events["Withdrawn"]["amountWei"])

    def report_out_of_range(self, *, sender: Any, account: AddressLike, balance_hash: bytes) -> bool:
        """A trustee's audit report on the balance of ``account`` it decrypted (``balance_hash``,
        which must still be current); True if the report froze the account."""
        address = require_address(account, "account", nonzero=True)
        checked = require_bytes32(balance_hash, "balance_hash", nonzero=True)
        receipt = transact(self.contract, "reportOutOfRange", address, checked, sender=sender)
        return "AccountFrozen" in receipt.events


class UnknownTransferError(ChainError):
    """No transfer has the given id."""

    def __init__(self, transfer_id: int) -> None:
        super().__init__(f"no transfer has id {transfer_id}")
        self.transfer_id = transfer_id


@contextmanager
def _known_transfer(transfer_id: int) -> Iterator[None]:
    """Turn the contract's ``ConfidentialLedgerUnknownTransfer`` into :class:`UnknownTransferError`."""
    try:
        yield
    except TransactionRevertedError as exc:
        if exc.error_name == "ConfidentialLedgerUnknownTransfer":
            raise UnknownTransferError(transfer_id) from exc
        raise


@contextmanager
def _known_withdrawal(request_id: int) -> Iterator[None]:
    """Turn the contract's ``ConfidentialLedgerUnknownWithdrawal`` into :class:`UnknownWithdrawalError`."""
    try:
        yield
    except TransactionRevertedError as exc:
        if exc.error_name == "ConfidentialLedgerUnknownWithdrawal":
            raise UnknownWithdrawalError(request_id) from exc
        raise


def deploy_ledger(
    account: Any,
    *,
    modulus: int,
    trustees: Sequence[AddressLike],
    threshold: int,
    record_path: Path | None = None,
) -> ConfidentialLedgerClient:
    """Deploy a ``ConfidentialLedger`` for the consortium key n and add it to the deployment record.

    Args:
        account: Pays for the deployment: a signer (:func:`~offchain.chain.addresses.require_signer`).
        modulus: n of the dealt threshold key (:class:`~offchain.crypto.threshold_paillier.ThresholdPublicKey`).
        trustees: The key-share holders' accounts, share 1 first.
        threshold: t.
        record_path: The record to extend (``deployments/<network>.json`` by default); skipped
            when the file does not exist.

    Raises:
        InvalidInputError: Bad trustees or threshold (nothing is deployed).
    """
    from brownie import network

    signer = require_signer(account, "account")
    addresses = [require_address(t, "trustee", nonzero=True) for t in trustees]
    if len(set(addresses)) != len(addresses):
        raise InvalidInputError("a trustee is listed twice")
    checked = require_uint(threshold, "threshold", low=1, high=max(1, len(addresses)))
    contract = load_project()[LEDGER_CONTRACT].deploy(encode_modulus(modulus), addresses, checked, {"from": signer})
    receipt = contract.tx
    logger.info("deployed %s at %s (gas %s)", LEDGER_CONTRACT, contract.address, receipt.gas_used)
    target = record_path or deployment_path(str(network.show_active()))
    if target.exists():
        record = DeploymentRecord.load(target)
        entry = ContractDeployment(
            address=to_checksum_address(contract.address),
            tx_hash=str(receipt.txid),
            block_number=int(receipt.block_number),
        )
        replace(record, contracts={**record.contracts, LEDGER_CONTRACT: entry}).save(target)
    return ConfidentialLedgerClient(contract, from_block=int(receipt.block_number))
