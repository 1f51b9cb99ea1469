"""The zk decoders and the Groth16 verifier take outside input (proofs, keys, records and
requirements from buyers and owners) and raise only the toolkit's own errors (issue 12).

Fuzzed with junk of every type and with tampered forms of a well-formed proof (the curve
generators: it parses, its points are valid, and it does not hold) and of the checked-in key.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from offchain.zk.artifacts import artifacts
from offchain.zk.bn254 import G1, G2
from offchain.zk.proof import Proof
from offchain.zk.statement import Record, Requirement
from offchain.zk.verifier import VerificationKey, verify
from tests.offchain.fuzzing import CHEAP, REFUSED, json_text, json_values, junk, project_errors_only, tampered_json

PAIRINGS = settings(max_examples=25, deadline=None)  # a verification that gets as far as the pairing costs ~1 s

KEY_JSON = json.loads(artifacts(8).vkey.read_text())


PROOF_JSON = {
    "protocol": "groth16",
    "curve": "bn128",
    "pi_a": [str(G1[0].n), str(G1[1].n), "1"],
    "pi_b": [[str(c) for c in G2[0].coeffs], [str(c) for c in G2[1].coeffs], ["1", "0"]],
    "pi_c": [str(G1[0].n), str(G1[1].n), "1"],
}


@CHEAP
@given(text=st.one_of(junk, st.builds(json_text, json_values)), tamper=st.data())
def test_proof_from_json(text, tamper):
    project_errors_only(Proof.from_json, text)
    project_errors_only(Proof.from_snarkjs, tamper.draw(tampered_json(PROOF_JSON)), tamper.draw(json_values))


@CHEAP
@given(parsed=st.one_of(junk, json_values), tamper=st.data())
def test_verification_key_from_snarkjs(parsed, tamper):
    project_errors_only(VerificationKey.from_snarkjs, parsed)
    project_errors_only(VerificationKey.from_snarkjs, tamper.draw(tampered_json(KEY_JSON)))


@settings(max_examples=100, deadline=None)
@given(content=st.one_of(junk, st.builds(json_text, json_values)))
def test_verification_key_load(tmp_path_factory, content):
    path = Path(tmp_path_factory.mktemp("vkey")) / "key.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(str(content))
    project_errors_only(VerificationKey.load, path)
    project_errors_only(VerificationKey.load, content)


@PAIRINGS
@given(tamper=st.data(), key=junk)
def test_verify(tamper, key):
    signals = [str(i) for i in range(len(KEY_JSON["IC"]) - 1)]
    proof = project_errors_only(Proof.from_snarkjs, tamper.draw(tampered_json(PROOF_JSON)), signals)
    if proof is not REFUSED:
        result = project_errors_only(verify, proof, 8)
        assert result is REFUSED or result is False  # none of these is a proof that holds
    project_errors_only(verify, tamper.draw(junk), 8)
    project_errors_only(verify, Proof.from_snarkjs(PROOF_JSON, signals), key)


@CHEAP
@given(content=st.one_of(junk, st.builds(lambda v: json_text(v).encode(), json_values)), tamper=st.data())
def test_record_from_bytes(content, tamper):
    valid = json.loads(Record((1, 2, 3), salt=7).to_bytes())
    project_errors_only(Record.from_bytes, content)
    project_errors_only(Record.from_bytes, json_text(tamper.draw(tampered_json(valid))).encode())


@CHEAP
@given(text=st.one_of(junk, st.builds(json_text, json_values)), tamper=st.data())
def test_requirement_from_json(text, tamper):
    valid = json.loads('{"ranges": [["0", "100", true], ["5", "9", false]], "min_satisfied": 1, "nonce": "3"}')
    project_errors_only(Requirement.from_json, text)
    project_errors_only(Requirement.from_json, json_text(tamper.draw(tampered_json(valid))))
