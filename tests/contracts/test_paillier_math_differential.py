"""PaillierMath (through a test harness) against Python's integers: products modulo N = n², the
range and unit checks and the public encryption, at every key length from one word to 2048 bits,
on the edge values (0, 1, n − 1, n, N − 1, N, values above N, the largest number of the length)
and on random values drawn by hypothesis. The ledger's own entry point, ``addCiphertexts``, is
checked the same way and on malformed calldata (truncated, lying length fields), which must
revert rather than return a value.
"""

from __future__ import annotations

import random

import brownie
import pytest
from brownie import web3
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import custom_error

#: Key lengths in bytes: one word (the smallest the library takes), two, three and 2048 bits;
#: the ledger's largest (MAX_MODULUS_BYTES, 4096 bits) gets one random modulus.
MODULUS_BYTES = (32, 64, 96, 256)
LARGEST_MODULUS_BYTES = 512


def _moduli() -> list[int]:
    """Per length: a random odd n with its top bit set, the largest odd (2^(8L) − 1) and the
    smallest with a nonzero first byte (2^(8L−8) + 1); then one random n of the largest length.
    The library needs no primes."""
    rng = random.Random(0x9A11)
    moduli = []
    for length in MODULUS_BYTES:
        bits = 8 * length
        moduli += [rng.getrandbits(bits) | 1 << (bits - 1) | 1, (1 << bits) - 1, (1 << (bits - 8)) + 1]
    bits = 8 * LARGEST_MODULUS_BYTES
    return [*moduli, rng.getrandbits(bits) | 1 << (bits - 1) | 1]


MODULI = _moduli()


