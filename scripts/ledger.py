"""Confidential transfers on Paillier-encrypted balances, end to end on a local chain.

    brownie run scripts/ledger.py --network ganache-cli

Research: Zheng et al. 2018 (J. Comput. Sci. Technol.), §4.5. The four agencies of the
consortium are the trustees: a CA deals them a 2048-bit (4, 3)-threshold Paillier key (t = 3 is
the consortium's ⌈2n/3⌉) and deploys a ``ConfidentialLedger`` for it. Five users deposit ether;
the chain adds each deposit to an encrypted balance itself. Alice pays Bob among two decoys:
four balances change on chain and an observer cannot tell which account was paid, nor how much;
paying Bob again reuses the same anonymity set (the rule that defeats intersection). The
trustees decrypt balances only together, approve Bob's withdrawal (he collects the ether),
reject Carol's overdraft, and audit: Dave's dishonest payment of more than he holds is accepted
by the contract (the paper's semi-honest model cannot stop it) but the trustees' audit finds his
negative balance and freezes his account, and the books still balance.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from brownie import accounts, network

from offchain.chain import Session, settle
from offchain.chain.ledger import ConfidentialLedgerClient, deploy_ledger
from offchain.crypto import threshold_paillier as tp
from offchain.crypto.paillier import encrypt_raw
from offchain.errors import InvalidInputError, TransactionRevertedError
from offchain.protocols.ledger_account import AnonymitySetBook, LedgerAccount
from offchain.protocols.ledger_trustee import LedgerTrustee, TrusteeBoard

ETHER = 10**18
TRUSTEES = ("hospital-a", "hospital-b", "university", "bank")
USERS = ("alice", "bob", "carol", "dave", "erin")
DEPOSITS_WEI = {"alice": 5 * ETHER, "bob": 2 * ETHER, "carol": 1 * ETHER, "dave": 1 * ETHER, "erin": 1 * ETHER}


def _eth(wei: int) -> str:
    return f"{wei / ETHER:+.2f} ETH" if wei < 0 else f"{wei / ETHER:.2f} ETH"


def _short(ciphertext: int) -> str:
    return f"0x{ciphertext:x}"[:14] + "…"


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
        name: LedgerAccount(accounts[i + 1], ledger, public_key, book=AnonymitySetBook(workdir / f"{name}-sets.json"))
        for i, name in enumerate(USERS)
    }
    names = {p.address: name for name, p in people.items()}

    print("\n   deposits (public amounts: the chain adds E(amount) with r = 1 itself, so equal deposits")
    print("   leave equal ciphertexts until the first payment re-randomises them)")
    for name, amount in DEPOSITS_WEI.items():
        update = people[name].deposit(amount)
        print(f"   {name:<6} {_eth(amount):>9}   balance on chain {_short(update.ciphertext)}")

    alice, bob = people["alice"], people["bob"]
    candidates = [p.address for p in people.values()]
    print("\n   alice pays bob 1.5 ETH among two decoys")
    first = alice.pay(bob.address, 3 * ETHER // 2, candidates=candidates, set_size=3)
    touched = ", ".join(names[a] for a in first.accounts)
    print(f"   the chain updated {len(first.accounts)} balances ({touched}) in one transfer, gas {first.gas_used:,}")
    print("   an observer sees only fresh ciphertexts: it cannot tell who was paid, nor how much")
    second = alice.pay(bob.address, ETHER // 2)
    print(f"   alice pays bob 0.5 ETH again: same anonymity set ({', '.join(names[a] for a in second.accounts)})")
    try:
        alice.pay(bob.address, ETHER // 10, candidates=candidates, set_size=4)
    except InvalidInputError as exc:
        print(f"   another set for bob is refused by the client: {str(exc).split(';')[1].strip()}")

    print("\n   the trustees decrypt balances together (3 of 4 partial decryptions, proofs checked)")
    for name, person in people.items():
        print(f"   {name:<6} {_eth(board.balance_of(person.address))}")

    print("\n   bob asks to withdraw 2.5 ETH")
    request = bob.request_withdrawal(5 * ETHER // 2)
    review = board.review_withdrawal(request.request_id)
    print(f"   trustees decrypt the balance it leaves ({_eth(review.balance_after_wei)}): {review.state.name.lower()}")
    before = bob.account.balance()
    collected = bob.withdraw()
    print(f"   bob collects {_eth(collected)} (his account gained {_eth(bob.account.balance() - before)} less gas)")

    print("\n   carol asks to withdraw 3 ETH, holding 1 ETH")
    request = people["carol"].request_withdrawal(3 * ETHER)
    review = board.review_withdrawal(request.request_id)
    print(f"   the balance it would leave decrypts to {_eth(review.balance_after_wei)}: {review.state.name.lower()}")

    print("\n   dave, holding 1 ETH, pays erin 3 ETH: the contract cannot see amounts and accepts it")
    dave, erin = people["dave"], people["erin"]
    n = public_key.n
    accounts_set = sorted([dave.address, erin.address])
    deltas = {
        dave.address: encrypt_raw(public_key.paillier, n - 3 * ETHER),
        erin.address: encrypt_raw(public_key.paillier, 3 * ETHER),
    }
    ledger.transfer(sender=dave.account, accounts=accounts_set, deltas=[int(deltas[a]) for a in accounts_set])
    for name in ("dave", "erin"):
        audit = board.audit(people[name].address)
        verdict = "in range" if audit.in_range else "OUT OF RANGE: reported by 3 trustees, account frozen"
        print(f"   audit of {name:<5} {_eth(audit.balance_wei):>10}  {verdict}")
    try:
        dave.request_withdrawal(ETHER)
    except TransactionRevertedError as exc:
        print(f"   dave's withdrawal is refused: {exc.error_name}")
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
