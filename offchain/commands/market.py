"""``datashare market``: the zk-SNARK data market's steps by hand (issue 17).

Research: Feng et al. 2022 §5 (validity proofs) and §6 (sharing, escrow, disputes); see
:class:`~offchain.protocols.Buyer` and :class:`~offchain.protocols.DataOwner`.

* the buyer: ``post`` a requirement (a JSON spec of the ranges) with escrow; its opening is
  sealed in the keystore *before* it is posted, the public row kept in the state, and the
  opening written to ``--opening-out`` for the owners the buyer chooses; ``take`` a match:
  open the record through the proxies, check it against the chain and the requirement, then
  confirm receipt (the owner is paid) or dispute (exit code 6);
* an owner (seller): ``prove`` that a record meets a requirement (the record is encrypted,
  registered and stored first if it is not yet; a spinner runs while the Groth16 proof is made)
  and submit the proof with the bond; ``deliver`` a match: grant the buyer through the proxies.
  Both are safe to run again after a crash: a record matched already is not proved again, a
  match delivered already is not granted again.

A requirement spec (``post --requirement``) is JSON: ``{"ranges": [[lo, hi, required] or null,
…], "min_satisfied": R}`` with one entry per field (8 or 16; ``null``: the field is ignored). A
record file (``prove --record``) is :meth:`offchain.zk.Record.to_bytes`: ``{"fields": […],
"salt": …}`` (the salt keeps the registered commitment the same from run to run).

State (:mod:`offchain.protocols.market_state`): ``--database`` (default ``market.sqlite``
beside the keystore) keeps the buyer's requirements and deliveries; the openings only in the
keystore.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from offchain.atomic_io import atomic_write_text
from offchain.commands.deployed import address_and_block, read_input, spinner, state_database
from offchain.errors import IntegrityError, InvalidInputError, UnknownFileError
from offchain.validation import parse_json

__all__ = ["DisputedDeliveryError", "register"]

MARKET_CONTRACT = "DataMarket"


class DisputedDeliveryError(IntegrityError):
    """The buyer could not open or check a delivered record, and disputed the match."""


def _market(args: argparse.Namespace) -> Any:
    from offchain.chain.contracts import contract_at
    from offchain.chain.market import DataMarketClient

    address, block = address_and_block(args, MARKET_CONTRACT, args.market)
    return DataMarketClient(contract_at(MARKET_CONTRACT, address), from_block=block)


def _policy(args: argparse.Namespace) -> Any:
    """``--arbiter`` as the trusted arbiter, else ``None`` (the deployment record's)."""
    from offchain.chain.arbiter_policy import ArbiterPolicy

    return ArbiterPolicy(args.arbiter) if args.arbiter else None


def _buyer(args: argparse.Namespace, market: Any) -> tuple[Any, Any]:
    """The caller as a :class:`Buyer` (receiving key from the keystore) and its market state."""
    from offchain.cli import RECEIVING_SECRET, _account, _open_keystore, _registry
    from offchain.crypto import pre
    from offchain.protocols import Buyer
    from offchain.protocols.market_state import MarketState

    registry = _registry(args)
    store = _open_keystore(args)
    buyer = Buyer(
        _account(args),
        registry,
        keys=pre.KeyPair.from_secret_bytes(store.get(RECEIVING_SECRET)),
        arbiters=_policy(args),
    )
    state = MarketState(state_database(args, "market.sqlite"), store, market.address)
    state.recover(market, buyer.address)  # requirements posted just before a crash
    return buyer, state


def _owner(args: argparse.Namespace) -> Any:
    from offchain.cli import MASTER_SECRET, SIGNER_SECRET, _account, _open_keystore, _registry
    from offchain.crypto import pre
    from offchain.protocols import DataOwner

    registry = _registry(args)
    store = _open_keystore(args)
    signer = pre.KeyPair.from_secret_bytes(store.get(SIGNER_SECRET))
    return DataOwner(
        _account(args), registry, master_secret=store.get(MASTER_SECRET), signer=signer, arbiters=_policy(args)
    )


def requirement_from_spec(text: bytes) -> Any:
    """A fresh :class:`~offchain.zk.Requirement` (new nonce) from a spec (see the module docstring).

    Raises:
        InvalidInputError: the spec is malformed.
    """
    from offchain.zk import FieldRange, Requirement

    try:
        spec = parse_json(text)
        ranges = [
            FieldRange.ignored() if entry is None else FieldRange(int(entry[0]), int(entry[1]), bool(entry[2]))
            for entry in spec["ranges"]
        ]
        return Requirement.create(ranges, int(spec["min_satisfied"]))
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise InvalidInputError(
            f"not a requirement spec ({{'ranges': [[lo, hi, required] | null], …}}): {exc}"
        ) from None


# ---- the buyer -----------------------------------------------------------------------------


def cmd_post(args: argparse.Namespace, out: Any) -> None:
    """Post a requirement with escrow; its opening sealed in the keystore first."""
    requirement = requirement_from_spec(read_input(args.requirement, "requirement spec"))
    market = _market(args)  # connects
    from brownie import web3

    buyer, state = _buyer(args, market)
    arbiter = args.arbiter or buyer.arbiters.consortium_arbiter
    state.seal_opening(requirement)  # before posting: a crash after it loses nothing
    posted = buyer.post_requirement(
        market,
        requirement,
        arbiter=arbiter,
        price_wei=args.price_wei,
        capacity=args.capacity,
        expires_at=int(web3.eth.get_block("latest")["timestamp"]) + args.expires_in_s,
        grant_period_s=args.grant_period_s,
        review_period_s=args.review_period_s,
        bond_wei=args.bond_wei,
    )
    state.add_requirement(posted, requirement)
    if args.opening_out:
        atomic_write_text(Path(args.opening_out), requirement.to_json() + "\n")
    out.result(
        "requirement posted",
        {
            "market": market.address,
            "requirement_id": posted.requirement_id,
            "buyer": posted.buyer,
            "arbiter": posted.arbiter,
            "commitment": "0x" + posted.commitment.hex(),
            "escrow_wei": posted.price_wei * posted.capacity,
            "opening": str(args.opening_out or ""),
        },
    )


def cmd_take(args: argparse.Namespace, out: Any) -> None:
    """Receive a matched record through the proxies, check it, and confirm receipt or dispute."""
    from offchain.cli import _clients, _public_key

    market = _market(args)
    buyer, state = _buyer(args, market)
    kept = state.delivery(args.match_id)
    if kept is None:
        matched = market.get_match(args.match_id)
        requirement = state.requirement(matched.requirement_id).opening
        with out.progress() as progress:
            key = buyer.account.private_key
            (storage,) = _clients(args, [args.storage], key, progress)
            proxies = _clients(args, args.proxy, key, None)
            delivery = buyer.take_delivery(
                market,
                args.match_id,
                requirement,
                storage=storage,
                proxies=proxies,
                threshold=args.threshold or len(proxies),
                verifying_pk=_public_key(args.verifying_pk, "--verifying-pk"),
            )
        kept = state.add_delivery(matched.requirement_id, delivery)
    fields = {
        "market": market.address,
        "match_id": kept.match_id,
        "requirement_id": kept.requirement_id,
        "confirmed": kept.confirmed,
        "record_commitment": "0x" + kept.record_commitment.hex() if kept.record_commitment else "",
        "reason": kept.reason,
    }
    if not kept.confirmed:
        if out.as_json:
            out.result("disputed", fields)
        raise DisputedDeliveryError(f"match {kept.match_id} disputed: {kept.reason}")
    out.result("delivery taken, receipt confirmed", fields)


# ---- an owner ------------------------------------------------------------------------------


def cmd_prove(args: argparse.Namespace, out: Any) -> None:
    """Register the record if needed, prove it meets the requirement (Groth16) and submit the proof."""
    from offchain.chain.registry import file_id_of
    from offchain.cli import _clients
    from offchain.zk import Record, Requirement

    opening = Requirement.from_json(read_input(args.opening, "requirement opening"))
    record = Record.from_bytes(read_input(args.record, "record"))
    market = _market(args)
    owner = _owner(args)
    file_id = file_id_of(owner.address, record.commitment_bytes)
    registered = True
    try:
        owner.registry.get_file(file_id)
    except UnknownFileError:
        registered = False
    if not registered:
        if not args.storage:
            raise InvalidInputError("the record is not registered yet: give --storage to store it")
        with out.progress() as progress:
            (storage,) = _clients(args, [args.storage], owner.account.private_key, progress)
            owner.upload_record(record, storage, block_size=args.block_size, name=args.label)
    started = time.perf_counter()
    existing = market.match_id_of(args.requirement_id, file_id)  # a run that died after submitting
    if existing is not None:
        matched = market.get_match(existing)
    else:
        with spinner(out) as progress:
            progress.add_task(f"proving ({record.field_count}-field Groth16 proof) and submitting")
            matched = owner.offer(
                market, requirement_id=args.requirement_id, opening=opening, record=record, buyer=args.buyer
            )
    out.result(
        "proved and matched",
        {
            "market": market.address,
            "match_id": matched.match_id,
            "requirement_id": args.requirement_id,
            "file_id": "0x" + file_id.hex(),
            "registered_now": not registered,
            "proved_now": existing is None,
            "satisfied": matched.satisfied,
            "proving_and_submit_s": round(time.perf_counter() - started, 2),
            "verifying_pk": owner.signer.public_bytes().hex(),
        },
    )


def cmd_deliver(args: argparse.Namespace, out: Any) -> None:
    """Share the matched record with the buyer through the proxies and record the grant."""
    from offchain.chain.addresses import require_address
    from offchain.chain.market import MatchState
    from offchain.cli import _clients, _public_key
    from offchain.protocols.data_owner import Recipient

    market = _market(args)
    owner = _owner(args)
    recipient = Recipient(
        address=require_address(args.to, "--to"), receiving_pk=_public_key(args.receiving_pk, "--receiving-pk")
    )
    proxies = _clients(args, args.proxy, owner.account.private_key, None)
    matched = market.get_match(args.match_id)
    if matched.state is MatchState.MATCHED:  # else delivered already (by a run that died after it)
        matched = owner.deliver(market, args.match_id, recipient, proxies, threshold=args.threshold)
    out.result(
        "delivered (grant recorded)",
        {
            "market": market.address,
            "match_id": matched.match_id,
            "grantee": recipient.address,
            "proxies": [p.name for p in proxies],
            "state": matched.state.name.lower(),
            "review_deadline": matched.review_deadline,
        },
    )


# ---- the parser ----------------------------------------------------------------------------


def register(commands: Any) -> None:
    """Add ``market`` and its actions to the ``datashare`` sub-parsers ``commands``."""
    from offchain.cli import _Parser

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--market", help=f"{MARKET_CONTRACT} address (default: from the deployment record)")
    common.add_argument("--arbiter", help="the arbiter contract trusted (default: the record's ConsortiumArbiter)")
    common.add_argument("--database", help="state database: a path or an SQLAlchemy URL (default: market.sqlite "
                        "beside the keystore)")  # fmt: skip

    market = commands.add_parser("market", help="the data market: post, prove, deliver, take")
    actions = market.add_subparsers(dest="market_command", required=True, metavar="ACTION", parser_class=_Parser)

    post = actions.add_parser("post", parents=[common], help="post a requirement with escrow (the buyer)")
    post.add_argument("--requirement", required=True, help="the requirement spec (JSON, see the README)")
    post.add_argument("--price-wei", type=int, required=True, help="payment per record")
    post.add_argument("--capacity", type=int, default=1, help="records wanted")
    post.add_argument("--bond-wei", type=int, required=True, help="each owner's bond per submission (≥ 1)")
    post.add_argument("--expires-in-s", type=int, default=7 * 24 * 3600, help="submissions accepted for this long")
    post.add_argument("--grant-period-s", type=int, default=24 * 3600, help="an owner's time to grant after a match")
    post.add_argument("--review-period-s", type=int, default=2 * 24 * 3600, help="the buyer's time to confirm")
    post.add_argument("--opening-out", help="write the opening here, for the owners the buyer chooses")
    post.set_defaults(run=cmd_post)

    prove = actions.add_parser("prove", parents=[common], help="prove a record meets a requirement (an owner)")
    prove.add_argument("requirement_id", type=int)
    prove.add_argument("--opening", required=True, help="the requirement's opening, from the buyer")
    prove.add_argument("--buyer", required=True, help="the buyer the opening came from")
    prove.add_argument("--record", required=True, help="the record file ({'fields': […], 'salt': …})")
    prove.add_argument("--storage", help="storage service URL (to store a record not yet registered)")
    prove.add_argument("--block-size", type=int, default=256, help="Merkle block size in bytes")
    prove.add_argument("--label", default="", help="public label put in the metadata")
    prove.set_defaults(run=cmd_prove)

    deliver = actions.add_parser("deliver", parents=[common], help="grant the buyer a matched record (an owner)")
    deliver.add_argument("match_id", type=int)
    deliver.add_argument("--to", required=True, help="the buyer's address")
    deliver.add_argument("--receiving-pk", required=True, help="the buyer's receiving_pk (its `keys show`)")
    deliver.add_argument("--proxy", action="append", required=True, help="a proxy URL (repeat for each)")
    deliver.add_argument("--threshold", type=int, required=True, help="m of the m-of-n proxies")
    deliver.set_defaults(run=cmd_deliver)

    take = actions.add_parser("take", parents=[common], help="check and take a delivery, or dispute (the buyer)")
    take.add_argument("match_id", type=int)
    take.add_argument("--storage", required=True, help="storage service URL")
    take.add_argument("--proxy", action="append", required=True, help="a proxy URL (repeat)")
    take.add_argument("--threshold", type=int, default=0, help="cfrags needed (default: every proxy)")
    take.add_argument("--verifying-pk", required=True, help="the owner's verifying_pk (from `market prove`)")
    take.set_defaults(run=cmd_take)
