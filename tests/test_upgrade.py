"""Files an earlier install of beliefbench left on disk, read by this one: either used with
sensible defaults, or refused in one message that names the file and what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from beliefbench.audit.run import WORK, _fingerprint, _open_work, audit_unit_to
from beliefbench.audit.sources import Fields, Skips, plan_units
from beliefbench.claims import load_claims
from beliefbench.cli import cli
from beliefbench.documents.conditions import parse_conditions
from beliefbench.documents.generate import condition_records, make_generator


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Path]:
    """Three JSONL files (one audit unit each) of offline documents."""
    claims = load_claims("ed_sheeran")
    recs = condition_records(claims, parse_conditions("positive,negated,corrected"), 10,
                             make_generator("offline"), seed=3, progress=False)
    texts = [r.text for rs in recs.values() for r in rs]
    root = tmp_path_factory.mktemp("corpus")
    paths = []
    for f in range(3):
        path = root / f"part{f}.jsonl"
        path.write_text("".join(json.dumps({"id": f"{f}-{i}", "text": t}) + "\n"
                                for i, t in enumerate(texts)))
        paths.append(path)
    return paths


def _interrupted_by_an_earlier_install(out: Path, paths: list[Path], code: str | None) -> None:
    """An audit of ``paths`` interrupted after two of its units, by an install whose audit
    code had the digest ``code`` (None: one from before plans recorded it). Its
    ``__version__`` is this one's: the version was 0.1.0 through every change to the rules."""
    claims = load_claims("ed_sheeran")
    units = plan_units(paths, Skips())
    fingerprint = _fingerprint(units, claims, Fields())
    fingerprint.pop("code", None)
    if code is not None:
        fingerprint["code"] = code
    _open_work(out / WORK, {"fingerprint": fingerprint, "units": len(units)}, resume=False)
    for i in range(2):
        audit_unit_to(out / WORK, i, units[i], claims, Fields())


@pytest.mark.parametrize("code", [None, "0" * 64])
def test_audit_resume_refuses_units_read_by_another_install(tmp_path, corpus, code):
    """An upgrade that changed how documents are framed (another claim's warnings, the
    bearing rule) kept ``__version__``, so --resume took the units the old install had
    finished and read the rest by the new rules: one report of two audits, without a word."""
    out = tmp_path / "out"
    _interrupted_by_an_earlier_install(out, corpus, code)
    res = CliRunner().invoke(cli, ["audit", *map(str, corpus), "--claims", "ed_sheeran",
                                   "--out", str(out), "--no-progress", "--no-plot",
                                   "--resume"])
    assert res.exit_code == 2, res.output
    assert "holds an unfinished audit (2 of 3 units done), but its audit code" in res.output
    assert f"delete {out / WORK} to start again" in res.output
    assert not (out / "report.json").exists()
    assert (out / WORK / "unit-000001.json").is_file()  # refused, nothing discarded
