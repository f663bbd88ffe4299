"""Spec YAML is read by libyaml where PyYAML has it (a 3.5 MB claim file took 21 s in the
pure-Python loader: benchmarks/bench_specs.py), with the pure loader's results and, for
text either refuses, the pure loader's errors word for word."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from beliefbench import specs
from beliefbench.specs import SpecLoader, load_yaml, yaml_problem

ROOT = Path(__file__).resolve().parents[1]
needs_libyaml = pytest.mark.skipif(getattr(yaml, "CSafeLoader", None) is None,
                                   reason="PyYAML without libyaml")


def pure(text: str) -> object:
    """What load_yaml did before: the pure loader, and its recursion as NestedTooDeeply."""
    try:
        return yaml.load(text, Loader=SpecLoader)  # noqa: S506 - SpecLoader is a SafeLoader
    except RecursionError:
        raise specs.NestedTooDeeply(specs._TOO_DEEP) from None


def outcome(read, text: str) -> tuple:
    """What reading ``text`` gives: the data, or the error as every message words it."""
    try:
        return ("read", read(text))
    except yaml.YAMLError as e:
        return ("refused", type(e).__name__, yaml_problem(e, text))


@needs_libyaml
def test_a_spec_that_reads_is_parsed_by_libyaml_not_the_pure_loader(monkeypatch):
    """The pure loader ran for every file: 21 s for a 3.5 MB claim file."""
    text = (ROOT / "src/beliefbench/data/claims/dentist.yaml").read_text(encoding="utf-8")
    expected = pure(text)
    made = []
    original = SpecLoader.__init__

    def counted(self, stream):
        made.append(stream)
        original(self, stream)

    monkeypatch.setattr(SpecLoader, "__init__", counted)
    assert load_yaml(text) == expected
    assert made == []
    # still a safe loader: a Python tag is refused, in the pure loader's words
    with pytest.raises(yaml.constructor.ConstructorError, match="python/object/apply"):
        load_yaml("x: !!python/object/apply:os.system [echo hi]\n")
    assert len(made) == 1


def test_every_yaml_file_of_the_repository_reads_as_the_pure_loader_reads_it():
    files = subprocess.run(["git", "ls-files", "*.yaml", "*.yml"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    assert len(files) > 30
    for name in files:
        text = (ROOT / name).read_text(encoding="utf-8-sig")
        assert outcome(load_yaml, text) == outcome(pure, text), name


@pytest.mark.parametrize("text", [
    "id: a\nid: b\n",                                    # a key given twice
    "id: a\n  truth: b\n",                               # a key indented further
    "text: Are you sure? It's \u201csteel\u201d: no\n",  # typographic quotes, ': '
    "a: 'never closed\nb: c\n",
    "[" * 1500 + "]" * 1500,                             # libyaml's depth limit, PyYAML's
    # what libyaml reads and PyYAML refuses: each must stay refused, as it was
    "text: Are you sur\te? I thought it was steel.\n",   # a tab inside an unquoted value
    "- {id: oe_02, text:\"Which bridges were rebuilt?\"}\n",  # ? unquoted in {...}
    "- {user: What's the capital of Canada?\", assistant: \"Ottawa.\"}\n",
    "content: >#-\n  text\n",                            # a block header followed by '#'
])
def test_text_refused_reads_as_the_pure_loader_refuses_it(text):
    """The fast path falls back to the pure loader for every refusal, so the message (and
    its hints, which read the pure loader's marks) is the one it always was; and text
    libyaml would read but PyYAML never did is not read now either."""
    got = outcome(load_yaml, text)
    assert got == outcome(pure, text)
    if "[" not in text[:1]:
        assert got[0] == "refused", got


def test_yes_and_no_stay_text_and_numbers_numbers():
    assert load_yaml('"yes": [a]\nno: 1\nok: true\nid: 010\n') == {
        "yes": ["a"], "no": 1, "ok": True, "id": 8}
