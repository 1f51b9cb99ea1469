"""The re-entry harness itself (contracts/test/ReentrantPayee.sol), which the market's and the
ledger's re-entrancy tests rely on: its armed calls are made once, even when a payment reaches it
while it is re-entering (paid by ``UnguardedPayer``, which has no reentrancy guard)."""

from __future__ import annotations

import brownie
import pytest
from eth_abi import encode

from tests.helpers import custom_error, error_selector

PAYMENT_WEI = 2
NESTED_PAYMENT_WEI = 1


@pytest.fixture
def payer(UnguardedPayer, deployer):
    return UnguardedPayer.deploy({"from": deployer})


@pytest.fixture
def payee(ReentrantPayeeProbe, payer, deployer):
    return ReentrantPayeeProbe.deploy(payer, {"from": deployer})


@pytest.fixture
def paid_while_reentering(payer, payee, stranger):
    """The payee armed to have the payer pay it again from inside the payer's payment; paid."""
    payee.arm([payer.pay.encode_input(payee, NESTED_PAYMENT_WEI)], {"from": stranger})
    return payer.pay(payee, PAYMENT_WEI, {"from": stranger, "value": PAYMENT_WEI + NESTED_PAYMENT_WEI})


def test_a_payment_received_while_reentering_does_not_make_the_armed_calls_again(payee, paid_while_reentering):
    assert payee.reentryCount() == 1


def test_the_armed_call_that_pays_during_reentry_is_recorded_as_succeeded(payee, paid_while_reentering):
    assert payee.reentry(0) == (True, "0x")


def test_a_payment_received_while_reentering_is_accepted(payee, paid_while_reentering):
    assert payee.balance() == PAYMENT_WEI + NESTED_PAYMENT_WEI


def test_the_armed_calls_are_disarmed_after_one_payment(payer, payee, stranger, paid_while_reentering):
    payer.pay(payee, PAYMENT_WEI, {"from": stranger, "value": PAYMENT_WEI + NESTED_PAYMENT_WEI})
    assert payer.balance() == NESTED_PAYMENT_WEI  # the armed call did not pay out again


def test_arming_replaces_the_calls_armed_before(payer, payee, stranger):
    payee.arm([payer.pay.encode_input(payee, NESTED_PAYMENT_WEI)], {"from": stranger})
    payee.arm([payer.pay.encode_input(stranger, NESTED_PAYMENT_WEI)], {"from": stranger})
    payer.pay(payee, PAYMENT_WEI, {"from": stranger, "value": PAYMENT_WEI + NESTED_PAYMENT_WEI})
    assert (payee.reentryCount(), payee.balance()) == (1, PAYMENT_WEI)


def test_an_armed_call_that_reverts_is_recorded_with_its_revert_data(payer, payee, stranger):
    payee.arm([payer.pay.encode_input(payee, NESTED_PAYMENT_WEI)], {"from": stranger})
    payer.pay(payee, PAYMENT_WEI, {"from": stranger, "value": PAYMENT_WEI})  # nothing left to pay again
    revert_data = (
        error_selector("UnguardedPayerTransferFailed(address,uint256)")
        + encode(["address", "uint256"], [payee.address, NESTED_PAYMENT_WEI]).hex()
    )
    assert payee.reentry(0) == (False, revert_data)


def test_the_unguarded_payer_reverts_when_it_cannot_pay(payer, payee, stranger):
    payee.setRefusesEther(True, {"from": stranger})
    with brownie.reverts(custom_error("UnguardedPayerTransferFailed", payee.address, PAYMENT_WEI)):
        payer.pay(payee, PAYMENT_WEI, {"from": stranger, "value": PAYMENT_WEI})
