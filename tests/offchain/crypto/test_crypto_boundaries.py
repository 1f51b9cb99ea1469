"""Every decoder and verifier of :mod:`offchain.crypto` that takes outside input raises only the
toolkit's own errors (issue 12): fuzzed with random bytes, wrong types, wrong lengths, None, huge
integers and valid-but-tampered encodings. Verifiers return ``False`` or raise one of ours, as
each documents; a tampered input never verifies.

(The group signature's decoders are in ``test_group_signature_boundaries.py``.)
"""

from __future__ import annotations

import io
import json
import random
import secrets
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offchain.crypto import additive_threshold_paillier as atp
from offchain.crypto import batching, challenge, envelope, hashing, merkle, pre, range_proof
from offchain.crypto import paillier as pl
from offchain.crypto import threshold_paillier as tp
from offchain.crypto import transfer_proof as tf
from tests.offchain.fuzzing import (
    CHEAP,
    COSTLY,
    REFUSED,
    integers,
    json_text,
    json_values,
    junk,
    project_errors_only,
    tampered_bytes,
    tampered_json,
)


def verdict(result: object) -> None:
    """A verifier's result: a bool, or REFUSED when it raised one of ours."""
    assert result is REFUSED or isinstance(result, bool), f"a verifier returned {result!r}"


def check_tampered(decode, encoded, valid, verifier, *leading) -> None:
    """Decode a tampered encoding; if it decodes, ``verifier(*leading, proof)`` returns a bool
    (or raises one of ours), and True only when the proof is the original."""
    proof = project_errors_only(decode, encoded)
    if proof is not REFUSED:
        result = project_errors_only(verifier, *leading, proof)
        verdict(result)
        assert result is not True or proof == valid


# ---- Paillier ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paillier_keys():
    return pl.generate_keypair(512)


@pytest.mark.parametrize(
    ("to_json", "from_json", "part"),
    [(pl.public_key_to_json, pl.public_key_from_json, 0), (pl.private_key_to_json, pl.private_key_from_json, 1)],
    ids=["public_key_from_json", "private_key_from_json"],
)
@CHEAP
@given(text=st.one_of(junk, st.builds(json_text, json_values)), tamper=st.data())
def test_paillier_key_from_json(paillier_keys, to_json, from_json, part, text, tamper):
    project_errors_only(from_json, text)
    project_errors_only(from_json, json_text(tamper.draw(tampered_json(json.loads(to_json(paillier_keys[part]))))))


@CHEAP
@given(data=st.data(), other=junk, bound=st.one_of(st.none(), junk))
def test_encrypted_vector_from_bytes(paillier_keys, data, other, bound):
    public_key, private_key = paillier_keys
    valid = pl.EncryptedVector.encrypt(public_key, [1.5, -2]).to_bytes()
    for candidate in (data.draw(tampered_bytes(valid)), other):
        vector = project_errors_only(pl.EncryptedVector.from_bytes, candidate, public_key, bound=bound)
        if vector is not REFUSED:
            project_errors_only(vector.decrypt, private_key)
    project_errors_only(pl.EncryptedVector.from_bytes, valid, other)


@CHEAP
@given(ciphertexts=st.one_of(junk, st.lists(junk, max_size=3)), scale=junk, bound=junk)
def test_encrypted_vector_from_ciphertexts(paillier_keys, ciphertexts, scale, bound):
    public_key = paillier_keys[0]
    project_errors_only(pl.EncryptedVector.from_ciphertexts, public_key, ciphertexts)
    project_errors_only(pl.EncryptedVector.from_ciphertexts, public_key, [2], scale_power=scale, bound=bound)


@CHEAP
@given(residue=junk, scale=junk)
def test_fixed_point_decode(paillier_keys, residue, scale):
    codec = pl.FixedPoint.for_key(paillier_keys[0])
    project_errors_only(codec.decode, residue)
    project_errors_only(codec.decode, 5, scale)


@CHEAP
@given(ciphertext=junk)
def test_paillier_decrypt_raw(paillier_keys, ciphertext):
    project_errors_only(pl.decrypt_raw, paillier_keys[1], ciphertext)


# ---- threshold Paillier -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def threshold_key():
    return tp.generate_threshold_keypair(512, 3, 2, rng=random.Random(12))


@pytest.fixture(scope="module")
def threshold_ciphertext(threshold_key):
    return int(pl.encrypt_raw(threshold_key[0].paillier, 42))


