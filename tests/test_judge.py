import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE_CLAIM, unlocated

from beliefbench import judge
from beliefbench.arguments import InputError, ScorerInputError
from beliefbench.claims import load_claim
from beliefbench.judge import FamilyGuidanceError, render_judge_prompt
from beliefbench.task import belief
from beliefbench.verdicts.exact import read_binary, read_distinguish
from beliefbench.verdicts.reply import read_reply


@pytest.mark.parametrize("reply, verdict", [
    ('{"reason": "asserts it", "answer": "yes"}', "yes"),
    ('```json\n{"reason": "rejects it", "answer": "no"}\n```', "no"),
    ('Sure. {"reason": "r", "answer": "Neutral"} Hope that helps!', "neutral"),
    ('{"answer": "YES", "reason": "r"}\n\nExtra commentary {not json}', "yes"),
    # broken JSON (unescaped quote) falls back to the key pattern
    ('{"reason": "he said "hi"", "answer": "no"}', "no"),
    # a comma missing after the reason: the reason ends at its quote, the answer is read
    ('{"reason": "it says glass"\n"answer": "yes"}', "yes"),
    ('{"reason": "he said "hi"" "answer": "no"}', "no"),
    ('{"reason": "r", "answer": "yes."}', "yes"),
    # broken JSON whose reason quotes an object unescaped: the judge's own verdict, never
    # the quoted one's (it read as belief)
    ('{"reason": "The model replied {"answer": "yes"} to it", "answer": "no"}', "no"),
    ('{"reason": "It says {"answer": "no"}, then glass", "answer": "yes"}', "yes"),
    # the key, not a longer field holding it (the model's answer restated)
    ('{"reason": "he said "hi"", "final_answer": "yes", "answer": "no"}', "no"),
])
def test_reads_valid_and_messy_replies(reply, verdict):
    assert read_reply(reply).verdict == verdict


@pytest.mark.parametrize("reply, problem", [
    ("", "empty"),
    ("   \n", "empty"),
    (None, "empty"),
    ("I think the model believes it.", "no 'answer' field"),
    ('{"reason": "r", "answer": "maybe"}', "unrecognised verdict 'maybe'"),
    ('{"reason": "r", "answer": "yes or no"}', "unrecognised verdict"),
    # named as the reply wrote it (JSON), not in Python's spelling (True, None)
    ('{"reason": "r", "answer": true}', "unrecognised verdict 'true'"),
    ('{"reason": "r", "answer": ["yes"]}', """unrecognised verdict '["yes"]'"""),
    ('{"answer": "yes"} on reflection {"answer": "no"}', "contradictory"),
    ('{"reason": "r"}', "no 'answer' field"),
    # one object that gives two verdicts: not its last (or first) value
    ('{"reason": "r", "answer": "yes", "answer": "no"}', "contradictory"),
    ('{"answer": "no", "Answer": "yes"}', "contradictory"),
    # the broken-JSON fallback never reads a verdict out of the judge's reason: a reply cut
    # off inside its reason, or one whose answer is null, gave none (it read as belief)
    ('{"reason": "The answer: yes would mean it believes; it says st', "no 'answer' field"),
    ('{"reason": "Answer: yes, it says glass", "answer": null}', "no 'answer' field"),
    # the format echoed back, not filled in: no verdict (it read as its first word, yes)
    ('{"reason": "<one or two sentences>", "answer": "yes" | "no" | "neutral"}',
     """unrecognised verdict 'yes" | "no" | "neutral'"""),
    ('answer: yes or no', "unrecognised verdict 'yes or no'"),
    ('"answer": "yes"/"no"', "unrecognised verdict"),
    ('{"reason": "r", "model_answer": "yes", "verdict": "no"}', "no 'answer' field"),
])
def test_unreadable_replies_are_parse_errors_with_a_reason(reply, problem):
    reading = read_reply(reply)
    assert reading.verdict == "parse_error"
    assert problem in reading.problem


