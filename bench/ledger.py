"""Benchmark of the confidential ledger's sound transfers: proofs, the trustees' review, gas on each path.

    python bench/ledger.py [--quick] [--network ganache-cli]

The chain is a private local one on a free port (never one a test run uses). Figures written to
bench/results/ledger.json, at a 2048-bit (5, 3)-threshold key; "set k" is the receiver and k − 1
decoys, plus the sender: k + 1 accounts, k range proofs (k = 1, 5, 10):
    paillier_encrypt_ms_2048            the same-run baseline: one ``phe`` encryption
    ledger_deltas_ms_set<k>             ``make_deltas``: the k + 1 ciphertexts of a transfer
    ledger_prove_ms_set<k>              ``prove_transfer``: k range proofs and conservation (goal
                                        for set 5: <= 500 ms); median of 3 (--quick: 1)
    ledger_prove_over_encrypt_set<k>    that time over one phe encryption (load-independent)
    ledger_verify_ms_set<k>             ``verify_transfer``: what each trustee checks
    ledger_verify_over_encrypt_set<k>   that time over one phe encryption
    ledger_review_ms_set<k>             ``TrusteeBoard.review_transfer`` without its transaction:
                                        proof check and threshold decryption of the sender's
                                        balance (3 partials with proofs)
    ledger_wait_until_counted_ms_set<k> from the transfer's receipt to the settlement's receipt,
                                        review included: how long a transfer waits before it
                                        counts (the local chain mines at once; a real chain adds
                                        one block)
    ledger_transfer_gas_set<k>          the transfer: credits written, sender debited and locked
    ledger_settle_gas                   ``settleTransfer`` with t = 3 signatures
    ledger_verified_transfer_gas_set<k> the two together: a transfer that counts, on the attested
                                        path (goal for set 5: <= 400,000 on a consortium chain)
    ledger_fold_gas_<c>                 folding c verified credits (c = 1, 5)
    ledger_deploy_gas, ledger_deposit_gas, ledger_request_withdrawal_gas, ledger_approve_gas,
    ledger_approve_final_gas, ledger_withdraw_gas
                                        the other calls
    modexp_gas_nth_power_n2             measured: the modexp precompile's price for one n-th power
                                        mod n² (2048-bit exponent, 4096-bit modulus)
    modexp_gas_big_n                    for one 2,432-bit exponent mod n (the commitment randomness)
    modexp_gas_small_n, modexp_gas_small_n2
                                        for one 384-bit exponent mod n, one 128-bit mod n²
    onchain_verify_gas_set<k>           the on-chain verification path: the exponentiations a
                                        verifier contract of a set-k proof must make, priced at the
                                        measured unit costs (a lower bound: products, copies and
                                        calldata not counted)
    onchain_verify_blocks_set<k>        that figure in blocks of 30,000,000 gas
"""

from __future__ import annotations

import random
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import connect_own_chain, parse_args, report

from offchain.crypto import threshold_paillier as tp
from offchain.crypto.range_proof import CHALLENGE_BITS, RANGE_BITS, STATISTICAL_BITS
from offchain.crypto.transfer_proof import TransferStatement, make_deltas, prove_transfer, verify_transfer

BITS = 2048
SET_SIZES = (1, 5, 10)
PROVE_GOAL_MS = 500
VERIFIED_TRANSFER_GOAL_GAS = 400_000
BLOCK_GAS = 30_000_000
ETHER = 10**18


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def proof_figures(public_key: tp.ThresholdPublicKey, repeats: int) -> dict[str, float | int]:
    """Deltas, proof and verification times for each set size, with the phe baseline."""
    pk = public_key.paillier
    encrypt = []
    for _ in range(5 * repeats):
        start = time.perf_counter()
        pk.encrypt(random.getrandbits(64))
        encrypt.append(time.perf_counter() - start)
    figures: dict[str, float | int] = {"paillier_encrypt_ms_2048": _median_ms(encrypt)}
    for k in SET_SIZES:
        deltas_s, prove_s, verify_s = [], [], []
        for _ in range(repeats):
            credits = [0] * (k + 1)
            credits[1] = 10**17
            start = time.perf_counter()
            deltas, opening = make_deltas(public_key.n, credits, 0)
            deltas_s.append(time.perf_counter() - start)
            statement = TransferStatement(public_key.n, secrets.token_bytes(32), deltas, 0)
            start = time.perf_counter()
            proof = prove_transfer(statement, opening)
            prove_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            verify_transfer(statement, proof)
            verify_s.append(time.perf_counter() - start)
        figures[f"ledger_deltas_ms_set{k}"] = _median_ms(deltas_s)
        figures[f"ledger_prove_ms_set{k}"] = _median_ms(prove_s)
        figures[f"ledger_prove_over_encrypt_set{k}"] = _median_ms(prove_s) / figures["paillier_encrypt_ms_2048"]
        figures[f"ledger_verify_ms_set{k}"] = _median_ms(verify_s)
        figures[f"ledger_verify_over_encrypt_set{k}"] = _median_ms(verify_s) / figures["paillier_encrypt_ms_2048"]
    return figures


