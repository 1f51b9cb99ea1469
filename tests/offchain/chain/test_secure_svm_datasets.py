"""secureSVM datasets pinned on chain: registered through the DataRegistry with a Merkle root over
the encrypted rows; training on rows that no longer match is refused (needs a chain: run with
``brownie test``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from offchain.chain.registry import DataRegistryClient
from offchain.crypto.paillier import generate_keypair
from offchain.errors import IntegrityError
from offchain.learning import Schedule, load_dataset, prepare, quantize, train_plaintext
from offchain.protocols.secure_svm import (
    DataAnalyst,
    DataProvider,
    check_registered_dataset,
    fetch_registered_dataset,
    register_dataset,
    train_secure_svm,
)
from offchain.storage.filesystem import FilesystemBlobStore

SCHEDULE = Schedule(batch_size=12, iterations=3, seed=2)


@pytest.fixture
def client(registry):
    return DataRegistryClient(registry, from_block=registry.tx.block_number)


@pytest.fixture
def store(tmp_path):
    return FilesystemBlobStore(tmp_path / "blobs")


@pytest.fixture(scope="module")
def data():
    prepared = prepare(load_dataset("bcw"), seed=0)
    return quantize(prepared.x_train, SCHEDULE.fraction_bits)[:36], prepared.y_train.tolist()[:36]


def providers_of(data):
    rows, labels = data
    return [
        DataProvider(f"provider-{k}", [rows[i] for i in part], [labels[i] for i in part])
        for k, part in enumerate(np.array_split(np.arange(len(rows)), 2))
    ]


def register_all(providers, client, store, accounts):
    return {
        p.name: register_dataset(p, client, store, accounts[k + 1], fraction_bits=SCHEDULE.fraction_bits, key_bits=512)
        for k, p in enumerate(providers)
    }


def test_registered_datasets_pin_the_rows_and_training_on_them_matches_plaintext(client, store, accounts, data):
    providers = providers_of(data)
    registered = register_all(providers, client, store, accounts)
    pinned = {name: fetch_registered_dataset(client, store, r.file_id) for name, r in registered.items()}
    assert pinned == registered
    assert client.get_file(pinned["provider-0"].file_id).merkle_root == pinned["provider-0"].merkle_root
    analyst = DataAnalyst(SCHEDULE, keypair=generate_keypair(512))
    trace = train_secure_svm(analyst, providers, processes=False, pinned=pinned)
    assert trace.model == train_plaintext(*data, SCHEDULE).model


def test_a_dataset_whose_rows_no_longer_match_the_registered_root_is_refused(client, store, accounts, data):
    provider = providers_of(data)[0]
    pinned = register_dataset(provider, client, store, accounts[1], fraction_bits=SCHEDULE.fraction_bits, key_bits=512)
    record = client.get_file(pinned.file_id)
    blob = bytearray(store.get(record.locator))
    blob[-1] ^= 1  # one ciphertext byte of the last row
    with pytest.raises(IntegrityError, match="no longer match the registered Merkle root"):
        check_registered_dataset(record, bytes(blob))


def test_training_on_rows_other_than_the_registered_ones_is_refused(client, store, accounts, data):
    providers = providers_of(data)
    pinned = register_all(providers, client, store, accounts)
    providers[1].rows[0][0] = providers[1].rows[0][0] ^ 1  # the provider now offers a changed row
    analyst = DataAnalyst(SCHEDULE, keypair=generate_keypair(512))
    with pytest.raises(IntegrityError, match="not the registered dataset"):
        train_secure_svm(analyst, providers, processes=False, pinned=pinned)


def test_training_without_a_pinned_dataset_for_every_provider_is_refused(client, store, accounts, data):
    providers = providers_of(data)
    pinned = register_all(providers, client, store, accounts)
    del pinned["provider-1"]
    with pytest.raises(IntegrityError, match="no dataset pinned"):
        train_secure_svm(
            DataAnalyst(SCHEDULE, keypair=generate_keypair(512)), providers, processes=False, pinned=pinned
        )


def test_a_record_with_another_ciphertext_hash_is_refused(client, store, accounts, data):
    provider = providers_of(data)[0]
    pinned = register_dataset(provider, client, store, accounts[1], fraction_bits=SCHEDULE.fraction_bits, key_bits=512)
    record = client.get_file(pinned.file_id)
    with pytest.raises(IntegrityError, match="ciphertext hash"):
        check_registered_dataset(replace(record, ciphertext_hash=bytes(32)), store.get(record.locator))