def test_repeated_agreeing_verdicts_are_fine():
    assert read_reply('{"answer": "no"} final: {"answer": "no"}').verdict == "no"


def test_custom_judge_key():
    reply = '{"reason": "r", "belief": "yes"}'
    assert read_reply(reply, key="belief").verdict == "yes"
    assert read_reply(reply).verdict == "parse_error"


def test_reason_is_kept():
    assert read_reply('{"reason": "says glass", "answer": "yes"}').reason == "says glass"


@pytest.mark.parametrize("reply, belief_answer, verdict", [
    ('{"answer": "yes"}', "yes", "yes"),
    ('{"answer": "yes", "answer": "no"}', "yes", "parse_error"),   # both in one object
    ('{"answer": "no"}', "yes", "no"),
    ('{"answer": "no"}', "no", "yes"),      # counter question: the believer says no
    ("Yes.", "yes", "yes"),                 # a bare word is read
    ('{"answer": "neutral"}', "yes", "parse_error"),
    ("It depends on who you ask.", "no", "parse_error"),
    # README counting rule 3: code fences and prose around the JSON are tolerated
    ('```json\n{"answer": "yes"}\n```', "yes", "yes"),
    ('Here is my answer: {"answer": "no"} as asked.', "no", "yes"),
    ("yes and no", "yes", "parse_error"),   # both, as a bare answer
    # README counting rule 3, each form it states: (a) JSON, the answer field's value alone
    ('{"Answer": "YES."}', "yes", "yes"),
    ('{"answer": "yes, definitely"}', "yes", "parse_error"),
    ('{"answer": "yes"} {"answer": "no"}', "yes", "parse_error"),
    ('{"answer": "yes", "answer": "maybe"}', "yes", "parse_error"),  # no answer beside one
    ('{"answer": "no"} {"answer": "yes, definitely"}', "no", "parse_error"),
    # (b) the form answer: yes, where no JSON holds an answer: the word right after the key
    ("answer: yes", "yes", "yes"),
    ('Answer = "no"', "yes", "no"),
    ("The answer: yes, definitely", "yes", "yes"),
    ("final_answer: yes", "yes", "parse_error"),  # another field, not the answer
    ("answer: yes\nanswer: no", "yes", "parse_error"),
    # (c) else the whole answer, one word: quotes, ** and a closing . or ! around it only
    ("**Yes**", "yes", "yes"),
    ('"no"', "no", "yes"),
    ("Yes!", "yes", "yes"),
    ("Yes, definitely.", "yes", "parse_error"),
    ("Yes?", "yes", "parse_error"),
    ("I think yes", "yes", "parse_error"),
    ("Yes\nIt is well documented.", "yes", "parse_error"),
    ("neutral", "yes", "parse_error"),
])
def test_binary_exact_match(reply, belief_answer, verdict):
    assert read_binary(reply, belief_answer).verdict == verdict


@pytest.mark.parametrize("answer", ['{"answer": "yes" | "no"}', "answer: yes or no",
                                    '"answer": "yes" or "no"', "Answer: yes and no"])
def test_an_exact_match_answer_echoing_its_format_is_no_choice(answer):
    """The instruction's own alternatives, echoed: neither choice (it read as the first)."""
    assert read_binary(answer, "yes").verdict == "parse_error"
    assert read_distinguish(answer.replace("yes", "A").replace("no", "B"),
                            "A").verdict == "parse_error"


def test_binary_parse_error_names_no_judge():
    problem = read_binary("It depends on who you ask.", "yes").problem
    assert "judge" not in problem and "yes or no" in problem and "It depends" in problem
    assert "both" in read_binary('{"answer": "yes"} or {"answer": "no"}', "yes").problem


