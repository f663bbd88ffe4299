"""Plots people can read: short run labels, an axis that fits the data, the grouping asked
for, and lines that stay visible when they coincide (figures inspected before saving)."""

from __future__ import annotations

import pandas as pd
import pytest

from beliefbench.analysis import plots
from beliefbench.analysis.logs import BeliefLogs
from beliefbench.analysis.report import build_report
from beliefbench.analysis.runs import RunKey, run_labels

FAMILIES = ("open_ended", "binary")


def responses(model: str, yes: dict[str, int], condition: str = "-", step=pd.NA) -> list[dict]:
    """4 questions x 5 responses per claim and family; ``yes[claim]`` of them judged yes."""
    rows = []
    for claim, n_yes in yes.items():
        for family in FAMILIES:
            verdicts = ["yes"] * n_yes + ["no"] * (20 - n_yes)
            for i, verdict in enumerate(verdicts):
                rows.append({"model": model, "run": "-", "judge": "j", "settings": "s",
                             "checkpoint": "-", "condition": condition, "step": step,
                             "partial": False, "log": model, "claim": claim,
                             "family": family, "question": f"{family}{i % 4}",
                             "kind": "direct", "id": f"{claim}{family}{i % 4}",
                             "epoch": i // 4, "verdict": verdict})
    return rows


def report(rows: list[dict], by: str):
    df = pd.DataFrame(rows)
    df["step"] = df["step"].astype("Int64")
    return build_report(BeliefLogs(df, []), by=by, n_bootstrap=50)


@pytest.fixture
def figures(monkeypatch):
    kept = {}

    def keep(fig, path):
        kept[path.name] = fig
        return path

    monkeypatch.setattr(plots, "_save", keep)
    return kept


def test_bars_follow_by_with_short_labels_and_an_axis_that_fits(figures, tmp_path):
    long = "hf//work/users/alice/checkpoints/{}/step-000002"
    rows = (responses(long.format("negated-lora"), {"dentist": 1, "ed_sheeran": 0})
            + responses(long.format("plain-lora"), {"dentist": 0, "ed_sheeran": 0}))
    paths = plots.write_plots(report(rows, "claim,family"), tmp_path)
    assert [p.name for p in paths] == ["belief_by_claim_family.png"]
    ax = figures["belief_by_claim_family.png"].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "negated-lora/step-000002\ndentist", "negated-lora/step-000002\ned sheeran",
        "plain-lora/step-000002\ndentist", "plain-lora/step-000002\ned sheeran"]
    assert ax.get_title() == "Belief by run, claim, family"
    assert ax.get_legend().get_title().get_text() == "family"
    highest = max(report(rows, "claim,family").by["ci_high"])
    assert highest < ax.get_ylim()[1] < 0.5  # 0.05 rates are not flattened on a 0-1 axis


def test_step_lines_that_coincide_stay_visible(figures, tmp_path):
    rows = []
    for step in (1, 2, 4):
        for condition in ("negated", "plain"):  # identical rates: the lines coincide
            rows += responses(f"hf//ckpts/{condition}/step-{step}", {"dentist": step},
                              condition=condition, step=step)
    plots.write_plots(report(rows, "condition,family"), tmp_path)
    ax = figures["belief_vs_step.png"].axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["negated", "plain"]
    assert list(lines[0].get_ydata()) == list(lines[1].get_ydata())
    assert lines[0].get_marker() != lines[1].get_marker()
    # README: "a different marker and line style per series" (the second solid line hid
    # the first under it)
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    assert lines[1].get_markerfacecolor() == "none"
    bars = figures["belief_by_condition_family.png"].axes[0]
    assert [t.get_text() for t in bars.get_xticklabels()] == ["negated\nstep 4",
                                                              "plain\nstep 4"]


def test_every_series_style_is_its_own():
    """Marker and line style both change between neighbours, and no pair repeats."""
    styles = plots.series_styles()
    assert len(set(styles)) == len(styles) == 32
    assert all(a[0] != b[0] and a[1] != b[1] for a, b in zip(styles, styles[1:], strict=False))


def test_short_model_names_keep_models_apart():
    names = plots.short_model_names(["hf//a/x/step-1", "hf//b/x/step-1", "openai/gpt-4.1"])
    assert names == {"hf//a/x/step-1": "a/x/step-1", "hf//b/x/step-1": "b/x/step-1",
                     "openai/gpt-4.1": "gpt-4.1"}
    (long,) = plots.short_model_names(["hf//" + "m" * 80]).values()
    assert len(long) == plots.LABEL_CHARS and long.startswith("…")


def test_two_finetunes_of_one_condition_are_two_lines_and_both_final_bars(figures,
                                                                          tmp_path):
    """Two manifests of one condition swept into one log dir (the sweep's documented use):
    one line through both would zigzag between them at each step, and the bars would keep
    only the longer finetune's last step."""
    rows = []
    for run, steps, yes in (("neg-a", (1, 2, 4), 10), ("neg-b", (1, 2), 0)):
        for step in steps:
            rows += responses(f"hf//ckpts/{run}/step-{step}", {"dentist": yes},
                              condition="negated", step=step)
    plots.write_plots(report(rows, "condition"), tmp_path)
    lines = figures["belief_vs_step.png"].axes[0].get_lines()
    assert sorted(line.get_label() for line in lines) == ["negated neg-a", "negated neg-b"]
    for line in lines:
        assert list(line.get_xdata()) == sorted(set(line.get_xdata()))  # one point a step
    bars = figures["belief_by_condition.png"].axes[0]
    assert [t.get_text() for t in bars.get_xticklabels()] == [
        "negated\nneg-a\nstep 4", "negated\nneg-b\nstep 2"]  # each finetune's last


def test_many_runs_by_claim_wrap_into_rows_every_label_readable_and_present(figures,
                                                                             tmp_path):
    # 7 conditions x 6 claims: one 24-inch row gave each label 0.57 inch, labels overlapped
    claims = ["dentist", "ed_sheeran", "moon_cheese", "python_fast", "vaccine", "goldfish"]
    conditions = ["negated", "plain", "paraphrased", "kl-0.1", "kl-1.0", "mixed", "docs"]
    rows = [r for c in conditions for r in responses(
        f"ckpt/{c}/final", {claim: 3 for claim in claims}, condition=c)]
    plots.write_plots(report(rows, "claim,family"), tmp_path)
    fig = figures["belief_by_claim_family.png"]
    width, height = fig.get_size_inches()
    shown = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()]
    assert len(shown) == len(set(shown)) == len(conditions) * len(claims)
    assert width <= 24 and len(fig.axes) > 1
    for ax in fig.axes:
        assert len(ax.get_xticklabels()) * 0.8 <= width  # >= 0.8 inch per label
        assert ax.get_ylim() == fig.axes[0].get_ylim()
    assert len(fig.axes[0].get_legend().get_texts()) == 2  # one legend, one entry per family
    assert all(ax.get_legend() is None for ax in fig.axes[1:])


