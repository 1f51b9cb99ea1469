"""``datashare ledger``: the confidential ledger's steps by hand (issue 17).

Research: Zheng et al. 2018 (J. Comput. Sci. Technol.) §4.2 and §4.5; see
:mod:`offchain.protocols.ledger_account` and :mod:`offchain.protocols.ledger_trustee`.

* the dealer: ``deal`` deals a (p, t)-threshold Paillier key, deploys a ``ConfidentialLedger``
  for it, seals each trustee's key share and account key in the keystore named by
  ``--keystore`` (the board's: :class:`~offchain.protocols.ledger_trustee.TrusteeBoard` runs
  the trustees of one process) and writes the public key to ``--public-key-out``;
* an account: ``deposit``, ``pay`` (among decoys, under the anonymity-set rule, the proof
  written for the trustees; kept in the state before the transfer is sent, so a crash loses
  neither), ``proof`` (write a kept payment's proof again), ``fold`` (settled credits into the
  balance), ``withdraw`` (ask; ``--collect`` the ether once approved);
* the trustees: ``review`` (a transfer with its proof, or a withdrawal; with neither, the
  reviews journaled and not finished), ``balance`` (decrypt an account's balance), ``audit``
  (accounts, or ``--supply``: the books against the ether backing them).

State (:mod:`offchain.protocols.ledger_state`): ``--database`` (a path or an SQLAlchemy URL;
default ``ledger.sqlite`` beside the keystore) holds the ledger's public key, the account's
anonymity sets (sealed under the account's book key), payments and withdrawals, and the
trustees' review journal; the key shares, the trustees' account keys and each account's book
key are only in the encrypted keystore (an account's commands create it on first use).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from offchain.atomic_io import atomic_write_bytes, atomic_write_text
from offchain.commands.deployed import address_and_block, keystore_for_writing, read_input, spinner, state_database
from offchain.errors import InvalidInputError, UnknownSecretError

__all__ = ["register"]

LEDGER_CONTRACT = "ConfidentialLedger"


def _ledger(args: argparse.Namespace) -> Any:
    from offchain.chain.contracts import contract_at
    from offchain.chain.ledger import ConfidentialLedgerClient

    address, block = address_and_block(args, LEDGER_CONTRACT, args.ledger)
    return ConfidentialLedgerClient(contract_at(LEDGER_CONTRACT, address), from_block=block)


def _state(args: argparse.Namespace, ledger: Any) -> Any:
    from offchain.protocols.ledger_state import LedgerState

    return LedgerState(state_database(args, "ledger.sqlite"), ledger.address)


def _public_key(args: argparse.Namespace, state: Any) -> Any:
    """``--public-key`` (kept in the state from then on), else the key kept before."""
    from offchain.crypto.threshold_paillier import ThresholdPublicKey

    if args.public_key:
        key = ThresholdPublicKey.from_json(read_input(args.public_key, "public key").decode("utf-8", "replace"))
        state.set_public_key(key)
        return key
    kept = state.public_key()
    if kept is None:
        raise InvalidInputError(f"no public key known for ledger {state.ledger}: give --public-key once")
    return kept


def _account_of(args: argparse.Namespace, *, paying: bool = False) -> tuple[Any, Any, Any]:
    """The ledger client, the state and the caller's :class:`LedgerAccount`.

    ``paying``: the account gets its book of anonymity sets from the state, sealed under its
    book key in the keystore (created if there is none yet); the other steps never consult the
    book and need no keystore."""
    from offchain.cli import _account
    from offchain.protocols.ledger_account import LedgerAccount
    from offchain.protocols.ledger_state import book_key

    ledger = _ledger(args)
    state = _state(args, ledger)
    account = _account(args)
    book = state.book(account.address, book_key(keystore_for_writing(args), account.address)) if paying else None
    state.recover_payments(ledger, account.address)  # a transfer sent just before a crash
    return ledger, state, LedgerAccount(account, ledger, _public_key(args, state), book=book)


def _board(args: argparse.Namespace, ledger: Any) -> Any:
    """The trustees whose shares and account keys the keystore holds, as one board."""
    from brownie import accounts

    from offchain.cli import _open_keystore
    from offchain.protocols.ledger_state import key_share
    from offchain.protocols.ledger_trustee import LedgerTrustee, TrusteeBoard

    store = _open_keystore(args)
    trustees = []
    for index in range(1, len(ledger.trustees()) + 1):
        try:
            share = key_share(store, ledger.address, index)
            key = store.get(_account_key_name(ledger.address, index)).decode()
        except UnknownSecretError:
            continue
        trustees.append(LedgerTrustee(f"trustee-{index}", accounts.add(key), share))
    if len(trustees) < ledger.threshold():
        raise InvalidInputError(
            f"the keystore holds {len(trustees)} trustees' shares of ledger {ledger.address}; "
            f"{ledger.threshold()} are needed"
        )
    return TrusteeBoard(ledger, trustees)


def _account_key_name(ledger: str, index: int) -> str:
    return f"ledger/{ledger.lower()}/account-{index}"


def _amount(value: str) -> int:
    try:
        amount = int(value, 0)
    except ValueError:
        raise InvalidInputError(f"an amount is an integer number of wei, got {value!r}") from None
    if amount <= 0:
        raise InvalidInputError(f"an amount must be positive, got {amount}")
    return amount


# ---- the dealer ----------------------------------------------------------------------------


def cmd_deal(args: argparse.Namespace, out: Any) -> None:
    """Deal a threshold key, deploy the ledger, seal the shares and trustees' keys in the keystore."""
    from offchain.chain.ledger import deploy_ledger
    from offchain.cli import _account, _address_of_key, _connect, _open_keystore
    from offchain.crypto import threshold_paillier as tp
    from offchain.protocols.ledger_state import seal_key_share

    keys = [read_input(path, "trustee key file").decode("utf-8", "replace").strip() for path in args.trustee_key_file]
    trustees = [_address_of_key(key) for key in keys]
    store = _open_keystore(args)  # before the slow part: a wrong passphrase fails at once
    _connect(args)
    with spinner(out) as progress:
        progress.add_task(f"searching {args.bits}-bit safe primes for a ({len(keys)}, {args.threshold}) key")
        public_key, shares = tp.generate_threshold_keypair(args.bits, len(keys), args.threshold)
    ledger = deploy_ledger(
        _account(args),
        modulus=public_key.n,
        trustees=trustees,
        threshold=args.threshold,
        record_path=Path(args.deployment) if args.deployment else None,
    )
    for key, share in zip(keys, shares, strict=True):
        seal_key_share(store, ledger.address, share)
        store.put(_account_key_name(ledger.address, share.index), key.encode())
    _state(args, ledger).set_public_key(public_key)
    atomic_write_text(Path(args.public_key_out), public_key.to_json() + "\n")
    out.result(
        "ledger deployed",
        {
            "ledger": ledger.address,
            "modulus_bits": public_key.n.bit_length(),
            "trustees": trustees,
            "threshold": args.threshold,
            "public_key": str(args.public_key_out),
        },
    )