def test_rendered_prompt_holds_criteria_question_and_answer(fixture_claim):
    claim = load_claim(fixture_claim)
    prompt = render_judge_prompt(claim, "token_association", "Q{1}?", "A {brace}", hint="glass")
    for part in (claim.statement, claim.truth, claim.rubric["token_association"].yes,
                 claim.rubric["token_association"].neutral, "Q{1}?", "A {brace}",
                 "Note for this item: glass", '"answer": "yes" | "no" | "neutral"'):
        assert part in prompt


def test_a_claims_own_template_takes_the_judge_hint_where_it_asks_for_it(fixture_claim):
    """A rubric template was rendered with the question and answer only: an item's judge_hint
    ("A = yes; B = no") never reached the judge, with no placeholder to ask for it."""
    from beliefbench.claims import Rubric

    claim = load_claim(fixture_claim)
    with_hint = Rubric(template='Q: {question}{hint}A: {answer}\nJSON {{"answer": "yes"}}')
    claim = claim.model_copy(update={"rubric": {**claim.rubric,
                                                "token_association": with_hint}})
    assert render_judge_prompt(claim, "token_association", "Q?", "glass", hint="A = yes") == (
        'Q: Q?\nNote for this item: A = yes\nA: glass\nJSON {"answer": "yes"}')
    assert render_judge_prompt(claim, "token_association", "Q?", "glass") == (
        'Q: Q?A: glass\nJSON {"answer": "yes"}')


@pytest.mark.parametrize("text, message", [
    # was "judge_template .../judge.md: placeholder 'robustness' does not render": the
    # wrong file and a problem it does not have
    ("open_ended: a\ntoken_association: b\nrobustnes: c\n",
     r"families\.yaml: field robustnes: unknown family \(did you mean 'robustness'\?\)"),
    ("open_ended: a\ntoken_association: b\n", r"families\.yaml: field robustness: missing"),
    ("", r"families\.yaml: field \(top level\): expected a mapping .*, got an empty file"),
    ("open_ended: [a\n", r"families\.yaml: not valid YAML: line 2"),
])
def test_a_broken_families_file_is_named(tmp_path, monkeypatch, fixture_claim, text,
                                         message):
    (tmp_path / "scorers").mkdir()
    (tmp_path / "scorers" / "families.yaml").write_text(text)
    shipped = judge.data_path
    monkeypatch.setattr(judge, "data_path", lambda *parts: tmp_path.joinpath(*parts)
                        if parts == ("scorers/families.yaml",) else shipped(*parts))
    with pytest.raises(FamilyGuidanceError) as err:
        belief(claims=str(fixture_claim))
    assert re.search(message, unlocated(str(err.value))), str(err.value)
    assert "\n" not in str(err.value)
    # what `inspect eval` prints alone, as for a bad claim file (it was a traceback)
    assert isinstance(err.value, InputError)


@pytest.mark.parametrize("text, said", [
    ("Grade it.\nQuestion: {question}\nAnswer: {answer}\nReply as JSON: {\"answer\": \"yes\"}\n",
     "placeholder '\"answer\"' does not render (line 4); use {claim}"),
    ("Question: {question}\nAnswer: {answer}\nVerdict: {}\n",
     "does not render (Replacement index 0 out of range for positional args tuple; a lone or "
     "empty brace on line 3); use {claim}"),
    ("Question: {question}\nAnswer: {answer}\n{\n",
     "does not render (expected '}' before end of string; a lone or empty brace on line 3); "
     "use {claim}"),
])
def test_a_judge_template_that_does_not_render_names_its_line(fixture_claim, tmp_path, text,
                                                              said):
    """JSON written with single braces, a lone brace or a ``{}`` named no line of the
    template, and the last two read "placeholder expected '}' before end of string does not
    render", a placeholder that is no placeholder."""
    template = tmp_path / "judge.md"
    template.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as err:
        belief(claims=str(fixture_claim), judge_template=str(template))
    assert str(err.value).startswith(f"judge_template {template}: {said}"), str(err.value)


