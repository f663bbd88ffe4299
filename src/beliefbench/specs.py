"""Reading spec files (claims, recipes): safe YAML in, a validated pydantic model out.

Every spec error names the file, the field and the problem, the same way for each kind.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class SpecLoader(yaml.SafeLoader):
    """yaml.SafeLoader with YAML 1.2 booleans: only true/false are booleans.

    Under YAML 1.1 ``yes:`` and ``no:`` (a rubric's keys, binary answers) would load as
    True and False; spec authors should not have to quote them.
    """


SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


def load_yaml(text: str) -> object:
    """Parse spec YAML safely (no arbitrary objects) with YAML 1.2 booleans."""
    return yaml.load(text, Loader=SpecLoader)  # noqa: S506 - SpecLoader is a SafeLoader


def format_validation_error(path: Path, what: str, err: ValidationError) -> str:
    lines = [f"{path}: invalid {what}"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"  field {loc}: {e['msg']}")
    return "\n".join(lines)


def load_spec(path: str | Path, model: type[M], what: str, error: type[Exception],
              empty_ok: bool = False) -> M:
    """Read ``path`` as YAML and validate it as ``model``; problems raise ``error``."""
    path = Path(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise error(f"{path}: cannot read {what} file: {e.strerror or e}") from e
    except yaml.YAMLError as e:
        raise error(f"{path}: not valid YAML: {e}") from e
    if raw is None and empty_ok:
        raw = {}
    if not isinstance(raw, dict):
        raise error(f"{path}: field (top level): expected a mapping, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise error(format_validation_error(path, what, e)) from None
