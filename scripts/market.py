"""A zk-SNARK-checked data market with escrow, end to end.

    brownie run scripts/market.py --network ganache-cli   # not run by the docs test: demo part 8 runs it

A research group (the buyer) needs records of patients aged 40 to 60 with diagnosis E11.9
(type 2 diabetes) and an HbA1c of 48 mmol/mol or more; it posts the requirement's commitment
and escrows payment for up to three records, with the consortium's agencies as arbiter; each
clinic bonds a tenth of the price with its submission. Before any clinic offers, its client
shows the requirement's buyer and arbiter and checks both: the arbiter must be the deployment's
``ConsortiumArbiter`` (a copy of the requirement naming the buyer's own second account as
arbiter is refused, and so is a copy posted by a squatter). Three clinics hold one record each.
Two qualify: each registers its encrypted record, proves with a Groth16 proof that it meets the
requirement, and is matched on chain. The third does not
qualify and cannot produce a proof; it then copies the first clinic's commitment and proof and
is refused, since the proof is bound to its owner. The first clinic shares its record through
2-of-3 proxies; the buyer checks what it received against the chain and the requirement and
confirms: the clinic is paid. The second clinic records a grant but never gives the proxies
their re-encryption keys; the buyer cannot open the data and disputes; the agencies vote, and
at ⌈2n/3⌉ the escrow is refunded and clinic-b's bond goes to the buyer. After expiry the
unfilled slot is refunded too.
Research: Feng et al. 2022 (§5 validity proof, §6 sharing and traceability).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from brownie import accounts, chain, network

from offchain.chain import ArbiterPolicy, Session, settle
from offchain.chain.registry import file_id_of
from offchain.errors import IntegrityError, RequirementNotMetError, TransactionRevertedError, UntrustedArbiterError
from offchain.protocols import Buyer, CloudServer, DataOwner, Delivery
from offchain.storage import FilesystemBlobStore
from offchain.zk import FieldRange, Record, Requirement

#: The record's fields, in order (8 unsigned 64-bit integers).
FIELDS = ("age", "diagnosis", "hba1c_mmol_mol", "systolic_mmhg", "bmi_x10", "smoker", "sex", "site")
PRICE_WEI = 5 * 10**16
#: Each clinic's bond per submission: back with the payment, the buyer's if it never grants.
BOND_WEI = PRICE_WEI // 10
DAY_S = 24 * 3600


def icd10(code: str) -> int:
    """An ICD-10 code as a field value: its ASCII bytes as a big-endian integer (≤ 8 characters)."""
    return int.from_bytes(code.encode("ascii"), "big")


def buyer_requirement() -> Requirement:
    """Aged 40-60 and diagnosed E11.9 (both required); HbA1c ≥ 48 counts towards R, which must be 3."""
    ranges = (
        FieldRange(40, 60, required=True),
        FieldRange.exactly(icd10("E11.9")),
        FieldRange(48, 250),
        *[FieldRange.ignored()] * 5,
    )
    return Requirement.create(ranges, min_satisfied=3)


def clinic_records() -> dict[str, Record]:
    """One record per clinic; clinic C's patient is too young."""
    return {
        "clinic-a": Record.create((52, icd10("E11.9"), 61, 138, 291, 0, 2, 1)),
        "clinic-b": Record.create((47, icd10("E11.9"), 55, 129, 305, 1, 1, 2)),
        "clinic-c": Record.create((35, icd10("E11.9"), 70, 121, 276, 0, 2, 3)),
    }