@pytest.fixture(scope="module")
def threshold_partials(threshold_key, threshold_ciphertext):
    return [tp.partial_decrypt(share, threshold_ciphertext) for share in threshold_key[1]]


def fuzz_public_key(key_type, valid, text, tamper):
    """A key type's JSON and dict readers, and the kind dispatcher, on junk and on tampered valid keys."""
    project_errors_only(key_type.from_json, text)
    project_errors_only(key_type.from_json, json_text(tamper.draw(tampered_json(valid))))
    project_errors_only(key_type.from_dict, tamper.draw(tampered_json(valid)))
    project_errors_only(tp.public_key_from_dict, tamper.draw(tampered_json(valid)))


@CHEAP
@given(text=st.one_of(junk, st.builds(json_text, json_values)), tamper=st.data())
def test_threshold_public_key_from_json(threshold_key, text, tamper):
    fuzz_public_key(tp.ThresholdPublicKey, threshold_key[0].to_dict(), text, tamper)


@pytest.fixture(scope="module")
def additive_key():
    return atp.generate_additive_keypair(512, 3, rng=random.Random(13))


@COSTLY
@given(text=st.one_of(junk, st.builds(json_text, json_values)), tamper=st.data())
def test_additive_threshold_public_key_from_json(additive_key, text, tamper):
    fuzz_public_key(atp.AdditivePublicKey, additive_key[0].to_dict(), text, tamper)


@COSTLY
@given(text=st.one_of(junk, st.builds(json_text, json_values)), tamper=st.data())
def test_threshold_key_share_from_json(threshold_key, text, tamper):
    valid = json.loads(threshold_key[1][0].to_json())
    project_errors_only(tp.KeyShare.from_json, text)
    project_errors_only(tp.KeyShare.from_json, json_text(tamper.draw(tampered_json(valid))))


@CHEAP
@given(data=st.one_of(junk, json_values), tamper=st.data())
def test_partial_decryption_from_dict(threshold_partials, data, tamper):
    project_errors_only(tp.PartialDecryption.from_dict, data)
    project_errors_only(tp.PartialDecryption.from_dict, tamper.draw(tampered_json(threshold_partials[0].to_dict())))


@COSTLY
@given(tamper=st.data(), ciphertext=junk, field=st.sampled_from(["index", "value", "commitment_c", "response"]))
def test_verify_partial(threshold_key, threshold_ciphertext, threshold_partials, tamper, ciphertext, field):
    public_key = threshold_key[0]
    partial = threshold_partials[0]
    tampered = project_errors_only(tp.PartialDecryption.from_dict, tamper.draw(tampered_json(partial.to_dict())))
    if tampered is not REFUSED and tampered != partial:
        assert project_errors_only(tp.verify_partial, public_key, threshold_ciphertext, tampered) is REFUSED
    changed = project_errors_only(replace, partial, **{field: tamper.draw(junk)})  # a field of any type
    if changed is not REFUSED:
        result = project_errors_only(tp.verify_partial, public_key, threshold_ciphertext, changed)
        assert result is REFUSED or changed == partial
    project_errors_only(tp.verify_partial, public_key, ciphertext, partial)
    project_errors_only(tp.verify_partial, public_key, threshold_ciphertext, tamper.draw(junk))


@COSTLY
@given(partials=st.one_of(junk, st.lists(junk, max_size=3)), position=st.integers(0, 2), tamper=st.data())
def test_verify_partials_and_threshold_decrypt(
    threshold_key, threshold_ciphertext, threshold_partials, partials, position, tamper
):
    public_key = threshold_key[0]
    project_errors_only(tp.verify_partials, public_key, threshold_ciphertext, partials)
    project_errors_only(tp.threshold_decrypt, public_key, threshold_ciphertext, partials)
    mixed = list(threshold_partials)
    mixed[position] = tamper.draw(st.one_of(junk, st.builds(lambda i: replace(mixed[position], index=i), integers)))
    project_errors_only(tp.verify_partials, public_key, threshold_ciphertext, mixed)
    project_errors_only(tp.combine, public_key, partials)


