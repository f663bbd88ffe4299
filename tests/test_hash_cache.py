"""The weights' sha256 is remembered across processes (a checkpoint of tens of GB was read in
full on every ``internals`` command), without ever trusting it for a changed file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from beliefbench import hash_cache
from beliefbench.internals.model import describe, weights_sha256
from beliefbench.records import sha256_file
from beliefbench.tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("hash") / "base", hidden_size=32,
                            num_layers=1, num_heads=2, intermediate_size=64, seed=0)


@pytest.fixture
def reads(monkeypatch, tmp_path) -> list[Path]:
    """Files hashed in full, in a fresh cache folder, as a new process would start (nothing
    remembered in memory)."""
    monkeypatch.setenv("BELIEFBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(hash_cache, "_memory", {})
    seen: list[Path] = []

    def counted(path: str | Path) -> str:
        seen.append(Path(path))
        return sha256_file(path)

    monkeypatch.setattr(hash_cache, "sha256_file", counted)
    return seen


def _as_before(folder: Path) -> str:
    """The recorded value as it was computed before the cache: every byte read."""
    lines = [f"{f.name} {sha256_file(f)}" for f in sorted(folder.glob("*.safetensors"))]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_a_second_process_does_not_read_the_weights_and_records_the_same_value(
        tiny, reads, monkeypatch):
    before = sorted(p.name for p in tiny.iterdir())
    first = describe(tiny)["weights_sha256"]
    assert first == _as_before(tiny)
    assert [p.name for p in reads] == ["model.safetensors"]
    monkeypatch.setattr(hash_cache, "_memory", {})  # a new process
    assert describe(tiny)["weights_sha256"] == first
    assert len(reads) == 1, reads  # read from the cache, not the weights
    assert sorted(p.name for p in tiny.iterdir()) == before  # nothing written beside them
    assert (Path(os.environ["BELIEFBENCH_CACHE_DIR"]) / hash_cache.CACHE_FILE).is_file()


def test_a_weight_file_changed_in_place_is_hashed_again(tmp_path, reads, monkeypatch):
    folder = build_tiny_model(tmp_path / "m", hidden_size=32, num_layers=1, num_heads=2,
                              intermediate_size=64, seed=1)
    weights = folder / "model.safetensors"
    old = weights_sha256(folder)
    st = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # same size, other bytes
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    monkeypatch.setattr(hash_cache, "_memory", {})
    new = weights_sha256(folder)
    assert new != old and new == _as_before(folder)
    assert len(reads) == 2
    # changed again with its mtime set back to the recorded one (``cp -p``, ``touch -d``):
    # the file's ctime still moved, so it is not taken from the cache
    data[-2] ^= 0xFF
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    monkeypatch.setattr(hash_cache, "_memory", {})
    assert weights_sha256(folder) == _as_before(folder) != new
    assert len(reads) == 3


def test_an_unreadable_cache_is_recomputed_and_replaced(tiny, reads, monkeypatch):
    where = Path(os.environ["BELIEFBENCH_CACHE_DIR"]) / hash_cache.CACHE_FILE
    where.parent.mkdir(parents=True)
    where.write_text('{"version": 1, "files": {')  # cut short
    assert weights_sha256(tiny) == _as_before(tiny)
    assert len(reads) == 1
    monkeypatch.setattr(hash_cache, "_memory", {})
    assert weights_sha256(tiny) == _as_before(tiny)
    assert len(reads) == 1  # the cache was written whole again


def test_a_cache_folder_that_cannot_be_written_only_costs_the_read(tiny, reads, monkeypatch,
                                                                   tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("BELIEFBENCH_CACHE_DIR", str(blocker / "cache"))  # mkdir fails
    assert weights_sha256(tiny) == _as_before(tiny)
    monkeypatch.setattr(hash_cache, "_memory", {})
    assert weights_sha256(tiny) == _as_before(tiny)
    assert len(reads) == 2


def test_the_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("BELIEFBENCH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert hash_cache.cache_dir() == tmp_path / "beliefbench"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the spec says: ignore it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert hash_cache.cache_dir() == tmp_path / "home" / ".cache" / "beliefbench"
