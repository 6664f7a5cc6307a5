"""Figures: the numbers each figure draws (the CSV beside it) against hand counts, and the save helper.

Tables are hand-made: partnership k (Appendix 4 order, 0-31) has grade (k + j) % 6 on indicator j
(0 = Unsatisfactory ... 5 = Excellent). On 1.1 (j = 0) residues 0 and 1 occur 6 times in k = 0..31 and
residues 2-5 five times each, so the 32 split U 6, W 6, A 5, G 5, VG 5, E 5.
"""

from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.errors import UsageError  # noqa: E402
from analysis.publish import figures  # noqa: E402
from analysis.record.model import RecordModel, cell_group  # noqa: E402
from analysis.stats import summaries  # noqa: E402

from conftest import ALL_32, APPENDIX_4, NINE  # noqa: E402

GRADES = ["Unsatisfactory", "Weak", "Adequate", "Good", "Very good", "Excellent"]
OPEN = {("Edinburgh", "1.1"), ("Orkney", "1.1")}  # k = 0 (Unsatisfactory) and k = 2 (Adequate) on 1.1


def _groups(skip=()):
    return [cell_group(p, i, GRADES[(k + j) % 6], "table") for k, p in enumerate(ALL_32) for j, i in enumerate(NINE)
            if (p, i) not in skip]


@pytest.fixture(scope="module")
def complete():
    return RecordModel(_groups(), "complete grade table")


@pytest.fixture(scope="module")
def partial():
    # Two cells left out: the data fixes the other 286 and leaves these two open.
    return RecordModel(_groups(OPEN), "public record")


def _segments(model, scope="all", indicator="1.1"):
    data = figures.grade_bars_data(summaries.grade_distribution(model, {scope: ALL_32}))
    return data[(data["indicator"] == indicator)].set_index("segment")


def test_bar_counts_complete(complete):
    seg = _segments(complete)
    assert seg["count"].to_dict() == {"Adequate": 5, "Weak": 6, "Unsatisfactory": 6, "unresolved": 0, "Good": 5,
                                      "Very good": 5, "Excellent": 5}
    # Diverging at 0 between Adequate and Good: Adequate -5/32..0, Weak -11/32..-5/32, Excellent 10/32..15/32.
    assert seg.loc["Adequate", ["left", "right"]].tolist() == pytest.approx([-5 / 32, 0])
    assert seg.loc["Weak", ["left", "right"]].tolist() == pytest.approx([-11 / 32, -5 / 32])
    assert seg.loc["Unsatisfactory", "left"] == pytest.approx(-17 / 32)
    assert seg.loc["Excellent", ["left", "right"]].tolist() == pytest.approx([10 / 32, 15 / 32])


def test_bar_counts_with_open_cells(partial):
    seg = _segments(partial)
    # Edinburgh (U) and Orkney (A) open: U 5, A 4 fixed, 2 unresolved straddling 0 (-1/32..1/32).
    assert seg["count"].to_dict() == {"Adequate": 4, "Weak": 6, "Unsatisfactory": 5, "unresolved": 2, "Good": 5,
                                      "Very good": 5, "Excellent": 5}
    assert seg.loc["unresolved", ["left", "right"]].tolist() == pytest.approx([-1 / 32, 1 / 32])
    assert seg.loc["Adequate", ["left", "right"]].tolist() == pytest.approx([-5 / 32, -1 / 32])
    assert seg.loc["Good", ["left", "right"]].tolist() == pytest.approx([1 / 32, 6 / 32])
    # Pre-2014 (k = 0..10) on 1.1: residues 0,1,2,3,4,5,0,1,2,3,4 -> U 2, W 2, A 2, G 2, VG 2, E 1;
    # both open cells are pre-2014, so U 1 and A 1 are fixed and 2 unresolved.
    pre = figures.grade_bars_data(summaries.grade_distribution(partial, {"pre-2014": APPENDIX_4["pre-2014"]}))
    pre = pre[pre["indicator"] == "1.1"].set_index("segment")["count"].to_dict()
    assert pre == {"Adequate": 1, "Weak": 2, "Unsatisfactory": 1, "unresolved": 2, "Good": 2, "Very good": 2,
                   "Excellent": 1}


