"""``datashare consortium``: the steps of a consortium's agencies and members, run by hand.

Research: Huang, Chen, Wang 2020 §3.3–3.5 (ACJT groups per agency, anonymous uploads, tracing
after ⌈2n/3⌉ agencies approve). Each step is one invocation; what it must remember survives
between invocations: secrets (the agency's manager key, a member's key and its join in
progress) in the encrypted keystore (:mod:`offchain.keystore`), the agency's records (members,
joins in flight, stocked primes, uploads' signatures, ballots) in its state database
(:mod:`offchain.protocols.agency_state`; ``--database``, by default ``agency.sqlite`` beside the
keystore). Messages between an agency and a user travel as JSON files (``--out``), by any
channel: none of them is secret.

The agency (its account a member of the ``Consortium``)::

    datashare consortium agency init --group-out group.json       # manager key → keystore; key hash on chain
    datashare consortium agency stock-primes --count 8           # certificate primes ahead of the joins
    datashare consortium agency admit 0xUSER                     # the user's identity, checked out of band
    datashare consortium agency challenge request.json --user 0xUSER --out challenge.json
    datashare consortium agency certify response.json --out certificate.json
    datashare consortium agency accept upload.json --storage URL # check the stored blocks; record on chain

The user (its identity: the account key, which signs the join receipt; it needs no funds)::

    datashare consortium join start --group group.json --out request.json
    datashare consortium join respond challenge.json --out response.json
    datashare consortium join finish certificate.json            # member key → keystore
    datashare consortium upload records.csv --storage URL --out upload.json

Any agency, then the record's agency::

    datashare consortium trace request FILE_ID --record-agency 0xAGENCY --reason "…"
    datashare consortium trace vote BALLOT_ID [--against]
    datashare consortium trace open BALLOT_ID                     # only once approved on chain
    datashare consortium trace check BALLOT_ID --group group.json --upload upload.json   # anyone

Any agency, for the membership (a ballot is decided by ⌈2n/3⌉ approvals, the proposer's
included; a removal may not leave fewer than three agencies)::

    datashare consortium members show
    datashare consortium members propose-admission 0xCANDIDATE
    datashare consortium members propose-removal 0xMEMBER
    datashare consortium ballot show BALLOT_ID                    # anyone
    datashare consortium ballot vote BALLOT_ID [--against]        # any ballot: admission, removal, trace
    datashare consortium ballot expire BALLOT_ID                  # anyone, once past its deadline or stale

These need only the agency's account (no group key): an agency admitted a moment ago votes
before it runs ``agency init``. Each step the agency takes is kept with its ballots in the state
database.

Exit codes are :mod:`offchain.cli`'s (``datashare --help``).
"""

from __future__ import annotations

import argparse
import json
import secrets
from pathlib import Path
from typing import Any

from offchain.atomic_io import atomic_write_text
from offchain.commands.deployed import address_and_block, keystore_for_writing, read_input, spinner, state_database
from offchain.crypto import group_signature as gs
from offchain.errors import InvalidInputError
from offchain.keystore import Keystore
from offchain.validation import parse_json

__all__ = ["JOIN_SECRET", "MANAGER_SECRET", "MEMBER_SECRET", "UPLOAD_MASTER_SECRET", "register"]

#: Keystore names of the consortium's secrets.
MANAGER_SECRET = "acjt-manager"  # the agency's GroupManagerKey (JSON)
MEMBER_SECRET = "acjt-member"  # a member's MemberKey (JSON)
JOIN_SECRET = "acjt-join"  # a member's join in progress (JoinApplicant.export_secret)
UPLOAD_MASTER_SECRET = "acjt-upload-master"  # 32 bytes; per-file Umbral keys of anonymous uploads derive from it

_STATE_FILE = "agency.sqlite"
_EXIT_CODES_HELP = (
    "exit codes: 0 ok, 1 unexpected, 2 usage, 3 bad input, 4 refused (e.g. a trace not approved, a user not "
    "admitted, a wrong passphrase), 5 not found (no keystore, no manager or member key in it), 6 integrity "
    "(stored blocks that do not rebuild to the signed root), 7 unavailable"
)