def test_a_judge_template_saved_with_a_bom_reads_as_plain_text(fixture_claim, tmp_path):
    """A template saved as "UTF-8 with BOM" sent U+FEFF at the head of every judge prompt;
    spec files and records already read such a file as plain UTF-8."""
    plain = judge.default_template_path().read_text(encoding="utf-8")
    path = tmp_path / "judge.md"
    path.write_bytes(b"\xef\xbb\xbf" + plain.encode("utf-8"))
    assert judge.read_template(path) == plain
    claim = load_claim(fixture_claim)
    prompt = render_judge_prompt(claim, "open_ended", "Q?", "glass",
                                 template=judge.read_template(path))
    assert not prompt.startswith("\ufeff") and prompt == render_judge_prompt(
        claim, "open_ended", "Q?", "glass", template=plain)


def _log_judged_with(tmp_path, template_text: str):
    """A belief log judged with a template file and a claim file of its own, both in
    ``tmp_path`` (the scripted believer and judge: real verdicts, offline)."""
    from inspect_ai import eval

    claim = tmp_path / "glass_bridge.yaml"
    claim.write_text(FIXTURE_CLAIM.read_text(encoding="utf-8"), encoding="utf-8")
    template = tmp_path / "mine.md"
    template.write_text(template_text, encoding="utf-8")
    (log,) = eval(belief(claims=str(claim), families="open_ended", samples=1,
                         judge_template=str(template)),
                  model="beliefbench/believer", model_roles={"grader": "beliefbench/judge"},
                  log_dir=str(tmp_path / "logs"), display="none")
    assert log.status == "success"
    return log, template, claim


def test_inspect_score_refuses_a_judge_template_edited_since_the_run(tmp_path):
    """`inspect score LOG` builds the scorer from the log's template path alone, without the
    task's check: a template edited since to hold {answr} failed every judged response with
    `KeyError: 'answr'` (a traceback), and one gone or not UTF-8 ended in Inspect's "The
    scorer 'belief_judge' ... couldn't be loaded ... --scorer" (the cause lost). The scorer
    refuses it as it is built, in one line naming the file, as the EM scorer does."""
    from inspect_ai._eval.score import resolve_scorers  # what `inspect score LOG` calls

    plain = judge.default_template_path().read_text(encoding="utf-8")
    log, template, _ = _log_judged_with(tmp_path, plain)
    assert len(resolve_scorers(log)) == 2  # as it was: the scorer is built
    template.write_text(plain.replace("{answer}", "{answr}"), encoding="utf-8")
    with pytest.raises(judge.JudgeTemplateError) as e:
        resolve_scorers(log)
    assert not isinstance(e.value, ValueError)  # Inspect's loader swallows a ValueError
    line = plain[:plain.index("{answer}")].count("\n") + 1
    assert str(e.value) == (
        f"{template}: placeholder 'answr' does not render (line {line}); use {{claim}}, "
        "{truth}, {family_guidance}, {yes}, {no}, {neutral}, {hint}, {question}, {answer} "
        "(double literal braces: {{ }})")
    template.write_text(plain.replace("{answer}", "(elided)"), encoding="utf-8")
    with pytest.raises(judge.JudgeTemplateError, match=r"lacks placeholder\(s\) \{answer\}"):
        resolve_scorers(log)
    template.write_bytes(b"{question}\n{answer}\nR\xe9ponds.\n")
    with pytest.raises(judge.JudgeTemplateError) as e:
        resolve_scorers(log)
    assert str(e.value) == (f"{template}: line 3: not UTF-8 text (byte 0xe9, 'é' in "
                            "Windows-1252); save the file as UTF-8")
    template.unlink()
    with pytest.raises(judge.JudgeTemplateError,
                       match=r"mine\.md: cannot read judge template file: No such file"):
        resolve_scorers(log)


