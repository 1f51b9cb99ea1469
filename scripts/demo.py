"""The end-to-end demo: deploy on a fresh local chain, register and read back an encrypted file,
then run the encrypted-sharing scenario (scripts/sharing.py).

    make demo                                  # installs what is missing, runs this on Ganache
    brownie run scripts/demo.py --network ganache-cli   # not run by the docs test: takes minutes
                                               # (tests/e2e/test_demo.py runs its main() with small keys)

Steps (research: Zheng et al. 2018 §4.3 upload/download; Peng et al. digital envelope):
1. deploy every contract and write deployments/<network>.json;
2. the data owner (offchain.protocols.DataOwner) commits to a record (salted SHA-256),
   encrypts it under a fresh AES-256-GCM data key bound to the file id, and stores the
   ciphertext on a cloud server backed by a local content-addressed blob store;
3. the owner registers the file on chain (commitment, K_f** = H(H(f*)), Merkle root, locator,
   metadata);
4. the record is read back from chain (checked against the on-chain digest), and the owner
   downloads the file, checks it against the chain, decrypts it and checks the commitment;
5. registering the same commitment again is refused by the contract with a custom error;
6. encrypted sharing: upload with hash chain and Merkle root, public audit, sharing through
   2-of-3 re-encryption proxies, revocation, and anchoring of a data block (scripts/sharing.py).
7. the consortium: four agencies' groups, anonymous uploads under ACJT group signatures, an
   audit, a trace request refused with two votes and approved with three, and the opening with
   its public proofs (scripts/consortium.py).
8. the data market: a buyer's committed requirement with escrow, three clinics' records, two
   Groth16 proofs verified on chain, one clinic that cannot prove and is refused the other's
   proof, a confirmed delivery through the proxies, a dispute settled by the agencies' 2/3
   vote, and the refund of the unfilled slot (scripts/market.py).
9. confidential aggregation: a (5, 3)-threshold Paillier key dealt to five parties, four
   hospitals' encrypted sums multiplied by the cloud and decrypted by three parties, a forged
   partial decryption named and replaced (scripts/aggregation.py).
10. a confidential ledger: Paillier-encrypted balances updated by the chain, payments among
   decoys under the anonymity-set rule with zero-knowledge proofs settled by 3 of the 4
   agencies, withdrawals decided the same way, an overdraft refused, a thief's decoy theft and
   overdraft rejected and rolled back, the books checked (scripts/ledger.py).
11. secureSVM: three providers pin their Paillier-encrypted Breast Cancer Wisconsin rows on
   chain, the analyst trains a linear SVM over them, decrypting only totals, and gets the
   plaintext run's model; the cost per iteration is plotted (scripts/secure_svm.py).
12. vertical SVM: three participant processes hold 3/3/3 of the features, train through the
   TrainingBoard under a (3, 3)-threshold Paillier key with the chained judge, and publish
   partial models that combine into the centralised plaintext model (scripts/vertical_svm.py).
13. attested uploads: an agency registers a device class with its golden PCR digest; a node
   quotes its measurements (TPM 2.0 on swtpm when present, else the software path) bound to a
   fresh nonce and to its digital envelope, and is accepted; a modified measurement, a replayed
   quote and a revoked device are refused (scripts/attested_upload.py; Peng et al.).
14. Shapley revenue sharing: thyroid records dealt to 2 and then 5 owners (one with noisy labels),
   duplicates across owners dropped, every coalition's test F1 for SVM, RF and KNN, each owner's
   training file registered and named by the valuation record; a round paid by the contract's own
   Shapley split and a Merkle round of Theorem 2's roles, both equal to Python's to the wei and
   summing to the pool; the Fig. 7.4–7.9 trends as PNGs (scripts/shapley.py; Shen, Zhu, Xu ch. 7).
15. image retrieval: two hospitals publish MPEG-7 features sealed to the retrieval service on the
   FeatureIndex (roots anchored), update one image and delete another; the service syncs with
   every batch checked; a user's plaintext and private (CKKS) queries are answered on chain and
   every result's record proof is checked (scripts/retrieval.py; Shen, Zhu, Xu ch. 6).
16. the roles as separate processes: a storage service and three proxies started with
   ``datashare serve`` on loopback ports; a hospital and a lab, each with its own keystore, run
   upload → share → fetch and audit → revoke → refused fetch through the ``datashare`` command
   line, the storage service SIGKILLed and restarted between steps and one proxy killed for good
   (scripts/across_machines.py; issue 17).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from brownie import accounts, network

from offchain.chain import Session, default_account, deploy_all, deployment_path, settle
from offchain.crypto.group_signature import DEFAULT_MODULUS_BITS
from offchain.errors import TransactionRevertedError
from offchain.learning import Schedule
from offchain.protocols import CloudServer, DataOwner, FileMetadata
from offchain.storage import FilesystemBlobStore
from offchain.toolchain import PROJECT_ROOT
from scripts import (
    across_machines,
    aggregation,
    attested_upload,
    consortium,
    ledger,
    market,
    retrieval,
    secure_svm,
    shapley,
    sharing,
    vertical_svm,
)

OUTPUT = PROJECT_ROOT / "demo-output"

SAMPLE_RECORD = (
    b"patient_id,age,clump_thickness,cell_size,cell_shape,adhesion,epithelial,bare_nuclei,chromatin,class\n"
    b"P-000731,54,5,1,1,1,2,1,3,benign\n"
)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def main(
    output: Path = OUTPUT,
    record_path: Path | None = None,
    group_bits: int = DEFAULT_MODULUS_BITS,
    paillier_bits: int = 2048,
    svm_iterations: int = 20,
    vertical_rounds: int = 10,
    shapley_sweep_owners: int = 3,
    processes: bool = True,
) -> None:
    """Run the demo on the active (local) network.

    Args:
        output: Folder of the demo's blob store.
        record_path: Where to write the deployment record (``deployments/<network>.json``).
        group_bits: Modulus size of the agencies' group signatures (1024 only to test quickly).
        paillier_bits: Modulus size of the Paillier keys (threshold, ledger, secureSVM; 1024 only
            to test quickly).
        svm_iterations: Gradient steps of the secureSVM training (20 keeps the demo short;
            ``scripts/secure_svm.py`` trains the default schedule of 80).
        vertical_rounds: Rounds of the vertical SVM training (``scripts/vertical_svm.py`` trains 15).
        shapley_sweep_owners: Owners of the Shapley figures' size sweep (``scripts/shapley.py``
            sweeps 5).
        processes: Run part 16 (six processes through the command line; its test,
            ``tests/e2e/test_cli.py``, runs it alone, so the demo's test leaves it out).
    """
    print(f"== 1. Deploy on {network.show_active()}")
    record_path = record_path or deployment_path(str(network.show_active()))
    record = deploy_all(default_account(), path=record_path)
    for name, entry in sorted(record.contracts.items()):
        print(f"   {name:<14} {entry.address}  (block {entry.block_number})")
    print(f"   chain id {record.chain_id}; record written to {record_path}")

    session = Session.load(record_path)
    owner = DataOwner(accounts[1], session.registry)
    server = CloudServer("storage", FilesystemBlobStore(output / "blobs"), session.registry)
    print(f"\n== 2.-3. Data owner {owner.address} encrypts, stores and registers a record ({len(SAMPLE_RECORD)} bytes)")
    receipt = owner.upload(SAMPLE_RECORD, server, block_size=64, name="sample-record.csv")
    registration = receipt.registration
    print(f"   file id     {_hex(registration.file_id)}")
    print(f"   tx          {registration.tx_hash} (block {registration.block_number})")

    print("\n== 4. Read back from chain, fetch, check, decrypt")
    on_chain = session.registry.get_file(registration.file_id)
    print(f"   owner          {on_chain.owner}")
    print(f"   registered at  {on_chain.registered_at} (block {on_chain.block_number})")
    print(f"   commitment     {_hex(on_chain.content_commitment)}")
    print(f"   K_f** = H(H(f*)) {_hex(on_chain.ciphertext_hash)}")
    print(f"   Merkle root    {_hex(on_chain.merkle_root)}")
    print(f"   locator        {on_chain.locator}")
    print(f"   metadata       {FileMetadata.from_bytes(on_chain.metadata).to_dict()}")
    plaintext = owner.download(server, registration.file_id)
    print(f"   ciphertext and root match the chain; decrypted {len(plaintext)} bytes; commitment opens: OK")
    print("   " + plaintext.decode().splitlines()[1])

    print("\n== 5. Register the same commitment again")
    try:
        session.registry.register_file(
            sender=owner.account,
            content_commitment=on_chain.content_commitment,
            ciphertext_hash=on_chain.ciphertext_hash,
            locator=on_chain.locator,
        )
    except TransactionRevertedError as exc:
        print(f"   refused by the contract: {exc.error_name}")
    else:
        raise AssertionError("the registry accepted a duplicate registration")

    print("\n== 6. Encrypted sharing with integrity")
    sharing.run(session, output / "sharing")

    print("\n== 7. Anonymous uploads across agencies, traced only after a 2/3 vote")
    consortium.run(session, output / "consortium", group_bits=group_bits)

    print("\n== 8. A data market: zk-SNARK-proven validity before sharing, escrowed payment")
    market.run(session, output / "market")

    print("\n== 9. Confidential aggregation under a (5, 3)-threshold Paillier key")
    aggregation.run(bits=paillier_bits)

    print("\n== 10. A confidential ledger: encrypted balances, payments among decoys")
    ledger.run(session, output / "ledger", bits=paillier_bits)

    print("\n== 11. secureSVM: SVM training over three providers' encrypted, chain-pinned rows")
    secure_svm.run(
        session,
        output / "secure-svm",
        list(accounts[1:4]),
        key_bits=paillier_bits,
        schedule=Schedule(iterations=svm_iterations),
        plot=output / "secure_svm_cost.png",
    )

    print("\n== 12. Vertical SVM: three participant processes, features split 3/3/3, through the TrainingBoard")
    vertical_svm.run(
        session,
        output / "vertical-svm",
        [accounts[1], accounts[2], accounts[3]],
        key_bits=paillier_bits,
        schedule=dataclasses.replace(vertical_svm.SCHEDULE, iterations=vertical_rounds),
        plot=output / "vertical_svm.png",
    )

    print("\n== 13. Attested uploads: device quotes bound to a nonce and to the envelope (Peng et al.)")
    attested_upload.run(session, output / "attested-upload")

    print("\n== 14. Shapley revenue sharing: thyroid owners valued by test F1, paid by ShapleyPayout")
    shapley.run(
        session,
        output / "shapley",
        list(accounts[1:6]),
        accounts[0],
        sweep_owners=shapley_sweep_owners,
        plot_dir=output / "shapley",
    )

    print("\n== 15. Image retrieval: sealed MPEG-7 features on chain, plaintext and private (CKKS) queries")
    retrieval.run(session)

    if processes:
        print("\n== 16. The roles as separate processes: four services and two people through the datashare CLI")
        # The services' state of an earlier run belongs to that run's chain, gone now: start afresh.
        shutil.rmtree(output / "across-machines", ignore_errors=True)
        across_machines.run(session.record.address_of("DataRegistry"), output / "across-machines", accounts[0])
    settle()
    print("\nDemo finished.")
