"""Benchmark of the data-validity zk-SNARKs (prove, verify) and of the DataMarket's gas.

    python bench/zk.py [--quick] [--network ganache-cli]

The chain is a private local one on a free port (never one a test run uses). Figures written to
bench/results/zk.json:
    prove_s_n8, prove_s_n16            median wall time of ``offchain.zk.prove``: the wasm witness and
                                       the snarkjs Groth16 prover, node start-up included
    verify_py_s_n8, verify_py_s_n16    median of ``offchain.zk.verify`` (py_ecc pairings, no chain)
    verify_snarkjs_s_n8                the peer tool on the same proof: ``snarkjs groth16 verify``
    plaintext_check_ms_n8, plaintext_check_ms_n16
                                       the same-run baseline: check the requirement on the record in
                                       the clear and recompute its commitment (what the proof replaces)
    <timing>_over_plaintext            each time above over that baseline, same width
    constraints_n8, constraints_n16    R1CS constraints of the circuits
    verify_gas, verify_gas_n16         gas of the verifier call made from a contract, as ``submit`` makes
                                       it (goal for n = 8: at most 220,000)
    post_requirement_gas, submit_gas, submit_first_gas, submit_gas_n16, record_grant_gas,
    confirm_receipt_gas, release_gas, dispute_gas, arbiter_first_vote_gas, arbiter_vote_gas,
    arbiter_settling_vote_gas, reclaim_ungranted_gas, refund_unfilled_gas, cancel_unfilled_gas,
    withdraw_gas, market_deploy_gas, verifier_deploy_gas_n8
                                       gas of each market call on a local chain

Feng et al. 2022 publish no proving or gas figures we could find (the paper's text was not
available here); the snarkjs default verifier with 18 public signals costs about 330,000 gas.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import connect_own_chain, median_ms, parse_args, report, with_baseline_ratios

from offchain.zk import FieldRange, Proof, Record, Requirement, ensure_built, prove, verify
from offchain.zk.artifacts import artifacts, run_node_tool

ICD10_E11_9 = int.from_bytes(b"E11.9", "big")


def _requirement(field_count: int, nonce: int) -> Requirement:
    ranges = [FieldRange(40, 60, required=True), FieldRange.exactly(ICD10_E11_9), FieldRange(48, 200)]
    ranges += [FieldRange(0, 1_000)] * (field_count - len(ranges))
    return Requirement(tuple(ranges), min_satisfied=3, nonce=nonce)


def _record(field_count: int, salt: int) -> Record:
    return Record((52, ICD10_E11_9, 64, *[7] * (field_count - 3)), salt=salt)


def _constraints(field_count: int) -> int:
    circuit = ensure_built(field_count)
    out = run_node_tool("snarkjs", ["r1cs", "info", str(circuit.r1cs)], what="r1cs info")
    found = re.search(r"# of Constraints:\s*(\d+)", out)
    return int(found.group(1)) if found else 0


def _snarkjs_verify_s(proof: Proof, field_count: int, repeats: int) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        parsed = json.loads(proof.to_json())
        (folder / "public.json").write_text(json.dumps(parsed.pop("publicSignals")))
        (folder / "proof.json").write_text(json.dumps(parsed))
        args = ["groth16", "verify", str(artifacts(field_count).vkey), str(folder / "public.json")]
        return (
            median_ms(lambda: run_node_tool("snarkjs", [*args, str(folder / "proof.json")], what="verify"), repeats)
            / 1000
        )


def _plaintext_check_ms(record: Record, requirement: Requirement, calls: int = 100) -> float:
    """What the proof replaces, in the clear: the requirement checked on the record and the
    record's commitment (one Poseidon hash) recomputed; mean of ``calls``."""
    start = time.perf_counter()
    for _ in range(calls):
        _ = (requirement.satisfied_by(record), requirement.unmet_required(record), record.commitment)
    return (time.perf_counter() - start) * 1000 / calls


def proving_figures(quick: bool) -> tuple[dict[str, float | int], dict[int, tuple[Record, Requirement, Proof]]]:
    """Time proving and verifying; return the figures and one proof per width for the gas part."""
    owner = "0x00000000000000000000000000000000000A11cE"
    repeats = 2 if quick else 5
    figures: dict[str, float | int] = {}
    proofs: dict[int, tuple[Record, Requirement, Proof]] = {}
    for count in (8, 16):
        ensure_built(count)
        record, requirement = _record(count, 1000 + count), _requirement(count, 2000 + count)
        proof = prove(record, requirement, owner)
        figures[f"plaintext_check_ms_n{count}"] = _plaintext_check_ms(record, requirement)
        figures[f"prove_s_n{count}"] = median_ms(lambda r=record, q=requirement: prove(r, q, owner), repeats) / 1000
        figures[f"verify_py_s_n{count}"] = median_ms(lambda p=proof, c=count: verify(p, c), repeats) / 1000
        proofs[count] = (record, requirement, proof)
    figures["verify_snarkjs_s_n8"] = _snarkjs_verify_s(proofs[8][2], 8, repeats)
    for count in (8, 16):
        timings = (f"prove_s_n{count}", f"verify_py_s_n{count}", f"verify_snarkjs_s_n{count}")
        figures = with_baseline_ratios(figures, f"plaintext_check_ms_n{count}", "plaintext", timings)
    figures["constraints_n8"] = _constraints(8)
    figures["constraints_n16"] = _constraints(16)
    figures["proof_bytes"] = 8 * 32
    return figures, proofs