def _modexp_unit_costs(project: Any, deployer: Any, n: int) -> dict[str, int]:
    """The precompile's measured price for each class of exponentiation a verifier makes."""
    probe = project.ModExpGasProbe.deploy({"from": deployer}, silent=True)
    nsquare = n * n

    def price(modulus: int, exponent_bits: int) -> int:
        width = (modulus.bit_length() + 7) // 8
        base = (secrets.randbelow(modulus - 2) + 2).to_bytes(width, "big")
        exponent = (secrets.randbits(exponent_bits) | (1 << (exponent_bits - 1))).to_bytes(
            (exponent_bits + 7) // 8, "big"
        )
        tx = probe.powMod(base, exponent, modulus.to_bytes(width, "big"), {"from": deployer}, silent=True)
        return int(tx.events["Computed"]["gasUsed"])

    s_bits = BITS + STATISTICAL_BITS
    return {
        "modexp_gas_nth_power_n2": price(nsquare, BITS),
        "modexp_gas_big_n": price(n, s_bits + CHALLENGE_BITS + STATISTICAL_BITS),
        "modexp_gas_small_n": price(n, RANGE_BITS + CHALLENGE_BITS + STATISTICAL_BITS),
        "modexp_gas_small_n2": price(nsquare, CHALLENGE_BITS),
    }


def onchain_verify_gas(units: dict[str, int], k: int) -> int:
    """The exponentiations ``verify_range`` (k times) and the conservation check make, priced.

    Per range proof: y^n and c^-e mod n² (the link); mod n: G^z·H^w·C^-e for the link and each
    of the 8 square commitments (9 big H-powers, 18 small), the two products Π C_i^z · H^v · C^-e
    (2 big, 10 small) and the complement G^(2^k − 1) (1 small). Conservation: z^n and P^-e mod n².
    """
    per_range = (
        units["modexp_gas_nth_power_n2"]
        + units["modexp_gas_small_n2"]
        + 11 * units["modexp_gas_big_n"]
        + 29 * units["modexp_gas_small_n"]
    )
    return k * per_range + units["modexp_gas_nth_power_n2"] + units["modexp_gas_small_n2"]


