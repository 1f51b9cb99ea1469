"""BlockHeight: a waiter asks the node only for its height, and reads logs or state once per new block."""

from __future__ import annotations

import pytest

from offchain.chain import training_board as board_module
from offchain.chain.block_height import BlockHeight, node_block_number
from offchain.chain.training_board import BoardTimeoutError
from offchain.errors import ChainError


def heights(*values: object):
    """A reader returning ``values`` one after the other."""
    pending = list(values)
    return lambda: pending.pop(0)


def test_the_first_look_counts_as_a_move():
    assert BlockHeight(heights(7)).moved()


def test_the_same_height_again_is_not_a_move():
    height = BlockHeight(heights(7, 7))
    height.moved()
    assert not height.moved()


def test_a_new_block_is_a_move():
    height = BlockHeight(heights(7, 8))
    height.moved()
    assert height.moved()


def test_a_lower_height_after_a_revert_is_a_move():
    height = BlockHeight(heights(9, 4))
    height.moved()
    assert height.moved()


def test_last_is_none_before_the_first_look_then_the_height_seen():
    height = BlockHeight(heights(12))
    assert height.last is None
    height.moved()
    assert height.last == 12


@pytest.mark.parametrize("bad", ["12", -1, True, None, 1.5])
def test_a_reader_returning_no_height_raises_chain_error(bad):
    with pytest.raises(ChainError, match="block height"):
        BlockHeight(heights(bad)).moved()


def test_the_node_height_moves_when_a_transaction_is_mined(accounts):
    height = BlockHeight()
    assert height.moved()
    assert not height.moved()
    accounts[0].transfer(accounts[1], 1)
    assert height.moved()
    assert height.last == node_block_number()


def test_a_board_wait_reads_the_chain_once_while_no_block_comes(accounts):
    attempts = []

    def attempt() -> None:
        attempts.append(1)

    with pytest.raises(BoardTimeoutError):
        board_module._poll(attempt, 1, "nothing", timeout_s=0.4, poll_s=0.05)
    assert len(attempts) == 1