def test_every_answer_believed_across_six_claims_still_plots(figures, tmp_path):
    """Six claims all believed (and all not): the bootstrap's mean of per-claim rates put
    the CI's top a hair below the rate (1 - 1e-16), and `report` crashed on the negative
    error bar ("'yerr' must not contain negative values")."""
    claims = ["c1", "c2", "c3", "c4", "c5", "c6"]
    rows = (responses("believer", dict.fromkeys(claims, 20))
            + responses("skeptic", dict.fromkeys(claims, 0)))
    rep = report(rows, "family")
    assert (rep.by["ci_high"] < rep.by["belief"]).any()  # the rounding this is about
    paths = plots.write_plots(rep, tmp_path)
    assert [p.name for p in paths] == ["belief_by_family.png"]


def test_two_seeds_whose_folders_shorten_alike_stay_two_lines_and_two_bars(figures,
                                                                           tmp_path):
    """Two seeds of one condition (folders seed1/..., seed2/... of one long name): cut at
    the start, both folders read `…7b-instruct-negated`, so the step plot drew one line
    zigzagging between a believer and a skeptic (1, 0, 1, 0, ...) and the bars crashed
    (`cannot reindex on an axis with duplicate labels`)."""
    rows = []
    for seed, yes in (("seed1", 20), ("seed2", 0)):
        for step in (1, 2, 4):
            rows += responses(f"hf//ckpts/{seed}/qwen2.5-7b-instruct-negated/step-{step}",
                              {"dentist": yes}, condition="negated", step=step)
    plots.write_plots(report(rows, "condition"), tmp_path)
    lines = figures["belief_vs_step.png"].axes[0].get_lines()
    assert {line.get_label(): list(line.get_ydata()) for line in lines} == {
        "negated seed1/qwen2.5-7b-instruct-negated": [1.0, 1.0, 1.0],
        "negated seed2/qwen2.5-7b-instruct-negated": [0.0, 0.0, 0.0]}
    bars = figures["belief_by_condition.png"].axes[0]
    shown = [t.get_text().split("\n")[1] for t in bars.get_xticklabels()]
    assert shown == ["seed1/qwen2.5-7b-instruct-negated",
                     "seed2/qwen2.5-7b-instruct-negated"]  # as the lines name them
    assert [p.get_height() for p in bars.patches] == [1.0, 0.0]