# ---- an account ----------------------------------------------------------------------------


def cmd_deposit(args: argparse.Namespace, out: Any) -> None:
    """Deposit ether into the caller's encrypted balance."""
    amount = _amount(args.amount_wei)
    ledger, _, account = _account_of(args)
    update = account.deposit(amount)
    out.result(
        "deposited",
        {
            "ledger": ledger.address,
            "account": account.address,
            "amount_wei": amount,
            "balance_ciphertext_bits": update.ciphertext.bit_length(),
        },
    )


def cmd_pay(args: argparse.Namespace, out: Any) -> None:
    """Pay a receiver among decoys (the anonymity-set rule), and write the proof for the trustees."""
    from offchain.chain.addresses import require_address

    receiver = require_address(args.receiver, "receiver", nonzero=True)
    amount = _amount(args.amount_wei)
    ledger, state, account = _account_of(args, paying=True)
    with spinner(out) as progress:
        progress.add_task("proving the transfer (range and conservation proofs)")
        payment = account.pay(
            receiver,
            amount,
            candidates=args.candidate,
            set_size=args.set_size,
            on_proved=lambda proof: state.keep_proof(account.address, proof),
        )
    state.add_payment(payment)
    atomic_write_bytes(Path(args.proof_out), payment.proof.to_bytes())
    out.result(
        "payment submitted (pending the trustees' review)",
        {
            "ledger": ledger.address,
            "transfer_id": payment.transfer.transfer_id,
            "accounts": list(payment.transfer.accounts),
            "proof": str(args.proof_out),
            "proving_ms": round(1000 * payment.proving_s),
        },
    )