# ---- helpers --------------------------------------------------------------------------------


def _read_text(path: str, what: str) -> str:
    return read_input(path, what).decode("utf-8", errors="replace")  # a malformed file fails its parser


def _write(path: str, text: str) -> None:
    atomic_write_text(Path(path), text)


def _state(args: argparse.Namespace) -> Any:
    from offchain.protocols.agency_state import AgencyState

    return AgencyState(state_database(args, _STATE_FILE))


def _consortium(args: argparse.Namespace) -> Any:
    from offchain.chain.consortium import ConsortiumClient
    from offchain.chain.contracts import contract_at

    address, block = address_and_block(args, "Consortium", args.consortium)
    return ConsortiumClient(contract_at("Consortium", address), from_block=block)


def _agency(args: argparse.Namespace, store: Keystore | None = None) -> Any:
    """The agency of the keystore's manager key, the account and the state database."""
    from offchain.cli import _account, _open_keystore
    from offchain.protocols.agency import Agency

    store = store or _open_keystore(args)
    key = gs.GroupManagerKey.from_json(store.get(MANAGER_SECRET).decode())
    return Agency(args.name, key, _account(args), _consortium(args), state=_state(args))


def _identity(args: argparse.Namespace) -> Any:
    """The user's identity key (an ``eth_account`` key: it signs the join receipt, sends nothing)."""
    from eth_account import Account

    from offchain.cli import _account_key, _address_of_key

    key = _account_key(args)
    if key is None:
        raise InvalidInputError("the user's identity is its account key: give --key-file or set DATASHARE_PRIVATE_KEY")
    _address_of_key(key)
    return Account.from_key(key)


def _group(args: argparse.Namespace) -> gs.GroupPublicKey:
    return gs.GroupPublicKey.from_json(_read_text(args.group, "group key file"))


def _file_id(value: str) -> bytes:
    from offchain.cli import _file_id as parse

    return parse(value)


# ---- the agency -----------------------------------------------------------------------------


def cmd_agency_init(args: argparse.Namespace, out: Any) -> None:
    """Create the group (manager key into the keystore), publish its hash and seed on chain."""
    from offchain.cli import _account
    from offchain.protocols.agency import Agency

    store = keystore_for_writing(args)
    if MANAGER_SECRET in store.names() and not args.force:
        raise InvalidInputError(f"{store.path} holds a group manager key; --force replaces it (and its group)")
    consortium = _consortium(args)
    with spinner(out) as progress:
        progress.add_task(f"safe primes for a {args.bits}-bit group", total=None)
        key = gs.generate_group(args.bits)
    agency = Agency(args.name, key, _account(args), consortium)
    store.put(MANAGER_SECRET, key.to_json().encode())  # kept before its hash goes on chain
    agency.publish_group_key()
    _write(args.group_out, key.public.to_json())
    out.result(
        "group created",
        {
            "agency": agency.address,
            "group": "0x" + key.public.fingerprint().hex(),
            "modulus_bits": args.bits,
            "group_file": str(args.group_out),
            "keystore": str(store.path),
        },
    )


def cmd_agency_show(args: argparse.Namespace, out: Any) -> None:
    """The agency's records from its state: members, joins in flight, primes, uploads, ballots."""
    agency = _agency(args)
    state = agency.state
    members = state.members()
    out.result(
        f"agency {agency.address}",
        {
            "agency": agency.address,
            "group": "0x" + agency.public.fingerprint().hex(),
            "state": state.url,
            "members": [m.user for m in members],
            "joins_in_flight": ["0x" + j.join_id.hex() for j in state.joins()],
            "admitted": list(state.admitted()),
            "stocked_primes": len(state.primes()),
            "uploads": ["0x" + f.hex() for f in state.upload_ids()],
            "ballots": [f"{b.ballot_id}:{b.action}" for b in state.ballots()],
        },
    )


