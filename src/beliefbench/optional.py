"""Packages that only some features need: whether one is here, and the one line that says
which feature needs it and how to install it. Looked up, never imported (importing vllm or
dask takes seconds), so a feature is refused before any work starts, and ``--help`` never
needs them."""

from __future__ import annotations

import importlib.util
import os
from typing import Any

PACKAGES: dict[str, tuple[str, str]] = {
    # import name: (distribution name, install command)
    "dask": ("dask", "pip install '.[audit]' in the beliefbench folder"),
    "distributed": ("distributed", "pip install '.[audit]' in the beliefbench folder"),
    "vllm": ("vllm", "pip install '.[vllm]' in the beliefbench folder"),
    "deepspeed": ("deepspeed", "pip install '.[deepspeed]' in the beliefbench folder"),
    "liger_kernel": ("liger-kernel", "pip install '.[gpu]' in the beliefbench folder"),
    "flash_attn": ("flash-attn", "pip install flash-attn --no-build-isolation"),
    "bitsandbytes": ("bitsandbytes", "pip install bitsandbytes"),
}
"""Every optional package a feature looks up, with the command that installs it (the extra
in pyproject.toml where there is one)."""

VLLM_PROVIDERS = ("vllm", "vllm-completions")
SERVER_ARGS = ("base_url", "port")
"""Model arguments that point the vLLM provider at a running server (no local vllm needed)."""


def installed(module: str) -> bool:
    """Whether ``module`` can be imported here (a package blocked in ``sys.modules`` with
    None, as tests do, counts as missing)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent missing, or a module without a spec
        return False


def missing(module: str, feature: str) -> str | None:
    """None where ``module`` is installed, else one line: ``<feature> needs the <package>
    package, not installed here: <install command>``."""
    if installed(module):
        return None
    package, command = PACKAGES.get(module, (module, f"pip install {module}"))
    return f"{feature} needs the {package} package, not installed here: {command}"


def require(module: str, feature: str, error: type[Exception] = ValueError) -> None:
    """Raise ``error`` with :func:`missing`'s line where ``module`` is not installed: the
    caller's own bad-input error, so each command exits with its usual code."""
    if (line := missing(module, feature)) is not None:
        raise error(line)


def vllm_missing(model: Any, model_args: dict[str, Any] | None = None) -> str | None:
    """Why ``model`` (an Inspect model name or Model) cannot start here, or None: a
    ``vllm/...`` model that vLLM would serve on this machine (no ``base_url``/``port``, no
    ``VLLM_BASE_URL``) while the vllm package is not installed. Inspect says so only at the
    first call, after logs and outputs were begun, and once per call."""
    if str(model).partition("/")[0] not in VLLM_PROVIDERS:
        return None
    args = (model.model_args if hasattr(model, "model_args") else model_args) or {}
    if any(args.get(k) for k in SERVER_ARGS) or os.environ.get("VLLM_BASE_URL"):
        return None
    why = missing("vllm", "a vllm/ model served on this machine")
    return None if why is None else f"{why} (or set VLLM_BASE_URL to a running vLLM server)"