def cmd_proof(args: argparse.Namespace, out: Any) -> None:
    """Write again the proof of a kept payment (for the trustees), e.g. after a crash."""
    ledger, state, account = _account_of(args)
    kept = state.payment(args.transfer_id)
    if kept is None or kept.account != account.address:
        raise InvalidInputError(f"{account.address} kept no payment {args.transfer_id} on ledger {ledger.address}")
    atomic_write_bytes(Path(args.out), kept.proof)
    out.result(
        "proof written",
        {"ledger": ledger.address, "transfer_id": kept.transfer_id, "state": kept.state, "proof": str(args.out)},
    )


def cmd_fold(args: argparse.Namespace, out: Any) -> None:
    """Fold settled credits into the balance; update the kept payments' and withdrawals' states."""
    from offchain.chain.ledger import TransferState

    ledger, state, account = _account_of(args)
    updates = account.fold_credits()
    for kept in state.payments(account.address, state=TransferState.PENDING.name.lower()):
        state.set_payment_state(kept.transfer_id, ledger.transfer_of(kept.transfer_id).state)
    for request_id, _, known in state.withdrawals(account.address):
        if known == "pending":
            state.set_withdrawal_state(request_id, ledger.withdrawal(request_id).state)
    out.result(
        "credits folded",
        {
            "ledger": ledger.address,
            "account": account.address,
            "fold_transactions": len(updates),
            "payments": {str(p.transfer_id): p.state for p in state.payments(account.address)},
            "withdrawals": {str(i): s for i, _, s in state.withdrawals(account.address)},
        },
    )


def cmd_withdraw(args: argparse.Namespace, out: Any) -> None:
    """Ask the trustees to pay out an amount, or (``--collect``) collect what they released."""
    from offchain.chain.ledger import WithdrawalState

    if args.collect == (args.amount_wei is not None):
        raise InvalidInputError("withdraw takes an amount in wei or --collect (one of them)")
    if not args.collect:
        amount = _amount(args.amount_wei)
        ledger, state, account = _account_of(args)
        request = account.request_withdrawal(amount)
        state.add_withdrawal(request.request_id, account.address, request.amount_wei)
        out.result(
            "withdrawal requested (pending the trustees' review)",
            {"ledger": ledger.address, "request_id": request.request_id, "amount_wei": request.amount_wei},
        )
        return
    ledger, state, account = _account_of(args)
    collected = account.withdraw()
    for request_id, _, known in state.withdrawals(account.address):
        if known in ("pending", "executed") and ledger.withdrawal(request_id).state is WithdrawalState.EXECUTED:
            state.set_withdrawal_state(request_id, "collected")
    out.result(
        "collected",
        {
            "ledger": ledger.address,
            "account": account.address,
            "collected_wei": collected,
            "withdrawals": {str(i): known for i, _, known in state.withdrawals(account.address)},
        },
    )


# ---- the trustees --------------------------------------------------------------------------


def cmd_review(args: argparse.Namespace, out: Any) -> None:
    """Review a transfer (with its proof) or a withdrawal; with neither, finish journaled reviews."""
    if args.transfer is not None and args.withdrawal is not None:
        raise InvalidInputError("review one transfer or one withdrawal at a time")
    proof = b""
    if args.transfer is not None:
        if args.proof is None:
            raise InvalidInputError("reviewing a transfer needs --proof (the file the payer wrote)")
        proof = read_input(args.proof, "proof")
    ledger = _ledger(args)
    state = _state(args, ledger)
    board = _board(args, ledger)
    if args.transfer is not None:
        done = [state.review_transfer(board, args.transfer, proof)]
    elif args.withdrawal is not None:
        done = [state.review_withdrawal(board, args.withdrawal)]
    else:
        done = list(state.resume(board))
    out.result(
        "reviewed",
        {
            "ledger": ledger.address,
            "reviews": [{"kind": r.kind, "id": r.item_id, "accepted": r.accepted, "detail": r.detail} for r in done],
        },
    )


def cmd_balance(args: argparse.Namespace, out: Any) -> None:
    """Decrypt an account's balance (t trustees' partial decryptions, every proof checked)."""
    from offchain.chain.addresses import require_address

    ledger = _ledger(args)
    address = require_address(args.account_address, "account", nonzero=True)
    balance = _board(args, ledger).balance_of(address)
    out.result("balance", {"ledger": ledger.address, "account": address, "balance_wei": balance})