def gas_figures(network_name: str) -> dict[str, float | int]:
    """Deploy the market on a local chain and measure each call."""
    from offchain.chain import load_project

    project = load_project()
    connect_own_chain(network_name)
    from brownie import accounts, chain

    deployer, buyer, agencies = accounts[0], accounts[1], list(accounts[6:10])
    owners = list(accounts[2:6])
    registry = project.DataRegistry.deploy({"from": deployer})
    v8 = project.Groth16VerifierN8.deploy({"from": deployer})
    v16 = project.Groth16VerifierN16.deploy({"from": deployer})
    market = project.DataMarket.deploy(registry, [8, 16], [v8, v16], {"from": deployer})
    consortium = project.Consortium.deploy(agencies, 3 * 24 * 3600, {"from": deployer})
    arbiter = project.ConsortiumArbiter.deploy(consortium, market, {"from": deployer})
    probe = project.VerifierGasProbe.deploy({"from": deployer})
    figures: dict[str, float | int] = {
        "market_deploy_gas": int(market.tx.gas_used),
        "verifier_deploy_gas_n8": int(v8.tx.gas_used),
    }
    day = 24 * 3600
    price = 10**16
    bond = price // 10

    def post(count: int, capacity: int) -> tuple[int, Requirement, Any]:
        requirement = _requirement(count, int.from_bytes(bytes(chain[-1].hash)[:16], "big") + count)
        terms = (
            arbiter.address,
            requirement.commitment_bytes,
            requirement.description_hash,
            price,
            capacity,
            count,
            requirement.min_satisfied,
            chain.time() + 7 * day,
            day,
            day,
            bond,
        )
        tx = market.postRequirement(terms, {"from": buyer, "value": price * capacity})
        return int(tx.return_value), requirement, tx

    def submit(requirement_id: int, requirement: Requirement, owner: Any, salt: int) -> tuple[int, bytes, Any]:
        record = _record(requirement.field_count, salt)
        registry.registerFile(record.commitment_bytes, b"\x01" * 32, b"\x00" * 32, "blob://bench", b"", {"from": owner})
        file_id = bytes(registry.fileIdOf(owner, record.commitment_bytes))
        proof = prove(record, requirement, owner.address)
        pa, pb, pc, signals = proof.solidity_args()
        params = {"from": owner, "value": bond}
        tx = market.submit(requirement_id, file_id, record.commitment_bytes, pa, pb, pc, signals[0], params)
        if requirement.field_count == 8:
            valid, gas = probe.measure(v8, pa, pb, pc, signals)
            figures["verify_gas"] = int(gas) if valid else -1
        else:
            valid, gas = probe.measure(v16, pa, pb, pc, signals)
            figures["verify_gas_n16"] = int(gas) if valid else -1
        return int(tx.return_value), file_id, tx

    def grant(match_id: int, file_id: bytes, owner: Any) -> Any:
        registry.grantAccess(file_id, buyer, b"\x02" * 32, 0, {"from": owner})
        return market.recordGrant(match_id, {"from": owner})

    requirement_id, requirement, tx = post(8, 4)
    figures["post_requirement_gas"] = int(tx.gas_used)
    matches = [submit(requirement_id, requirement, owners[i], 10 + i) for i in range(3)]
    figures["submit_gas"] = int(matches[1][2].gas_used)
    figures["submit_first_gas"] = int(matches[0][2].gas_used)  # the market's first match: cold counters
    figures["record_grant_gas"] = int(grant(matches[0][0], matches[0][1], owners[0]).gas_used)
    figures["confirm_receipt_gas"] = int(market.confirmReceipt(matches[0][0], {"from": buyer}).gas_used)
    grant(matches[1][0], matches[1][1], owners[1])
    figures["dispute_gas"] = int(market.dispute(matches[1][0], b"\x03" * 32, {"from": buyer}).gas_used)
    votes = [arbiter.vote(matches[1][0], False, {"from": agency}) for agency in agencies[:3]]
    figures["arbiter_first_vote_gas"] = int(votes[0].gas_used)
    figures["arbiter_vote_gas"] = int(votes[1].gas_used)
    figures["arbiter_settling_vote_gas"] = int(votes[-1].gas_used)
    chain.sleep(day + 1)
    chain.mine()
    figures["reclaim_ungranted_gas"] = int(market.reclaimUngranted(matches[2][0], {"from": buyer}).gas_used)
    m4 = submit(requirement_id, requirement, owners[3], 13)
    grant(m4[0], m4[1], owners[3])
    chain.sleep(day + 1)
    chain.mine()
    figures["release_gas"] = int(market.release(m4[0], {"from": deployer}).gas_used)
    chain.sleep(7 * day)
    chain.mine()
    figures["refund_unfilled_gas"] = int(market.refundUnfilled(requirement_id, {"from": deployer}).gas_used)
    figures["withdraw_gas"] = int(market.withdraw({"from": owners[0]}).gas_used)
    requirement16_id, requirement16, _ = post(16, 1)
    figures["submit_gas_n16"] = int(submit(requirement16_id, requirement16, owners[0], 99)[2].gas_used)
    cancelled_id, _, _ = post(8, 2)
    figures["cancel_unfilled_gas"] = int(market.cancelUnfilled(cancelled_id, {"from": buyer}).gas_used)
    return figures


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    figures, _ = proving_figures(args.quick)
    figures.update(gas_figures(args.network))
    report(
        "zk",
        figures,
        notes={
            "verify_gas": "goal <= 220,000 (snarkjs default, 18 public signals: ~330,000)",
            "prove_s_n8": "witness + Groth16 prove, node start-up included",
            "verify_py_s_n8": "py_ecc, three Miller loops and one final exponentiation",
        },
    )


if __name__ == "__main__":
    main()
