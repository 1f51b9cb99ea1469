"""Secret-key files, envelope files and file trees come from disk, so from outside: their
loaders raise only the toolkit's own errors (issue 12), fuzzed with junk of every type, random
JSON and bytes, and valid encodings with a member deleted, replaced or a byte changed.

Covered here: :meth:`GroupManagerKey.from_json`, :meth:`MemberKey.from_json`,
:meth:`ModulusProof.from_dict`, :func:`envelope.decrypt_file`, :meth:`MerkleTree.from_file`,
:meth:`MerkleTree.from_bytes` and :meth:`MerkleTree.from_digests`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.crypto import envelope, merkle
from offchain.crypto import group_signature as gs
from offchain.errors import InvalidInputError
from tests.offchain import fuzzing as fz

BITS = 1024
#: Loading a group key checks its modulus proof (tens of ms at 1024 bits): fewer examples.
KEY_FILES = settings(fz.COSTLY, max_examples=40)
#: Each example writes and reads a file.
FILES = settings(fz.CHEAP, max_examples=100)
#: A path of the wrong type is refused before any I/O: a type check needs few examples.
PATHS = settings(fz.CHEAP, max_examples=100)


@pytest.fixture(scope="module")
def group():
    manager = gs.GroupManager(gs.generate_group(BITS))
    return manager.key, gs.join(manager)


def json_texts() -> st.SearchStrategy[object]:
    return st.one_of(fz.junk, st.builds(fz.json_text, fz.json_values))


# ---- group signature secret keys ----------------------------------------------------------------


@KEY_FILES
@given(text=json_texts())
def test_group_manager_key_from_json_refuses_junk(text):
    assert fz.project_errors_only(gs.GroupManagerKey.from_json, text) is fz.REFUSED


@KEY_FILES
@given(tamper=st.data())
def test_group_manager_key_from_json_refuses_a_tampered_key(group, tamper):
    valid = json.loads(group[0].to_json())
    edited = tamper.draw(fz.tampered_json(valid))
    loaded = fz.project_errors_only(gs.GroupManagerKey.from_json, fz.json_text(edited))
    assert loaded is fz.REFUSED or loaded == group[0]


@pytest.mark.parametrize(
    "edit",
    [
        {"p_prime": lambda p, q, x: -p - 1, "q_prime": lambda p, q, x: -q - 1},
        {"x": lambda p, q, x: x + p * q},
        {"x": lambda p, q, x: 0},
    ],
    ids=["negated factors", "x plus the group order", "x zero"],
)
def test_group_manager_key_from_json_refuses_secrets_outside_their_ranges(group, edit):
    data = json.loads(group[0].to_json())
    p, q, x = (int(data[name], 16) for name in ("p_prime", "q_prime", "x"))
    data.update({name: hex(change(p, q, x)) for name, change in edit.items()})
    with pytest.raises(InvalidInputError, match="group manager key"):
        gs.GroupManagerKey.from_json(json.dumps(data))


@KEY_FILES
@given(text=json_texts())
def test_member_key_from_json_refuses_junk(text):
    assert fz.project_errors_only(gs.MemberKey.from_json, text) is fz.REFUSED


def test_member_key_from_json_refuses_a_certificate_outside_zn(group):
    data = json.loads(group[1].to_json())
    data["A"] = hex(int(data["A"], 16) + int(data["public"]["n"], 16))  # A + n satisfies A^e = a0 a^x too
    with pytest.raises(InvalidInputError, match="member key: A"):
        gs.MemberKey.from_json(json.dumps(data))


@KEY_FILES
@given(tamper=st.data())
def test_member_key_from_json_refuses_a_tampered_key(group, tamper):
    valid = json.loads(group[1].to_json())
    edited = tamper.draw(fz.tampered_json(valid))
    loaded = fz.project_errors_only(gs.MemberKey.from_json, fz.json_text(edited))
    assert loaded is fz.REFUSED or loaded == group[1]


@fz.CHEAP
@given(data=st.one_of(fz.junk, fz.json_values))
def test_modulus_proof_from_dict_refuses_junk(data):
    assert fz.project_errors_only(gs.ModulusProof.from_dict, data) is fz.REFUSED


@fz.CHEAP
@given(tamper=st.data())
def test_modulus_proof_from_dict_raises_only_project_errors_on_a_tampered_proof(group, tamper):
    valid = group[0].public.setup_proof
    parsed = fz.project_errors_only(gs.ModulusProof.from_dict, tamper.draw(fz.tampered_json(valid.to_dict())))
    if parsed is not fz.REFUSED:
        failure = gs.modulus_proof_failure(group[0].public.n, group[0].public.seed, parsed)
        assert failure is not None or parsed == valid


# ---- envelope files -----------------------------------------------------------------------------

DATA_KEY, FILE_ID = bytes(range(32)), bytes(32)
PLAINTEXT = b"file contents " * 20


@pytest.fixture(scope="module")
def sealed_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("envelope")
    (folder / "plain").write_bytes(PLAINTEXT)
    envelope.encrypt_file(folder / "plain", folder / "sealed", DATA_KEY, file_id=FILE_ID, chunk_size=64)
    return (folder / "sealed").read_bytes()


def decrypt_bytes(folder: Path, content: bytes, data_key: object = DATA_KEY, file_id: object = FILE_ID) -> object:
    """decrypt_file of ``content``; afterwards the destination exists only if it succeeded."""
    src, dst = folder / "src", folder / "dst"
    src.write_bytes(content)
    dst.unlink(missing_ok=True)
    written = fz.project_errors_only(envelope.decrypt_file, src, dst, data_key, file_id=file_id)
    assert dst.exists() == (written is not fz.REFUSED), "a refused envelope left a plaintext behind"
    return written


@FILES
@given(tamper=st.data())
def test_decrypt_file_refuses_a_truncated_or_tampered_envelope(tmp_path_factory, sealed_file, tamper):
    candidate = tamper.draw(fz.tampered_bytes(sealed_file))
    written = decrypt_bytes(tmp_path_factory.mktemp("dec"), candidate)
    assert written is fz.REFUSED or candidate == sealed_file


@FILES
@given(content=st.binary(max_size=300))
def test_decrypt_file_refuses_random_bytes(tmp_path_factory, content):
    assert decrypt_bytes(tmp_path_factory.mktemp("dec"), content) is fz.REFUSED


@FILES
@given(data_key=st.one_of(fz.junk, st.binary(min_size=32, max_size=32)))
def test_decrypt_file_refuses_a_wrong_key(tmp_path_factory, sealed_file, data_key):
    written = decrypt_bytes(tmp_path_factory.mktemp("dec"), sealed_file, data_key, FILE_ID)
    assert written is fz.REFUSED or data_key == DATA_KEY


@FILES
@given(file_id=st.one_of(fz.junk, st.binary(max_size=70)))
def test_decrypt_file_refuses_a_wrong_file_id(tmp_path_factory, sealed_file, file_id):
    written = decrypt_bytes(tmp_path_factory.mktemp("dec"), sealed_file, DATA_KEY, file_id)
    assert written is fz.REFUSED or file_id == FILE_ID


#: Junk for a path argument; strings are left out, as they are paths (into the working folder).
not_paths = fz.junk.filter(lambda value: not isinstance(value, str))


@PATHS
@given(path=not_paths)
def test_decrypt_file_refuses_a_source_that_is_not_a_path(tmp_path_factory, path):
    folder = tmp_path_factory.mktemp("dec")
    assert fz.project_errors_only(envelope.decrypt_file, path, folder / "dst", DATA_KEY, file_id=FILE_ID) is fz.REFUSED
    assert not (folder / "dst").exists()


@PATHS
@given(path=not_paths)
def test_decrypt_file_refuses_a_destination_that_is_not_a_path(tmp_path_factory, sealed_file, path):
    src = tmp_path_factory.mktemp("dec") / "src"
    src.write_bytes(sealed_file)
    assert fz.project_errors_only(envelope.decrypt_file, src, path, DATA_KEY, file_id=FILE_ID) is fz.REFUSED


# ---- Merkle file trees --------------------------------------------------------------------------


@FILES
@given(block_size=st.one_of(fz.junk, fz.integers), workers=st.one_of(st.none(), fz.junk, st.integers(-3, 3)))
def test_merkle_tree_from_file_raises_only_project_errors(tmp_path_factory, block_size, workers):
    path = tmp_path_factory.mktemp("tree") / "file"
    path.write_bytes(PLAINTEXT)
    tree = fz.project_errors_only(merkle.MerkleTree.from_file, path, block_size, workers)
    assert tree is fz.REFUSED or tree.root == merkle.MerkleTree.from_bytes(PLAINTEXT, block_size).root


@PATHS
@given(path=not_paths)
def test_merkle_tree_from_file_refuses_paths_that_are_not_paths(path):
    assert fz.project_errors_only(merkle.MerkleTree.from_file, path) is fz.REFUSED


@fz.CHEAP
@given(data=st.one_of(fz.junk, st.binary(max_size=200)), block_size=st.one_of(fz.junk, fz.integers))
def test_merkle_tree_from_bytes_raises_only_project_errors(data, block_size):
    fz.project_errors_only(merkle.MerkleTree.from_bytes, data, block_size)


@fz.CHEAP
@given(digests=st.one_of(fz.junk, st.lists(st.one_of(fz.junk, st.binary(min_size=31, max_size=33)), max_size=4)))
def test_merkle_tree_from_digests_raises_only_project_errors(digests):
    fz.project_errors_only(merkle.MerkleTree.from_digests, digests)
