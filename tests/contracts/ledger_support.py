"""Helpers for the ConfidentialLedger tests: Paillier keys from ``phe``, the contract's ciphertext
encoding, honest transfer deltas, and a book of every account's latest balance ciphertext taken
from the ledger's events (the contract stores only their hashes)."""

from __future__ import annotations

import functools
import random

import phe
from eth_utils import keccak, to_checksum_address

MAX_SET_SIZE = 16
MIN_SET_SIZE = 2
MAX_AMOUNT = 2**128 - 1
MAX_TRUSTEES = 32
MAX_MODULUS_BYTES = 512
NONE, PENDING, EXECUTED, REJECTED, CANCELLED = range(5)  # IConfidentialLedger.WithdrawalState
WITHDRAWAL_FIELDS = ("account", "amountWei", "state", "approvals", "rejections", "newBalanceHash")


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


def withdrawal_of(ledger, request_id: int) -> dict:
    """``withdrawalOf`` by field name, the hash as plain ``bytes``."""
    stored = dict(zip(WITHDRAWAL_FIELDS, ledger.withdrawalOf(request_id), strict=True))
    stored["newBalanceHash"] = bytes(stored["newBalanceHash"])
    return stored


class BalanceBook:
    """The latest balance ciphertext of every account, as the ledger's events tell it.

    ``BalanceUpdated`` carries a new balance; an executed withdrawal makes the balance the
    ciphertext of its ``WithdrawalRequested``. An account never touched holds the integer 1.
    """

    def __init__(self, ciphertext_bytes: int) -> None:
        self.ciphertext_bytes = ciphertext_bytes
        self._latest: dict[str, int] = {}
        self._requested: dict[int, int] = {}

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

    def requested(self, request_id: int) -> int:
        """The balance a withdrawal request would leave (its event's ciphertext)."""
        return self._requested[request_id]
