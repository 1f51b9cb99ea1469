"""offchain.zk.bn254: py_ecc's curve without py_ecc's recursion limit of 100,000 for the process.

Each test runs a fresh interpreter: the limit is process-wide, and the test process has long
imported the curve by the time a test runs.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_importing_the_curve_keeps_the_recursion_limit_the_process_had():
    done = run_python(
        """
        import sys
        sys.setrecursionlimit(1234)
        import offchain.zk.bn254
        import py_ecc  # already imported: its limit of 100,000 is not set again
        print(sys.getrecursionlimit())
        """
    )
    assert (done.returncode, done.stdout.strip()) == (0, "1234"), done.stderr


def test_a_process_running_every_role_refuses_a_payload_of_deeply_nested_json_and_lives_on():
    """With py_ecc's limit, a partial model of 100,000 nested brackets, as a malicious participant
    could post it on the training board, killed the reading process with SIGSEGV (exit -11)."""
    done = run_python(
        """
        import offchain.cli  # every role and the verifier loaded, as in the datashare command
        from offchain.protocols import vertical_svm as vs
        try:
            vs.decode_model(b"VPM1" + b"[" * 100_000 + b"]" * 100_000)
        except vs.MalformedPayloadError as exc:
            print("refused:", exc)
        """
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout and "nested too deeply" in done.stdout


def test_the_pairing_and_scalar_multiplication_run_under_the_default_recursion_limit():
    """What verify() computes (multiply, Miller loops, the final exponentiation) needs no more
    frames than Python's default allows, so nothing needed py_ecc's 100,000."""
    done = run_python(
        """
        import sys
        sys.setrecursionlimit(1000)
        from offchain.zk.bn254 import G1, G2, curve_order, is_inf, multiply, pairing
        print(is_inf(multiply(G1, curve_order)), pairing(G2, multiply(G1, 2)) == pairing(multiply(G2, 2), G1))
        """
    )
    assert (done.returncode, done.stdout.strip()) == (0, "True True"), done.stderr
