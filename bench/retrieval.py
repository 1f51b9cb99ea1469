"""Benchmark of image retrieval on chain (Shen, Zhu, Xu ch. 6, §6.4–6.6): hospitals publish sealed
feature records on the ``FeatureIndex``, the retrieval service syncs and indexes them, answers
plaintext queries, and a user checks each result's evidence.

    python bench/retrieval.py [--quick] [--network anvil]

Figures (bench/results/retrieval.json), wall time in milliseconds (median) unless named ``_s``:

    records                           synthetic images described, published and indexed (10,000;
                                      --quick 1,000), seed 6
    feature_extract_ms_per_image      describe(): the combined MPEG-7 descriptor of one 64 × 64
                                      synthetic image (median over all)
    feature_values                    the descriptor's length (float32 values)
    seal_ms_per_feature               seal_feature: AES-256-GCM envelope + Umbral-sealed data key
    bytes_per_feature_encrypted       one sealed feature blob (the off-chain object the record names)
    publish_gas_per_record            gas of publishBatch over all batches of 64 records, per record
                                      (the contract hashes the records, builds the root and anchors it)
    publish_gas_per_record_first      the first batch's (cold storage) per record
    bytes_per_record_onchain          calldata of publishBatch per record (ABI-encoded record,
                                      30-byte locator)
    index_build_s_<n>                 RetrievalService.sync of every batch: events read, each batch's
                                      tree rebuilt and compared with its anchored root, each blob
                                      fetched, checked against its digest and opened, rows persisted
                                      (SQLite) and added to the exact index
    index_build_ms_per_record         the same per record
    query_ms_<n>_plain_top100         RetrievalService-style exact search (ExactIndex) of one query
                                      over n descriptors, top 100, for n = 2k, 5k, 10k (the synced
                                      service's index at the full size) and 100k (random vectors of
                                      the same length: plaintext mode only)
    numpy_ms_<n>_top100               same-run baseline: a bare numpy distance scan + argpartition
    query_<n>_plain_top100_over_numpy their ratio
    precision_at_20_plain             leave-one-out P@20 of the plaintext ranking (200 queries)
    query_ms_<n>_private_top100       a private query through the service (user's CKKS encryption on
                                      the service's PCA projection, RetrievalService.answer_private's
                                      scoring, the user's decryption and top 100), the contract left
                                      out; …_with_chain_… also submitQuery and answerQuery on chain
                                      (the research's 89–97 ms include its contract); median of 50
                                      (--quick 10)
    precision_at_20_private           P@20 of the private ranking over those queries' images
    precision_at_20_plain_same_queries the plaintext P@20 over the same queries
    topk_agreement_private_vs_plain   fraction of the private top 100 equal, rank for rank, to the
                                      exact plaintext top 100 of the projected descriptor
    evidence_ms                       the service's RecordEvidence of 100 results (one SQLite read)
    check_evidence_ms                 FeatureIndexClient.check_evidence of one result: proof folded
                                      in Python against the anchored root + the contract's
                                      verifyRecord (four eth_calls)
    plain_call_ms                     same-run baseline: one raw eth_call on the same chain
    check_evidence_over_call          their ratio

Private-query phases, the full-descriptor variant and the other image sets are in
bench/image_retrieval.py. The chain is a private local one on a
free port (never one a test run uses).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import connect_own_chain, median_ms, parse_args, report, with_baseline_ratios
from eth_utils import keccak
from rich.progress import Progress
from umbral_pre import SecretKey

from offchain.chain import load_project
from offchain.chain.feature_index import MAX_BATCH_RECORDS, FeatureIndexClient, FeatureRecord
from offchain.protocols.retrieval_service import RetrievalService, seal_feature
from offchain.storage import FilesystemBlobStore
from offchain.vision import SyntheticImageSet, describe, private_query
from offchain.vision.index import ExactIndex

TOP = 100


def _numpy_top(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    distances = ((matrix - query) ** 2).sum(axis=1)
    return np.argpartition(distances, TOP)[:TOP]


def private_figures(
    figures: dict[str, float | int],
    client: FeatureIndexClient,
    service: RetrievalService,
    service_account: Any,
    agency: Any,
    user: Any,
    vectors: np.ndarray,
    labels: np.ndarray,
    size_label: str,
) -> None:
    """Private queries through the service: without and with the chain's query and answer."""
    client.register_user(sender=agency, user=user)
    projection = service.query_projection()
    key = private_query.new_user_context(projection)
    public = private_query.public_context(key)
    plan, _ = service._private_plan()
    plan.scores(public, private_query.encrypt_query(key, vectors[0]))  # loads the session's keys once
    exact = ExactIndex(projection.dimension)
    projected = projection.apply(vectors).astype(np.float32)
    exact.add(np.arange(len(vectors)), projected)
    rng = np.random.default_rng(16)
    count = 10 if len(vectors) < 10_000 else 50
    totals, chained, agreement, precision_private, precision_plain = [], [], [], [], []
    for i in rng.choice(len(vectors), count, replace=False):
        start = time.perf_counter()
        encrypted = private_query.encrypt_query(key, vectors[i])
        blocks = plan.scores(public, encrypted)
        order = private_query.top_k(private_query.decrypt_scores(key, blocks, len(vectors)), TOP)
        totals.append((time.perf_counter() - start) * 1000)
        _, plain = exact.search(projected[i], TOP)
        agreement.append(float(np.mean(np.asarray(order) == plain[0])))
        top = [int(j) for j in order if int(j) != int(i)][:20]
        precision_private.append(float(np.mean(labels[top] == labels[i])))
        _, full = service.index.search(vectors[i], 21)
        precision_plain.append(float(np.mean([service._by_row[int(r)][1] == labels[i] for r in full[0][1:21]])))
        start = time.perf_counter()
        encrypted = private_query.encrypt_query(key, vectors[i])
        query_id = client.submit_query(sender=user, query_hash=keccak(encrypted), top_k=TOP, private_mode=True)
        answer = service.answer_private(
            sender=service_account, query_id=query_id, public_context=public, encrypted_query=encrypted
        )
        answer.top_k(key, TOP)
        chained.append((time.perf_counter() - start) * 1000)
    figures[f"query_ms_{size_label}_private_top100"] = statistics.median(totals)
    figures[f"query_ms_{size_label}_private_top100_with_chain"] = statistics.median(chained)
    figures["precision_at_20_private"] = float(np.mean(precision_private))
    figures["precision_at_20_plain_same_queries"] = float(np.mean(precision_plain))
    figures["topk_agreement_private_vs_plain"] = float(np.mean(agreement))
    figures["private_dimension"] = projection.dimension