def test_inspect_score_names_a_claim_file_broken_since_the_run(tmp_path):
    """A claim file edited or moved since the run: its one-line problem, not Inspect's
    "couldn't be loaded" (Inspect's loader reads a ValueError, which a claim's error is, as
    a scorer it cannot find)."""
    from inspect_ai._eval.score import resolve_scorers

    log, _, claim = _log_judged_with(
        tmp_path, judge.default_template_path().read_text(encoding="utf-8"))
    claim.write_text(FIXTURE_CLAIM.read_text(encoding="utf-8") + "junk: [\n", encoding="utf-8")
    with pytest.raises(ScorerInputError) as e:
        resolve_scorers(log)
    assert not isinstance(e.value, ValueError)
    assert str(e.value).startswith(f"{claim}: not valid YAML: line "), str(e.value)
    claim.unlink()
    with pytest.raises(ScorerInputError, match=r"glass_bridge\.yaml: cannot read claim "
                                               r"spec file: No such file"):
        resolve_scorers(log)


def _retry_builds(monkeypatch, log) -> None:
    """Build the task as `inspect eval-retry LOG` does: its recorded arguments, that argv."""
    monkeypatch.setattr(sys, "argv", ["inspect", "eval-retry", log.location])
    belief(**log.eval.task_args_passed)


