"""beliefbench's Inspect tasks by the name a command line gives them (sweeps, interventions).

Imports are deferred so that naming a task costs nothing until it is built.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import logging
import numbers
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from inspect_ai import Task
    from inspect_ai.log import EvalLog
    from inspect_ai.model import GenerateConfig

TASK_NAMES: tuple[str, ...] = ("belief", "em")
"""The belief task takes ``claims``; the EM task takes ``questions`` instead."""


def task_factory(name: str) -> Callable[..., Task]:
    """The task function registered under ``name``; ValueError names the valid ones."""
    if name == "belief":
        from beliefbench.task import belief
        return belief
    if name == "em":
        from beliefbench.em.task import em
        return em
    raise ValueError(f"task: unknown {name!r}; valid: {', '.join(TASK_NAMES)}")


def _named(builder: Callable[..., Any]) -> list[str]:
    """A task function's named parameters (its ``**unknown`` catch-all is no ``-T`` key)."""
    return [p.name for p in inspect.signature(builder).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def task_parameters(name: str) -> list[str]:
    """The parameters of the task registered under ``name`` (what ``-T`` may set)."""
    return _named(task_factory(name))


def check_task_args(name: str, args: Mapping[str, Any],
                    builder: Callable[..., Task] | None = None, python: bool = False) -> None:
    """A mistyped ``-T`` key as one error (a ValueError) naming it and the task's
    parameters, before any eval starts (the task function would raise a TypeError in the
    middle of a command). An input error, so Inspect prints its line, not a traceback.
    ``builder``: the task function, where ``name`` is not one of :data:`TASK_NAMES`.
    ``python``: the arguments are a Python caller's keywords, named so (``belief(sample=...)``,
    ``eval(..., epochs=N)``), not as the ``-T`` options a Python caller never typed."""
    # local, no cycle: arguments loaded after Inspect makes InputError a PrerequisiteError
    from beliefbench.arguments import TaskArgumentError, check_given_once

    valid = _named(builder) if builder else task_parameters(name)
    check_given_once(valid)
    unknown = [key for key in args if key not in valid]
    if unknown:
        elsewhere = [_elsewhere(key, valid, python) for key in unknown if key in NOT_TASK_ARGS]
        close = [m for key in unknown if key not in NOT_TASK_ARGS
                 for m in difflib.get_close_matches(key, valid, 1)]
        hint = "".join([f" (did you mean {', '.join(close)}?)" if close else "",
                        *(f" ({e})" for e in elsewhere)])
        given = (f"{name}({', '.join(f'{key}=...' for key in unknown)})" if python
                 else f"-T {', '.join(unknown)}")
        raise TaskArgumentError(f"{given}: not a parameter of the {name} "
                                f"task{hint}; its parameters: {', '.join(valid)}")


_ROLE = "the judge is a model role: --model-role grader=<model>, not a -T value"
NOT_TASK_ARGS: dict[str, str] = {
    "epochs": "epochs is Inspect's --epochs N, not a task parameter",
    "grader": _ROLE, "judge_model": _ROLE, "grader_model": _ROLE, "model_role": _ROLE,
    "model_roles": _ROLE,
    "model": "the model under test is Inspect's --model <model>, not a -T value",
    "limit": "limit is Inspect's --limit N, not a task parameter",
    "seed": "seed is Inspect's --seed N, not a task parameter",
    "max_connections": "max_connections is Inspect's --max-connections N, not a task "
                       "parameter",
    "log_dir": "log_dir is Inspect's --log-dir DIR, not a task parameter",
    "do_sample": "do_sample is a model argument: -M do_sample=false, not -T",
    "model_path": "model_path is a model argument: -M model_path=..., not -T",
}
"""Names a newcomer gives with ``-T`` that belong to another option of ``inspect eval``:
said so, in place of a close parameter's name (``-T do_sample=false`` read "did you mean
samples?", ``-T judge_model=...`` "did you mean judge_sees?")."""


_PY_ROLE = ("the judge is a model role: eval(..., model_roles={'grader': <model>}), not a "
            "task argument")
PY_NOT_TASK_ARGS: dict[str, str] = {
    **{key: f"{key} is an argument of Inspect's eval(..., {key}=...), not of the task"
       for key in ("epochs", "limit", "seed", "max_connections", "log_dir")},
    **{key: _PY_ROLE for key in ("grader", "judge_model", "grader_model", "model_role",
                                 "model_roles")},
    "model": "the model under test is eval(..., model=<model>), not a task argument",
    "do_sample": "do_sample is a model argument: eval(..., model_args={'do_sample': False}), "
                 "not a task argument",
    "model_path": "model_path is a model argument: eval(..., model_args={'model_path': ...}), "
                  "not a task argument",
}
""":data:`NOT_TASK_ARGS` as a Python caller of the task function gives them: where each
belongs in Inspect's ``eval()``."""


def _elsewhere(key: str, valid: Sequence[str], python: bool = False) -> str:
    """Where ``key`` (one of :data:`NOT_TASK_ARGS`) belongs, and the task's own parameter
    for what it likely meant (``epochs``: ``samples``); ``python``: in Inspect's ``eval()``."""
    said = (PY_NOT_TASK_ARGS if python else NOT_TASK_ARGS)[key]
    if key == "epochs" and "samples" in valid:
        said += ("; the task's own is samples=N (responses per question), which epochs "
                 "replaces" if python else "; the task's own is -T samples=N (responses per "
                 "question), which --epochs replaces")
    return said


PATH_WORDS: tuple[str, ...] = ("all", "default", "none", "statement", "universe")
"""Values the tasks read as a setting, not a file (``claims=all``, ``judge_template=default``,
``context=none`` / ``statement`` / ``universe``): a ``pathlib.Path`` of such a name is given
as ``./name``, the file it is."""


def _plain(value: Any) -> Any:
    """A Python caller's value as the text or number a ``-T`` value would be."""
    if isinstance(value, os.PathLike):
        text = os.fspath(value)
        return f"./{text}" if text in PATH_WORDS else text
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | int):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool | int | float):
        return float(value)
    return value


