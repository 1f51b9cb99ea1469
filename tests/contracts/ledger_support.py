"""Helpers for the ConfidentialLedger tests: Paillier keys from ``phe``, the contract's ciphertext
encoding, honest transfer deltas, the proof context and verdict digest computed in Python, trustees'
verdict signatures, and a book of every account's latest balance ciphertext and inbox taken from
the ledger's events (the contract stores only their hashes)."""

from __future__ import annotations

import functools
import random

import phe
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak, to_checksum_address

MAX_SET_SIZE = 16
MIN_SET_SIZE = 2
MAX_AMOUNT = 2**128 - 1
MAX_TRUSTEES = 32
MAX_MODULUS_BYTES = 512
REVIEW_PERIOD_S = 24 * 3600
MAX_FOLD = 16
MAX_OFFENSES = 3
NONE, PENDING, EXECUTED, REJECTED, CANCELLED = range(5)  # IConfidentialLedger.WithdrawalState
VERIFIED = 2  # IConfidentialLedger.TransferState: None, Pending, Verified, Rejected, Cancelled
WITHDRAWAL_FIELDS = ("account", "amountWei", "state", "approvals", "rejections", "newBalanceHash")
TRANSFER_FIELDS = ("sender", "state", "submittedAt", "previousBalanceHash", "digest")
#: secp256k1's group order: s and n − s are both valid ECDSA signatures (EIP-2 accepts only the low one).
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@functools.cache
def keypair(bits: int) -> tuple[phe.PaillierPublicKey, phe.PaillierPrivateKey]:
    """A Paillier key pair of ``bits`` bits, made once per session (key generation is the slow part)."""
    public_key, private_key = phe.generate_paillier_keypair(n_length=bits)
    assert public_key.n.bit_length() == bits
    return public_key, private_key