def main() -> None:
    args = parse_args(__doc__ or "")
    records = 1_000 if args.quick else 10_000
    figures: dict[str, float | int] = {"records": records}
    notes: dict[str, str] = {}

    images = SyntheticImageSet(seed=6, size=records)
    samples = []
    described = []
    with Progress() as progress:
        task = progress.add_task("describing", total=records)
        for i in range(records):
            start = time.perf_counter()
            described.append(describe(images[i]).vector())
            samples.append((time.perf_counter() - start) * 1000)
            progress.advance(task)
    figures["feature_extract_ms_per_image"] = statistics.median(samples)
    vectors = np.stack(described).astype(np.float32)
    labels = np.array([images.label(i) for i in range(records)])
    figures["feature_values"] = int(vectors.shape[1])
    rng = np.random.default_rng(6)
    size_label = f"{records // 1000}k"

    project = load_project()
    connect_own_chain(args.network)
    from brownie import accounts, web3

    deployer, agencies, service_account = accounts[0], list(accounts[1:4]), accounts[5]
    consortium = project.Consortium.deploy(agencies, 3600, {"from": deployer})
    anchor = project.MerkleAnchor.deploy({"from": deployer})
    contract = project.FeatureIndex.deploy(consortium, anchor, service_account, {"from": deployer})
    anchor.grantRole(anchor.ANCHORER_ROLE(), contract, {"from": deployer})
    client = FeatureIndexClient(contract, from_block=contract.tx.block_number)
    service_sk = SecretKey.random()

    with tempfile.TemporaryDirectory() as folder:
        store = FilesystemBlobStore(Path(folder) / "blobs")
        seal_samples = []
        batch: list[FeatureRecord] = []
        gas: list[int] = []
        calldata: list[int] = []
        with Progress() as progress:
            task = progress.add_task("sealing and publishing", total=records)
            for i in range(records):
                image_id = keccak(b"bench image %d" % i)
                start = time.perf_counter()
                blob = seal_feature(vectors[i], image_id=image_id, service_pk=service_sk.public_key())
                seal_samples.append((time.perf_counter() - start) * 1000)
                batch.append(FeatureRecord(image_id, 1, int(labels[i]), keccak(blob), store.put(blob)))
                if len(batch) == MAX_BATCH_RECORDS or i == records - 1:
                    published = client.publish_batch(sender=agencies[i % 3], records=batch)
                    gas.append(int(published.gas_used or 0))
                    calldata.append(len(bytes(web3.eth.get_transaction(published.tx_hash)["input"])))
                    if len(gas) == 1:
                        figures["publish_gas_per_record_first"] = gas[0] / len(batch)
                    batch = []
                progress.advance(task)
        figures["seal_ms_per_feature"] = statistics.median(seal_samples)
        figures["bytes_per_feature_encrypted"] = len(blob)
        figures["publish_gas_per_record"] = sum(gas) / records
        figures["bytes_per_record_onchain"] = sum(calldata) / records
        notes["publish_gas_per_record"] = f"{len(gas)} batches of up to {MAX_BATCH_RECORDS}"

        service = RetrievalService(
            client,
            service_sk=service_sk,
            fetch_blob=store.get,
            database=Path(folder) / "index.db",
            dimension=vectors.shape[1],
        )
        start = time.perf_counter()
        service.sync()
        figures[f"index_build_s_{size_label}"] = time.perf_counter() - start
        figures["index_build_ms_per_record"] = figures[f"index_build_s_{size_label}"] * 1000 / records
        assert len(service) == records

        loo = rng.choice(records, 200, replace=False)
        precision = []
        for i in loo:
            hits = [h for h in service.search(vectors[i], 21) if h.image_id != keccak(b"bench image %d" % i)][:20]
            precision.append(np.mean([h.label == labels[i] for h in hits]))
        figures["precision_at_20_plain"] = float(np.mean(precision))
        private_figures(
            figures, client, service, service_account, agencies[0], accounts[6], vectors, labels, size_label
        )

        queries = vectors[rng.choice(records, 20, replace=False)] + np.float32(0.01)
        sizes = [n for n in (2_000, 5_000) if n < records] + [records]
        for n in sizes:
            if n == records:
                search = service.search
            else:
                index = ExactIndex(vectors.shape[1])
                index.add(np.arange(n), vectors[:n])
                search = index.search
            label = f"{n // 1000}k"
            picks = iter(range(10**9))
            figures[f"query_ms_{label}_plain_top100"] = median_ms(
                lambda s=search, p=picks: s(queries[next(p) % 20], TOP), 50
            )
            figures[f"numpy_ms_{label}_top100"] = median_ms(
                lambda m=vectors[:n], p=picks: _numpy_top(m, queries[next(p) % 20]), 50
            )
        large = rng.normal(size=(100_000, vectors.shape[1])).astype(np.float32)
        index = ExactIndex(vectors.shape[1])
        index.add(np.arange(len(large)), large)
        figures["query_ms_100k_plain_top100"] = median_ms(lambda: index.search(large[7] + np.float32(0.01), TOP), 20)
        figures["numpy_ms_100k_top100"] = median_ms(lambda: _numpy_top(large, large[7] + np.float32(0.01)), 20)

        hits = service.search(queries[0], TOP)
        figures["evidence_ms"] = median_ms(lambda: service.evidence([h.image_id for h in hits]), 10)
        evidence = service.evidence([h.image_id for h in hits])
        picks = iter(range(10**9))
        figures["check_evidence_ms"] = median_ms(lambda: client.check_evidence(evidence[next(picks) % TOP]), 20)
        service.close()

    call = {"to": contract.address, "data": contract.batchCount.encode_input()}
    figures["plain_call_ms"] = median_ms(lambda: web3.eth.call(call), 50)
    for n in [*(f"{s // 1000}k" for s in sizes), "100k"]:
        figures = with_baseline_ratios(figures, f"numpy_ms_{n}_top100", "numpy", [f"query_ms_{n}_plain_top100"])
    figures = with_baseline_ratios(figures, "plain_call_ms", "call", ["check_evidence_ms"])
    report(
        "retrieval",
        {name: round(value, 4) if isinstance(value, float) else value for name, value in figures.items()},
        notes,
    )


if __name__ == "__main__":
    main()