def to_bytes(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def to_int(value: object) -> int:
    return int.from_bytes(bytes(value), "big")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def harnesses(PaillierMathHarness, deployer):
    """One harness per modulus, in MODULI's order."""
    deployed = []
    for n in MODULI:
        harness = PaillierMathHarness.deploy({"from": deployer})
        harness.setModulus(to_bytes(n, (n.bit_length() + 7) // 8), {"from": deployer})
        deployed.append(harness)
    return deployed


def edge_values(n: int, length: int) -> list[int]:
    """The values products and checks are exercised on, for modulus n (N = n², `length` bytes)."""
    big_n = n * n
    top = (1 << (8 * length)) - 1
    return sorted({0, 1, 2, n - 1, n, n + 1, 2 * n, big_n - n, big_n - 1, big_n, big_n + 1, top, top - 1})


@pytest.mark.parametrize("index", range(len(MODULI)))
def test_store_keeps_n_and_n_squared(harnesses, index):
    n = MODULI[index]
    length = 2 * ((n.bit_length() + 7) // 8)
    assert to_int(harnesses[index].modulus()) == n
    assert to_int(harnesses[index].nSquared()) == n * n
    assert to_int(harnesses[index].nOperand()) == n
    assert harnesses[index].ciphertextBytes() == length


@pytest.mark.parametrize("index", range(len(MODULI)))
def test_mul_mod_equals_pythons_on_the_edge_values(harnesses, index):
    n = MODULI[index]
    harness = harnesses[index]
    length = harness.ciphertextBytes()
    values = edge_values(n, length)
    pairs = [(a, b) for a in values for b in values]
    products = harness.mulModEach([to_bytes(a, length) for a, _ in pairs], [to_bytes(b, length) for _, b in pairs])
    for (a, b), product in zip(pairs, products, strict=True):
        assert to_int(product) == a * b % (n * n), (hex(a), hex(b))


def test_mul_mod_of_single_calls_equals_pythons(harnesses):
    n = MODULI[0]
    for a, b in ((0, 0), (1, n * n - 1), (n * n - 1, n * n - 1), ((1 << 512) - 1, (1 << 512) - 1)):
        assert to_int(harnesses[0].mulMod(to_bytes(a, 64), to_bytes(b, 64))) == a * b % (n * n)


@pytest.mark.parametrize("index", range(len(MODULI)))
def test_mul_mod_in_place_equals_pythons(harnesses, index):
    n = MODULI[index]
    harness = harnesses[index]
    length = harness.ciphertextBytes()
    a, b = n * n - 2, n + 7
    assert to_int(harness.mulModInPlace(to_bytes(a, length), to_bytes(b, length))) == a * b % (n * n)


@settings(max_examples=40)
@given(index=st.integers(0, len(MODULI) - 1), data=st.data())
def test_mul_mod_equals_pythons_on_random_values(harnesses, index, data):
    n = MODULI[index]
    harness = harnesses[index]
    length = harness.ciphertextBytes()
    top = (1 << (8 * length)) - 1
    a = data.draw(st.integers(0, top))
    b = data.draw(st.integers(0, top))
    assert to_int(harness.mulMod(to_bytes(a, length), to_bytes(b, length))) == a * b % (n * n)


@pytest.mark.parametrize("index", range(len(MODULI)))
def test_range_and_unit_checks_equal_pythons_on_the_edge_values(harnesses, index):
    n = MODULI[index]
    harness = harnesses[index]
    length = harness.ciphertextBytes()
    for value in edge_values(n, length):
        encoded = to_bytes(value, length)
        assert harness.isCiphertext(encoded) is (1 <= value < n * n), hex(value)
        assert harness.isNotMultipleOfN(encoded) is (value % n != 0), hex(value)


@pytest.mark.parametrize("index", range(len(MODULI)))
def test_encrypt_public_equals_pythons(harnesses, index):
    n = MODULI[index]
    harness = harnesses[index]
    big_n = n * n
    for amount in (1, 2, (1 << 128) - 1, min(n, 1 << 256) - 1):  # below n, a uint256
        assert to_int(harness.encryptPublic(amount, False)) == (1 + amount * n) % big_n
        assert to_int(harness.encryptPublic(amount, True)) == (1 - amount * n) % big_n
    assert to_int(harness.encryptPublic(0, False)) == 1


@pytest.mark.parametrize("given_length", [0, 31, 63, 65, 96])
def test_a_number_of_the_wrong_length_is_refused(harnesses, given_length):
    harness = harnesses[0]  # 64-byte ciphertexts: a 32-byte modulus
    with brownie.reverts(custom_error("PaillierMathHarnessWrongLength", given_length, 64)):
        harness.isCiphertext(bytes(given_length))


# --- the ledger's entry point -----------------------------------------------------------------


@pytest.fixture(scope="module")
def ledger(ConfidentialLedger, deployer, accounts):
    return ConfidentialLedger.deploy(to_bytes(MODULI[0], 32), [accounts[7], accounts[8]], 1, {"from": deployer})


@settings(max_examples=20)
@given(a=st.integers(1, MODULI[0] ** 2 - 1), b=st.integers(1, MODULI[0] ** 2 - 1))
def test_add_ciphertexts_equals_pythons_product_or_refuses_non_units(ledger, a, b):
    n = MODULI[0]
    if a % n == 0 or b % n == 0:
        return  # refused: see the unit test below
    assert to_int(ledger.addCiphertexts(to_bytes(a, 64), to_bytes(b, 64))) == a * b % (n * n)


@pytest.mark.parametrize(
    ("a", "b", "error"),
    [
        (0, 1, custom_error("ConfidentialLedgerCiphertextOutOfRange", 0)),
        (1, MODULI[0] ** 2, custom_error("ConfidentialLedgerCiphertextOutOfRange", 1)),
        (MODULI[0], 1, custom_error("ConfidentialLedgerNotAUnit", 0)),
        (1, 2 * MODULI[0], custom_error("ConfidentialLedgerNotAUnit", 1)),
    ],
)
def test_add_ciphertexts_refuses_values_out_of_range_or_not_units(ledger, a, b, error):
    with brownie.reverts(error):
        ledger.addCiphertexts(to_bytes(a, 64), to_bytes(b, 64))


def _add_calldata(ledger, a: bytes, b: bytes) -> bytes:
    return bytes.fromhex(ledger.addCiphertexts.encode_input(a, b)[2:])


@pytest.mark.parametrize("cut", [1, 31, 32, 64, 100])
def test_add_ciphertexts_reverts_on_truncated_calldata(ledger, cut):
    data = _add_calldata(ledger, to_bytes(3, 64), to_bytes(5, 64))
    with pytest.raises(ValueError):
        web3.eth.call({"to": ledger.address, "data": "0x" + data[:-cut].hex()})


@pytest.mark.parametrize("word", [0, 1, 2, 3])
def test_add_ciphertexts_reverts_when_an_offset_or_length_points_past_the_calldata(ledger, word):
    data = bytearray(_add_calldata(ledger, to_bytes(3, 64), to_bytes(5, 64)))
    start = 4 + 32 * word  # heads of a and b, then a's length, then (after a) b's length
    if word == 3:
        start = 4 + 32 * 5
    data[start : start + 32] = to_bytes(1 << 64, 32)
    with pytest.raises(ValueError):
        web3.eth.call({"to": ledger.address, "data": "0x" + data.hex()})


def test_add_ciphertexts_ignores_bytes_appended_to_the_calldata(ledger):
    n = MODULI[0]
    data = _add_calldata(ledger, to_bytes(3, 64), to_bytes(5, 64)) + b"\xff" * 33
    result = web3.eth.call({"to": ledger.address, "data": "0x" + data.hex()})
    assert to_int(bytes(result)[64:128]) == 15 % (n * n)