def plain_args(registered: Callable[..., Task]) -> Callable[..., Task]:
    """A registered task function that takes Python values (``pathlib.Path``, NumPy numbers)
    and hands Inspect their text and plain numbers. Inspect records what it is handed as the
    log's ``task_args``, which ``inspect eval-retry`` and ``beliefbench agreement`` rebuild
    the task from: a bare Path as its last part (``claims=Path("runs/claims")`` as
    ``"claims"``), a NumPy number as its type's name (``samples="int64"``, refused on retry)."""

    @functools.wraps(registered)
    def call(*args: Any, **kwargs: Any) -> Task:
        return registered(*map(_plain, args), **{k: _plain(v) for k, v in kwargs.items()})

    return call


def refuse_unknown(name: str, builder: Callable[..., Task], unknown: Mapping[str, Any]) -> None:
    """The registered tasks end their signature with ``**unknown`` so that Inspect hands a
    mistyped ``-T`` key to them: otherwise ``inspect eval beliefbench/belief -T sample=3``
    only logs "param 'sample' not used" and runs the defaults, a result that looks real.
    Named as ``-T`` under a command line, as a keyword from Python (``belief(sample=...)``)."""
    from beliefbench.arguments import running_program

    check_task_args(name, unknown, builder, python=running_program() is None)


def refuse_sampling_at_zero(gen: GenerateConfig, builder: Callable[..., Task]) -> None:
    """Refuse temperature 0 (the task's, or Inspect's ``--temperature``, which wins) on an
    ``hf/`` model under test that samples (``do_sample`` is the hf provider's default):
    transformers refuses every such generation, so every answer would be counted ``failed``
    and the log would end ``error`` after the whole run (``inspect eval-retry`` the same).
    Inspect makes the model before it builds the task, so this runs before any generation.
    ``builder``: the task function, whose default temperature is named as the one to keep."""
    from inspect_ai.model._generate_config import active_generate_config
    from inspect_ai.model._model import active_model

    from beliefbench.arguments import TaskArgumentError

    model = active_model()
    if model is None or str(model).partition("/")[0] != "hf":
        return
    override = active_generate_config().temperature
    temperature = override if override is not None else gen.temperature
    if temperature is None or temperature > 0:
        return
    from beliefbench.analysis.sweep import samples  # the one rule of "an hf model samples"

    if not samples(model):
        return
    default = inspect.signature(builder).parameters["temperature"].default
    given = "--temperature" if override is not None else "-T temperature"
    raise TaskArgumentError(
        f"{given}=0 with --model {model}, which samples (Inspect's hf provider sets "
        f"do_sample=True unless told otherwise): transformers refuses to sample at "
        f"temperature 0, so every answer would be a failed call. For greedy decoding add "
        f"-M do_sample=false (the temperature is then unused); to sample, give a "
        f"temperature above 0 (or leave it out: the task's default is {default:g})")


