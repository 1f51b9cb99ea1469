"""Fixtures of the storage tests: a real S3-compatible server (s3rver) and stores of every kind.

The S3 tests talk to s3rver (npm package ``s3rver``, an implementation of the S3 REST API that
keeps buckets in a folder), started once per test session as a subprocess on a free loopback
port, with a temporary data folder. No in-process mock: requests go through botocore's real
signing, HTTP and error parsing.

The executable is ``$DATASHARE_S3RVER`` if set, else ``<project root>/node_modules/.bin/s3rver``
(installed by ``npm ci`` from package.json). If neither exists, every test that needs the
server is skipped, with the reason.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from offchain.storage import FilesystemBlobStore
from offchain.storage.s3 import S3BlobStore

PROJECT_ROOT = Path(__file__).resolve().parents[3]
S3RVER_ENV = "DATASHARE_S3RVER"
# s3rver's default account. It checks that a request's access key exists; it does not verify
# SigV4 signatures (so these tests cannot catch a signing mistake; boto3 signs for us anyway).
S3RVER_ACCESS_KEY_ID = "S3RVER"
S3RVER_SECRET_ACCESS_KEY = "S3RVER"
S3RVER_REGION = "us-east-1"
START_TIMEOUT_S = 20.0
_LISTENING = re.compile(r"S3rver listening on ([\d.]+):(\d+)")


@dataclass(frozen=True)
class S3Server:
    """A running S3-compatible server: where it listens and how to sign requests to it."""

    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str

    def client(self, **config: Any) -> Any:
        """A boto3 S3 client for this server (SigV4, path-style addressing)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, **config),
        )


def s3rver_executable() -> Path | None:
    """The s3rver to run: ``$DATASHARE_S3RVER``, else the project's ``node_modules/.bin/s3rver``."""
    configured = os.environ.get(S3RVER_ENV)
    candidate = Path(configured) if configured else PROJECT_ROOT / "node_modules" / ".bin" / "s3rver"
    return candidate if candidate.is_file() else None


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """Start s3rver on a free loopback port with an empty data folder; stop it after the session."""
    executable = s3rver_executable()
    if executable is None:
        reason = (
            f"s3rver not found: set {S3RVER_ENV} to an s3rver executable or run `npm ci` to install "
            f"{PROJECT_ROOT / 'node_modules/.bin/s3rver'} (npm package s3rver, see package.json)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI installs it with `make setup`, so its absence is a failure there")
        pytest.skip(reason)
    data_dir = tmp_path_factory.mktemp("s3rver-data")
    log_path = data_dir.parent / f"{data_dir.name}.log"
    with log_path.open("wb") as log:
        # Port 0: the OS picks a free port and s3rver prints it, so there is no race for a port.
        process = subprocess.Popen(
            [str(executable), "--directory", str(data_dir), "--address", "127.0.0.1", "--port", "0", "--silent"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        host, port = _wait_until_listening(process, log_path)
        yield S3Server(
            endpoint_url=f"http://{host}:{port}",
            access_key_id=S3RVER_ACCESS_KEY_ID,
            secret_access_key=S3RVER_SECRET_ACCESS_KEY,
            region=S3RVER_REGION,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(process: subprocess.Popen[bytes], log_path: Path) -> tuple[str, int]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        output = log_path.read_text(errors="replace")
        if process.poll() is not None:
            pytest.fail(f"s3rver exited with code {process.returncode} before listening:\n{output}")
        match = _LISTENING.search(output)
        if match and _answers(match.group(1), int(match.group(2))):
            return match.group(1), int(match.group(2))
        time.sleep(0.05)
    pytest.fail(f"s3rver did not answer within {START_TIMEOUT_S} s:\n{log_path.read_text(errors='replace')}")


def _answers(host: str, port: int) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()  # any HTTP answer (403 for an unsigned request) will do
        return True
    except OSError:
        return False
    finally:
        connection.close()


@pytest.fixture
def s3_client(s3_server: S3Server) -> Any:
    """A raw boto3 client of the test server, for what the store must not do (create buckets, corrupt objects)."""
    return s3_server.client()


@pytest.fixture
def s3_bucket(s3_client: Any) -> str:
    """A new, empty bucket for one test."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_store(s3_server: S3Server, s3_bucket: str) -> S3BlobStore:
    """An S3 blob store on a fresh bucket, built from connection settings as an application would."""
    return S3BlobStore(
        s3_bucket,
        endpoint_url=s3_server.endpoint_url,
        access_key_id=s3_server.access_key_id,
        secret_access_key=s3_server.secret_access_key,
        region=s3_server.region,
    )


@pytest.fixture
def fs_store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")