# ---- proxy re-encryption (Umbral) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def grant():
    owner, receiver = pre.KeyPair.generate(), pre.KeyPair.generate()
    sealed = pre.seal(owner.public_key, secrets.token_bytes(32))
    kfrags = pre.generate_kfrags(
        delegating_sk=owner.secret_key,
        receiving_pk=receiver.public_key,
        signer_sk=owner.secret_key,
        threshold=1,
        shares=2,
    )
    keys = {"delegating_pk": owner.public_key, "receiving_pk": receiver.public_key, "verifying_pk": owner.public_key}
    verified = pre.verify_kfrag(kfrags[0], **keys)
    cfrag = pre.reencrypt(sealed, verified)
    return owner, receiver, sealed, kfrags[0], cfrag, keys


@CHEAP
@given(data=st.one_of(junk, st.binary(min_size=32, max_size=32)))
def test_pre_key_pair_from_secret_bytes(data):
    project_errors_only(pre.KeyPair.from_secret_bytes, data)


@CHEAP
@given(data=st.one_of(junk, st.binary(min_size=33, max_size=33)), tamper=st.data())
def test_pre_public_key_from_bytes(grant, data, tamper):
    project_errors_only(pre.public_key_from_bytes, data)
    project_errors_only(pre.public_key_from_bytes, tamper.draw(tampered_bytes(grant[0].public_bytes())))


@CHEAP
@given(tamper=st.data(), message=junk, key=junk)
def test_pre_verify_signature(grant, tamper, message, key):
    owner = grant[0]
    signature = pre.sign(b"grant", signer_sk=owner.secret_key)
    forged = tamper.draw(tampered_bytes(signature))
    result = project_errors_only(pre.verify_signature, forged, message=b"grant", verifying_pk=owner.public_key)
    assert result is REFUSED or forged == signature  # raises VerificationError, never returns, unless genuine
    project_errors_only(pre.verify_signature, signature, message=message, verifying_pk=owner.public_key)
    project_errors_only(pre.verify_signature, signature, message=b"grant", verifying_pk=key)


@CHEAP
@given(data=junk, tamper=st.data())
def test_pre_sealed_key_from_bytes_and_open_sealed(grant, data, tamper):
    owner, sealed = grant[0], grant[2]
    project_errors_only(pre.SealedKey.from_bytes, data)
    candidate = tamper.draw(tampered_bytes(sealed.to_bytes()))
    parsed = project_errors_only(pre.SealedKey.from_bytes, candidate)
    if parsed is not REFUSED:
        opened = project_errors_only(pre.open_sealed, owner.secret_key, parsed)
        assert opened is REFUSED or candidate == sealed.to_bytes()
    project_errors_only(pre.open_sealed, owner.secret_key, data)
    project_errors_only(pre.open_sealed, data, sealed)


@CHEAP
@given(data=junk, tamper=st.data(), key_name=st.sampled_from(["delegating_pk", "receiving_pk", "verifying_pk"]))
def test_pre_verify_kfrag(grant, data, tamper, key_name):
    sealed, kfrag, keys = grant[2], grant[3], grant[5]
    candidate = tamper.draw(tampered_bytes(kfrag))
    result = project_errors_only(pre.verify_kfrag, candidate, **keys)
    if result is not REFUSED and candidate != kfrag:
        # The proxy's check covers the signature for the proxy only; Umbral leaves the one for
        # the receiver to the receiver: a cfrag made with such a kfrag must not verify.
        cfrag = pre.reencrypt(sealed, result)
        assert project_errors_only(pre.verify_cfrag, cfrag, sealed=sealed, **keys) is REFUSED
    project_errors_only(pre.verify_kfrag, data, **keys)
    project_errors_only(pre.verify_kfrag, kfrag, **{**keys, key_name: data})


@CHEAP
@given(data=junk, tamper=st.data())
def test_pre_verify_cfrag(grant, data, tamper):
    sealed, cfrag, keys = grant[2], grant[4], grant[5]
    candidate = tamper.draw(tampered_bytes(cfrag))
    result = project_errors_only(pre.verify_cfrag, candidate, sealed=sealed, **keys)
    assert result is REFUSED or candidate == cfrag
    project_errors_only(pre.verify_cfrag, data, sealed=sealed, **keys)
    project_errors_only(pre.verify_cfrag, cfrag, sealed=data, **keys)


@CHEAP
@given(cfrags=st.one_of(junk, st.lists(junk, max_size=3)), threshold=junk)
def test_pre_open_reencrypted(grant, cfrags, threshold):
    owner, receiver, sealed, _, cfrag, keys = grant
    verified = pre.verify_cfrag(cfrag, sealed=sealed, **keys)
    common = {"receiving_sk": receiver.secret_key, "delegating_pk": owner.public_key, "sealed": sealed}
    project_errors_only(pre.open_reencrypted, **common, cfrags=cfrags, threshold=1)
    project_errors_only(pre.open_reencrypted, **common, cfrags=[verified], threshold=threshold)


