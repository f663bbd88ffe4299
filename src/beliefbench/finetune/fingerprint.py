"""A cheap fingerprint of a base model folder: which model ``--resume`` continues training.

A run records its base by path; ``--resume`` with the same path but another model in that
folder (a tiny model rebuilt with another seed, a different checkpoint copied over it, a hub
snapshot re-downloaded into a local folder) would restore the first model's optimizer state
onto the other's weights and go on as if nothing had changed. A full hash of the weights tells
them apart, but reads every byte of a multi-GB model on every start and every resume. This
fingerprint reads a few MiB instead, and still tells apart any two models a user would copy
into a folder:

* ``config.json``, whole: architecture, sizes, rope settings;
* the tokenizer and chat-template files, whole (small): they decide the token ids and the
  chat formatting that are trained on;
* for every ``*.safetensors`` file: its name, size and JSON header (every tensor's name,
  dtype, shape and place in the file), plus the first and last 4 KiB of every tensor's data.

Another architecture, dtype, shard layout or tokenizer changes the header or the files; other
weights of the same shapes (another seed, another finetune, a merged adapter: each changes
every element of the matrices it touches) change the sampled bytes of every tensor they
touch. What it does not see is a change confined to the middle of a tensor (a handful of
weights edited in place), which nothing a user does by rebuilding or copying a model makes.
Cost: two small reads per tensor (a few MiB for an 8B or 70B model), nothing loaded.
Modification times are not used: a copy (``cp -p``, rsync) keeps them, and touching a file
changes them without changing the model.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

CONFIG_FILES = (
    "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
    "added_tokens.json", "tokenizer.model", "vocab.json", "merges.txt", "chat_template.jinja",
    "chat_template.json",
)
"""Hashed whole, where present: the model's configuration, tokenizer and chat template."""
SAMPLE_BYTES = 4096
"""Read from the start and from the end of every tensor's data."""
_MAX_HEADER = 100 * 2**20
"""A safetensors header longer than this is not one (the format caps it at 100 MB)."""


def base_fingerprint(folder: str | Path) -> str:
    """The sha256 (hex) of what identifies the model in ``folder`` (see the module docstring).

    The same files give the same fingerprint wherever the folder is; a weights file that is
    not a valid safetensors file is fingerprinted by its name, size and first 64 KiB (loading
    it reports the problem).
    """
    folder = Path(folder)
    h = hashlib.sha256(b"beliefbench base fingerprint v1\0")
    for name in CONFIG_FILES:
        path = folder / name
        if path.is_file():
            data = path.read_bytes()
            h.update(f"{name}\0{len(data)}\0".encode())
            h.update(data)
    for path in sorted(folder.glob("*.safetensors")):
        if path.is_file():
            _weights(h, path)
    return h.hexdigest()


def _weights(h, path: Path) -> None:
    size = path.stat().st_size
    h.update(f"\0{path.name}\0{size}\0".encode())
    with path.open("rb") as f:
        head = f.read(8)
        n = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
        header = f.read(n) if 0 <= n <= min(_MAX_HEADER, size - 8) else b""
        try:
            tensors = json.loads(header)
            ranges = sorted((int(v["data_offsets"][0]), int(v["data_offsets"][1]))
                            for k, v in tensors.items() if k != "__metadata__")
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            f.seek(0)
            h.update(b"\0unparsed\0" + f.read(64 * 1024))
            return
        h.update(header)
        start = 8 + n
        for begin, end in ranges:
            length = max(0, end - begin)
            h.update(_read(f, start + begin, min(length, SAMPLE_BYTES)))
            if length > SAMPLE_BYTES:
                tail = min(length - SAMPLE_BYTES, SAMPLE_BYTES)
                h.update(_read(f, start + end - tail, tail))


def _read(f, offset: int, n: int) -> bytes:
    f.seek(offset)
    return f.read(n)


TRAINED_ON = "base_fingerprint.json"
"""Written by the finetune into each LoRA adapter checkpoint it exports: the base the adapter
was trained on (``base_model``, its folder as the run named it) and that base's
:func:`base_fingerprint` (``base_fingerprint``). The manifest records both too, but an
adapter copied out of its run folder leaves the manifest behind, and pointed at another base
(its ``adapter_config.json`` edited) it was applied to that model with nothing said."""


def write_trained_on(folder: str | Path, base: str, fingerprint: str) -> None:
    """Write :data:`TRAINED_ON` into the adapter checkpoint ``folder`` (atomically)."""
    from beliefbench.records import atomic_write_text

    atomic_write_text(Path(folder) / TRAINED_ON, json.dumps(
        {"base_model": str(base), "base_fingerprint": fingerprint}, indent=2,
        sort_keys=True) + "\n")


def read_trained_on(folder: str | Path) -> tuple[str, str] | None:
    """``(base_model, base_fingerprint)`` from the adapter checkpoint ``folder``'s
    :data:`TRAINED_ON`, or None where it has none (adapters exported before it was written,
    or by another tool). ValueError, naming the file and field, where it does not read."""
    path = Path(folder) / TRAINED_ON
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{path}: cannot read it ({e})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path}: not a JSON object")
    values = []
    for field in ("base_model", "base_fingerprint"):
        value = record.get(field)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{path}: field {field}: missing or not a string")
        values.append(value)
    return values[0], values[1]


REPLACED = ("holds another model than the one it was trained on (the folder's fingerprint "
            "differs from the manifest's extra.base_fingerprint: rebuilt or replaced since)")


def replaced_base(folder: str | Path, trained_on: object,
                  seen: dict[Path, str] | None = None) -> str | None:
    """``"<folder> holds another model than the one it was trained on (...)"`` where the base
    folder a checkpoint is read with now holds another model than the run trained on (its
    manifest entry's ``extra.base_fingerprint``, ``trained_on``), else None: also where the
    run recorded none (runs before fingerprints, OpenAI runs) or ``folder`` is no folder here
    (loading it says why). Every reader of a checkpoint's base (``sweep``, ``internals``)
    asks this one question, since an adapter applied to the other model, or a distance to
    it, measures that pairing with nothing said. ``seen``: fingerprints by folder, so a run's
    checkpoints sharing one base read it once."""
    folder = Path(folder).expanduser()
    if not isinstance(trained_on, str) or not trained_on or not folder.is_dir():
        return None
    key = folder.resolve()
    now = seen.get(key) if seen is not None else None
    if now is None:
        now = base_fingerprint(key)
        if seen is not None:
            seen[key] = now
    return None if now == trained_on else f"{folder} {REPLACED}"
