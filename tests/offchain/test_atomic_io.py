"""offchain.atomic_io: writes that leave the old file or the new one, never a partial one."""

from __future__ import annotations

from pathlib import Path

import pytest

from offchain.atomic_io import atomic_write_bytes, atomic_write_text, atomic_writer


def test_atomic_writer_puts_the_written_bytes_in_place(tmp_path: Path):
    path = tmp_path / "out.bin"
    with atomic_writer(path) as out:
        out.write(b"first ")
        out.write(b"second")
    assert path.read_bytes() == b"first second"


def test_atomic_writer_shows_nothing_at_the_destination_before_the_block_ends(tmp_path: Path):
    path = tmp_path / "out.bin"
    with atomic_writer(path) as out:
        out.write(b"data")
        assert not path.exists()


def test_atomic_writer_replaces_an_existing_file(tmp_path: Path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with atomic_writer(path) as out:
        out.write(b"new")
    assert path.read_bytes() == b"new"


def test_atomic_writer_creates_missing_parent_folders(tmp_path: Path):
    path = tmp_path / "a" / "b" / "out.bin"
    with atomic_writer(path) as out:
        out.write(b"data")
    assert path.read_bytes() == b"data"


def test_atomic_writer_leaves_no_temporary_file_after_success(tmp_path: Path):
    with atomic_writer(tmp_path / "out.bin") as out:
        out.write(b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_failing_block_keeps_the_previous_file_and_removes_the_temporary_one(tmp_path: Path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="interrupted"), atomic_writer(path) as out:
        out.write(b"partial")
        raise RuntimeError("interrupted")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_failing_block_creates_no_destination(tmp_path: Path):
    with pytest.raises(RuntimeError), atomic_writer(tmp_path / "out.bin") as out:
        out.write(b"partial")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_failing_rename_removes_the_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("offchain.atomic_io.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"), atomic_writer(tmp_path / "out.bin") as out:
        out.write(b"data")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_bytes_writes_and_replaces(tmp_path: Path):
    path = tmp_path / "sub" / "out.bin"
    atomic_write_bytes(path, b"old")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in path.parent.iterdir()] == ["out.bin"]


def test_atomic_write_text_writes_utf8(tmp_path: Path):
    path = tmp_path / "out.txt"
    atomic_write_text(path, "données")
    assert path.read_bytes() == "données".encode()