def shown_under_display_none(builder: Callable[..., Task]) -> Callable[..., Task]:
    """A task function whose bad input (an ``InputError``) still reaches stderr under
    ``--display none``, as CI runs, and prints as written under every display
    (:func:`say_input_errors_as_written`). Its warnings likewise
    (:func:`_show_warnings_under_display_none`). Goes under ``@task``, which registers what
    it wraps."""

    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any) -> Task:
        show_input_errors_and_warnings()
        return builder(*args, **kwargs)

    return build


def show_input_errors_and_warnings() -> None:
    """:func:`shown_under_display_none`'s two handlers, for code that runs before any task is
    built: a model provider (``steer``), which Inspect builds first."""
    _show_warnings_under_display_none()
    say_input_errors_as_written()


class _WarningsPastQuietConsole(logging.Handler):
    """beliefbench's warnings and errors, one line each on stderr (``warning: beliefbench:
    ...``), where Inspect's display would drop them: its console is quiet (``--display
    none``) and its log handler writes through that console (``INSPECT_PY_LOGGER_FORMAT``
    rich, the default; plain and json write to stderr themselves), at the level it shows
    (``--log-level``, warning by default)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        if inspect_command() is None:  # a process that set the argv of one for a while
            return
        import rich
        try:  # Inspect's handler (not public API: where it moved, its defaults)
            from inspect_ai._util.logger import _logHandler
            shown = _logHandler["handler"]
        except Exception:
            shown = None
        form = getattr(shown, "logger_format", "rich")
        level = getattr(shown, "display_level", logging.WARNING)
        if form != "rich" or not rich.get_console().quiet or level == logging.NOTSET \
                or record.levelno < level:
            return
        message = record.getMessage().replace("\n", " ")
        print(f"{record.levelname.lower()}: {message}", file=sys.stderr, flush=True)


def _show_warnings_under_display_none() -> None:
    """Under ``inspect eval --display none`` (CI), beliefbench's warnings reach stderr too,
    once each: Inspect writes log records through its console, which that display silences,
    so a warning given as the task was built (``-T judge_template: not used with
    judge=markers``, a claim file read in place of the bundled claim of its id, a ``claims
    new`` example never edited) was seen by nobody, and it is in no log either (the log
    starts after the task is built); one given during the run (no grader bound: the model
    judges itself) only in the log. For the ``inspect`` command alone: a program of one's
    own (``eval(..., display="none")``, ``beliefbench sweep``) keeps its stderr as it is."""
    if inspect_command() is None:
        return
    package = logging.getLogger("beliefbench")
    if not any(isinstance(h, _WarningsPastQuietConsole) for h in package.handlers):
        package.addHandler(_WarningsPastQuietConsole())


def say_input_errors_as_written() -> None:
    """Under the ``inspect`` command, wrap its exception hook so that beliefbench's input
    errors (``InputError``, ``ScorerInputError``) that end the process are printed as
    written. Inspect's hook prints such an error's message through its Rich console, which
    reads ``[...]`` as markup and drops it (``a list is written [laminated glass]`` printed
    ``a list is written``; a pattern ``'\\bgl[a-z]ss\\b'`` printed ``'\\bglss\\b'``) and
    wraps it at 80 columns; under ``--display none`` that console is silenced (``inspect
    eval``: exit 1, not a word) or not yet (``inspect eval-set``, ``inspect score``: the
    message on stdout, wrapped). Now: under ``--display none`` one line on stderr, what a CI
    script reads; under any other display Inspect's layout on its console (stdout), without
    markup or wrapping. Said on exit, not where it is raised: a caller that catches it (a
    test, Python's ``eval()``) says it itself; ``--json`` prints it to stderr itself (it
    reaches the hook as another error). The exception's text is unchanged."""
    if inspect_command() is None:
        return
    previous = sys.excepthook
    if getattr(previous, "_says_input_errors", False) \
            or getattr(previous, "__module__", None) != "inspect_ai._util.error":
        return  # already wrapped; or not Inspect's hook (which prints such errors) at all

    def hook(kind: type[BaseException], error: BaseException, trace: Any) -> None:
        from beliefbench.arguments import InputError, ScorerInputError
        if isinstance(error, InputError | ScorerInputError):
            _say_input_error(str(error))
            return  # Inspect's hook prints the message and returns: exit status 1 alike
        previous(kind, error, trace)

    hook._says_input_errors = True  # type: ignore[attr-defined]
    sys.excepthook = hook


