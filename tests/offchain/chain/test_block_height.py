"""BlockHeight: a waiter asks the node only for its height, and reads logs or state once per new block."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from offchain.chain import training_board as board_module
from offchain.chain.block_height import BlockHeight, json_rpc_block_number, node_block_number
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


class _Node(BaseHTTPRequestHandler):
    """A JSON-RPC endpoint answering ``eth_blockNumber`` with the server's ``answer`` (and, when
    the server's ``close`` is set, dropping the connection after each answer without saying so,
    as a node does with a keep-alive connection it timed out)."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.methods.append(request["method"])  # type: ignore[attr-defined]
        body = json.dumps(self.server.answer).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.close:  # type: ignore[attr-defined]
            self.close_connection = True
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def node():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    server.answer, server.close, server.methods = {"jsonrpc": "2.0", "id": 1, "result": "0x2a"}, False, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def endpoint(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_the_json_rpc_reader_asks_for_eth_block_number_and_decodes_the_height(node):
    assert json_rpc_block_number(endpoint(node)) == 42
    assert node.methods == ["eth_blockNumber"]


def test_the_json_rpc_reader_reopens_a_connection_the_node_closed(node):
    node.close = True
    assert [json_rpc_block_number(endpoint(node)) for _ in range(3)] == [42, 42, 42]


def test_a_json_rpc_error_answer_raises_chain_error_naming_it(node):
    node.answer = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "node is syncing"}}
    with pytest.raises(ChainError, match="node is syncing"):
        json_rpc_block_number(endpoint(node))


def test_an_endpoint_nobody_listens_on_raises_chain_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the request: nobody listens there
    with pytest.raises(ChainError, match="could not read the block height"):
        json_rpc_block_number(f"http://127.0.0.1:{port}")


def test_the_node_height_is_the_one_web3_reads(accounts, web3):
    accounts[0].transfer(accounts[1], 1)
    assert node_block_number() == web3.eth.block_number


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