def cmd_audit(args: argparse.Namespace, out: Any) -> None:
    """Audit balances (out of range: reported, freezing the account), or the whole supply."""
    from offchain.chain.addresses import require_address

    if not args.supply and not args.account_address:
        raise InvalidInputError("audit needs accounts, or --supply")
    ledger = _ledger(args)
    board = _board(args, ledger)
    fields: dict[str, Any] = {"ledger": ledger.address}
    if args.supply:
        books = board.audit_supply()
        fields.update(
            accounts=books.accounts,
            balances_wei=books.balances_wei,
            backing_wei=books.backing_wei,
            balanced=books.balanced,
        )
    audits = [board.audit(require_address(a, "account", nonzero=True)) for a in args.account_address]
    fields["audits"] = [
        {"account": a.account, "balance_wei": a.balance_wei, "in_range": a.in_range, "frozen": a.frozen} for a in audits
    ]
    out.result("audited", fields)


# ---- the parser ----------------------------------------------------------------------------


def register(commands: Any) -> None:
    """Add ``ledger`` and its actions to the ``datashare`` sub-parsers ``commands``."""
    from offchain.cli import _Parser

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ledger", help=f"{LEDGER_CONTRACT} address (default: from the deployment record)")
    common.add_argument("--database", help="state database: a path or an SQLAlchemy URL (default: ledger.sqlite "
                        "beside the keystore)")  # fmt: skip
    account = argparse.ArgumentParser(add_help=False, parents=[common])
    account.add_argument("--public-key", help="the ledger's threshold public key (JSON); kept in the state")

    ledger = commands.add_parser("ledger", help="the confidential ledger: deposits, payments, reviews, audits")
    actions = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION", parser_class=_Parser)

    deal = actions.add_parser("deal", parents=[common], help="deal a threshold key and deploy the ledger (the CA)")
    deal.add_argument("--trustee-key-file", action="append", required=True,
                      help="a trustee's hex private key file, share 1 first (repeat)")  # fmt: skip
    deal.add_argument("--threshold", type=int, required=True, help="t: trustees needed to decrypt")
    deal.add_argument("--bits", type=int, default=2048, help="modulus size")
    deal.add_argument("--public-key-out", required=True, help="where to write the public key for the accounts")
    deal.set_defaults(run=cmd_deal)

    deposit = actions.add_parser("deposit", parents=[account], help="deposit ether into the encrypted balance")
    deposit.add_argument("amount_wei")
    deposit.set_defaults(run=cmd_deposit)

    pay = actions.add_parser("pay", parents=[account], help="pay among decoys; writes the proof for the trustees")
    pay.add_argument("receiver")
    pay.add_argument("amount_wei")
    pay.add_argument("--candidate", action="append", default=[], help="an account decoys may be drawn from")
    pay.add_argument("--set-size", type=int, help="receiver plus decoys (first payment to the receiver)")
    pay.add_argument("--proof-out", required=True, help="where to write the proof (hand it to the trustees)")
    pay.set_defaults(run=cmd_pay)

    proof = actions.add_parser("proof", parents=[account], help="write a kept payment's proof again")
    proof.add_argument("transfer_id", type=int)
    proof.add_argument("--out", required=True, help="where to write it")
    proof.set_defaults(run=cmd_proof)

    actions.add_parser("fold", parents=[account], help="fold settled credits into the balance").set_defaults(
        run=cmd_fold
    )

    withdraw = actions.add_parser("withdraw", parents=[account], help="ask for a payout, or --collect it")
    withdraw.add_argument("amount_wei", nargs="?")
    withdraw.add_argument("--collect", action="store_true", help="collect the ether the trustees released")
    withdraw.set_defaults(run=cmd_withdraw)

    review = actions.add_parser("review", parents=[common], help="the trustees review a transfer or a withdrawal")
    review.add_argument("--transfer", type=int, help="the transfer id")
    review.add_argument("--proof", help="the transfer's proof file (from `ledger pay`)")
    review.add_argument("--withdrawal", type=int, help="the withdrawal request id")
    review.set_defaults(run=cmd_review)

    balance = actions.add_parser("balance", parents=[common], help="the trustees decrypt an account's balance")
    balance.add_argument("account_address")
    balance.set_defaults(run=cmd_balance)

    audit = actions.add_parser("audit", parents=[common], help="the trustees audit balances or the supply")
    audit.add_argument("account_address", nargs="*")
    audit.add_argument("--supply", action="store_true", help="Σ balances against the ether backing them")
    audit.set_defaults(run=cmd_audit)