def test_grid_marks_open_and_known_cells(partial, complete):
    grid = figures.grade_grid_data(summaries.partnership_grades(partial)).set_index(["partnership", "indicator"])
    assert len(grid) == 288
    assert grid.loc[("Edinburgh", "1.1"), "drawn"] == "open"
    assert grid.loc[("Edinburgh", "1.1"), "label"] == "U–E"  # any grade: the full range, as in the legend
    assert grid.loc[("Edinburgh", "1.1"), "possible"] == "|".join(GRADES)
    assert grid.loc[("Highland", "1.1"), "drawn"] == "Excellent"  # k = 5 -> residue 5
    assert grid.loc[("Highland", "1.1"), "label"] == "E"
    assert (grid["drawn"] == "open").sum() == 2
    full = figures.grade_grid_data(summaries.partnership_grades(complete))
    assert (full["drawn"] == "open").sum() == 0


def test_grid_marks_derived_cells():
    possible = pd.DataFrame([{"partnership": "Moray", "indicator": "5.1", "possible": ("Adequate",),
                              "status": "derived"},
                             {"partnership": "Angus", "indicator": "5.1", "possible": ("Adequate", "Weak"),
                              "status": "open"}])
    data = figures.grade_grid_data(possible)
    assert data["label"].tolist() == ["A*", "A–W"]


def test_good_or_better_plot_draws_the_summary(complete):
    ax = figures.good_or_better_plot(summaries.good_or_better(complete), basis="test")
    data = figures.drawn(ax).data.set_index(["indicator", "scope"])
    # 1.1, all 32: residues 3, 4, 5 -> 15 Good or better (5 + 5 + 5).
    assert data.loc[("1.1", "all"), ["min", "max"]].tolist() == [15, 15]
    # 1.1, pre-2014 (k = 0..10): residues 3, 4, 5, 3, 4 -> 5 of 11.
    assert data.loc[("1.1", "pre-2014"), "share_min"] == pytest.approx(5 / 11)
    assert len(data) == 9 * 4


def test_the_charts_take_the_labels_they_show(complete):
    """A scope may be named as the chart labels it ("Post-2016", "All 32") or by its key; the same data is drawn.
    1.1, post-2016 (k = 23..31, grade k % 6): residues 5, 0, 1, 2, 3, 4, 5, 0, 1 -> 4 Good or better of 9
    (k = 23, 27, 28, 29), counted by hand."""
    gob = summaries.good_or_better(complete)
    by_label = figures.drawn(figures.good_or_better_plot(gob, scopes=["Post-2016", "All 32"])).data
    by_key = figures.drawn(figures.good_or_better_plot(gob, scopes=["post-2016", "all"])).data
    pd.testing.assert_frame_equal(by_label, by_key)
    assert by_label.set_index(["indicator", "scope"]).loc[("1.1", "post-2016"), ["min", "max"]].tolist() == [4, 4]
    dist = summaries.grade_distribution(complete)
    pd.testing.assert_frame_equal(figures.grade_bars_data(dist, ["Post 2016"]),
                                  figures.grade_bars_data(dist, ["post-2016"]))
    figures.grade_bars(dist, scopes=["Post-2016"])  # drew nothing and crashed on NaN before
    with pytest.raises(UsageError, match="scope 'Post-2017' is not in the data"):
        figures.good_or_better_plot(gob, scopes=["Post-2017"])


def test_profile_against_medians(complete):
    ax = figures.profile_plot(summaries.partnership_profile(complete, "Edinburgh"))
    data = figures.drawn(ax).data.set_index(["indicator", "series"])
    # Edinburgh (k = 0) has grade j % 6 on indicator j: 1.1 Unsatisfactory (1), 2.1 Weak (2), 9.4 (j = 8) Adequate.
    assert data.loc[("1.1", "Edinburgh"), ["low", "high"]].tolist() == [1, 1]
    assert data.loc[("9.4", "Edinburgh"), ["low", "high"]].tolist() == [3, 3]
    # National lower median on 1.1: the 16th of U 6, W 6, A 5 ... -> Adequate (3).
    assert data.loc[("1.1", "national median"), ["low", "high"]].tolist() == [3, 3]
    # Pre-2014 on 1.1: U U W W A A G G VG VG E -> 6th -> Adequate (3).
    assert data.loc[("1.1", "group median"), ["low", "high"]].tolist() == [3, 3]


