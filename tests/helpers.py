"""Test helpers that are not fixtures."""

from __future__ import annotations

import os
from typing import Any

from eth_utils import keccak

#: Environment variable capping the examples of every stateful test (``run_state_machine``):
#: ``make test``'s second pass on Anvil sets it, since the machines' models are chain-agnostic
#: and run in full on Ganache in the same run (``make test-anvil`` runs them in full on Anvil).
STATEFUL_EXAMPLES_CAP = "DATASHARE_STATEFUL_EXAMPLES"
#: Environment variable capping the examples of every @given test (see tests/conftest.py).
MAX_EXAMPLES_CAP = "DATASHARE_MAX_EXAMPLES"

#: The voting period of the consortium the tests deploy: three days, the deployment default.
VOTING_PERIOD_S = 3 * 24 * 3600


def custom_error(name: str, *args: object) -> str:
    """The revert string Brownie reports for a custom error: ``"Name: arg1, arg2"``.

    An error without arguments is ``"Name: "``, with the separator (Brownie 1.22's format).
    """
    return f"{name}: " + ", ".join(_format_arg(a) for a in args)


def error_selector(signature: str) -> str:
    """The 4-byte selector of a custom error, ``"0x…"``, from its signature (``"Name(uint256)"``)."""
    return "0x" + keccak(signature.encode())[:4].hex()


def _format_arg(value: object) -> str:
    if isinstance(value, (bytes, bytearray)):
        return repr(bytes(value))
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()  # Brownie prints addresses in custom errors in lower case
    return str(value)


def run_state_machine(rules_object: type, *args: object, settings: dict | None = None) -> None:
    """Run a Brownie rules object (``rule_*``, ``invariant*``, ``initialize*``, ``setup``) as a stateful test.

    The same contract as ``brownie.test.state_machine``: strategies are class attributes, named
    by a rule's parameter or its default value; ``__init__`` runs once, as a class method, with
    ``args``; the chain is snapshotted once and reverted before every example. Brownie 1.22.2
    ships that function compiled with mypyc, and its compiled base class refuses the subclass it
    generates (``TypeError: ..._BrownieStateMachine object expected``), so this plain Python
    equivalent runs the same rules objects until Brownie's works again. ``max_examples`` is
    capped by the environment variable named in :data:`STATEFUL_EXAMPLES_CAP` when it is set.
    """
    import inspect
    from types import FunctionType

    from brownie import chain
    from hypothesis import settings as hypothesis_settings
    from hypothesis import stateful
    from hypothesis.strategies import SearchStrategy

    class Machine(rules_object, stateful.RuleBasedStateMachine):
        def __init__(self) -> None:
            chain.revert()
            stateful.RuleBasedStateMachine.__init__(self)
            if hasattr(self, "setup"):
                self.setup()

    strategies = {name: value for name, value in inspect.getmembers(rules_object) if isinstance(value, SearchStrategy)}

    def drawn(function: FunctionType) -> dict[str, SearchStrategy]:
        parameters = list(inspect.signature(function).parameters.values())[1:]  # after self
        return {p.name: strategies[p.default if isinstance(p.default, str) else p.name] for p in parameters}

    for name, function in inspect.getmembers(rules_object, lambda member: isinstance(member, FunctionType)):
        kind = name.partition("_")[0]
        if kind == "invariant":
            setattr(Machine, name, stateful.invariant()(function))
        elif kind == "rule":
            setattr(Machine, name, stateful.rule(**drawn(function))(function))
        elif kind == "initialize":
            setattr(Machine, name, stateful.initialize(**drawn(function))(function))
    if "__init__" in vars(rules_object):
        rules_object.__init__(Machine, *args)
    chain.snapshot()
    chosen = dict(settings or {})
    cap = os.environ.get(STATEFUL_EXAMPLES_CAP)
    if cap:
        chosen["max_examples"] = min(int(cap), chosen.get("max_examples", int(cap)))
    stateful.run_state_machine_as_test(Machine, settings=hypothesis_settings(**chosen))


# --- the data market ------------------------------------------------------------------------

