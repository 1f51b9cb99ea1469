"""Confidential transfers on Paillier-encrypted balances, end to end on a local chain.

    brownie run scripts/ledger.py --network ganache-cli   # not run by the docs test: demo part 10 runs it

Research: Zheng et al. 2018 (J. Comput. Sci. Technol.), §4.5. The four agencies of the
consortium are the trustees: a CA deals them a 2048-bit (4, 3)-threshold Paillier key (t = 3 is
the consortium's ⌈2n/3⌉) and deploys a ``ConfidentialLedger`` for it. Five users deposit ether;
the chain adds each deposit to an encrypted balance itself. Alice pays Bob among two decoys
with a zero-knowledge proof that every other account is credited a non-negative amount and
that nothing is created; four accounts get a credit or a debit and an observer (the trustees
included) cannot tell which account was paid, nor how much. The transfer counts once three
trustees checked the proof and Alice's new balance and signed; every account then folds its
credit. Paying Bob again reuses the same anonymity set (the rule that defeats intersection);
each user keeps its sets sealed in its own ledger state, under a book key from its encrypted
keystore, as the ``datashare ledger`` commands do.
The trustees approve Bob's withdrawal (he collects the ether) and reject Carol's overdraft.
Then Dave attacks, as the paper's semi-honest model would let him: he names Erin as a "decoy"
with E(−0.5 ETH) and himself with E(+0.5 ETH) (the theft reproduced in the soundness issue), pays
more than he holds, and sends a delta ≡ 0 mod n that would freeze Erin's balance forever. The
contract refuses the last outright; the trustees reject the others, which roll back, and Dave's
third rejection freezes him. Erin loses nothing and the books balance.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from brownie import accounts, network

from offchain.chain import Session, settle
from offchain.chain.ledger import ConfidentialLedgerClient, deploy_ledger
from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import encrypt_raw
from offchain.errors import InvalidInputError, TransactionRevertedError
from offchain.keystore import Keystore
from offchain.protocols.ledger_account import LedgerAccount
from offchain.protocols.ledger_state import LedgerState, StoredAnonymitySetBook, book_key
from offchain.protocols.ledger_trustee import LedgerTrustee, TrusteeBoard

ETHER = 10**18
TRUSTEES = ("hospital-a", "hospital-b", "university", "bank")
USERS = ("alice", "bob", "carol", "dave", "erin")
DEPOSITS_WEI = {"alice": 5 * ETHER, "bob": 2 * ETHER, "carol": 1 * ETHER, "dave": 1 * ETHER, "erin": 1 * ETHER}


def _eth(wei: int) -> str:
    return f"{wei / ETHER:+.2f} ETH" if wei < 0 else f"{wei / ETHER:.2f} ETH"


def _short(ciphertext: int) -> str:
    return f"0x{ciphertext:x}"[:14] + "…"


def _sealed_book(workdir: Path, name: str, ledger: str, account: str) -> StoredAnonymitySetBook:
    """``name``'s book of anonymity sets in its own ledger state, sealed under a book key kept in
    its own encrypted keystore (a random passphrase: the demonstration never reopens it).

    The scenario's chain is new at every run and deploys the ledger again, often at the same
    address: a state left in ``workdir`` by an earlier run is of another chain and sealed under
    that run's key, so it is replaced, not reopened.
    """
    for stale in workdir.glob(f"{name}-ledger.sqlite*"):
        stale.unlink()
    keystore = Keystore.create(workdir / f"{name}.keystore", secrets.token_urlsafe(16), purpose=f"{name}'s ledger keys")
    return LedgerState(workdir / f"{name}-ledger.sqlite", ledger).book(account, book_key(keystore, account))


def run(session: Session, workdir: Path, *, bits: int = 2048) -> ConfidentialLedgerClient:
    """Deal the key, deploy the ledger for the consortium's agencies and play the scenario."""
    founders = session.consortium.members()
    by_address = {a.address.lower(): a for a in accounts}
    trustee_accounts = [by_address[f.lower()] for f in founders]
    threshold = session.consortium.quorum()
    public_key, shares = tp.generate_threshold_keypair(bits, len(trustee_accounts), threshold)
    ledger = deploy_ledger(trustee_accounts[0], modulus=public_key.n, trustees=trustee_accounts, threshold=threshold)
    print(
        f"   CA dealt a {bits}-bit ({len(shares)}, {threshold})-threshold key to the agencies; "
        f"ledger at {ledger.address}"
    )
    board = TrusteeBoard(
        ledger,
        [LedgerTrustee(n, a, s) for n, a, s in zip(TRUSTEES, trustee_accounts, shares, strict=False)],
    )
    people = {
        name: LedgerAccount(
            accounts[i + 1],
            ledger,
            public_key,
            book=_sealed_book(workdir, name, ledger.address, accounts[i + 1].address),
        )
        for i, name in enumerate(USERS)
    }
    print(f"   each user keeps its anonymity sets sealed in {workdir}/<user>-ledger.sqlite (key in <user>.keystore)")
    names = {p.address: name for name, p in people.items()}

    print("\n   deposits (public amounts: the chain adds E(amount) with r = 1 itself, so equal deposits")
    print("   leave equal ciphertexts until the first payment re-randomises them)")
    for name, amount in DEPOSITS_WEI.items():
        update = people[name].deposit(amount)
        print(f"   {name:<6} {_eth(amount):>9}   balance on chain {_short(update.ciphertext)}")

    alice, bob = people["alice"], people["bob"]
    candidates = [p.address for p in people.values()]

    def fold_everyone() -> None:
        for person in people.values():
            person.fold_credits()

    print("\n   alice pays bob 1.5 ETH among two decoys, with a proof")
    first = alice.pay(bob.address, 3 * ETHER // 2, candidates=candidates, set_size=3)
    touched = ", ".join(names[a] for a in first.transfer.accounts)
    print(
        f"   credits and a debit for {len(first.transfer.accounts)} accounts ({touched}) in one transfer, "
        f"gas {first.transfer.gas_used:,}; proof built in {1000 * first.proving_s:.0f} ms"
    )
    print("   an observer sees only fresh ciphertexts: it cannot tell who was paid, nor how much")
    review = board.review_transfer(first.transfer.transfer_id, first.proof)
    print(
        f"   3 trustees check the proof and alice's new balance ({_eth(review.sender_balance_after_wei or 0)}) "
        f"in {1000 * review.review_s:.0f} ms and sign: {review.state.name.lower()}"
    )
    fold_everyone()
    print("   every account folds its settled credit, zero or not, so folding tells nothing either")
    second = alice.pay(bob.address, ETHER // 2)
    board.review_transfer(second.transfer.transfer_id, second.proof)
    fold_everyone()
    print(
        f"   alice pays bob 0.5 ETH again: same anonymity set ({', '.join(names[a] for a in second.transfer.accounts)})"
    )
    try:
        alice.pay(bob.address, ETHER // 10, candidates=candidates, set_size=4)
    except InvalidInputError as exc:
        print(f"   another set for bob is refused by the client: {str(exc).split(';')[1].strip()}")

    print("\n   the trustees decrypt balances together (3 of 4 partial decryptions, proofs checked)")
    for name, person in people.items():
        print(f"   {name:<6} {_eth(board.balance_of(person.address))}")

    print("\n   bob asks to withdraw 2.5 ETH")
    request = bob.request_withdrawal(5 * ETHER // 2)
    withdrawal = board.review_withdrawal(request.request_id)
    print(
        f"   trustees decrypt the balance it leaves ({_eth(withdrawal.balance_after_wei)}): "
        f"{withdrawal.state.name.lower()}"
    )
    before = bob.account.balance()
    collected = bob.withdraw()
    print(f"   bob collects {_eth(collected)} (his account gained {_eth(bob.account.balance() - before)} less gas)")

    print("\n   carol asks to withdraw 3 ETH, holding 1 ETH")
    request = people["carol"].request_withdrawal(3 * ETHER)
    withdrawal = board.review_withdrawal(request.request_id)
    print(
        f"   the balance it would leave decrypts to {_eth(withdrawal.balance_after_wei)}: "
        f"{withdrawal.state.name.lower()}"
    )

    dave, erin = people["dave"], people["erin"]
    n = public_key.n
    print("\n   dave (1 ETH) attacks erin (1 ETH)")
    pair = sorted([dave.address, erin.address])
    theft = {dave.address: ETHER // 2, erin.address: n - ETHER // 2}  # E(+0.5) to himself, E(−0.5) to erin
    stolen = ledger.transfer(
        sender=dave.account,
        accounts=pair,
        deltas=[int(encrypt_raw(public_key.paillier, theft[a])) for a in pair],
        proof_hash=first.proof.digest(),  # alice's proof, replayed: he cannot prove his own
    )
    verdict = board.review_transfer(stolen.transfer_id, first.proof)
    print(f"   decoy theft (E(−0.5) to erin, E(+0.5) to himself): {verdict.state.name.lower()}: {verdict.reason}")
    overdraft = dave.pay(erin.address, 3 * ETHER, candidates=candidates, set_size=1)
    verdict = board.review_transfer(overdraft.transfer.transfer_id, overdraft.proof)
    print(f"   paying erin 3 ETH with a valid proof: {verdict.state.name.lower()}: {verdict.reason}")
    try:
        ledger.transfer(sender=dave.account, accounts=pair, deltas=[n, n], proof_hash=first.proof.digest())
    except TransactionRevertedError as exc:
        print(f"   a delta ≡ 0 mod n (it would absorb erin's balance forever) is refused on chain: {exc.error_name}")
    again = ledger.transfer(
        sender=dave.account,
        accounts=pair,
        deltas=[int(encrypt_raw(public_key.paillier, theft[a])) for a in pair],
        proof_hash=first.proof.digest(),
    )
    board.review_transfer(again.transfer_id, first.proof)
    print(
        f"   a third rejected transfer: dave has {ledger.offenses(dave.address)} offenses, "
        f"frozen: {ledger.frozen(dave.address)}"
    )
    try:
        dave.request_withdrawal(ETHER)
    except TransactionRevertedError as exc:
        print(f"   dave's withdrawal is refused: {exc.error_name}")
    fold_everyone()
    for name in ("dave", "erin"):
        audit = board.audit(people[name].address)
        print(
            f"   audit of {name:<5} {_eth(audit.balance_wei):>10}  {'in range' if audit.in_range else 'OUT OF RANGE'}"
        )
    books = board.audit_supply()
    print(
        f"   the books: Σ of {books.accounts} balances {_eth(books.balances_wei)} (one decryption) vs ether "
        f"backing them {_eth(books.backing_wei)}: {'balanced' if books.balanced else 'NOT BALANCED'}"
    )
    return ledger


def main() -> None:
    """Deploy afresh on a local chain if needed, then run the scenario."""
    session = Session.load(deploy_if_missing=True)
    print(f"Network {network.show_active()}: {session}")
    print("== Confidential ledger: Paillier-encrypted balances, transfers among decoys (Zheng et al. 2018 §4.5)")
    with tempfile.TemporaryDirectory(prefix="datashare-ledger-") as tmp:
        run(session, Path(tmp))
    settle()
    print("\nLedger scenario finished.")
