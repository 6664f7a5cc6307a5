"""Published CSV cells: floats at their method's precision, formulas neutralised (OWASP)."""

import pandas as pd

from analysis.publish.precision import for_csv


def test_floats_at_their_precision():
    frame = pd.DataFrame({"p_min": [7.155389633286577e-07, 1.0], "coef_post_2016": [2.718783357641565, float("nan")],
                          "lr_p": [0.019993319907383227, 1.0], "count": [8, 30]})
    out = for_csv(frame)
    # exact quantities to 6 significant digits; iterative fits to 4; integers as they are; missing empty
    assert out["p_min"].tolist() == ["7.15539e-07", "1"]
    assert out["coef_post_2016"].tolist() == ["2.719", ""]
    assert out["lr_p"].tolist() == ["0.01999", "1"]
    assert out["count"].tolist() == [8, 30]


def test_formula_cells_are_neutralised():
    frame = pd.DataFrame({"note": ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1", "fine", "a=b"]})
    assert for_csv(frame)["note"].tolist() == ["'=HYPERLINK(\"x\")", "'+1", "'-2+3", "'@SUM(A1)", "'\t=1+1",
                                               "'\r=1", "fine", "a=b"]