DAY_S = 24 * 3600
#: The default terms tests post: 0.01 ether for each of three 8-field records, at least two
#: fields satisfied; submissions for 30 days, two days to grant, three to review; owners bond
#: 0.001 ether with each submission.
PRICE_WEI = 10**16
BOND_WEI = 10**15
CAPACITY = 3
FIELD_COUNT = 8
MIN_SATISFIED = 2
DURATION_S = 30 * DAY_S
GRANT_PERIOD_S = 2 * DAY_S
REVIEW_PERIOD_S = 3 * DAY_S
DESCRIPTION_HASH = bytes.fromhex("5c4f1f3e8a8d0f6f3b7f2b1d0c6a9e4d2b8f7a6c5e4d3c2b1a09f8e7d6c5b4a3")
REASON_HASH = bytes.fromhex("a1" * 32)
RULING_HASH = bytes.fromhex("b2" * 32)
CIPHERTEXT_HASH = bytes.fromhex("c3" * 32)
LOCATOR = "s3://datashare/records/0042"
#: IDataMarket.MatchState
NONE, MATCHED, GRANTED, DISPUTED, RELEASED, REFUNDED, LAPSED = range(7)
TERMS_FIELDS = (
    "arbiter",
    "commitment",
    "descriptionHash",
    "priceWei",
    "capacity",
    "fieldCount",
    "minSatisfied",
    "expiresAt",
    "grantPeriod",
    "reviewPeriod",
    "bondWei",
)
REQUIREMENT_FIELDS = (
    "buyer",
    "expiresAt",
    "fieldCount",
    "minSatisfied",
    "arbiter",
    "capacity",
    "filled",
    "grantPeriod",
    "priceWei",
    "reviewPeriod",
    "unfilledRefunded",
    "bondWei",
    "commitment",
    "descriptionHash",
)
MATCH_FIELDS = ("owner", "requirementId", "deadline", "state", "satisfied", "fileId")