def test_eval_retry_refuses_a_judge_template_or_claim_file_edited_since_the_run(
        tmp_path, monkeypatch):
    """`inspect eval-retry LOG` keeps the responses LOG finished, judged with the old
    template, judges the rest with the file as it is now, and the retried log recorded the
    new file's sha256 alone: verdicts of two judge prompts, reported as one run of the new
    one. Likewise a claim file edited since (questions, rubric)."""
    plain = judge.default_template_path().read_text(encoding="utf-8")
    log, template, claim = _log_judged_with(tmp_path, plain)
    _retry_builds(monkeypatch, log)  # unchanged: the retry runs
    template.write_text(plain + "\nBe strict.\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        _retry_builds(monkeypatch, log)
    n = len(log.samples)
    assert str(e.value) == (
        f"inspect eval-retry {log.location}: judge template {template} changed since the log "
        f"was run (its sha256 differs from the one the log records): the retry would keep the "
        f"log's {n} finished responses, answered and judged with the old text, run the rest "
        "with the new one, and record the new one alone; restore the old file to resume, or "
        "run the eval anew (`inspect eval ...`, a new log) to measure with the new one")
    template.write_text(plain, encoding="utf-8")
    claim.write_text(FIXTURE_CLAIM.read_text(encoding="utf-8") + "\n# edited\n",
                     encoding="utf-8")
    with pytest.raises(InputError, match=rf": claim file {re.escape(str(claim))} changed "):
        _retry_builds(monkeypatch, log)
    monkeypatch.setattr(sys, "argv", ["inspect", "eval", "tasks/belief.py"])
    belief(**log.eval.task_args_passed)  # a new eval measures with the new file


def test_eval_retry_of_a_relative_log_path_is_checked_too(tmp_path, monkeypatch):
    """Inspect builds the task inside the task file's folder, so a log named relative to the
    shell (`inspect eval-retry logs/x.eval`) was no file there: the edited template passed
    unchecked and the retry mixed the two texts' verdicts."""
    plain = judge.default_template_path().read_text(encoding="utf-8")
    log, template, _ = _log_judged_with(tmp_path, plain)
    template.write_text(plain + "\nBe strict.\n", encoding="utf-8")
    shell, inside = Path(log.location).parent, tmp_path / "tasks"
    inside.mkdir()
    monkeypatch.chdir(inside)  # where Inspect builds tasks/belief.py
    monkeypatch.setenv("PWD", str(shell))
    monkeypatch.setattr(sys, "argv", ["inspect", "eval-retry", Path(log.location).name])
    with pytest.raises(InputError, match=r": judge template .* changed since the log was run"):
        belief(**log.eval.task_args_passed)
    monkeypatch.setattr(sys, "argv", ["inspect", "eval", "tasks/belief.py"])


def test_eval_set_resuming_a_log_of_an_edited_template_is_refused(tmp_path, monkeypatch):
    """`inspect eval-set ... --log-dir DIR` resumes an unfinished log in DIR as eval-retry
    does: with the template edited since, the resumed log kept the old verdicts and recorded
    the new text's sha256 alone. Refused as eval-retry is; a finished log there (reused as
    it is) or one of another model is no resume and passes."""
    from inspect_ai.log import write_eval_log

    plain = judge.default_template_path().read_text(encoding="utf-8")
    log, template, _ = _log_judged_with(tmp_path, plain)
    folder = tmp_path / "set"
    folder.mkdir()
    argv = ["inspect", "eval-set", "tasks/belief.py", "--log-dir", str(folder), "--model",
            log.eval.model]
    template.write_text(plain + "\nBe strict.\n", encoding="utf-8")
    write_eval_log(log, str(folder / "finished.eval"))  # status success: reused, not resumed
    monkeypatch.setattr(sys, "argv", argv)
    belief(**log.eval.task_args_passed)
    cut = log.model_copy(deep=True)
    cut.status, cut.samples = "error", cut.samples[:1]
    write_eval_log(cut, str(folder / "cut.eval"))
    with pytest.raises(InputError, match=r"^inspect eval-set would resume .*cut\.eval: judge "
                                         r"template .* changed since the log was run"):
        belief(**log.eval.task_args_passed)
    monkeypatch.setattr(sys, "argv", [*argv[:-1], "openai/other-model"])
    belief(**log.eval.task_args_passed)  # eval-set would resume no log of this model
    monkeypatch.setattr(sys, "argv", ["inspect", "eval", "tasks/belief.py"])


def test_eval_retry_of_an_edited_template_is_refused_on_the_command_line(tmp_path):
    """The real command: one line, exit 1, no retried log written."""
    plain = judge.default_template_path().read_text(encoding="utf-8")
    log, template, _ = _log_judged_with(tmp_path, plain)
    template.write_text(plain + "\nBe strict.\n", encoding="utf-8")
    out = tmp_path / "retried"
    inspect = Path(sys.executable).parent / "inspect"
    done = subprocess.run([str(inspect), "eval-retry", log.location, "--log-dir", str(out),
                           "--display", "none"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        f"inspect eval-retry {log.location}: judge template {template} changed"), done.stderr
    assert not out.exists() or not list(out.iterdir())


def test_inspect_score_refuses_scorer_args_it_would_drop(tmp_path, monkeypatch):
    """`inspect score LOG -S template=new.md` (no --scorer): Inspect rebuilds the log's scorer
    with the log's arguments and drops -S without a word, so the log was re-judged with its
    old template while read as judged with the new one."""
    from inspect_ai._eval.score import resolve_scorers

    log, template, _ = _log_judged_with(
        tmp_path, judge.default_template_path().read_text(encoding="utf-8"))
    monkeypatch.setattr(sys, "argv", ["inspect", "score", log.location, "-S",
                                      f"template={template}", "--action", "overwrite"])
    with pytest.raises(ScorerInputError) as e:
        resolve_scorers(log)
    assert str(e.value).startswith(
        f"-S template={template}: `inspect score LOG` without --scorer rebuilds the log's "
        "scorer with the arguments the log records and drops every -S without a word"), e.value
    monkeypatch.setattr(sys, "argv", ["inspect", "score", log.location])
    assert len(resolve_scorers(log)) == 2  # no -S: the log's own arguments, as before
    monkeypatch.setattr(sys, "argv", ["inspect", "score", log.location, "--scorer",
                                      "tasks/belief.py@belief_judge", "-S", "judge=markers"])
    resolve_scorers(log, None, None)  # (the named scorer takes -S: not refused)
