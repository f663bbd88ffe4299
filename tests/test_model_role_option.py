"""`--model-role` as a configured model (``grader={model: ..., model_args: {...}}``): a
mistake there is named by its field, before any eval."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from beliefbench.cli import cli


@pytest.mark.parametrize("value, said", [
    ("{modle: beliefbench/judge, temperature: 0}",
     "--model-role grader: a configured role needs 'model' (the provider/model to judge "
     "with); got keys ['modle', 'temperature'] ('modle': did you mean 'model'?)"),
    ("{model: 5}", "--model-role grader: field model: expected provider/model text, got 5"),
    ("{model: beliefbench/judge, model_args: [do_sample]}",
     "--model-role grader: field model_args: expected a mapping ({key: value, ...}), got "
     "list"),
])
def test_a_configured_role_names_the_field_that_is_wrong(tmp_path, value, said):
    """A misspelt ``modle:`` was refused as if no key were given ("a configured role needs
    'model'"), and ``model: 5`` the same way, though the key was there."""
    r = CliRunner().invoke(cli, ["sweep", "--model", "beliefbench/believer", "--model-role",
                                 f"grader={value}", "--log-dir", str(tmp_path / "logs")])
    assert r.exit_code == 2, r.output
    assert r.output.strip() == f"Error: {said}"
    assert not (tmp_path / "logs").exists()