def evict_from_page_cache(path: os.PathLike[str] | str) -> None:
    """Drop a file's pages out of the operating system's page cache (fsynced first: only clean
    pages can be dropped), so that the next read of it goes to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def bytes32(value: int) -> bytes:
    """A field element as the contracts take it."""
    return value.to_bytes(32, "big")


def market_terms(arbiter: object, commitment: int, **overrides: object) -> tuple:
    """``IDataMarket.RequirementTerms`` in struct order: the defaults above, expiring in DURATION_S."""

    values = {
        "arbiter": arbiter,
        "commitment": bytes32(commitment),
        "descriptionHash": DESCRIPTION_HASH,
        "priceWei": PRICE_WEI,
        "capacity": CAPACITY,
        "fieldCount": FIELD_COUNT,
        "minSatisfied": MIN_SATISFIED,
        "expiresAt": chain_now() + DURATION_S,
        "grantPeriod": GRANT_PERIOD_S,
        "reviewPeriod": REVIEW_PERIOD_S,
        "bondWei": BOND_WEI,
    }
    values.update(overrides)
    return tuple(values[name] for name in TERMS_FIELDS)


def post_requirement(market, buyer, terms: tuple, value: int | None = None):
    """``buyer`` posts ``terms`` escrowing price × capacity (or ``value``); the receipt."""
    escrow = terms[3] * terms[4] if value is None else value
    return market.postRequirement(terms, {"from": buyer, "value": escrow})


def posted_id(receipt) -> int:
    """The id of the requirement a ``postRequirement`` receipt posted, from its event.

    Where an id a transaction returns is set-up rather than what a test checks, it is read from
    the transaction's event: Brownie reads a return value by re-running the transaction traced,
    which on Ganache costs as much again as the transaction (a proof check: about 1.5 s more per
    match).
    """
    return receipt.events["RequirementPosted"]["requirementId"]


def matched_id(receipt) -> int:
    """The id of the match a ``submit`` receipt made, from its ``Matched`` event (see
    :func:`posted_id`)."""
    return receipt.events["Matched"]["matchId"]


def register_record(registry, owner, commitment: int) -> bytes:
    """``owner`` registers a file whose content commitment is ``commitment``; its id."""
    tx = registry.registerFile(bytes32(commitment), CIPHERTEXT_HASH, bytes(32), LOCATOR, b"", {"from": owner})
    return bytes(tx.events["FileRegistered"]["fileId"])


def file_id_of(owner: object, commitment: int) -> bytes:
    """``DataRegistry.fileIdOf(owner, bytes32(commitment))``."""
    from eth_abi import encode
    from eth_utils import keccak

    return keccak(encode(["address", "bytes32"], [str(owner), bytes32(commitment)]))


def submit_proof(
    market,
    sender,
    requirement_id,
    proof,
    *,
    file_id=None,
    data_commitment=None,
    satisfied=None,
    points=None,
    bond_wei=BOND_WEI,
):
    """``sender`` submits ``proof`` to a requirement with a bond of ``bond_wei`` (the default
    terms'); the proof's own data commitment, satisfied count and points, and the sender's file
    of that commitment, unless overridden."""
    pa, pb, pc, signals = proof.solidity_args()
    h = signals[2] if data_commitment is None else data_commitment
    fid = file_id_of(sender, h) if file_id is None else file_id
    pa, pb, pc = points or (pa, pb, pc)
    r = signals[0] if satisfied is None else satisfied
    return market.submit(requirement_id, fid, bytes32(h), pa, pb, pc, r, {"from": sender, "value": bond_wei})


def grant_access(registry, owner, file_id: bytes, grantee) -> None:
    """``owner`` grants ``grantee`` access to its file in the registry."""
    registry.grantAccess(file_id, grantee, bytes.fromhex("d4" * 32), 0, {"from": owner})


def requirement_of(market, requirement_id: int) -> dict:
    return dict(zip(REQUIREMENT_FIELDS, market.requirementOf(requirement_id), strict=True))


def match_of(market, match_id: int) -> dict:
    return dict(zip(MATCH_FIELDS, market.matchOf(match_id), strict=True))


def chain_now() -> int:
    """The latest block's timestamp: the clock contracts see, on Ganache and Anvil alike.

    Brownie's ``chain.time()`` is the wall clock plus Brownie's own record of the time travelled,
    which drifts from the node's clock across snapshots and reverts on Anvil.
    """
    from brownie import web3

    return int(web3.eth.get_block("latest")["timestamp"])


def sleep(seconds: int) -> None:
    """Move the chain's clock ``seconds`` ahead and mine a block."""
    from brownie import chain

    chain.sleep(seconds)
    chain.mine()


# --- the training board ---------------------------------------------------------------------

#: The sessions tests open: a key fingerprint and a sample-order commitment (the contract checks
#: neither), three rounds, a step timeout of one hour.
KEY_FINGERPRINT = keccak(b"threshold paillier public key")
SAMPLE_COMMITMENT = keccak(b"sample order")
ROUNDS = 3
STEP_TIMEOUT_S = 3600
#: ITrainingBoard.SessionStatus and AbortReason.
SESSION_NONE, TRAINING, FINISHING, COMPLETED, ABORTED = range(5)
STALLED, INVALID_DECRYPTION = range(2)
SESSION_FIELDS = (
    "status",
    "ordered",
    "participantCount",
    "intermediateCount",
    "decryptionCount",
    "modelCount",
    "rounds",
    "round",
    "stepTimeout",
    "deadline",
    "intermediateMask",
    "decryptionMask",
    "modelMask",
    "keyFingerprint",
    "sampleCommitment",
)


def open_session(board, participants, *, sender=None, **overrides):
    """``sender`` (the first participant by default) opens a session of ``participants`` with the
    defaults above, changed by ``overrides`` (``rounds=``, ``ordered=``…); the receipt."""
    values = {
        "keyFingerprint": KEY_FINGERPRINT,
        "sampleCommitment": SAMPLE_COMMITMENT,
        "rounds": ROUNDS,
        "stepTimeout": STEP_TIMEOUT_S,
        "ordered": False,
    }
    values.update(overrides)
    return board.openSession(list(participants), *values.values(), {"from": sender or participants[0]})


def session_of(board, session_id: int) -> dict:
    """``board.sessionOf(session_id)`` by field name, as plain ``int``, ``bool`` and ``"0x…"`` values."""
    values = dict(zip(SESSION_FIELDS, board.sessionOf(session_id), strict=True))
    plain = {
        name: int(value)
        for name, value in values.items()
        if name not in ("ordered", "keyFingerprint", "sampleCommitment")
    }
    plain["ordered"] = bool(values["ordered"])
    for name in ("keyFingerprint", "sampleCommitment"):
        plain[name] = "0x" + bytes(values[name]).hex()
    return plain


def masks_of(board, session_id: int) -> tuple[int, int, int]:
    """``board.postedMasks(session_id)`` as plain ints: (IV mask, DV mask, model mask)."""
    return tuple(int(mask) for mask in board.postedMasks(session_id))


def payload_of(size: int, label: bytes = b"") -> bytes:
    """``size`` pseudo-random bytes (a ciphertext's look: nearly all nonzero), fixed by ``label``."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += keccak(label + counter.to_bytes(8, "big"))
        counter += 1
    return bytes(out[:size])


def play_round(board, session_id: int, round_: int, participants, size: int = 64) -> None:
    """Every participant posts its IV, in order, then its DV of ``round_``."""
    for p in participants:
        board.postIntermediate(
            session_id, round_, payload_of(size, b"iv %d %s" % (round_, str(p).encode())), {"from": p}
        )
    for p in participants:
        board.postDecryption(session_id, round_, payload_of(size, b"dv %d %s" % (round_, str(p).encode())), {"from": p})


def deploy_feature_index(feature_index: Any, merkle_anchor: Any, consortium: Any, service: Any, deployer: Any) -> Any:
    """A FeatureIndex over ``consortium`` answered by ``service``, with its own MerkleAnchor that
    grants it ANCHORER_ROLE (what ``deploy_all`` wires); returns ``(index, anchor)``."""
    anchor = merkle_anchor.deploy({"from": deployer})
    index = feature_index.deploy(consortium, anchor, service, {"from": deployer})
    anchor.grantRole(anchor.ANCHORER_ROLE(), index, {"from": deployer})
    return index, anchor


def high_s_twin(signature: bytes) -> bytes:
    """The other encoding of an ECDSA signature (r, n − s, the other v): it recovers the same key.

    Libraries that recover without EIP-2's low-s rule (eth-account does) accept both; the
    project accepts only the canonical one.
    """
    from offchain.chain.signing import SECP256K1_ORDER

    s = int.from_bytes(signature[32:64], "big")
    return signature[:32] + (SECP256K1_ORDER - s).to_bytes(32, "big") + bytes([55 - signature[64]])


def oversized_group_key(public: Any, bits: int) -> dict[str, Any]:
    """``public``'s key as a dict, with n replaced by a ``bits``-bit odd number free of small
    factors and the bases derived for it from the seed: a key that passes every cheap check, so
    that loading it reaches the primality test of n (minutes beyond 2^17 bits)."""
    import random

    import gmpy2

    from offchain.crypto import group_signature as gs

    rng, small = random.Random(bits), gmpy2.primorial(10_000)
    n = gmpy2.mpz(0)
    while gmpy2.gcd(n, small) != 1:
        n = gmpy2.mpz(rng.getrandbits(bits)) | 1 | (gmpy2.mpz(1) << (bits - 1))
    bases = gs.derive_bases(n, public.seed)
    return {**public.to_dict(), "modulus_bits": bits, "n": hex(n), **{k: hex(v) for k, v in bases.items()}}


def send_endless_chunks(
    handler: Any, status: int, *, piece: bytes, cap: int, headers: dict[str, str] | None = None
) -> None:
    """Answer an ``http.server`` request with a chunked body of ``piece`` repeated until the
    client hangs up, or until ``cap`` bytes (so a client that reads everything fails its test,
    not the machine): a malicious service's endless answer."""
    handler.send_response(status)
    handler.send_header("Transfer-Encoding", "chunked")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    try:
        for _ in range(cap // len(piece)):
            handler.wfile.write(frame)
        handler.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass
    handler.close_connection = True


def set_balance(account: Any, wei: int) -> None:
    """Give ``account`` a balance of ``wei`` on the local chain (Anvil's ``anvil_setBalance``,
    else Ganache's ``evm_setAccountBalance``): a funder richer than the test accounts."""
    from brownie import web3

    for method in ("anvil_setBalance", "evm_setAccountBalance"):
        answer = web3.provider.make_request(method, [str(account), hex(wei)])
        if "error" not in answer:
            assert web3.eth.get_balance(str(account)) == wei
            return
    raise RuntimeError(f"the chain sets no balance: {answer['error']}")


def store_anonymously(
    store: Any, group: Any, member: Any, *, file_id: bytes, ciphertext: bytes, block_size: int
) -> str:
    """``store.store_anonymous`` of ``ciphertext``, signed by ``member`` over its blocks as a
    group member's upload is (a fresh sealed key); the locator."""
    from offchain.crypto import group_signature as gs
    from offchain.crypto import pre
    from offchain.crypto.merkle import MerkleTree
    from offchain.protocols.cloud_server import anonymous_upload_message

    tree = MerkleTree.from_bytes(ciphertext, block_size)
    return str(
        store.store_anonymous(
            file_id=file_id,
            ciphertext=ciphertext,
            block_size=block_size,
            sealed_key=pre.seal(pre.KeyPair.generate().public_key, b"k" * 32),
            group=group,
            signature=gs.sign(member, anonymous_upload_message(file_id, tree.root, tree.size)),
        )
    )