# ---- envelopes ----------------------------------------------------------------------------------

ENVELOPE_KEY, FILE_ID = bytes(range(32)), bytes(32)


@CHEAP
@given(tamper=st.data(), data=junk, key=junk, file_id=junk)
def test_envelope_decrypt(tamper, data, key, file_id):
    valid = envelope.encrypt(b"payload " * 40, ENVELOPE_KEY, file_id=FILE_ID, chunk_size=64)
    candidate = tamper.draw(tampered_bytes(valid))
    result = project_errors_only(envelope.decrypt, candidate, ENVELOPE_KEY, file_id=FILE_ID)
    assert result is REFUSED or candidate == valid
    project_errors_only(envelope.decrypt, data, ENVELOPE_KEY, file_id=FILE_ID)
    project_errors_only(envelope.decrypt, valid, key, file_id=FILE_ID)
    project_errors_only(envelope.decrypt, valid, ENVELOPE_KEY, file_id=file_id)


@CHEAP
@given(tamper=st.data(), source=junk, sink=junk)
def test_envelope_decrypt_stream(tamper, source, sink):
    valid = envelope.encrypt(b"stream " * 30, ENVELOPE_KEY, file_id=FILE_ID, chunk_size=50)
    candidate = tamper.draw(tampered_bytes(valid))
    out = io.BytesIO()
    written = project_errors_only(envelope.decrypt_stream, io.BytesIO(candidate), out, ENVELOPE_KEY, file_id=FILE_ID)
    assert written is REFUSED or candidate == valid
    project_errors_only(envelope.decrypt_stream, source, io.BytesIO(), ENVELOPE_KEY, file_id=FILE_ID)
    project_errors_only(envelope.decrypt_stream, io.BytesIO(valid), sink, ENVELOPE_KEY, file_id=FILE_ID)


# ---- hashing, Merkle proofs, batching, challenges ------------------------------------------------


@CHEAP
@given(content=junk, salt=junk, commitment=junk)
def test_verify_commitment(content, salt, commitment):
    verdict(project_errors_only(hashing.verify_commitment, content, salt, commitment))
    verdict(project_errors_only(hashing.verify_commitment, b"x", bytes(32), commitment))


@pytest.fixture(scope="module")
def tree():
    return merkle.MerkleTree.from_blocks([bytes([i]) * 10 for i in range(11)])


@CHEAP
@given(data=junk, tamper=st.data())
def test_inclusion_proof_from_bytes_and_verify(tree, data, tamper):
    valid = tree.proof(5)
    project_errors_only(merkle.InclusionProof.from_bytes, data)
    encoded = tamper.draw(tampered_bytes(valid.to_bytes()))
    check_tampered(merkle.InclusionProof.from_bytes, encoded, valid, merkle.verify_inclusion, tree.root, tree.digest(5))


@CHEAP
@given(data=st.one_of(junk, json_values), tamper=st.data(), root=junk, digest=junk)
def test_inclusion_proof_from_dict_and_verify(tree, data, tamper, root, digest):
    valid = tree.proof(3)
    project_errors_only(merkle.InclusionProof.from_dict, data)
    encoded = tamper.draw(tampered_json(valid.to_dict()))
    check_tampered(merkle.InclusionProof.from_dict, encoded, valid, merkle.verify_inclusion, tree.root, tree.digest(3))
    verdict(project_errors_only(merkle.verify_inclusion, root, tree.digest(3), valid))
    verdict(project_errors_only(merkle.verify_inclusion, tree.root, digest, valid))
    verdict(project_errors_only(merkle.verify_inclusion, tree.root, tree.digest(3), data))


@CHEAP
@given(data=st.one_of(junk, json_values), tamper=st.data(), digests=junk)
def test_multiproof_from_dict_and_verify(tree, data, tamper, digests):
    indices = (1, 2, 7)
    valid = tree.multiproof(indices)
    claimed = {i: tree.digest(i) for i in indices}
    project_errors_only(merkle.MultiProof.from_dict, data)
    encoded = tamper.draw(tampered_json(valid.to_dict()))
    check_tampered(merkle.MultiProof.from_dict, encoded, valid, merkle.verify_multiproof, tree.root, claimed)
    verdict(project_errors_only(merkle.verify_multiproof, tree.root, digests, valid))
    verdict(project_errors_only(merkle.verify_multiproof, tree.root, claimed, data))