def modulus_of(n: int) -> bytes:
    """n as the constructor takes it: big-endian, a whole number of 32-byte words."""
    return n.to_bytes(-(-n.bit_length() // 256) * 32, "big")


def encode(value: int, ciphertext_bytes: int) -> bytes:
    """A ciphertext (or any number below 2^(8·ciphertext_bytes)) in the contract's fixed encoding."""
    return value.to_bytes(ciphertext_bytes, "big")


def decode(data: bytes) -> int:
    """A ciphertext from the contract's encoding (Brownie's ``HexString`` is a ``bytes``)."""
    return int.from_bytes(bytes(data), "big")


def encrypt(public_key: phe.PaillierPublicKey, amount: int) -> int:
    """A raw ciphertext of ``amount`` (negative amounts as n − |amount|), with fresh randomness."""
    return public_key.raw_encrypt(amount % public_key.n)


def plaintext(private_key: phe.PaillierPrivateKey, ciphertext: int) -> int:
    """The signed plaintext of a raw ciphertext: values in the upper half of Z_n are negative."""
    n = private_key.public_key.n
    value = private_key.raw_decrypt(ciphertext)
    return value - n if value > n // 2 else value


def honest_deltas(public_key, accounts: list, sender, receiver, amount_wei: int) -> list[int]:
    """The deltas of an honest transfer: E(amount) for the receiver, E(−amount) for the sender and
    E(0) for every decoy, each with fresh randomness."""
    deltas = []
    for account in accounts:
        if account == receiver:
            deltas.append(encrypt(public_key, amount_wei))
        elif account == sender:
            deltas.append(encrypt(public_key, -amount_wei))
        else:
            deltas.append(encrypt(public_key, 0))
    return deltas


def decoy_addresses(count: int, seed: str = "decoy") -> list[str]:
    """``count`` distinct addresses that are not Brownie accounts (decoys never sign anything)."""
    return [to_checksum_address(keccak(f"{seed} {i}".encode())[-20:]) for i in range(count)]


def random_ciphertexts(n_squared: int, count: int, seed: int) -> list[int]:
    """``count`` random integers in [1, N), reproducible from ``seed``."""
    rng = random.Random(seed)
    return [rng.randrange(1, n_squared) for _ in range(count)]


def transfer_digest(context: bytes, proof_hash: bytes) -> bytes:
    """keccak256(abi.encode(proofContext, proofHash)): the digest a transfer record keeps."""
    return keccak(abi_encode(["bytes32", "bytes32"], [context, proof_hash]))


def trustee_keys(count: int, seed: str = "trustee") -> list[bytes]:
    """``count`` reproducible secp256k1 private keys (the trustees' signing keys)."""
    return [keccak(f"{seed} key {i}".encode()) for i in range(count)]


def address_of(private_key: bytes) -> str:
    return Account.from_key(private_key).address


def sign_verdict(private_key: bytes, digest: bytes) -> bytes:
    """A trustee's 65-byte signature (r ‖ s ‖ v) over the EIP-191 message of ``digest``."""
    return bytes(Account.sign_message(encode_defunct(primitive=digest), private_key).signature)


def high_s(signature: bytes) -> bytes:
    """The malleable twin of a signature: s → n − s and v flipped; ecrecover accepts it, EIP-2 does not."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 ↔ 28


def withdrawal_of(ledger, request_id: int) -> dict:
    """``withdrawalOf`` by field name, the hash as plain ``bytes``."""
    stored = dict(zip(WITHDRAWAL_FIELDS, ledger.withdrawalOf(request_id), strict=True))
    stored["newBalanceHash"] = bytes(stored["newBalanceHash"])
    return stored


def transfer_of(ledger, transfer_id: int) -> dict:
    """``transferOf`` by field name, the hashes as plain ``bytes``."""
    stored = dict(zip(TRANSFER_FIELDS, ledger.transferOf(transfer_id), strict=True))
    stored["previousBalanceHash"] = bytes(stored["previousBalanceHash"])
    stored["digest"] = bytes(stored["digest"])
    return stored


class BalanceBook:
    """The latest balance ciphertext and the inbox of every account, as the ledger's events tell it.

    ``BalanceUpdated`` carries a new balance (deposit, fold); ``Transferred`` the sender's balance
    after its own delta, undone by ``TransferRejected`` or ``TransferCancelled``; an executed
    withdrawal makes the balance the ciphertext of its ``WithdrawalRequested``. ``Credited`` puts
    a delta in an account's inbox, ``Folded`` takes it out. An account never touched holds the
    integer 1.
    """

    def __init__(self, ciphertext_bytes: int) -> None:
        self.ciphertext_bytes = ciphertext_bytes
        self._latest: dict[str, int] = {}
        self._requested: dict[int, int] = {}
        self._before_transfer: dict[int, tuple[str, int]] = {}
        self.inbox: dict[str, dict[int, int]] = {}

    def ciphertext(self, account) -> int:
        return self._latest.get(str(account), 1)

    def encoded(self, account) -> bytes:
        return encode(self.ciphertext(account), self.ciphertext_bytes)

    def hash_of(self, account) -> bytes:
        return keccak(self.encoded(account))

    def record(self, tx) -> None:
        """Take the new balances out of a receipt's events."""
        events = tx.events
        if "BalanceUpdated" in events:
            for event in events["BalanceUpdated"]:
                self._latest[str(event["account"])] = decode(event["ciphertext"])
        if "WithdrawalRequested" in events:
            for event in events["WithdrawalRequested"]:
                self._requested[int(event["requestId"])] = decode(event["newCiphertext"])
        if "WithdrawalExecuted" in events:
            for event in events["WithdrawalExecuted"]:
                self._latest[str(event["account"])] = self._requested[int(event["requestId"])]
        if "Credited" in events:
            for event in events["Credited"]:
                self.inbox.setdefault(str(event["account"]), {})[int(event["transferId"])] = decode(event["delta"])
        if "Transferred" in events:
            for event in events["Transferred"]:
                sender = str(event["sender"])
                self._before_transfer[int(event["transferId"])] = (sender, self.ciphertext(sender))
                self._latest[sender] = decode(event["newBalance"])
        for name in ("TransferRejected", "TransferCancelled"):
            if name in events:
                for event in events[name]:
                    sender, before = self._before_transfer[int(event["transferId"])]
                    self._latest[sender] = before
        if "Folded" in events:
            for event in events["Folded"]:
                inbox = self.inbox.get(str(event["account"]), {})
                for transfer_id in event["transferIds"]:
                    inbox.pop(int(transfer_id), None)

    def credits(self, account) -> dict[int, int]:
        """The account's inbox: transfer id → delta, not yet folded."""
        return dict(self.inbox.get(str(account), {}))

    def requested(self, request_id: int) -> int:
        """The balance a withdrawal request would leave (its event's ciphertext)."""
        return self._requested[request_id]
