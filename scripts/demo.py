"""The end-to-end demo: deploy on a fresh local chain, register and read back an encrypted file,
then run the encrypted-sharing scenario (scripts/sharing.py).

    make demo                                  # installs what is missing, runs this on Ganache
    brownie run scripts/demo.py --network ganache-cli

Steps (research: Zheng et al. 2018 §4.3 upload/download; Peng et al. digital envelope):
1. deploy every contract and write deployments/<network>.json;
2. the data owner commits to a record (salted SHA-256), encrypts it under a fresh AES-256-GCM
   data key bound to the file id, and stores the ciphertext in a content-addressed blob store;
3. the owner registers the file on chain (commitment, ciphertext hash, locator, metadata);
4. a reader loads the record from chain (checked against the on-chain digest), fetches the
   blob, checks its hash against the chain, decrypts it and checks the commitment;
5. registering the same commitment again is refused by the contract with a custom error;
6. encrypted sharing: upload with hash chain and Merkle root, public audit, sharing through
   2-of-3 re-encryption proxies, revocation, and anchoring of a data block (scripts/sharing.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from brownie import accounts, network

from offchain.chain import Session, default_account, deploy_all, deployment_path, file_id_of, settle
from offchain.crypto import content_commitment, envelope, new_salt, sha256, verify_commitment
from offchain.errors import IntegrityError, TransactionRevertedError
from offchain.storage import FilesystemBlobStore
from offchain.toolchain import PROJECT_ROOT
from scripts import sharing

OUTPUT = PROJECT_ROOT / "demo-output"

SAMPLE_RECORD = (
    b"patient_id,age,clump_thickness,cell_size,cell_shape,adhesion,epithelial,bare_nuclei,chromatin,class\n"
    b"P-000731,54,5,1,1,1,2,1,3,benign\n"
)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def main(output: Path = OUTPUT, record_path: Path | None = None) -> None:
    """Run the demo on the active (local) network.

    Args:
        output: Folder of the demo's blob store.
        record_path: Where to write the deployment record (``deployments/<network>.json``).
    """
    print(f"== 1. Deploy on {network.show_active()}")
    record_path = record_path or deployment_path(str(network.show_active()))
    record = deploy_all(default_account(), path=record_path)
    for name, entry in sorted(record.contracts.items()):
        print(f"   {name:<14} {entry.address}  (block {entry.block_number})")
    print(f"   chain id {record.chain_id}; record written to {record_path}")

    owner = accounts[1]
    store = FilesystemBlobStore(output / "blobs")
    print(f"\n== 2. Data owner {owner.address} encrypts and stores a record ({len(SAMPLE_RECORD)} bytes)")
    salt = new_salt()
    commitment = content_commitment(SAMPLE_RECORD, salt)
    file_id = file_id_of(owner.address, commitment)
    data_key = envelope.new_data_key()
    ciphertext = envelope.encrypt(SAMPLE_RECORD, data_key, file_id=file_id)
    locator = store.put(ciphertext)
    print(f"   commitment  {_hex(commitment)}")
    print(f"   ciphertext  {len(ciphertext)} bytes at {locator}")

    session = Session.load(record_path)
    print("\n== 3. Register on chain")
    metadata = json.dumps(
        {"schema": "datashare/file/v1", "cipher": "AES-256-GCM-STREAM", "plaintext_bytes": len(SAMPLE_RECORD)},
        separators=(",", ":"),
    ).encode()
    registration = session.registry.register_file(
        sender=owner,
        content_commitment=commitment,
        ciphertext_hash=sha256(ciphertext),
        locator=locator,
        metadata=metadata,
    )
    print(f"   file id     {_hex(registration.file_id)}")
    print(f"   tx          {registration.tx_hash} (block {registration.block_number})")

    print("\n== 4. Read back from chain, fetch, check, decrypt")
    on_chain = session.registry.get_file(file_id)
    print(f"   owner          {on_chain.owner}")
    print(f"   registered at  {on_chain.registered_at} (block {on_chain.block_number})")
    print(f"   commitment     {_hex(on_chain.content_commitment)}")
    print(f"   ciphertext     {_hex(on_chain.ciphertext_hash)}")
    print(f"   locator        {on_chain.locator}")
    print(f"   metadata       {on_chain.metadata.decode()}")
    fetched = store.get(on_chain.locator)
    if sha256(fetched) != on_chain.ciphertext_hash:
        raise IntegrityError("the stored ciphertext does not hash to the value registered on chain")
    plaintext = envelope.decrypt(fetched, data_key, file_id=on_chain.file_id)
    if not verify_commitment(plaintext, salt, on_chain.content_commitment):
        raise IntegrityError("the decrypted record does not open the commitment registered on chain")
    print(f"   ciphertext hash matches the chain; decrypted {len(plaintext)} bytes; commitment opens: OK")
    print("   " + plaintext.decode().splitlines()[1])

    print("\n== 5. Register the same commitment again")
    try:
        session.registry.register_file(
            sender=owner, content_commitment=commitment, ciphertext_hash=sha256(ciphertext), locator=locator
        )
    except TransactionRevertedError as exc:
        print(f"   refused by the contract: {exc.error_name}")
    else:
        raise AssertionError("the registry accepted a duplicate registration")

    print("\n== 6. Encrypted sharing with integrity")
    sharing.run(session, output / "sharing")
    settle()
    print("\nDemo finished.")