@pytest.fixture(scope="module")
def data_block():
    records = [batching.Record(bytes([i]) * 20, b"meta", bytes([i]) * 32) for i in range(6)]
    return batching.DataBlock.build(records)


@CHEAP
@given(data=st.one_of(junk, json_values), tamper=st.data(), root=junk)
def test_record_proof_from_dict_and_verify_record(data_block, data, tamper, root):
    valid = data_block.record_proof(4)
    project_errors_only(batching.RecordProof.from_dict, data)
    encoded = tamper.draw(tampered_json(valid.to_dict()))
    digest = data_block.record_digest(4)
    check_tampered(batching.RecordProof.from_dict, encoded, valid, batching.verify_record, data_block.root, digest)
    verdict(project_errors_only(batching.verify_record, root, data_block.record_digest(4), valid))
    verdict(project_errors_only(batching.verify_record, data_block.root, root, valid))
    verdict(project_errors_only(batching.verify_record, data_block.root, data_block.record_digest(4), data))


@CHEAP
@given(root=junk, k=st.one_of(junk, st.integers(-5, 64)), nonce=junk, block_count=st.one_of(junk, st.integers(-5, 64)))
def test_challenge_seed_and_indices(root, k, nonce, block_count):
    project_errors_only(challenge.challenge_seed, root, k, nonce)
    project_errors_only(challenge.challenge_indices, bytes(32), k, block_count)
    project_errors_only(challenge.challenge_indices, root, 3, 10)


# ---- range and transfer proofs ------------------------------------------------------------------


@pytest.fixture(scope="module")
def transfer(threshold_key):
    n = threshold_key[0].n
    deltas, opening = tf.make_deltas(n, [0, 5, 0], 0)
    statement = tf.TransferStatement(n, bytes(range(32)), deltas, 0)
    return statement, tf.prove_transfer(statement, opening)


@COSTLY
@given(data=st.one_of(junk, json_values), tamper=st.data())
def test_range_proof_from_dict_and_verify_range(transfer, data, tamper):
    statement, proof = transfer
    valid = proof.ranges[0]
    context = statement.range_context(1)
    project_errors_only(range_proof.RangeProof.from_dict, data)
    parsed = project_errors_only(range_proof.RangeProof.from_dict, tamper.draw(tampered_json(valid.to_dict())))
    if parsed is not REFUSED:
        result = project_errors_only(range_proof.verify_range, statement.n, statement.deltas[1], parsed, context)
        verdict(result)
        assert result is not True or parsed.to_dict() == valid.to_dict()
    verdict(project_errors_only(range_proof.verify_range, statement.n, data, valid, context))
    verdict(project_errors_only(range_proof.verify_range, statement.n, statement.deltas[1], data, context))
    verdict(project_errors_only(range_proof.verify_range, statement.n, statement.deltas[1], valid, data))


@COSTLY
@given(data=junk, tamper=st.data())
def test_transfer_proof_from_bytes_and_verify_transfer(transfer, data, tamper):
    statement, proof = transfer
    project_errors_only(tf.TransferProof.from_bytes, data)
    candidate = tamper.draw(
        st.one_of(
            tampered_bytes(proof.to_bytes()),
            st.builds(lambda v: json_text(v).encode(), tampered_json(json.loads(proof.to_bytes()))),
        )
    )
    parsed = project_errors_only(tf.TransferProof.from_bytes, candidate)
    if parsed is not REFUSED:
        accepted = project_errors_only(tf.verify_transfer, statement, parsed) is not REFUSED
        assert not accepted or parsed.to_bytes() == proof.to_bytes()
    project_errors_only(tf.verify_transfer, statement, data)
    project_errors_only(tf.verify_transfer, data, proof)
    project_errors_only(tf.verify_transfer, replace(statement, deltas=statement.deltas[:2]), proof)


@CHEAP
@given(value=integers)
def test_huge_integers_are_handled_by_every_decoder_that_takes_them(paillier_keys, value):
    project_errors_only(pl.EncryptedVector.from_ciphertexts, paillier_keys[0], [value])
    project_errors_only(merkle.InclusionProof, value, ())