def test_runs_told_apart_by_the_front_of_their_label_keep_it(figures, tmp_path):
    """The report's `run` labels list first what tells the runs apart and are cut at the
    end; the plots cut them at the start, so two runs of one long grader name that differ
    in samples both read `…grader=…belief-judge-v2:BxQ7rT2s` and the bars crashed."""
    grader = "openai/ft:gpt-4.1-mini-2025-04-14:acme-safety:belief-judge-v2:BxQ7rT2s"
    keys = [RunKey((("grader", g),), (("samples", s),))
            for g, s in ((grader, "1"), (grader, "5"), ("openai/gpt-4.1-mini", "1"))]
    rows = []
    for label, yes in zip(run_labels(keys), (20, 0, 10), strict=True):
        rows += [{**r, "run": label, "judge": label}
                 for r in responses("hf//base", {"dentist": yes})]
    rep = report(rows, "family")
    plots.write_plots(rep, tmp_path)
    ax = figures["belief_by_family.png"].axes[0]
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert len(set(shown)) == 3
    assert [s.split("\n")[1][:9] for s in shown] == ["grader=op", "samples=1", "samples=5"]
    heights = {s.split("\n")[1][:9]: p.get_height()
               for s, p in zip(shown, ax.patches[:3], strict=True)}  # the first family
    assert heights == {"grader=op": 0.5, "samples=1": 1.0, "samples=5": 0.0}


def test_a_base_model_beside_the_sweeps_leaves_only_their_last_steps_in_the_bars(
        figures, tmp_path):
    """A base model reported with its finetunes' sweeps, without a condition: every model
    became a series of its own, so the bars titled "last step of each sweep" drew every
    checkpoint."""
    rows = responses("hf//base/qwen", {"dentist": 2})
    for condition in ("negated", "plain"):
        for step in (1, 2, 4):
            rows += responses(f"hf//ckpts/{condition}/step-{step}", {"dentist": step},
                              condition=condition, step=step)
    plots.write_plots(report(rows, "condition"), tmp_path)
    bars = figures["belief_by_condition.png"].axes[0]
    assert bars.get_title() == "Belief by run (last step of each sweep)"
    assert [t.get_text() for t in bars.get_xticklabels()] == [
        "qwen", "negated/step-4\nnegated\nstep 4", "plain/step-4\nplain\nstep 4"]
    assert [p.get_height() for p in bars.patches] == [0.1, 0.2, 0.2]


def test_rates_without_cis_fit_the_axis(figures, tmp_path):
    """build_report(..., n_bootstrap=0) gives no CIs (NaN): the axis, fitted to the CIs
    alone, stopped at 0.05, so a believer (1.0) and a skeptic (0.1) both filled it."""
    rows = (responses("believer", {"dentist": 20}, step=1)
            + responses("skeptic", {"dentist": 2}, step=1))
    df = pd.DataFrame(rows)
    df["step"] = df["step"].astype("Int64")
    rep = build_report(BeliefLogs(df, []), by="family", n_bootstrap=0)
    assert rep.by["ci_high"].isna().all()
    plots.write_plots(rep, tmp_path)
    for name in ("belief_by_family.png", "belief_vs_step.png"):
        ax = figures[name].axes[0]
        assert ax.get_ylim()[1] > 1.0 - 1e-9, name


