"""Where the data-validity circuits, their keys and their build outputs live, and how they are built.

The circuits (``circuits/*.circom``) are sources. Their keys (``keys/*.zkey``, the proving keys,
and ``keys/*.vkey.json``, the verification keys) come out of the trusted setup
(:mod:`offchain.zk.ceremony`); they cannot be rebuilt bit for bit, so they are checked in, as are
the Solidity verifiers generated from them (``contracts/Groth16VerifierN<n>.sol``). The compiled
circuit (the R1CS and the wasm witness generator) is a build output: :func:`ensure_built` compiles
it with the pinned ``circom2`` (circom 2 compiled to WebAssembly, from npm) into
``offchain/zk/build/`` when the sources changed, and never otherwise.

circom2 runs under WASI with only the current folder and its parents opened, so it runs from
the project's root and finds circomlib through ``-l node_modules/circomlib/circuits``.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from offchain.errors import InvalidInputError, ProverError
from offchain.toolchain import PROJECT_ROOT, node_bin_dir
from offchain.validation import parse_json

__all__ = [
    "BUILD_DIR",
    "CIRCUITS_DIR",
    "KEYS_DIR",
    "SUPPORTED_FIELD_COUNTS",
    "CircuitArtifacts",
    "artifacts",
    "ensure_built",
    "run_node_tool",
    "tool_version",
]

logger = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
#: The circom sources.
CIRCUITS_DIR: Path = _HERE / "circuits"
#: Proving and verification keys from the trusted setup (checked in).
KEYS_DIR: Path = _HERE / "keys"
#: Compiled circuits (not checked in).
BUILD_DIR: Path = _HERE / "build"
#: The record widths the project ships circuits, keys and verifiers for.
SUPPORTED_FIELD_COUNTS: tuple[int, ...] = (8, 16)

_CIRCOMLIB = PROJECT_ROOT / "node_modules" / "circomlib"
_STAMP = ".sources.sha256"


@dataclass(frozen=True)
class CircuitArtifacts:
    """The files of the data-validity circuit for records of ``field_count`` fields."""

    field_count: int

    @property
    def name(self) -> str:
        """The circuit's name, ``data_validity_n<field_count>``."""
        return f"data_validity_n{self.field_count}"

    @property
    def source(self) -> Path:
        """The main circom file."""
        return CIRCUITS_DIR / f"{self.name}.circom"

    @property
    def build_dir(self) -> Path:
        """Folder of the compiled circuit."""
        return BUILD_DIR / self.name

    @property
    def r1cs(self) -> Path:
        """The constraint system."""
        return self.build_dir / f"{self.name}.r1cs"

    @property
    def wasm(self) -> Path:
        """The witness generator."""
        return self.build_dir / f"{self.name}_js" / f"{self.name}.wasm"

    @property
    def zkey(self) -> Path:
        """The Groth16 proving key (checked in)."""
        return KEYS_DIR / f"{self.name}.zkey"

    @property
    def vkey(self) -> Path:
        """The Groth16 verification key as snarkjs writes it (checked in)."""
        return KEYS_DIR / f"{self.name}.vkey.json"

    @property
    def verifier_contract(self) -> str:
        """Name of the generated Solidity verifier."""
        return f"Groth16VerifierN{self.field_count}"

    @property
    def verifier_source(self) -> Path:
        """The generated Solidity verifier (checked in)."""
        return PROJECT_ROOT / "contracts" / f"{self.verifier_contract}.sol"


def artifacts(field_count: int) -> CircuitArtifacts:
    """The artifacts of a supported record width.

    Raises:
        InvalidInputError: if no circuit is shipped for ``field_count`` fields.
    """
    if field_count not in SUPPORTED_FIELD_COUNTS:
        raise InvalidInputError(
            f"no data-validity circuit for records of {field_count} fields; supported: {SUPPORTED_FIELD_COUNTS}"
        )
    return CircuitArtifacts(field_count)


def tool_version(package: str) -> str:
    """The installed version of an npm package of the project, or ``"missing"``."""
    manifest = PROJECT_ROOT / "node_modules" / package / "package.json"
    return str(parse_json(manifest.read_text())["version"]) if manifest.exists() else "missing"


def _sources_digest(circuit: CircuitArtifacts) -> str:
    """Digest of everything the compiled circuit depends on: our sources and the tools' versions."""
    digest = hashlib.sha256()
    for path in sorted(CIRCUITS_DIR.glob("*.circom")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for package in ("circomlib", "circom2"):
        digest.update(f"{package}@{tool_version(package)}\0".encode())
    digest.update(circuit.name.encode())
    return digest.hexdigest()


def run_node_tool(tool: str, args: Sequence[str], *, what: str, cwd: Path = PROJECT_ROOT) -> str:
    """Run an npm tool of the project (``circom2``, ``snarkjs``) and return its standard output.

    Raises:
        ProverError: if the tool is not installed or exits with an error; the message carries
            the end of its output.
    """
    executable = node_bin_dir() / tool
    if not executable.exists():
        raise ProverError(f"{tool} is not installed at {executable}: run `make setup` (npm ci) first")
    result = subprocess.run([str(executable), *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr.strip() or result.stdout.strip())[-2000:]
        raise ProverError(f"{what} failed ({tool} exited with {result.returncode}): {tail}")
    return result.stdout


def ensure_built(field_count: int) -> CircuitArtifacts:
    """Compile the circuit for ``field_count`` fields unless its build is current; return its files.

    The build goes to a temporary folder first and replaces the old one only when complete.

    Raises:
        InvalidInputError: for an unsupported width.
        ProverError: if circom fails or circomlib is not installed.
    """
    circuit = artifacts(field_count)
    wanted = _sources_digest(circuit)
    if _is_current(circuit, wanted):
        return circuit
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    # Parallel test workers (and parallel provers) may all find the build stale: one compiles,
    # the others wait for it here and then find it current, so none replaces a build in use.
    with (BUILD_DIR / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_current(circuit, wanted):
            return circuit
        return _build(circuit, wanted)


def _is_current(circuit: CircuitArtifacts, wanted: str) -> bool:
    stamp = circuit.build_dir / _STAMP
    return stamp.exists() and stamp.read_text() == wanted and circuit.r1cs.exists() and circuit.wasm.exists()


def _build(circuit: CircuitArtifacts, wanted: str) -> CircuitArtifacts:
    if not (_CIRCOMLIB / "circuits" / "poseidon.circom").exists():
        raise ProverError(f"circomlib is not installed under {_CIRCOMLIB}: run `make setup` (npm ci) first")
    logger.info("compiling %s with circom (about 10-20 s)", circuit.name)
    staging = Path(tempfile.mkdtemp(prefix=f".{circuit.name}-", dir=BUILD_DIR))
    try:
        run_node_tool(
            "circom2",
            [
                str(circuit.source.relative_to(PROJECT_ROOT)),
                "-l",
                str((_CIRCOMLIB / "circuits").relative_to(PROJECT_ROOT)),
                "--O2",
                "--r1cs",
                "--wasm",
                "-o",
                str(staging.relative_to(PROJECT_ROOT)),
            ],
            what=f"compiling {circuit.source.name}",
        )
        (staging / _STAMP).write_text(wanted)
        if circuit.build_dir.exists():
            shutil.rmtree(circuit.build_dir)
        staging.rename(circuit.build_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return circuit