def cmd_agency_stock_primes(args: argparse.Namespace, out: Any) -> None:
    """Search certificate primes ahead of the joins, with a progress bar; keep them in the state."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    agency = _agency(args)
    if args.count <= 0:
        raise InvalidInputError(f"--count must be positive, got {args.count}")
    bits = agency.public.params.gamma1 + 1
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out.err,
        disable=out.as_json,
    ) as progress:
        task = progress.add_task(f"{bits}-bit certificate primes", total=args.count)
        agency.stock_primes(args.count, on_prime=lambda found: progress.update(task, completed=found))
    out.result("primes stocked", {"added": args.count, "stocked": len(agency.manager.stocked_primes), "bits": bits})


def cmd_agency_admit(args: argparse.Namespace, out: Any) -> None:
    """Admit a user's identity (an address checked out of band) to one join."""
    from offchain.chain.addresses import require_address

    agency = _agency(args)
    agency.admit(args.user)
    out.result("admitted", {"user": require_address(args.user, "user"), "agency": agency.address})


def cmd_agency_challenge(args: argparse.Namespace, out: Any) -> None:
    """Join step 2: check a user's request and write the challenge (the join is kept in the state)."""
    request = gs.join_message_from_json(_read_text(args.request, "join request"), gs.JoinRequest)
    agency = _agency(args)
    challenge = agency.challenge_join(request, args.user)
    _write(args.out, gs.join_message_to_json(challenge))
    out.result("challenged", {"join_id": "0x" + request.join_id.hex(), "user": args.user, "challenge": args.out})


def cmd_agency_certify(args: argparse.Namespace, out: Any) -> None:
    """Join step 4: with the user's receipt, issue the certificate and list the member."""
    response, receipt = _read_response(args.response)
    agency = _agency(args)
    certificate = agency.certify(response, receipt)
    _write(args.out, gs.join_message_to_json(certificate))
    out.result(
        "certified",
        {
            "join_id": "0x" + response.join_id.hex(),
            "user": receipt.user,
            "members": agency.member_count,
            "certificate": args.out,
        },
    )


def cmd_agency_accept(args: argparse.Namespace, out: Any) -> None:
    """Check a member's upload against the blocks the storage service holds; record it on chain."""
    from offchain.cli import _clients
    from offchain.protocols.group_member import GroupUpload

    upload = GroupUpload.from_json(_read_text(args.upload, "upload file"))
    agency = _agency(args)
    (storage,) = _clients(args, [args.storage], None, None)
    record = agency.accept_upload(upload, storage)
    out.result(
        "recorded",
        {
            "file_id": "0x" + upload.file_id.hex(),
            "agency": agency.address,
            "merkle_root": "0x" + upload.merkle_root.hex(),
            "blocks": upload.block_count,
            "tx": record.tx_hash,
        },
    )


# ---- the member -----------------------------------------------------------------------------


def cmd_join_start(args: argparse.Namespace, out: Any) -> None:
    """Join step 1: check the group's setup, commit to the secret; the applicant goes to the keystore."""
    group = _group(args)
    identity = _identity(args)
    gs.check_group_setup(group)  # a manager who chose related bases could frame its members
    store = keystore_for_writing(args)
    if JOIN_SECRET in store.names() and not args.force:
        raise InvalidInputError(f"{store.path} holds a join in progress; --force starts another")
    applicant = gs.JoinApplicant(group)
    request = applicant.request()
    store.put(JOIN_SECRET, applicant.export_secret())
    _write(args.out, gs.join_message_to_json(request))
    out.result(
        "join requested",
        {
            "join_id": "0x" + request.join_id.hex(),
            "user": str(identity.address),
            "group": "0x" + group.fingerprint().hex(),
            "request": args.out,
        },
    )


def _applicant(store: Keystore, group: gs.GroupPublicKey) -> gs.JoinApplicant:
    return gs.JoinApplicant.restore(group, store.get(JOIN_SECRET))