def run(session: Session, workdir: Path) -> None:
    """Play the scenario on the session's DataMarket, keeping blobs under ``workdir``."""
    market, registry, arbiter, consortium = session.market, session.registry, session.arbiter, session.consortium
    storage = CloudServer("storage", FilesystemBlobStore(workdir / "storage"), registry)
    proxies = [CloudServer(f"proxy-{i}", FilesystemBlobStore(workdir / f"proxy-{i}"), registry) for i in range(3)]
    policy = ArbiterPolicy.from_deployment(session.record)  # both sides trust the consortium's vote only
    buyer = Buyer(accounts[2], registry, arbiters=policy)
    owners = {
        name: DataOwner(accounts[3 + i], registry, arbiters=policy)
        for i, name in enumerate(("clinic-a", "clinic-b", "clinic-c"))
    }
    records = clinic_records()

    print(f"\n== Requirement: buyer {buyer.account.address} posts, escrowing 3 × {PRICE_WEI / 1e18} ETH")
    requirement = buyer_requirement()
    posted = buyer.post_requirement(
        market,
        requirement,
        arbiter=arbiter.address,
        price_wei=PRICE_WEI,
        capacity=3,
        expires_at=chain.time() + 7 * DAY_S,
        grant_period_s=DAY_S,
        review_period_s=2 * DAY_S,
        bond_wei=BOND_WEI,
    )
    print(
        f"   requirement {posted.requirement_id}: commitment 0x{requirement.commitment_bytes.hex()[:16]}…, "
        f"{requirement.field_count} fields, R ≥ {requirement.min_satisfied}, bond {BOND_WEI / 1e18} ETH "
        f"per submission; gas {posted.gas_used:,}"
    )
    opening = Requirement.from_json(requirement.to_json())  # what owners receive off chain, with the buyer's address

    print("\n== Arbiter: before offering, each clinic's client shows who posted the requirement and who rules")
    trusted_arbiter = policy.require_trusted(market, posted.arbiter, requirement_id=posted.requirement_id)
    print(
        f"   requirement {posted.requirement_id}: buyer {posted.buyer} (as expected), arbiter {trusted_arbiter} = the "
        f"deployment's ConsortiumArbiter, the agencies' vote (quorum {consortium.quorum()} of "
        f"{consortium.member_count()}): trusted"
    )
    # A copy of the requirement posted by a squatter, and a requirement of the buyer's naming its
    # own second account as arbiter (to take the data and have the refund ruled): both refused.
    schemes = {
        "a squatter's copy at 1 wei": (accounts[1], arbiter.address, opening),
        "the buyer's, naming its own second account as arbiter": (
            buyer.account,
            accounts[0].address,
            buyer_requirement(),
        ),
    }
    for label, (poster, named_arbiter, other_opening) in schemes.items():
        other = market.post_requirement(
            sender=poster,
            arbiter=named_arbiter,
            commitment=other_opening.commitment_bytes,
            description_hash=other_opening.description_hash,
            price_wei=1,
            capacity=1,
            field_count=other_opening.field_count,
            min_satisfied=other_opening.min_satisfied,
            expires_at=chain.time() + 7 * DAY_S,
            grant_period_s=DAY_S,
            review_period_s=2 * DAY_S,
            bond_wei=1,
        )
        try:
            owners["clinic-a"].offer(
                market,
                requirement_id=other.requirement_id,
                opening=other_opening,
                record=records["clinic-a"],
                buyer=buyer.address,
            )
        except (UntrustedArbiterError, IntegrityError) as exc:
            print(f"   requirement {other.requirement_id}, {label}: refused before proving ({type(exc).__name__})")
            print(f"      {exc}")
        else:
            raise AssertionError(f"clinic-a's client offered to {label}")
        market.cancel_unfilled(sender=poster, requirement_id=other.requirement_id)  # its 1 wei back
        market.withdraw(sender=poster)

    print("\n== Records: each clinic encrypts and registers its record under its Poseidon commitment h")
    for name, owner in owners.items():
        receipt = owner.upload_record(records[name], storage, block_size=256, name=f"{name}-record")
        file_id, h = receipt.registration.file_id.hex()[:16], records[name].commitment_bytes.hex()[:16]
        print(f"   {name}: file 0x{file_id}…, h = 0x{h}…")

    print("\n== Proofs: each clinic proves its record meets the requirement, without revealing it")
    matches = {}
    for name in ("clinic-a", "clinic-b", "clinic-c"):
        started = time.perf_counter()
        try:
            matched = owners[name].offer(
                market, requirement_id=posted.requirement_id, opening=opening, record=records[name], buyer=buyer.address
            )
        except RequirementNotMetError as exc:
            print(f"   {name}: no proof can exist: {exc}")
            continue
        matches[name] = matched
        print(
            f"   {name}: proved and matched in {time.perf_counter() - started:.1f} s: match {matched.match_id}, "
            f"R = {matched.satisfied}, bond {BOND_WEI / 1e18} ETH; submit gas {matched.gas_used:,}"
        )

    print("\n== Replay: clinic-c registers clinic-a's commitment and submits clinic-a's proof")
    thief = owners["clinic-c"]
    stolen = market.proof_of(matches["clinic-a"].match_id)  # public: in clinic-a's Matched event
    registry.register_file(
        sender=thief.account,
        content_commitment=records["clinic-a"].commitment_bytes,
        ciphertext_hash=b"\x11" * 32,
        locator="blob://copied",
    )
    try:
        market.submit(
            sender=thief.account,
            requirement_id=posted.requirement_id,
            file_id=file_id_of(thief.address, records["clinic-a"].commitment_bytes),
            proof=stolen,
        )
    except TransactionRevertedError as exc:
        print(f"   refused by the contract: {exc.error_name} (the proof is bound to clinic-a's address)")
    else:
        raise AssertionError("the market accepted a proof made for another owner")

    print("\n== The buyer checks clinic-a's proof in Python (py_ecc pairings, no chain)")
    started = time.perf_counter()
    valid = buyer.check_proof(stolen, requirement, matches["clinic-a"])
    print(f"   valid: {valid} ({time.perf_counter() - started:.2f} s)")

    def take(match_id: int, owner: DataOwner) -> Delivery:
        """The buyer receives, checks, and confirms or disputes (never raises on bad data)."""
        return buyer.take_delivery(
            market,
            match_id,
            requirement,
            storage=storage,
            proxies=proxies,
            threshold=2,
            verifying_pk=owner.signer.public_key,
        )

    print("\n== Delivery: clinic-a shares through 2-of-3 proxies; the buyer checks and confirms")
    a, b = matches["clinic-a"], matches["clinic-b"]
    granted = owners["clinic-a"].deliver(market, a.match_id, buyer.recipient, proxies, threshold=2)
    print(f"   grant recorded (gas {granted.gas_used:,}); review until {granted.review_deadline}")
    delivery = take(a.match_id, owners["clinic-a"])
    assert delivery.record is not None
    shown = dict(zip(FIELDS, delivery.record.values, strict=True))
    shown["diagnosis"] = delivery.record.values[1].to_bytes(5, "big").decode()
    print(f"   received {shown}; opens h and meets the requirement; receipt confirmed")
    before = accounts[3].balance()
    paid = market.withdraw(sender=owners["clinic-a"].account)
    gained = (accounts[3].balance() - before) / 1e18
    print(f"   clinic-a withdraws {paid.amount_wei / 1e18} ETH, price and bond (balance +{gained:.4f} ETH after gas)")

    print("\n== Dispute: clinic-b records a grant but gives the proxies no re-encryption key")
    registry.grant_access(
        sender=owners["clinic-b"].account, file_id=b.file_id, grantee=buyer.recipient.address, policy=b"\x01" * 32
    )
    market.record_grant(sender=owners["clinic-b"].account, match_id=b.match_id)
    delivery = take(b.match_id, owners["clinic-b"])
    print(f"   the buyer could not open the data and disputed: {delivery.reason[:90]}…")
    agencies = [a for a in accounts if a.address in set(consortium.members())]
    for count, agency in enumerate(agencies[: consortium.quorum()], start=1):
        ruling = arbiter.vote(sender=agency, match_id=b.match_id, pay_owner=False)
        print(
            f"   agency {agency.address[:10]}… votes refund: {count} of {consortium.quorum()} "
            f"→ {'settled' if ruling.executed else 'pending'}"
        )
    print(f"   match {b.match_id}: {market.get_match(b.match_id).state.name.capitalize()}")

    print("\n== Expiry: the unfilled slot goes back to the buyer")
    chain.sleep(8 * DAY_S)
    chain.mine()
    refund = market.refund_unfilled(sender=buyer.account, requirement_id=posted.requirement_id)
    print(f"   refunded {refund.amount_wei / 1e18} ETH for the unfilled slot")
    withdrawn = market.withdraw(sender=buyer.account)
    print(
        f"   the buyer withdraws {withdrawn.amount_wei / 1e18} ETH "
        "(dispute refund + clinic-b's forfeited bond + unfilled slot)"
    )
    print(f"   escrow left in the market: {market.balance_wei()} wei")


def main() -> None:
    """Deploy afresh on a local chain if needed, then run the scenario."""
    session = Session.load(deploy_if_missing=True)
    print(f"Network {network.show_active()}: {session}")
    with tempfile.TemporaryDirectory(prefix="datashare-market-") as tmp:
        run(session, Path(tmp))
    settle()
    print("\nMarket scenario finished.")