def test_staff_survey_and_case_records_draw_the_record():
    from analysis.domain.load import load_record

    rec = load_record()
    data = figures.drawn(figures.staff_survey_plot(rec.staff_survey)).data
    girfec = data[data["measure"] == "girfec"].set_index("period_group")["percent_positive"].to_dict()
    # Review footnote 8: "68% in inspections pre 2014, compared with 75% in 2014-16 ..., then 72% in post 2016"
    assert girfec == {"pre-2014": 68, "2014-16": 75, "post-2016": 72}
    cases = figures.drawn(figures.case_records_plot(rec.case_records)).data.set_index("measure")
    # "around seven out of every 10": 0.7, read as 0.65-0.75 in the data log
    assert cases.loc["initial_response_good_or_better", ["value", "low", "high"]].tolist() == pytest.approx(
        [0.7, 0.65, 0.75])


def test_save_writes_four_files_deterministically(tmp_path, partial):
    dist = summaries.grade_distribution(partial, {"all": ALL_32})
    paths = []
    for run in ("a", "b"):
        ax = figures.grade_bars(dist, basis="hand-made table")
        paths.append(figures.save(ax, "bars", tmp_path / run))
    assert [p.name for p in paths[0]] == ["bars.png", "bars.svg", "bars.csv", "bars.txt", "bars-description.txt"]
    for a, b in zip(*paths):
        assert a.read_bytes() == b.read_bytes(), a.name
    svg = paths[0][1].read_text()
    assert "<dc:date>" not in svg
    csv = pd.read_csv(paths[0][2], dtype={"indicator": str})
    row = csv[(csv["indicator"] == "1.1") & (csv["segment"] == "unresolved")]
    assert row["count"].tolist() == [2]
    assert Fraction(row["share"].iloc[0]).limit_denominator(64) == Fraction(2, 32)
    alt = paths[0][3].read_text()
    assert "2 of the 288 grades drawn are not fixed" in alt and len(alt.strip()) <= 250  # 9 x 32 bars drawn, 2 open
    description = paths[0][4].read_text()
    assert "white hatched segment" in description and "hand-made table" in description
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["bars-description.txt", "bars.csv", "bars.png",
                                                                  "bars.svg", "bars.txt"]


def test_save_refuses_unsafe_names_and_foreign_axes(tmp_path, complete):
    import matplotlib.pyplot as plt

    ax = figures.grade_bars(summaries.grade_distribution(complete, {"all": ALL_32}))
    with pytest.raises(ValueError):
        figures.save(ax, "../escape", tmp_path)
    fig, other = plt.subplots()
    with pytest.raises(KeyError):
        figures.save(other, "plain", tmp_path)
    plt.close("all")
    assert list(tmp_path.iterdir()) == []


def test_one_palette_ordered_orange_to_purple():
    assert list(figures.GRADE_COLOURS) == GRADES
    # orange hues below Good, purple from Good up (a diverging scheme split where good-or-better starts)
    red, blue = (lambda h: int(h[1:3], 16)), (lambda h: int(h[5:7], 16))
    below, above = list(figures.GRADE_COLOURS.values())[:3], list(figures.GRADE_COLOURS.values())[3:]
    assert all(red(c) > blue(c) for c in below) and all(blue(c) > red(c) for c in above)