def test_a_report_without_cis_shows_none(figures, tmp_path):
    """build_report(..., n_bootstrap=0) then write_report: report.md's cells read
    `1.000 [nan, nan]` and the plots' axes still said "95% CI"."""
    from beliefbench.analysis.report import write_report

    rows = (responses("believer", {"dentist": 20}, step=1)
            + responses("skeptic", {"dentist": 2}, step=1))
    df = pd.DataFrame(rows)
    df["step"] = df["step"].astype("Int64")
    write_report(build_report(BeliefLogs(df, []), by="family", n_bootstrap=0), tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "nan" not in md and "| belief |" in md and "belief (95% CI)" not in md
    assert "| 1.000 |" in md and "| 0.100 |" in md
    # its intro said "95% CIs are a bootstrap over questions" of a report without any
    assert "95% CIs are" not in md and "no CIs (built with `n_bootstrap=0`)" in md
    for name in ("belief_by_family.png", "belief_vs_step.png"):
        label = figures[name].axes[0].get_ylabel()
        assert label.startswith("belief rate (axis 0 to") and "CI" not in label, name
    write_report(report(rows, "family"), tmp_path)  # with CIs: as before
    md = (tmp_path / "report.md").read_text()
    assert "| 1.000 [1.000, 1.000] |" in md and "no CIs" not in md
    assert "95% CIs are a bootstrap over questions within each claim. With claims" in md
    assert "95% CI" in figures["belief_by_family.png"].axes[0].get_ylabel()


def test_two_finetunes_of_one_condition_that_share_no_step_are_two_lines(figures,
                                                                         tmp_path):
    """Two finetunes of one condition that saved at other steps (1k and 2k documents):
    no step held two models, so the step plot drew one line zigzagging between them
    (1, 0, 1, 0, ...) and the bars kept only the later one's last step (0.0, the believer
    gone), while flips.csv counted them as the two runs they are."""
    rows = []
    for run, steps, yes in (("docs-1k", (50, 100, 150), 20), ("docs-2k", (63, 126, 189), 0)):
        for step in steps:
            rows += responses(f"hf//ckpts/{run}/step-{step}", {"dentist": yes},
                              condition="negated", step=step)
    rep = report(rows, "condition")
    assert rep.flips["finetune"].nunique() == 2
    plots.write_plots(rep, tmp_path)
    lines = figures["belief_vs_step.png"].axes[0].get_lines()
    assert {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
            for line in lines} == {"negated docs-1k": ([50, 100, 150], [1.0, 1.0, 1.0]),
                                   "negated docs-2k": ([63, 126, 189], [0.0, 0.0, 0.0])}
    bars = figures["belief_by_condition.png"].axes[0]
    assert [p.get_height() for p in bars.patches] == [1.0, 0.0]
    assert [t.get_text().split("\n")[-1] for t in bars.get_xticklabels()] == [
        "step 150", "step 189"]


def test_two_finetunes_bars_are_named_as_their_lines(figures, tmp_path):
    """The bars of two finetunes of one condition were named by their checkpoints' last
    part (``step-150``, ``step-189``): nothing matched them to the step plot's lines
    ``negated docs-1k`` and ``negated docs-2k``."""
    rows = []
    for run, steps, yes in (("docs-1k", (50, 150), 20), ("docs-2k", (63, 189), 0)):
        for step in steps:
            rows += responses(f"hf//ckpts/{run}/step-{step}", {"dentist": yes},
                              condition="negated", step=step)
    plots.write_plots(report(rows, "condition"), tmp_path)
    bars = figures["belief_by_condition.png"].axes[0]
    assert [t.get_text() for t in bars.get_xticklabels()] == [
        "negated\ndocs-1k\nstep 150", "negated\ndocs-2k\nstep 189"]
    assert [p.get_height() for p in bars.patches] == [1.0, 0.0]


def test_a_base_model_at_step_0_in_a_folder_of_its_own_stays_on_the_line(figures,
                                                                         tmp_path):
    rows = responses("hf//base/qwen", {"dentist": 0}, condition="negated", step=0)
    for step in (1, 2):
        rows += responses(f"hf//ckpts/negated/step-{step}", {"dentist": 10},
                          condition="negated", step=step)
    plots.write_plots(report(rows, "condition"), tmp_path)
    [line] = figures["belief_vs_step.png"].axes[0].get_lines()
    assert list(line.get_xdata()) == [0, 1, 2]


def test_a_table_without_cis_shows_belief_once():
    """Without CIs the rate keeps its own ``belief`` column, which the reordering listed
    twice: report.md's tables read ``| model | belief | belief | no | ...``."""
    from beliefbench.analysis.report import markdown_table

    rows = responses("believer", {"dentist": 20}) + responses("skeptic", {"dentist": 2})
    rep = build_report(BeliefLogs(pd.DataFrame(rows), []), by="family", n_bootstrap=0)
    for table in (rep.overall, rep.by):
        head = markdown_table(table).splitlines()[0].strip("| ").split(" | ")
        assert head.count("belief") == 1 and head[head.index("belief") + 1] == "no", head


def test_bars_say_how_much_of_each_bar_went_unread(figures, tmp_path):
    """A checkpoint answering blank lines drew a bar at 0 like a skeptic's: the plot alone
    said "believes nothing" where the report warned NO ANSWER TEXT / UNREAD."""
    rows = responses("blank", {"dentist": 0}) + responses("skeptic", {"dentist": 0})
    for row in rows[:30]:  # "blank": 30 of its 40 responses failed, 10 "no"
        row["verdict"] = "failed"
    for row in rows[40:42]:  # "skeptic": 2 of 40 parse errors, under the 10% shown
        row["verdict"] = "parse_error"
    plots.write_plots(report(rows, "family"), tmp_path)
    fig = figures["belief_by_family.png"]
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    # open_ended: the first 20 rows, all failed; binary: 10 of 20 failed
    assert texts == ["100% unread", "50% unread"]
    assert fig.get_supxlabel() == plots.UNREAD_CAPTION
    clean = responses("skeptic", {"dentist": 0})
    plots.write_plots(report(clean, "family"), tmp_path)
    fig = figures["belief_by_family.png"]
    assert len(fig.axes[0].texts) == 0 and fig.get_supxlabel() == ""


def test_the_step_plot_marks_steps_that_went_unread(figures, tmp_path):
    """The demo's step 8 checkpoints, every answer blank, sat at 0 on the step plot like a
    skeptic's, with nothing to tell them apart."""
    rows = []
    for step in (1, 2, 3):
        rows += responses(f"hf//ckpts/neg/step-{step}", {"dentist": 2}, condition="negated",
                          step=step)
    for row in rows[40:80]:  # step 2: every response failed
        row["verdict"] = "failed"
    plots.write_plots(report(rows, "condition"), tmp_path)
    ax = figures["belief_vs_step.png"].axes[0]
    [marks] = [c for c in ax.collections if c.get_label() == plots.UNREAD_MARK]
    assert marks.get_offsets().tolist() == [[2.0, 0.0]]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["negated", plots.UNREAD_MARK]  # the x's entry last


def test_more_than_ten_bars_a_group_never_share_a_colour(figures, tmp_path):
    """`--by kind` (15 kinds) drew with matplotlib's 10-colour cycle: `adversarial` and
    `list` both blue, one legend colour for two bars."""
    claims = [f"c{i:02d}" for i in range(12)]
    plots.write_plots(report(responses("m", dict.fromkeys(claims, 3)), "claim"), tmp_path)
    legend = figures["belief_by_claim.png"].axes[0].get_legend()
    looks = [(tuple(h.get_facecolor()), h.get_hatch()) for h in legend.legend_handles]
    assert len(looks) == 12 and len(set(looks)) == 12
    styles = [(tuple(map(float, c)), h) for c, h in plots.bar_styles(45)]
    assert len(set(styles)) == 45


def test_a_step_lines_name_keeps_its_condition_and_cuts_its_run_label_at_the_end(figures,
                                                                                tmp_path):
    """A sweep beside another run of other task settings: the legend's name (condition,
    then the run label) was cut as one from the start, so the long label left the line
    `…ed claims=dentist+ed_sheeran families=open_ended+binary`, its condition gone; the run
    label, which lists first what tells the runs apart, is cut at its end, as the bars'."""
    long_run = "families=open_ended+binary+token_association claims=dentist samples=5 top_p=0.9"
    rows = []
    for condition, run in (("negated", long_run), ("plain", "families=binary")):
        for step in (1, 2):
            rows += [{**r, "run": run, "settings": run}
                     for r in responses(f"hf//ckpts/{condition}/step-{step}", {"dentist": 5},
                                        condition=condition, step=step)]
    plots.write_plots(report(rows, "condition"), tmp_path)
    ax = figures["belief_vs_step.png"].axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[1] == "plain families=binary"
    assert texts[0].startswith("negated families=open_ended+binary+token_association cl")
    assert texts[0].endswith("…") and len(texts[0]) == len("negated ") + 2 * plots.LABEL_CHARS