def chain_figures(network_name: str, public_key: tp.ThresholdPublicKey, shares: list[tp.KeyShare]) -> dict[str, Any]:
    """Deploy the ledger, run proved transfers through the trustees and read the gas of each call."""
    from offchain.chain import load_project
    from offchain.chain.contracts import settle
    from offchain.chain.ledger import deploy_ledger
    from offchain.protocols.ledger_account import LedgerAccount
    from offchain.protocols.ledger_trustee import LedgerTrustee, TrusteeBoard

    project = load_project()
    connect_own_chain(network_name)
    from brownie import accounts

    trustee_accounts = list(accounts[10 - public_key.parties :])
    users = list(accounts[: 10 - public_key.parties])
    ledger = deploy_ledger(
        users[0],
        modulus=public_key.n,
        trustees=trustee_accounts,
        threshold=public_key.threshold,
        record_path=Path("/nonexistent/ledger-bench.json"),  # a record that does not exist is left alone
    )
    figures: dict[str, Any] = {"ledger_deploy_gas": int(ledger.contract.tx.gas_used)}
    board = TrusteeBoard(
        ledger,
        [LedgerTrustee(f"trustee-{i}", a, s) for i, (a, s) in enumerate(zip(trustee_accounts, shares, strict=True))],
    )
    sender = LedgerAccount(users[0], ledger, public_key)
    receiver = LedgerAccount(users[1], ledger, public_key)
    ledger.deposit(sender=users[0], amount_wei=10 * ETHER)
    tx = ledger.contract.deposit(ledger.encode(ledger.balance_ciphertext(users[0])), {"from": users[0], "value": ETHER})
    figures["ledger_deposit_gas"] = int(tx.gas_used)

    settle_gas: list[int] = []
    for k in SET_SIZES:
        _progress(f"transfers over sets of {k}")
        decoys = [to_checksum_address("0x" + secrets.token_hex(20)) for _ in range(k - 1)]
        transfer_gas, waits, reviews = [], [], []
        for _ in range(2):
            payment = sender.pay(receiver.address, 10**15, candidates=decoys, set_size=k)
            start = time.perf_counter()
            review = board.review_transfer(payment.transfer.transfer_id, payment.proof)
            waits.append(time.perf_counter() - start)
            reviews.append(review.review_s)
            if not review.accepted:
                raise AssertionError(f"an honest transfer was rejected: {review.reason}")
            transfer_gas.append(payment.transfer.gas_used)
            settle_gas.append(_last_gas(ledger, "settleTransfer"))
            sender.book = type(sender.book)()  # a fresh set each time: same size, new decoys
        figures[f"ledger_transfer_gas_set{k}"] = int(statistics.median(transfer_gas))
        figures[f"ledger_review_ms_set{k}"] = _median_ms(reviews)
        figures[f"ledger_wait_until_counted_ms_set{k}"] = _median_ms(waits)
    figures["ledger_settle_gas"] = int(statistics.median(settle_gas))
    for k in SET_SIZES:
        figures[f"ledger_verified_transfer_gas_set{k}"] = (
            figures[f"ledger_transfer_gas_set{k}"] + figures["ledger_settle_gas"]
        )

    credits = ledger.credits_to(receiver.address)
    for count in (1, 5):
        chosen = credits[:count]
        credits = credits[count:]
        balance = ledger.encode(ledger.balance_ciphertext(receiver.address))
        tx = ledger.contract.fold(
            balance, [c.transfer_id for c in chosen], [ledger.encode(c.ciphertext) for c in chosen], {"from": users[1]}
        )
        figures[f"ledger_fold_gas_{count}"] = int(tx.gas_used)

    request = ledger.request_withdrawal(sender=users[0], amount_wei=ETHER)
    figures["ledger_request_withdrawal_gas"] = int(_last_gas(ledger, "requestWithdrawal"))
    votes = [
        ledger.approve_withdrawal(sender=t, request_id=request.request_id)
        for t in trustee_accounts[: public_key.threshold]
    ]
    figures["ledger_approve_gas"] = votes[0].gas_used
    figures["ledger_approve_final_gas"] = votes[-1].gas_used
    tx = ledger.contract.withdraw({"from": users[0]})
    figures["ledger_withdraw_gas"] = int(tx.gas_used)

    units = _modexp_unit_costs(project, users[0], public_key.n)
    figures.update(units)
    for k in SET_SIZES:
        gas = onchain_verify_gas(units, k)
        figures[f"onchain_verify_gas_set{k}"] = gas
        figures[f"onchain_verify_blocks_set{k}"] = gas / BLOCK_GAS
    settle()
    return figures


def _last_gas(ledger: Any, function: str) -> int:
    from brownie import history

    for tx in reversed(history):
        if tx.fn_name == function and tx.receiver == ledger.address:
            return int(tx.gas_used)
    raise AssertionError(f"no {function} transaction in the history")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    _progress(f"a {BITS}-bit (5, 3)-threshold key")
    public_key, shares = tp.generate_threshold_keypair(BITS, 5, 3)
    _progress("proof times")
    figures: dict[str, Any] = proof_figures(public_key, 1 if args.quick else 3)
    figures.update(chain_figures(args.network, public_key, shares))
    report("ledger", figures, _notes(figures))


def _notes(figures: dict[str, Any]) -> dict[str, str]:
    notes = {"paillier_encrypt_ms_2048": "baseline: phe encryption, same run"}
    prove = figures.get("ledger_prove_ms_set5")
    if prove is not None:
        notes["ledger_prove_ms_set5"] = f"goal <= {PROVE_GOAL_MS} ms: {'met' if prove <= PROVE_GOAL_MS else 'MISSED'}"
    gas = figures.get("ledger_verified_transfer_gas_set5")
    if gas is not None:
        verdict = "met" if gas <= VERIFIED_TRANSFER_GOAL_GAS else "MISSED"
        notes["ledger_verified_transfer_gas_set5"] = f"goal <= {VERIFIED_TRANSFER_GOAL_GAS:,}: {verdict}"
    for k in SET_SIZES:
        key = f"onchain_verify_blocks_set{k}"
        if key in figures:
            notes[key] = "blocks of 30M gas: not feasible on chain" if figures[key] > 1 else "fits one block"
    return notes


if __name__ == "__main__":
    main()