def _luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance, written out here from the definition (not matplotlib's)."""
    import matplotlib.colors as mcolors

    def channel(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in mcolors.to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_meets_wcag_1_4_11_and_1_4_3():
    # before: Good #d8daeb against the unresolved grey was 1.02:1, Adequate and Good against white 1.27 and 1.39
    assert _contrast("#d8daeb", "#d9d9d9") < 1.1  # the check computes what the issue measured
    for grade, colour in figures.GRADE_COLOURS.items():
        assert _contrast(colour, "white") >= 3, grade               # each segment against the page and its borders
        assert _contrast(colour, figures.UNRESOLVED_COLOUR) >= 3, grade   # against the unresolved segment
        assert _contrast(figures.TEXT_ON[grade], colour) >= 4.5, grade   # the count written in it
    assert _contrast(figures.UNRESOLVED_EDGE, figures.UNRESOLVED_COLOUR) >= 3
    for scope, (colour, _) in figures.SCOPE_STYLE.items():
        assert _contrast(colour, "white") >= 3, scope
        assert colour not in figures.GRADE_COLOURS.values()         # a scope never wears a grade's colour
    assert len({m for _, m in figures.SCOPE_STYLE.values()}) == len(figures.SCOPE_STYLE)


def _figures_of_the_review():
    from analysis.report.page import open_report
    from analysis.stats import summaries, trend_bounds

    page = open_report("review")
    m, rec = page.model, page.record
    national = {"grade_distribution": summaries.grade_distribution(m), "good_or_better": summaries.good_or_better(m),
                "possible_grades": summaries.partnership_grades(m, rec), "trend_bounds": trend_bounds.trend_bounds(m),
                "staff_survey": rec.staff_survey, "case_records": rec.case_records}
    group_page = open_report("period_group", "post-2016")
    group = {"possible_grades": summaries.partnership_grades(m, rec, period_group="post-2016"),
             "grade_distribution": national["grade_distribution"], "good_or_better": national["good_or_better"]}
    area = {"profile": summaries.partnership_profile(m, "Fife")}
    b = "public record"
    return {
        "grade_bars": lambda: figures.grade_bars(national["grade_distribution"], basis=b),
        "grade_bars_group": lambda: figures.grade_bars(group["grade_distribution"], scopes=group_page.scopes, basis=b),
        "good_or_better": lambda: figures.good_or_better_plot(national["good_or_better"], basis=b),
        "good_or_better_group": lambda: figures.good_or_better_plot(group["good_or_better"], scopes=group_page.scopes,
                                                                    basis=b),
        "grade_grid": lambda: figures.grade_grid(national["possible_grades"], basis=b),
        "grade_grid_group": lambda: figures.grade_grid(group["possible_grades"], basis=b),
        "profile": lambda: figures.profile_plot(area["profile"], basis=b),
        "trend": lambda: figures.trend_plot(national["trend_bounds"]["bounds"], basis=b),
        "staff_survey": lambda: figures.staff_survey_plot(national["staff_survey"]),
        "case_records": lambda: figures.case_records_plot(national["case_records"]),
    }


@pytest.fixture(scope="module")
def review_figures():
    return _figures_of_the_review()


def _texts(fig):
    """(text, window extent) of every visible, non-empty text drawn on ``fig`` (ticks outside the view
    limits are not drawn, so not counted)."""
    import matplotlib.pyplot as plt

    with plt.rc_context(figures.RC):
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    skip = set()
    for ax in fig.axes:
        for axis, (lo, hi) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
            for tick in axis.get_major_ticks():
                if not (lo - 1e-9 <= tick.get_loc() <= hi + 1e-9):
                    skip.update({id(tick.label1), id(tick.label2)})
    out = []
    for t in fig.findobj(matplotlib.text.Text):
        if id(t) in skip or not t.get_visible() or not t.get_text().strip():
            continue
        out.append((t.get_text(), t.get_window_extent(renderer)))
    return out


@pytest.mark.parametrize("name", ["grade_bars", "grade_bars_group", "good_or_better", "good_or_better_group",
                                  "grade_grid", "grade_grid_group", "profile", "trend", "staff_survey",
                                  "case_records"])
def test_no_text_is_clipped_or_overlapping(review_figures, name):
    # before: case-records cut its labels mid-word and its note; grade-bars printed counts on the centre line
    import matplotlib.pyplot as plt

    ax = review_figures[name]()
    fig = ax.figure
    texts = _texts(fig)
    assert texts
    canvas = fig.bbox
    for text, box in texts:
        assert box.x0 >= canvas.x0 - 1 and box.x1 <= canvas.x1 + 1 and box.y0 >= canvas.y0 - 1 and \
            box.y1 <= canvas.y1 + 1, f"{text!r} runs off the figure"
    for k, (a, box_a) in enumerate(texts):
        for b, box_b in texts[k + 1:]:
            shrunk = box_a.padded(-1)
            assert not shrunk.overlaps(box_b.padded(-1)), f"{a!r} overlaps {b!r}"
    alt = figures.drawn(ax).alt
    assert len(alt) <= 250 and alt.count(". ") <= 1, alt   # one or two sentences (ONS)
    plt.close(fig)