def cmd_join_respond(args: argparse.Namespace, out: Any) -> None:
    """Join step 3: answer the challenge and sign the join receipt (written together)."""
    from offchain.cli import _open_keystore
    from offchain.protocols.group_member import JoinReceipt

    group = _group(args)
    identity = _identity(args)
    challenge = gs.join_message_from_json(_read_text(args.challenge, "join challenge"), gs.JoinChallenge)
    store = _open_keystore(args)
    applicant = _applicant(store, group)
    request = gs.join_message_from_json(_read_text(args.request, "join request"), gs.JoinRequest)
    response = applicant.respond(request, challenge)
    receipt = JoinReceipt.sign(identity, group, response)
    store.put(JOIN_SECRET, applicant.export_secret())  # now with x_i
    document = {
        "response": parse_json(gs.join_message_to_json(response)),
        "receipt": {"user": receipt.user, "signature": "0x" + receipt.signature.hex()},
    }
    _write(args.out, json.dumps(document, sort_keys=True))
    out.result("join answered", {"join_id": "0x" + response.join_id.hex(), "user": receipt.user, "response": args.out})


def _read_response(path: str) -> tuple[gs.JoinResponse, Any]:
    from offchain.protocols.group_member import JoinReceipt

    try:
        document = parse_json(_read_text(path, "join response"))
        response = gs.join_message_from_json(json.dumps(document["response"]), gs.JoinResponse)
        signature = bytes.fromhex(str(document["receipt"]["signature"]).removeprefix("0x"))
        user = str(document["receipt"]["user"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{path} is not a join response with its receipt: {exc!r}") from None
    return response, JoinReceipt(user, response.join_id, int(response.c2), signature)


def cmd_join_finish(args: argparse.Namespace, out: Any) -> None:
    """Join step 5: check the certificate and keep the member key in the keystore."""
    from offchain.cli import _open_keystore

    group = _group(args)
    certificate = gs.join_message_from_json(_read_text(args.certificate, "certificate"), gs.MembershipCertificate)
    store = _open_keystore(args)
    member = _applicant(store, group).complete(certificate)
    store.put(MEMBER_SECRET, member.to_json().encode())
    if UPLOAD_MASTER_SECRET not in store.names():
        store.put(UPLOAD_MASTER_SECRET, secrets.token_bytes(32))
    store.remove(JOIN_SECRET)
    out.result("joined", {"group": "0x" + group.fingerprint().hex(), "join_id": "0x" + certificate.join_id.hex()})


def cmd_upload(args: argparse.Namespace, out: Any) -> None:
    """Encrypt a file, store it anonymously on the storage service under a group signature."""
    from offchain.cli import _clients, _open_keystore
    from offchain.protocols.group_member import GroupMember

    content = read_input(args.path, "file")
    store = _open_keystore(args)
    key = gs.MemberKey.from_json(store.get(MEMBER_SECRET).decode())
    member = GroupMember(key, identity=None, master_secret=store.get(UPLOAD_MASTER_SECRET))
    (storage,) = _clients(args, [args.storage], None, None)  # no account: the upload is anonymous
    upload, _ = member.upload(content, storage, block_size=args.block_size)
    _write(args.out, upload.to_json())
    out.result(
        "uploaded anonymously",
        {
            "file_id": "0x" + upload.file_id.hex(),
            "locator": upload.locator,
            "blocks": upload.block_count,
            "group": "0x" + upload.group.hex(),
            "upload": args.out,
        },
    )


# ---- traces ---------------------------------------------------------------------------------


def _ballot_fields(ballot: Any, quorum: int) -> dict[str, Any]:
    return {
        "ballot_id": ballot.ballot_id,
        "status": ballot.status.name.lower(),
        "approvals": ballot.approvals,
        "quorum": quorum,
        "tx": ballot.tx_hash,
    }


def cmd_trace_request(args: argparse.Namespace, out: Any) -> None:
    """Ask the consortium to trace the signer of a record (the request counts as a vote for)."""
    from offchain.chain.addresses import require_address

    file_id = _file_id(args.file_id)
    agency = _agency(args)
    ballot = agency.request_trace(require_address(args.record_agency, "--record-agency"), file_id, args.reason)
    out.result("trace requested", {**_ballot_fields(ballot, agency.consortium.quorum()), "file_id": args.file_id})


def cmd_trace_vote(args: argparse.Namespace, out: Any) -> None:
    """Vote on a trace request."""
    agency = _agency(args)
    ballot = agency.vote(args.ballot_id, support=not args.against)
    out.result("voted", {**_ballot_fields(ballot, agency.consortium.quorum()), "support": not args.against})


def cmd_trace_open(args: argparse.Namespace, out: Any) -> None:
    """Open the signer of an approved trace of one of this agency's records and publish it."""
    agency = _agency(args)
    published = agency.open_trace(args.ballot_id)
    out.result(
        "trace opened",
        {"ballot_id": args.ballot_id, "file_id": "0x" + published.file_id.hex(), "signer": published.signer},
    )


def cmd_trace_check(args: argparse.Namespace, out: Any) -> None:
    """Anyone: check a published opening (the trace approved, the proofs, the join receipt)."""
    from offchain.protocols.agency import check_published_opening
    from offchain.protocols.group_member import GroupUpload

    group = _group(args)
    upload = GroupUpload.from_json(_read_text(args.upload, "upload file"))
    signer = check_published_opening(_consortium(args), args.ballot_id, group, upload.signature)
    out.result(
        "opening checked",
        {"ballot_id": args.ballot_id, "file_id": "0x" + upload.file_id.hex(), "signer": signer, "valid": True},
    )


# ---- membership and ballots ------------------------------------------------------------------


def _ballot_json(ballot: Any, quorum: int) -> dict[str, Any]:
    """Everything a person deciding on a ballot wants to see, as JSON values."""
    subject = ballot.account if ballot.account is not None else "0x" + ballot.subject.hex()
    return {
        **_ballot_fields(ballot, quorum),
        "kind": ballot.kind.name.lower(),
        "subject": subject,
        "proposer": ballot.proposer,
        "record_agency": ballot.record_agency,
        "rejections": ballot.rejections,
        "deadline": ballot.deadline,
        "epoch": ballot.epoch,
    }


def _keep_ballot_step(args: argparse.Namespace, ballot: Any, action: str, support: bool) -> None:
    """Record a ballot step this agency's account took in its state database."""
    from offchain.protocols.agency_state import BallotRecord

    detail = f"{ballot.kind.name.lower()} of {ballot.account}" if ballot.account is not None else ""
    state = _state(args)
    try:
        state.record_ballot(BallotRecord(ballot.ballot_id, action, ballot.file_id, support, detail, ballot.tx_hash))
    finally:
        state.close()


def cmd_members_show(args: argparse.Namespace, out: Any) -> None:
    """The consortium's members, the quorum and the membership epoch."""
    consortium = _consortium(args)
    members = consortium.members()
    out.result(
        f"{len(members)} agencies, quorum {consortium.quorum()}",
        {"members": members, "quorum": consortium.quorum(), "epoch": consortium.membership_epoch()},
    )


def _propose(args: argparse.Namespace, out: Any, kind: str) -> None:
    from offchain.cli import _account

    consortium = _consortium(args)
    account = _account(args)
    if kind == "admission":
        ballot = consortium.propose_admission(sender=account, candidate=args.address)
    else:
        ballot = consortium.propose_removal(sender=account, member=args.address)
    _keep_ballot_step(args, ballot, "requested", True)
    out.result(f"{kind} of {ballot.account} proposed", _ballot_json(ballot, consortium.quorum()))


def cmd_members_propose_admission(args: argparse.Namespace, out: Any) -> None:
    """Open a ballot to admit an agency (the proposal counts as a vote for)."""
    _propose(args, out, "admission")


def cmd_members_propose_removal(args: argparse.Namespace, out: Any) -> None:
    """Open a ballot to remove an agency (the proposal counts as a vote for)."""
    _propose(args, out, "removal")


def cmd_ballot_show(args: argparse.Namespace, out: Any) -> None:
    """Anyone: a ballot as the chain has it."""
    consortium = _consortium(args)
    ballot = consortium.get_ballot(args.ballot_id)
    out.result(f"ballot {ballot.ballot_id}: {ballot.status.name.lower()}", _ballot_json(ballot, consortium.quorum()))


def cmd_ballot_vote(args: argparse.Namespace, out: Any) -> None:
    """Vote on any ballot (admission, removal or trace) with the agency's account."""
    from offchain.cli import _account

    consortium = _consortium(args)
    support = not args.against
    ballot = consortium.vote(sender=_account(args), ballot_id=args.ballot_id, support=support)
    _keep_ballot_step(args, ballot, "voted", support)
    out.result("voted", {**_ballot_json(ballot, consortium.quorum()), "support": support})


def cmd_ballot_expire(args: argparse.Namespace, out: Any) -> None:
    """Anyone: close a ballot pending past its deadline, or stale after a membership change."""
    from offchain.cli import _account

    consortium = _consortium(args)
    ballot = consortium.expire(sender=_account(args), ballot_id=args.ballot_id)
    out.result(f"ballot {ballot.ballot_id} closed", _ballot_json(ballot, consortium.quorum()))


# ---- the parser -----------------------------------------------------------------------------


def register(commands: Any) -> None:
    """Add ``consortium`` and its sub-commands to the top-level ``commands`` sub-parsers."""
    consortium = commands.add_parser(
        "consortium",
        help="agencies' groups, anonymous uploads and traces (Huang et al. 2020)",
        description="The steps of a consortium's agencies and members, one invocation each. Secrets stay in the "
        "encrypted keystore, the agency's records in its state database (--database); messages between an agency "
        "and a user travel as JSON files (--out), none of them secret.",
        epilog=_EXIT_CODES_HELP,
    )
    consortium.add_argument("--consortium", help="Consortium address (default: from the deployment record)")
    consortium.add_argument(
        "--database", help=f"the agency's state: a path or SQLAlchemy URL (default: {_STATE_FILE} beside the keystore)"
    )
    consortium.add_argument("--name", default="agency", help="the agency's display name (logs)")
    steps = consortium.add_subparsers(dest="consortium_command", required=True, metavar="STEP")

    agency = steps.add_parser("agency", help="the agency's steps")
    actions = agency.add_subparsers(dest="agency_command", required=True, metavar="ACTION")
    init = actions.add_parser("init", help="create the group: manager key → keystore, key hash and seed on chain")
    init.add_argument(
        "--bits", type=int, default=gs.DEFAULT_MODULUS_BITS, help="modulus size, 1024 (tests only) to 4096"
    )
    init.add_argument("--group-out", required=True, help="where to write the group public key (for the members)")
    init.add_argument("--force", action="store_true", help="replace a manager key in the keystore")
    init.set_defaults(run=cmd_agency_init)
    actions.add_parser("show", help="the agency's records: members, joins, primes, uploads, ballots").set_defaults(
        run=cmd_agency_show
    )
    stock = actions.add_parser("stock-primes", help="search certificate primes ahead of the joins")
    stock.add_argument("--count", type=int, required=True)
    stock.set_defaults(run=cmd_agency_stock_primes)
    admit = actions.add_parser("admit", help="admit a user's identity to one join")
    admit.add_argument("user", help="the user's address")
    admit.set_defaults(run=cmd_agency_admit)
    challenge = actions.add_parser("challenge", help="join step 2: answer a user's request")
    challenge.add_argument("request", help="the user's request file")
    challenge.add_argument("--user", required=True, help="the admitted address running this join")
    challenge.add_argument("--out", required=True, help="where to write the challenge")
    challenge.set_defaults(run=cmd_agency_challenge)
    certify = actions.add_parser("certify", help="join step 4: issue the certificate against the receipt")
    certify.add_argument("response", help="the user's response file (with its join receipt)")
    certify.add_argument("--out", required=True, help="where to write the certificate")
    certify.set_defaults(run=cmd_agency_certify)
    accept = actions.add_parser("accept", help="check a member's upload and record it on chain")
    accept.add_argument("upload", help="the member's upload file")
    accept.add_argument("--storage", required=True, help="storage service URL")
    accept.set_defaults(run=cmd_agency_accept)

    join = steps.add_parser("join", help="a user's steps of the join")
    join_steps = join.add_subparsers(dest="join_command", required=True, metavar="ACTION")
    start = join_steps.add_parser("start", help="step 1: the request (secrets → keystore)")
    start.add_argument("--group", required=True, help="the agency's group public key file")
    start.add_argument("--out", required=True, help="where to write the request")
    start.add_argument("--force", action="store_true", help="abandon a join in progress")
    start.set_defaults(run=cmd_join_start)
    respond = join_steps.add_parser("respond", help="step 3: the response and the signed join receipt")
    respond.add_argument("challenge", help="the agency's challenge file")
    respond.add_argument("--request", required=True, help="the request file of step 1")
    respond.add_argument("--group", required=True, help="the agency's group public key file")
    respond.add_argument("--out", required=True, help="where to write the response")
    respond.set_defaults(run=cmd_join_respond)
    finish = join_steps.add_parser("finish", help="step 5: check the certificate; member key → keystore")
    finish.add_argument("certificate", help="the agency's certificate file")
    finish.add_argument("--group", required=True, help="the agency's group public key file")
    finish.set_defaults(run=cmd_join_finish)

    upload = steps.add_parser("upload", help="a member's anonymous upload to the storage service")
    upload.add_argument("path", help="the plaintext file")
    upload.add_argument("--storage", required=True, help="storage service URL")
    upload.add_argument("--block-size", type=int, default=4096, help="Merkle block size in bytes")
    upload.add_argument("--out", required=True, help="where to write the upload (for the agency)")
    upload.set_defaults(run=cmd_upload)

    trace = steps.add_parser("trace", help="request, vote on and open traces")
    trace_steps = trace.add_subparsers(dest="trace_command", required=True, metavar="ACTION")
    request = trace_steps.add_parser("request", help="ask to trace the signer of a record")
    request.add_argument("file_id")
    request.add_argument("--record-agency", required=True, help="the agency that recorded the upload")
    request.add_argument("--reason", required=True, help="why (kept off chain; its hash goes on chain)")
    request.set_defaults(run=cmd_trace_request)
    vote = trace_steps.add_parser("vote", help="vote on a trace request")
    vote.add_argument("ballot_id", type=int)
    vote.add_argument("--against", action="store_true", help="vote against (default: for)")
    vote.set_defaults(run=cmd_trace_vote)
    open_ = trace_steps.add_parser("open", help="open an approved trace of one of this agency's records")
    open_.add_argument("ballot_id", type=int)
    open_.set_defaults(run=cmd_trace_open)
    check = trace_steps.add_parser("check", help="anyone: check a published opening against the chain")
    check.add_argument("ballot_id", type=int)
    check.add_argument("--group", required=True, help="the record agency's group public key file")
    check.add_argument("--upload", required=True, help="the upload file (its group signature)")
    check.set_defaults(run=cmd_trace_check)

    members = steps.add_parser("members", help="the consortium's agencies: list them, propose admissions and removals")
    member_steps = members.add_subparsers(dest="members_command", required=True, metavar="ACTION")
    member_steps.add_parser("show", help="the members, the quorum and the membership epoch").set_defaults(
        run=cmd_members_show
    )
    admission = member_steps.add_parser("propose-admission", help="open a ballot to admit an agency")
    admission.add_argument("address", help="the candidate agency's account")
    admission.set_defaults(run=cmd_members_propose_admission)
    removal = member_steps.add_parser("propose-removal", help="open a ballot to remove an agency")
    removal.add_argument("address", help="the member agency's account")
    removal.set_defaults(run=cmd_members_propose_removal)

    ballot = steps.add_parser("ballot", help="show, vote on and close any ballot")
    ballot_steps = ballot.add_subparsers(dest="ballot_command", required=True, metavar="ACTION")
    show = ballot_steps.add_parser("show", help="anyone: a ballot as the chain has it")
    show.add_argument("ballot_id", type=int)
    show.set_defaults(run=cmd_ballot_show)
    ballot_vote = ballot_steps.add_parser("vote", help="vote on an admission, removal or trace ballot")
    ballot_vote.add_argument("ballot_id", type=int)
    ballot_vote.add_argument("--against", action="store_true", help="vote against (default: for)")
    ballot_vote.set_defaults(run=cmd_ballot_vote)
    expire = ballot_steps.add_parser("expire", help="anyone: close a ballot past its deadline or stale")
    expire.add_argument("ballot_id", type=int)
    expire.set_defaults(run=cmd_ballot_expire)