def _say_input_error(message: str) -> None:
    """``message`` as Inspect's hook lays it out, literally: under ``--display none`` on
    stderr (one line per problem: a claim file's several problems stay one a line); else on
    Inspect's console, no markup read, no line wrapped."""
    import rich
    from inspect_ai.util import display_type

    console = rich.get_console()
    if display_type() == "none" or console.quiet:
        print(message, file=sys.stderr, flush=True)
        return
    console.print(f"\n{message}\n", markup=False, highlight=False, emoji=False,
                  soft_wrap=True)


def inspect_command() -> str | None:
    """The ``inspect`` subcommand this process runs (``eval``, ``eval-retry``, ``score``),
    else None (a program of one's own, ``beliefbench``, pytest)."""
    from beliefbench.arguments import running_program

    if running_program() != "inspect":
        return None
    return sys.argv[1] if len(sys.argv) > 1 else None


def refuse_dropped_scorer_args(
        settings: str = "-T judge_template=..., -T judge_max_tokens=...") -> None:
    """Under ``inspect score LOG`` without ``--scorer``: refuse ``-S`` options. Inspect then
    rebuilds the log's scorers with the arguments the log records and drops every ``-S``
    without a word, so ``inspect score LOG -S template=new.md`` re-judged with the log's own
    template while the user read the result as the new one's. ``settings``: the task's own
    options that set what the ``-S`` meant to, for the message."""
    if inspect_command() != "score":
        return
    say_input_errors_as_written()  # this refusal, or the scorer's files', printed as written
    args = sys.argv[2:]
    if any(a == "--scorer" or a.startswith("--scorer=") for a in args) \
            or os.environ.get("INSPECT_SCORE_SCORER"):
        return  # the named scorer takes the -S values (and none of the log's)
    given = [args[i + 1] for i, a in enumerate(args) if a == "-S" and i + 1 < len(args)]
    given += [a[2:] for a in args if a.startswith("-S") and len(a) > 2]
    given += os.environ.get("INSPECT_SCORE_SCORER_ARGS", "").split()
    if given:
        from beliefbench.arguments import ScorerInputError
        raise ScorerInputError(
            f"-S {given[0]}: `inspect score LOG` without --scorer rebuilds the log's scorer "
            f"with the arguments the log records and drops every -S without a word: the log "
            f"would be re-judged with its own settings. Leave -S out (another grader: "
            f"--model-role grader=<model>), or run the eval again with the settings you want "
            f"as -T values ({settings})")


def option_values(option: str) -> list[str]:
    """The values of ``option`` on the ``inspect`` command line (``--model a --model b``,
    ``--model=a,b``), comma-separated values split, in order."""
    args, found = sys.argv[2:], []
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            found.append(args[i + 1])
        elif arg.startswith(option + "="):
            found.append(arg.split("=", 1)[1])
    return [v for value in found for v in value.split(",") if v]


def stop_if_interrupted(logs: Sequence[EvalLog]) -> None:
    """Raise KeyboardInterrupt where Inspect swallowed a Ctrl-C: ``eval`` then returns no
    log and ``eval_set`` returns ``(True, [])``, which a caller would read as done and go
    on to its next eval."""
    if not logs or any(log.status == "cancelled" for log in logs):
        raise KeyboardInterrupt


@contextmanager
def model_arg_errors() -> Iterator[None]:
    """A ``-M`` argument the model cannot take, as a ValueError (one line, exit 2) rather than
    a TypeError traceback: Inspect's hf provider hands every ``-M`` to the model class's
    ``from_pretrained`` (``-M max_new_tokens=8`` reached ``LlamaForCausalLM.__init__``)."""
    try:
        yield
    except TypeError as e:
        if "unexpected keyword argument" not in str(e):
            raise
        raise ValueError(f"-M: the model cannot take it ({e}); -M goes to the provider "
                         f"(for hf/, the model's from_pretrained), generation settings to "
                         f"-T (e.g. -T max_tokens=...)") from None
